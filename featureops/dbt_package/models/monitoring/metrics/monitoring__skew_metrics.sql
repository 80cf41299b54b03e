{{ config(enabled=featureops.monitoring_enabled('skew')) }}
{#-
    Training-serving skew, appended once per build: every feature the
    training sets of vars.featureops.monitoring.skew read, against what the
    server returned for it over the serving window, per serving day and over
    the window. The training_serving_skew test on monitoring__skew alerts.
-#}
{{ featureops.skew_metrics(
    serving_log=ref('stg_featureops__serving_log'),
    training_sets=featureops.configured_skew_training_sets(),
    serving_window=featureops.monitoring_settings().skew.get('serving_window', '7d'),
) }}
