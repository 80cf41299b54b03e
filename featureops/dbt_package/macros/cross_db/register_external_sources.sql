{#-
    Make every source with an external_location (the config dbt-duckdb reads
    files in place with) a table of the warehouse, on engines that need one:
    run as an on-run-start hook of the featureops package, so sources, their
    tests and featureops' Python side all read a table. Renders no SQL of its
    own (the hook is then skipped).
-#}
{% macro register_external_sources() %}
    {%- if execute -%}
        {%- do adapter.dispatch('register_external_sources', 'featureops')() -%}
    {%- endif -%}
    {{ return('') }}
{% endmacro %}

{#- DuckDB reads the files in place (resolve_external); Postgres gets its
    tables from `featureops load-raw`. -#}
{% macro default__register_external_sources() %}
{% endmacro %}

{#-
    Spark: an unmanaged Parquet table over each file ({name} is the table),
    replaced on every build so a regenerated or moved file is read afresh
    (dropping an unmanaged table leaves its file alone). Parquet only: other
    formats would need a schema Spark cannot infer the same way. A glob (the
    serving log's folder of files) is left out: Spark cannot infer the schema
    of a folder with no file yet, so such a source is a table loaded by
    `featureops load-serving-log`, as on Postgres.
-#}
{% macro spark__register_external_sources() %}
    {%- set schemas = [] -%}
    {%- for node in graph.sources.values() -%}
        {%- set location = (node.config or {}).get('external_location') -%}
        {%- if location and '*' not in location -%}
            {%- set path = featureops._absolute_path(location.replace('{name}', node.identifier)) -%}
            {%- if not path.endswith('.parquet') -%}
                {{ exceptions.raise_compiler_error(
                    "featureops.register_external_sources: source " ~ node.source_name ~ "."
                    ~ node.name ~ " is read from " ~ path
                    ~ "; on Spark external sources must be Parquet files (*.parquet)") }}
            {%- endif -%}
            {%- set relation = api.Relation.create(schema=node.schema, identifier=node.identifier) -%}
            {%- if node.schema not in schemas -%}
                {%- do run_query('create schema if not exists ' ~ relation.without_identifier()) -%}
                {%- do schemas.append(node.schema) -%}
            {%- endif -%}
            {%- do run_query('drop table if exists ' ~ relation) -%}
            {%- do run_query('create table ' ~ relation ~ ' using parquet location '
                             ~ featureops.quote_string(path)) -%}
        {%- endif -%}
    {%- endfor -%}
{% endmacro %}
