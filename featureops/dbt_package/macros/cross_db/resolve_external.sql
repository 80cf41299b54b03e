{#-
    A source read in place from files (dbt-duckdb's external_location), with
    a relative path made absolute against the dbt project folder. DuckDB
    resolves relative paths against the working directory of the process,
    so without this `dbt build --project-dir X` run from another folder would
    not find the files. Other relations are returned unchanged.
-#}
{% macro resolve_external(relation) %}
    {{ return(adapter.dispatch('resolve_external', 'featureops')(relation)) }}
{% endmacro %}

{% macro default__resolve_external(relation) %}
    {{ return(relation) }}
{% endmacro %}

{% macro duckdb__resolve_external(relation) %}
    {%- set location = relation.external if relation.external is defined else none -%}
    {%- if not location -%}{{ return(relation) }}{%- endif -%}
    {{ return(modules.re.sub("'((?:[^']|'')*)'",
        featureops._absolute_path_literal, location, count=1)) }}
{% endmacro %}

{#- re.sub callback: the quoted path, made absolute when it is relative. -#}
{% macro _absolute_path_literal(match) %}
    {{ return("'" ~ featureops._absolute_path(match.group(1)) ~ "'") }}
{% endmacro %}

{#- A path as is when absolute (or a URL), else under the dbt project folder. -#}
{% macro _absolute_path(path) %}
    {%- if path.startswith('/') or modules.re.match('^[A-Za-z][A-Za-z0-9+.-]*://', path)
            or modules.re.match('^[A-Za-z]:[\\\\/]', path) -%}
        {{ return(path) }}
    {%- endif -%}
    {%- set root = (invocation_args_dict or {}).get('project_dir') or '.' -%}
    {{ return(root.rstrip('/') ~ '/' ~ path) }}
{% endmacro %}
