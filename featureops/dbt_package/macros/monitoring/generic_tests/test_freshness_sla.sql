{#-
    Freshness against the SLA: warns when the newest row of a monitored
    relation is older than warn_after (default: its meta.featureops
    sla.freshness) and fails when older than error_after (default: twice the
    SLA). Relations without an SLA are checked only when thresholds are given;
    an empty relation has no age to judge (insufficient data).
    Attach it to the freshness view (featureops.freshness_history);
    model_name limits it to some relations.
-#}
{% test freshness_sla(model, model_name=none, warn_after=none, error_after=none, configured=false) %}
    {{ featureops._monitoring_test_config('freshness_sla' if configured else none) }}
    {%- if configured -%}
        {{ return(featureops._configured_findings('freshness_sla', model)) }}
    {%- endif %}
    {{ return(adapter.dispatch('test_freshness_sla', 'featureops')(
        model, model_name, warn_after, error_after)) }}
{% endtest %}

{% macro default__test_freshness_sla(model, model_name, warn_after, error_after) %}
    {%- set warn_seconds = featureops.duration_seconds(warn_after) if warn_after else none -%}
    {%- set error_seconds = featureops.duration_seconds(error_after) if error_after else none -%}
    with

    thresholds as (
        select
            *,
            {{ warn_seconds if warn_seconds else 'sla_seconds' }} as warn_threshold,
            {{ error_seconds if error_seconds else '2 * sla_seconds' }} as error_threshold
        from {{ model }} as freshness
        where is_latest_build {{- featureops._filter('model_name', model_name) }}
    )

    {{ featureops._findings_select('freshness_sla', 'thresholds', {
        'model_name': 'model_name', 'column_name': 'timestamp_column',
        'metric_name': "'freshness_age_seconds'", 'bucket_start': 'newest_at',
        'observed_value': 'age_seconds', 'expected_value': 'sla_seconds',
        'score': 'age_over_sla', 'warn_threshold': 'warn_threshold',
        'error_threshold': 'error_threshold', 'trend': 'trend',
        'detail': "'newest row at ' || cast(newest_at as " ~ dbt.type_string() ~ ")"},
        featureops._alert_level('age_seconds', 'warn_threshold', 'error_threshold')) }}
    union all
    {#- An empty relation has no newest row to judge. #}
    {{ featureops._findings_select('freshness_sla',
        '(select * from thresholds where age_seconds is null)', {
        'model_name': 'model_name', 'column_name': 'timestamp_column',
        'metric_name': "'freshness_age_seconds'", 'expected_value': 'sla_seconds',
        'detail': "'insufficient data: no row with a timestamp'"},
        featureops._insufficient_level()) }}
{% endmacro %}
