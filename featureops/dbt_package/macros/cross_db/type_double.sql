{#-
    A 64-bit float on every engine. dbt.type_float() renders `float`, which is
    double precision on Postgres but a 32-bit REAL on DuckDB, so features would
    silently lose precision there. `double precision` means float8 on both.
-#}
{% macro type_double() %}
    {{- return('double precision') -}}
{% endmacro %}
