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
        '{{ entity }}=' || coalesce(cast({{ alias }}.{{ adapter.quote(entity) }} as text), 'null')
        {%- if not loop.last %} || ', ' || {% endif -%}
    {%- endfor -%}
{% endmacro %}

{#- A query with the leakage row shape and no rows. -#}
{% macro _no_leakage_rows() %}
    select
        cast(null as text) as model_name,
        cast(null as text) as column_name,
        cast(null as text) as problem,
        cast(null as text) as example
    where 1 = 0
{% endmacro %}
