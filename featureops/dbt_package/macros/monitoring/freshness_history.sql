{#-
    Freshness per build and relation: age of the newest timestamp, the SLA,
    their ratio and its trend since the previous build (0.1 tolerance).
-#}
{% macro freshness_history(history) %}
    with

    ages as (
        select
            build_id, measured_at, monitoring_now, model_name, column_name,
            metric_value as age_seconds,
            cast(metric_text as timestamp) as newest_at
        from {{ history }} as history_input
        where metric_name = 'freshness_age_seconds'
    ),

    slas as (
        select build_id, model_name, metric_value as sla_seconds
        from {{ history }} as history_input
        where metric_name = 'freshness_sla_seconds'
    ),

    ratios as (
        select
            ages.*,
            slas.sla_seconds,
            greatest(ages.age_seconds, 0) / nullif(slas.sla_seconds, 0) as age_over_sla,
            max(ages.measured_at) over () as latest_measured_at
        from ages
        left join slas
            on ages.build_id = slas.build_id and ages.model_name = slas.model_name
    ),

    sequenced as (
        select
            *,
            lag(age_over_sla) over (partition by model_name order by measured_at)
                as previous_age_over_sla
        from ratios
    )

    select
        build_id, measured_at, monitoring_now, model_name, column_name as timestamp_column,
        newest_at, age_seconds, sla_seconds, age_over_sla,
        measured_at = latest_measured_at as is_latest_build,
        {{ featureops._trend('age_over_sla', 'previous_age_over_sla', 0.1) }} as trend
    from sequenced
{% endmacro %}
