{#- `alias.column` for every column, comma-separated. -#}
{% macro _qualified(alias, columns) %}
    {%- set qualified = [] -%}
    {%- for column in columns -%}
        {%- do qualified.append(alias ~ '.' ~ column) -%}
    {%- endfor -%}
    {{- return(qualified | join(', ')) -}}
{% endmacro %}

{#- Equality of every column between two aliases, and-ed. -#}
{% macro _join_on(left, right, columns) %}
    {%- set conditions = [] -%}
    {%- for column in columns -%}
        {%- do conditions.append(left ~ '.' ~ column ~ ' = ' ~ right ~ '.' ~ column) -%}
    {%- endfor -%}
    {{- return(conditions | join(' and ')) -}}
{% endmacro %}

{#- The quantiles of `expression` at `fractions` (linear interpolation), as an array. -#}
{% macro _quantiles(expression, fractions) %}
    {{- return(adapter.dispatch('quantiles', 'featureops')(expression, fractions)) -}}
{% endmacro %}

{#- One ordered-set aggregate computes every quantile in a single sort. -#}
{% macro default__quantiles(expression, fractions) %}
    percentile_cont(array[{{ fractions | join(', ') }}]) within group (order by {{ expression }})
{%- endmacro %}

{#- Spark's percentile is exact and interpolates linearly too; its
    percentile_cont takes one fraction only. -#}
{% macro spark__quantiles(expression, fractions) %}
    percentile({{ expression }}, array({{ fractions | join(', ') }}))
{%- endmacro %}

{#- SQL string literals, comma-separated; a never-matching null when empty. -#}
{% macro _string_list(values) %}
    {%- set literals = [] -%}
    {%- for value in values -%}
        {%- do literals.append(featureops.quote_string(value)) -%}
    {%- endfor -%}
    {{- return(literals | join(', ') if literals else 'null') -}}
{% endmacro %}

{#-
    The branches joined by union all, or, when there are none, a select of typed
    nulls with no rows, so that a query over nothing keeps its shape.
    `columns` is a list of (name, type) pairs.
-#}
{% macro _union_or_empty(branches, columns) %}
    {%- if branches -%}
        {{ return(branches | join('\n        union all\n')) }}
    {%- endif -%}
    {%- set typed = [] -%}
    {%- for name, type in columns -%}
        {%- do typed.append('cast(null as ' ~ type ~ ') as ' ~ name) -%}
    {%- endfor -%}
    {{ return('select ' ~ typed | join(', ') ~ ' where 1 = 0') }}
{% endmacro %}
