{#-
    The element of an array at a 1-based position (SQL's convention), null
    past the end.
-#}
{% macro array_element(array_expression, position) %}
    {{- return(adapter.dispatch('array_element', 'featureops')(array_expression, position)) -}}
{% endmacro %}

{#- DuckDB and Postgres subscripts count from 1. -#}
{% macro default__array_element(array_expression, position) %}
    {{- array_expression }}[{{ position }}]
{%- endmacro %}

{#- Spark's subscript counts from 0; element_at counts from 1 (and gives null
    past the end, with ANSI mode off as dbt-spark sets it). -#}
{% macro spark__array_element(array_expression, position) %}
    element_at({{ array_expression }}, {{ position }})
{%- endmacro %}
