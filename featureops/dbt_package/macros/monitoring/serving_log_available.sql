{#-
    Whether the serving-log source has data to read, so the staging model can
    fall back to an empty, typed relation before any request was ever logged.
-#}
{% macro serving_log_available(relation, readable=none) %}
    {{ return(adapter.dispatch('serving_log_available', 'featureops')(
        relation, readable if readable is not none else relation)) }}
{% endmacro %}

{#- Elsewhere the log is a table that `featureops load-serving-log` creates. -#}
{% macro default__serving_log_available(relation, readable) %}
    {%- if not execute -%}{{ return(false) }}{%- endif -%}
    {%- set found = adapter.get_relation(
        database=relation.database, schema=relation.schema, identifier=relation.identifier) -%}
    {{ return(found is not none) }}
{% endmacro %}

{#- DuckDB reads the Parquet files in place: are there any? -#}
{% macro duckdb__serving_log_available(relation, readable) %}
    {%- if not execute -%}{{ return(false) }}{%- endif -%}
    {%- set location = readable if relation.external else none -%}
    {%- if location is none -%}
        {{ return(featureops.default__serving_log_available(relation, readable)) }}
    {%- endif -%}
    {%- set quoted = modules.re.search("'(?:[^']|'')*'", location) -%}
    {%- if not quoted -%}
        {{ exceptions.raise_compiler_error(
            "featureops.serving_log_available: cannot find the path in the serving-log"
            ~ " source's external_location " ~ location) }}
    {%- endif -%}
    {%- set files = run_query('select count(*) from glob(' ~ quoted.group(0) ~ ')') -%}
    {{ return(files.columns[0].values()[0] > 0) }}
{% endmacro %}
