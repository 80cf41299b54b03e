{#-
    The elements of an array as a relation of one column `column` under the
    alias `alias`, for a FROM clause (`cross join <unnest_array>`); the array
    expression may name columns of relations earlier in the FROM clause.
-#}
{% macro unnest_array(array_expression, alias, column) %}
    {{- return(adapter.dispatch('unnest_array', 'featureops')(array_expression, alias, column)) -}}
{% endmacro %}

{#- DuckDB and Postgres: unnest in FROM is lateral. -#}
{% macro default__unnest_array(array_expression, alias, column) %}
    unnest({{ array_expression }}) as {{ alias }} ({{ column }})
{%- endmacro %}

{#- Spark: a lateral subquery explodes the array. -#}
{% macro spark__unnest_array(array_expression, alias, column) %}
    lateral (select explode({{ array_expression }}) as {{ column }}) as {{ alias }}
{%- endmacro %}
