{#-
    Leakage check: a feature value in a training set that no row of its view
    had at or before the row's prediction time (within the same entity), i.e.
    a value taken from the future. It holds for any training set, however it
    was built: a hand-written "latest value" join fails it, the
    point-in-time join cannot. Values equal to an earlier one pass (no false
    alarms), so a future value that repeats a past one goes unseen.
-#}
{% test no_future_feature_values(model) %}
    {%- if not execute -%}
        {{ return(featureops._no_leakage_rows()) }}
    {%- endif -%}
    {%- set node = featureops._tested_training_set(model) -%}
    {{ return(featureops.future_feature_values_sql(
        model, featureops._featureops_block(node), node.name)) }}
{% endtest %}

{% macro future_feature_values_sql(training_relation, spec, model_name) %}
    {%- set views = featureops._training_set_views(spec) -%}
    {%- set prediction_at = 'training_row.' ~ adapter.quote(spec.timestamp) -%}
    {%- for view in views -%}
        {%- set view_loop = loop -%}
        {%- for feature in view.features %}
select
    {{ featureops._sql_literal(model_name) }} as model_name,
    {{ featureops._sql_literal(feature.alias) }} as column_name,
    {{ featureops._sql_literal(
        'value not in ' ~ view.name ~ ' at or before the prediction time') }} as problem,
    {{ featureops._key_text('training_row', view.entities) }}
    || ' at ' || cast({{ prediction_at }} as text)
    || ': ' || cast(training_row.{{ adapter.quote(feature.alias) }} as text) as example
from {{ training_relation }} as training_row
where
    training_row.{{ adapter.quote(feature.alias) }} is not null
    and not exists (
        select 1
        from {{ view.relation }} as view_row
        where
            {%- for entity in view.entities %}
            view_row.{{ adapter.quote(entity) }} = training_row.{{ adapter.quote(entity) }} and
            {%- endfor %}
            view_row.{{ adapter.quote(view.timestamp) }}
            {{ '<' if spec.exclusive else '<=' }} {{ prediction_at }}
            and view_row.{{ adapter.quote(feature.column) }}
            = training_row.{{ adapter.quote(feature.alias) }}
    )
            {%- if not (view_loop.last and loop.last) %}
union all
            {%- endif %}
        {%- endfor -%}
    {%- endfor %}
{% endmacro %}
