{#-
    Whether the serving-log source has data to read, so the staging model can
    fall back to an empty, typed relation before any request was ever logged.
-#}
{% macro serving_log_available(relation) %}
    {{ return(adapter.dispatch('serving_log_available', 'featureops')(relation)) }}
{% endmacro %}

{#- Elsewhere the log is a table that `featureops load-serving-log` creates. -#}
{% macro default__serving_log_available(relation) %}
    {%- if not execute -%}{{ return(false) }}{%- endif -%}
    {%- set found = adapter.get_relation(
        database=relation.database, schema=relation.schema, identifier=relation.identifier) -%}
    {{ return(found is not none) }}
{% endmacro %}

{#- DuckDB reads the Parquet files in place: are there any? -#}
{% macro duckdb__serving_log_available(relation) %}
    {%- if not execute -%}{{ return(false) }}{%- endif -%}
    {%- set location = relation.external if relation.external else none -%}
    {%- if location is none -%}
        {{ return(default__serving_log_available(relation)) }}
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
