{#-
    Warns about feature views whose quality the quality-metrics model did not
    measure in its latest build, so a new feature view is not silently left
    unmonitored. Attach it to the anomalies view (featureops.metric_anomalies).
    It has no arguments; configured, an empty rule list
    (vars.featureops.monitoring.tests.monitoring_coverage: []) turns it off.
-#}
{% test monitoring_coverage(model, configured=false) %}
    {{ featureops._monitoring_test_config('monitoring_coverage' if configured else none) }}
    {%- if configured -%}
        {{ return(featureops._configured_findings('monitoring_coverage', model)) }}
    {%- endif %}
    {{ return(adapter.dispatch('test_monitoring_coverage', 'featureops')(model)) }}
{% endtest %}

{% macro default__test_monitoring_coverage(model) %}
    {%- set views = [] -%}
    {%- if execute -%}
        {%- for node in graph.nodes.values() if node.resource_type == 'model'
                and featureops._featureops_meta(node).get('kind') == 'feature_view' -%}
            {%- do views.append(node.name) -%}
        {%- endfor -%}
    {%- endif -%}
    with

    measured as (
        select distinct model_name
        from {{ model }} as anomalies
        where measured_in_latest_build
    ),

    feature_views as (
        {%- set rows = [] %}
        {%- for view in views %}
            {%- do rows.append('select ' ~ featureops.quote_string(view) ~ ' as model_name') %}
        {%- endfor %}
        {{ featureops._union_or_empty(rows, [('model_name', dbt.type_string())]) }}
    ),

    unmeasured as (
        select feature_views.model_name
        from feature_views
        left join measured
            on feature_views.model_name = measured.model_name
        where measured.model_name is null
    )

    {{ featureops._findings_select('monitoring_coverage', 'unmeasured', {
        'model_name': 'model_name', 'metric_name': "'monitored'",
        'detail': "'feature view not in the quality-metrics model'"}, '1') }}
{% endmacro %}
