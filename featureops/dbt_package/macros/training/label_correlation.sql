{#-
    Leakage check, a warning: a numeric or boolean feature whose Pearson
    correlation with a label exceeds max_correlation in absolute value
    (default var featureops_max_label_correlation, 0.95) is more likely a
    copy of the label than a signal. Meant for `severity: warn`.
-#}
{% test label_correlation(model, max_correlation=none) %}
    {%- if not execute -%}
        {{ return(featureops._no_leakage_rows()) }}
    {%- endif -%}
    {%- set node = featureops._tested_training_set(model) -%}
    {%- set threshold = max_correlation if max_correlation is not none
        else var('featureops_max_label_correlation', 0.95) -%}
    {{ return(featureops.label_correlation_sql(
        model, featureops._featureops_block(node), threshold, node.name, node.columns)) }}
{% endtest %}

{#- training_columns: the training set's documented columns (label data types). -#}
{% macro label_correlation_sql(training_relation, spec, max_correlation, model_name,
                               training_columns={}) %}
    {%- set pairs = [] -%}
    {%- for view in featureops._training_set_views(spec) -%}
        {%- for feature in view.features
                if featureops._is_numeric(view.columns[feature.column].data_type) -%}
            {%- for label in spec.labels or [] -%}
                {%- do pairs.append([feature.alias, view.columns[feature.column].data_type,
                    label, (training_columns.get(label) or {}).get('data_type')]) -%}
            {%- endfor -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- if not pairs -%}
        {{- return(featureops._no_leakage_rows()) -}}
    {%- endif %}
    select
        {{ featureops._sql_literal(model_name) }} as model_name,
        column_name,
        'correlation ' || cast(cast(correlation as decimal(10, 4)) as {{ dbt.type_string() }})
        || ' with label ' || label_name || ' exceeds ' || {{ featureops._sql_literal(
            max_correlation) }} as problem,
        cast(null as {{ dbt.type_string() }}) as example
    from (
        {%- for pair in pairs %}
        select
            {{ featureops._sql_literal(pair[0]) }} as column_name,
            {{ featureops._sql_literal(pair[2]) }} as label_name,
            corr(
                {{ featureops._as_double(adapter.quote(pair[0]), pair[1]) }},
                {{ featureops._as_double(adapter.quote(pair[2]), pair[3]) }}
            ) as correlation
        from {{ training_relation }}
            {%- if not loop.last %}
        union all
            {%- endif %}
        {%- endfor %}
    ) as correlations
    -- A feature or label without variance has no correlation: null on Postgres, NaN on
    -- DuckDB, where NaN sorts above every number (a real correlation is at most 1).
    where abs(correlation) > {{ max_correlation | float }} and abs(correlation) < 2
{% endmacro %}

{% macro _is_numeric(data_type) %}
    {%- set kind = (data_type or '') | lower -%}
    {{- return('[' not in kind and kind.split('(')[0].strip() in [
        'bigint', 'integer', 'int', 'smallint', 'tinyint', 'hugeint', 'int8', 'int4', 'int2',
        'double precision', 'double', 'real', 'float', 'float4', 'float8', 'numeric',
        'decimal', 'boolean', 'bool']) -}}
{% endmacro %}

{#- Postgres cannot cast boolean to a float directly; through integer it can. -#}
{% macro _as_double(expression, data_type) %}
    {%- if (data_type or '') | lower in ['boolean', 'bool'] -%}
        cast(cast({{ expression }} as integer) as {{ featureops.type_double() }})
    {%- else -%}
        cast({{ expression }} as {{ featureops.type_double() }})
    {%- endif -%}
{% endmacro %}
