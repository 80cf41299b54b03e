{{ config(enabled=featureops.monitoring_enabled('quality')) }}
{#-
    Quality metrics of every monitored relation (vars.featureops.monitoring.
    monitored), appended once per build: volume and column profiles per day,
    freshness and schema per build (incremental, see the package's
    dbt_project.yml). The views over it score them and the generic tests on
    the views alert; see docs/monitoring.md.
-#}
{{ featureops.quality_metrics(featureops.configured_monitored()) }}
