{#-
    Shared pieces of the leakage checks. Every check returns the same narrow
    rows, one per failing (row, column): model_name, column_name, problem and
    an example, so dbt counts failures and `featureops leakage` groups them
    into findings that name the model and the column.
-#}

{#- The training-set node a generic test runs on, found by its relation. -#}
{% macro _tested_training_set(model) %}
    {%- for node in graph.nodes.values() if node.resource_type == 'model'
            and node.alias == model.identifier and node.schema == model.schema -%}
        {%- set spec = featureops._featureops_block(node) -%}
        {%- if spec.kind != 'training_set' -%}
            {{ exceptions.raise_compiler_error(
                "featureops leakage tests run on training sets; model '" ~ node.name
                ~ "' has no meta.featureops kind: training_set") }}
        {%- endif -%}
        {{- return(node) -}}
    {%- endfor -%}
    {{ exceptions.raise_compiler_error(
        "featureops leakage tests: cannot find the model of " ~ model
        ~ " in the graph (a `where` config is not supported on these tests)") }}
{% endmacro %}

{#- The views a training-set spec joins, with relation names from the graph. -#}
{% macro _training_set_views(spec) %}
    {%- set references = spec.features or featureops.exposure_features(spec.exposure) -%}
    {{- return(featureops.resolve_feature_views(
        references, spec.full_feature_names or false, use_ref=false)) -}}
{% endmacro %}

{#- A SQL string literal. -#}
{% macro _sql_literal(text) %}
    {{- return("'" ~ (text | string).replace("'", "''") ~ "'") -}}
{% endmacro %}

{#- 'col=value, ...' of a row's entity keys, as SQL text. -#}
{% macro _key_text(alias, entities) %}
    {%- for entity in entities -%}
        '{{ entity }}=' || coalesce(cast({{ alias }}.{{ adapter.quote(entity) }} as {{ dbt.type_string() }}), 'null')
        {%- if not loop.last %} || ', ' || {% endif -%}
    {%- endfor -%}
{% endmacro %}

{#- A query with the leakage row shape and no rows. -#}
{% macro _no_leakage_rows() %}
    select
        cast(null as {{ dbt.type_string() }}) as model_name,
        cast(null as {{ dbt.type_string() }}) as column_name,
        cast(null as {{ dbt.type_string() }}) as problem,
        cast(null as {{ dbt.type_string() }}) as example
    where 1 = 0
{% endmacro %}

{#-
    Leakage rows for the feature values of a training set that no row of
    their view held at or before the row's prediction time (future values),
    or, with within_ttl, that one held then but none within the view's ttl
    (values the point-in-time join would have left null). One row per value,
    the example naming the row's entity keys, prediction time and value.
-#}
{% macro _held_value_findings(training_relation, spec, model_name, views, within_ttl) %}
    {%- set prediction_at = 'training_row.' ~ adapter.quote(spec.timestamp) -%}
    {%- for view in views -%}
        {%- set view_loop = loop -%}
        {%- for feature in view.features %}
select
    {{ featureops._sql_literal(model_name) }} as model_name,
    {{ featureops._sql_literal(feature.alias) }} as column_name,
    {{ featureops._sql_literal(
        'value older than the ttl (' ~ view.ttl ~ ') of ' ~ view.name
        ~ ' at the prediction time' if within_ttl
        else 'value not in ' ~ view.name ~ ' at or before the prediction time') }} as problem,
    {{ featureops._key_text('training_row', view.entities) }}
    || ' at ' || cast({{ prediction_at }} as {{ dbt.type_string() }})
    || ': ' || cast(training_row.{{ adapter.quote(feature.alias) }} as {{ dbt.type_string() }}) as example
from {{ training_relation }} as training_row
where
    training_row.{{ adapter.quote(feature.alias) }} is not null
            {%- if within_ttl %}
    and {{ featureops._view_held_value(spec, view, feature) }}
    and not {{ featureops._view_held_value(spec, view, feature, within_ttl=true) }}
            {%- else %}
    and not {{ featureops._view_held_value(spec, view, feature) }}
            {%- endif %}
            {%- if not (view_loop.last and loop.last) %}
union all
            {%- endif %}
        {%- endfor -%}
    {%- endfor %}
{%- endmacro %}

{#-
    `exists (...)`: a row of the view, same entity, at or before the training
    row's prediction time (before it with spec.exclusive), held the row's
    value of the feature; with within_ttl, no older than the view's ttl.
-#}
{% macro _view_held_value(spec, view, feature, within_ttl=false) %}
    {%- set prediction_at = 'training_row.' ~ adapter.quote(spec.timestamp) -%}
exists (
        select 1
        from {{ view.relation }} as view_row
        where
            {%- for entity in view.entities %}
            view_row.{{ adapter.quote(entity) }} = training_row.{{ adapter.quote(entity) }} and
            {%- endfor %}
            view_row.{{ adapter.quote(view.timestamp) }}
            {{ '<' if spec.exclusive else '<=' }} {{ prediction_at }}
            {%- if within_ttl %}
            and view_row.{{ adapter.quote(view.timestamp) }}
            >= {{ prediction_at }} - {{ featureops._exact_interval(view.ttl) }}
            {%- endif %}
            and view_row.{{ adapter.quote(feature.column) }}
            = training_row.{{ adapter.quote(feature.alias) }}
    )
{%- endmacro %}
