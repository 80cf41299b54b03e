{#-
    A table of the raw payments source. On DuckDB the raw data is read in
    place from Parquet; featureops.resolve_external makes the configured
    folder (var featureops_raw_dir, relative to this project) absolute, so
    the build works from any working directory.
-#}
{% macro payments_source(table_name) %}
    {{ return(featureops.resolve_external(source('payments', table_name))) }}
{% endmacro %}
