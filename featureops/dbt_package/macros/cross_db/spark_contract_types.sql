{#-
    Model contracts on Spark. A contract's data_type is written once for
    every engine (bigint, double precision, text, real[16], ...); dbt checks
    it by casting nulls to it, and Spark's parser knows other names for some
    of these types. This shim of dbt's get_empty_schema_sql translates the
    contract's types to Spark's before that cast; the manifest keeps the
    contract as written. The project enables it with a dispatch block
    (docs/spark.md): search_order [<project>, featureops, dbt] for dbt.
-#}
{% macro spark__get_empty_schema_sql(columns) %}
    {%- set translated = {} -%}
    {%- for name, column in columns.items() -%}
        {%- set copy = {} -%}
        {%- do copy.update(column) -%}
        {%- if column.get('data_type') is not none -%}
            {%- do copy.update({'data_type': featureops.spark_type(column['data_type'])}) -%}
        {%- endif -%}
        {%- do translated.update({name: copy}) -%}
    {%- endfor -%}
    {{ dbt.default__get_empty_schema_sql(translated) }}
{% endmacro %}
