{#-
    Volume anomaly: the row count of each monitored relation's latest bucket
    (day of data, or build) against the training_window buckets before it.
    Warns at |z| >= sensitivity, fails at |z| >= error_sensitivity; direction
    both, drop or spike. Attach it to the anomalies view
    (featureops.metric_anomalies), whose values it re-scores with these
    settings.
-#}
{% test volume_anomaly(model, model_name=none, training_window=14, min_training_size=7,
                       sensitivity=3, error_sensitivity=4, direction='both', configured=false) %}
    {{ featureops._monitoring_test_config('volume_anomaly' if configured else none) }}
    {%- if configured -%}
        {{ return(featureops._configured_findings('volume_anomaly', model)) }}
    {%- endif %}
    {{ return(adapter.dispatch('test_volume_anomaly', 'featureops')(
        model, model_name, training_window, min_training_size, sensitivity,
        error_sensitivity, direction)) }}
{% endtest %}

{% macro default__test_volume_anomaly(model, model_name, training_window, min_training_size,
                                      sensitivity, error_sensitivity, direction) %}
    {{ featureops._anomaly_findings(
        'volume_anomaly', model,
        "metric_name = 'row_count'" ~ featureops._filter('model_name', model_name),
        training_window, min_training_size, sensitivity, error_sensitivity, direction) }}
{% endmacro %}
