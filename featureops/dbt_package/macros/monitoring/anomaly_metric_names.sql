{#- The metrics quality_metrics() writes that anomaly detection applies to. -#}
{% macro anomaly_metric_names() %}
    {{ return(['row_count', 'null_rate', 'distinct_count', 'mean', 'stddev', 'min', 'max']) }}
{% endmacro %}
