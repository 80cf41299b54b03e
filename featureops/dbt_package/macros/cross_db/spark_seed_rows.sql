{#-
    Seed rows on Spark. dbt-spark's session method pastes each value into
    its INSERT between quotes unescaped, so a seed value with a quote (Men's
    wear) breaks the statement and a null becomes the text 'None'. This shim
    of dbt's load_csv_rows writes literals itself: featureops.quote_string
    (Spark's escaping) and null, cast to the column's type. Enabled by the
    project's dispatch block for dbt (docs/spark.md).
-#}
{% macro spark__load_csv_rows(model, agate_table) %}
    {%- set column_types = model['config'].get('column_types') or {} -%}
    {%- set types = [] -%}
    {%- for column_name in agate_table.column_names -%}
        {%- do types.append(featureops.spark_type(column_types.get(column_name)
            or adapter.convert_type(agate_table, loop.index0))) -%}
    {%- endfor -%}
    {%- set statements = [] -%}
    {%- for chunk in agate_table.rows | batch(get_batch_size()) -%}
        {%- set rows = [] -%}
        {%- for row in chunk -%}
            {%- set values = [] -%}
            {%- for value in row -%}
                {%- do values.append('cast(' ~ ('null' if value is none
                    else featureops.quote_string(value)) ~ ' as ' ~ types[loop.index0] ~ ')') -%}
            {%- endfor -%}
            {%- do rows.append('(' ~ values | join(', ') ~ ')') -%}
        {%- endfor -%}
        {%- set sql = 'insert into ' ~ this.render() ~ ' values ' ~ rows | join(', ') -%}
        {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
        {%- do statements.append(sql) -%}
    {%- endfor -%}
    {{ return(statements[0] if statements else '') }}
{% endmacro %}
