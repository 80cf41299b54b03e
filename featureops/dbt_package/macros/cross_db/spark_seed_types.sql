{#-
    Seeds on Spark. A seed's column_types are written once for every engine
    (double precision, text, ...); dbt-spark writes them into its CREATE
    TABLE as they are, which Spark's parser rejects for some names. This shim
    of dbt's create_csv_table translates them (featureops.spark_type) first.
    Enabled by the project's dispatch block for dbt (docs/spark.md).
-#}
{% macro spark__create_csv_table(model, agate_table) %}
    {%- set column_types = model['config'].get('column_types') or {} -%}
    {%- for name, data_type in column_types.items() -%}
        {%- do column_types.update({name: featureops.spark_type(data_type)}) -%}
    {%- endfor -%}
    {{ return(dbt.spark__create_csv_table(model, agate_table)) }}
{% endmacro %}
