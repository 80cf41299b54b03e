{#-
    A 64-bit float on every engine. dbt.type_float() renders `float`, which is
    double precision on Postgres but a 32-bit REAL on DuckDB (and on Spark), so
    features would silently lose precision there.
-#}
{% macro type_double() %}
    {{- return(adapter.dispatch('type_double', 'featureops')()) -}}
{% endmacro %}

{#- `double precision` means float8 on DuckDB and Postgres. -#}
{% macro default__type_double() %}
    {{- return('double precision') -}}
{% endmacro %}

{#- Spark's parser knows `double` only. -#}
{% macro spark__type_double() %}
    {{- return('double') -}}
{% endmacro %}
