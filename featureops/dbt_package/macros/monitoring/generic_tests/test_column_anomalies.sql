{#-
    Column anomalies: null_rate, distinct_count, mean, stddev, min and max
    of columns of monitored relations (metrics picks them), each in its latest
    bucket against the training_window buckets before it. Warns at
    |z| >= sensitivity, fails at |z| >= error_sensitivity. Attach it to the
    anomalies view (featureops.metric_anomalies), whose values it re-scores
    with these settings; model_name and column_name narrow it.
-#}
{% test column_anomalies(model, model_name=none, column_name=none,
                         metrics=['null_rate', 'distinct_count', 'mean'], training_window=14,
                         min_training_size=7, sensitivity=3, error_sensitivity=4,
                         direction='both', configured=false) %}
    {{ featureops._monitoring_test_config('column_anomalies' if configured else none) }}
    {%- if configured -%}
        {{ return(featureops._configured_findings('column_anomalies', model)) }}
    {%- endif %}
    {{ return(adapter.dispatch('test_column_anomalies', 'featureops')(
        model, model_name, column_name, metrics, training_window, min_training_size,
        sensitivity, error_sensitivity, direction)) }}
{% endtest %}

{% macro default__test_column_anomalies(model, model_name, column_name, metrics, training_window,
                                        min_training_size, sensitivity, error_sensitivity,
                                        direction) %}
    {%- set known = featureops.anomaly_metric_names() | reject('equalto', 'row_count') | list -%}
    {%- for metric in ([metrics] if metrics is string else metrics) -%}
        {%- if metric not in known -%}
            {{ exceptions.raise_compiler_error(
                "column_anomalies: unknown metric '" ~ metric ~ "'; use some of "
                ~ known | join(', ')) }}
        {%- endif -%}
    {%- endfor -%}
    {{ featureops._anomaly_findings(
        'column_anomalies', model,
        "column_name is not null" ~ featureops._filter('metric_name', metrics)
            ~ featureops._filter('model_name', model_name)
            ~ featureops._filter('column_name', column_name),
        training_window, min_training_size, sensitivity, error_sensitivity, direction) }}
{% endmacro %}
