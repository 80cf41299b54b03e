{{ config(enabled=featureops.monitoring_enabled('drift')) }}
{#-
    The drift checks of vars.featureops.monitoring.drift, appended once per
    build. The distribution_drift test on the monitoring__drift view alerts.
-#}
{{ featureops.drift_metrics(featureops.configured_drift_checks()) }}
