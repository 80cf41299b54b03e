{#-
    Schema changes: columns added, removed or retyped in monitored relations
    since their previous build. warn_on and error_on list the change types
    that warn and fail (by default: added warns, removed and retyped fail).
    Attach it to the schema-changes view (featureops.schema_changes).
-#}
{% test schema_changes(model, model_name=none, warn_on=['added'],
                       error_on=['removed', 'retyped'], configured=false) %}
    {{ featureops._monitoring_test_config('schema_changes' if configured else none) }}
    {%- if configured -%}
        {{ return(featureops._configured_findings('schema_changes', model)) }}
    {%- endif %}
    {{ return(adapter.dispatch('test_schema_changes', 'featureops')(
        model, model_name, warn_on, error_on)) }}
{% endtest %}

{% macro default__test_schema_changes(model, model_name, warn_on, error_on) %}
    {%- for change in (warn_on or []) + (error_on or []) -%}
        {%- if change not in ['added', 'removed', 'retyped'] -%}
            {{ exceptions.raise_compiler_error(
                "schema_changes: unknown change type '" ~ change
                ~ "'; use added, removed or retyped") }}
        {%- endif -%}
    {%- endfor -%}
    {%- set level -%}
        case
            when change_type in ({{ featureops._string_list(error_on or []) }}) then 2
            when change_type in ({{ featureops._string_list(warn_on or []) }}) then 1
            else 0
        end
    {%- endset -%}
    {%- set latest -%}
        (select * from {{ model }} as changes
         where is_latest_build {{- featureops._filter('model_name', model_name) }})
    {%- endset -%}
    {{ featureops._findings_select('schema_changes', latest, {
        'model_name': 'model_name', 'column_name': 'column_name',
        'metric_name': 'change_type', 'bucket_start': 'measured_at',
        'detail': "coalesce(previous_type, '-') || ' -> ' || coalesce(current_type, '-')"},
        level) }}
{% endmacro %}
