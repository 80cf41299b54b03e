{#-
    Declares one monitored relation with settings that override what its
    meta.featureops block says. A bare ref() in the list given to
    quality_metrics() is the same as monitored(ref(...)) with no overrides.
-#}
{% macro monitored(relation, timestamp_column=none, sla=none, bucket='day', buckets=28,
                   columns=none, exclude_columns=none) %}
    {%- if bucket not in ['day', 'hour'] -%}
        {{ exceptions.raise_compiler_error(
            "featureops.monitored(" ~ relation ~ "): bucket must be 'day' or 'hour', not '"
            ~ bucket ~ "'") }}
    {%- endif -%}
    {{ return({
        'relation': relation, 'timestamp_column': timestamp_column, 'sla': sla,
        'bucket': bucket, 'buckets': buckets | int, 'columns': columns,
        'exclude_columns': exclude_columns or []}) }}
{% endmacro %}
