{#-
    Spark's name for a type written the DuckDB/Postgres way: arrays
    (real[16], double precision[]) become array<...>, double precision
    double, real float, text and varchar string; other names are Spark's too.
-#}
{% macro spark_type(data_type) %}
    {%- set name = data_type | trim | lower -%}
    {%- set array = modules.re.fullmatch('(.+?)\s*\[\s*[0-9]*\s*\]', name) -%}
    {%- if array -%}
        {{ return('array<' ~ featureops.spark_type(array.group(1)) ~ '>') }}
    {%- endif -%}
    {%- set renamed = {'double precision': 'double', 'float8': 'double', 'real': 'float',
                       'float4': 'float', 'text': 'string', 'varchar': 'string',
                       'character varying': 'string', 'int8': 'bigint', 'int4': 'int',
                       'integer': 'int', 'bool': 'boolean'} -%}
    {{ return(renamed.get(name, data_type)) }}
{% endmacro %}
