{#-
    Drift or skew history: the latest measurement of every series and bucket,
    the previous bucket's PSI and the trend (0.02 tolerance).
    measured_in_latest_build marks what the build that built this view
    measured: a build with no traffic (or an empty window) measures nothing,
    and older comparisons must not be alerted on again. Build the metrics
    model and this view together (dbt build --select models/monitoring).
-#}
{% macro distribution_history(history, series_columns, bucket_column) %}
    {%- set series = series_columns | join(', ') -%}
    with

    measurements as (
        {{ featureops._latest_measurements(history, series ~ ', ' ~ bucket_column) }}
    ),

    sequenced as (
        select
            *,
            lag(psi) over (partition by {{ series }} order by {{ bucket_column }}) as previous_psi,
            row_number() over (partition by {{ series }} order by {{ bucket_column }} desc) = 1
                as is_latest_bucket
        from measurements
    )

    select
        *,
        build_id = '{{ invocation_id }}' as measured_in_latest_build,
        {{ featureops._trend('psi', 'previous_psi', 0.02) }} as trend
    from sequenced
{% endmacro %}
