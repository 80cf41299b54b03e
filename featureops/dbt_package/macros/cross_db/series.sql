{#-
    A relation of the values start, start + step, ... up to stop (inclusive)
    in one column `column`, under the alias `alias`, for a FROM clause
    (`from <series>` or `cross join <series>`): numbers (step 1 when none) or
    timestamps (step an interval, e.g. featureops.interval_literal('1d')).
    start and stop may name columns of relations earlier in the FROM clause.
-#}
{% macro series(start, stop, alias, column, step=none) %}
    {{- return(adapter.dispatch('series', 'featureops')(start, stop, alias, column, step)) -}}
{% endmacro %}

{#- DuckDB and Postgres: the generate_series table function. -#}
{% macro default__series(start, stop, alias, column, step) %}
    generate_series(
        {{ start }}, {{ stop }}{% if step is not none %}, {{ step }}{% endif %}
    ) as {{ alias }} ({{ column }})
{%- endmacro %}

{#- Spark has no series table function over other relations' columns: its
    sequence() array, unnested. -#}
{% macro spark__series(start, stop, alias, column, step) %}
    {{ featureops.spark__unnest_array(
        'sequence(' ~ start ~ ', ' ~ stop ~ (', ' ~ step if step is not none else '') ~ ')',
        alias, column) }}
{%- endmacro %}
