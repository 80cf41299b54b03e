{#-
    The instant monitors measure against ("now"), as a naive UTC datetime:
    var featureops_monitoring_now when set (the demo data is frozen at
    2026-11-01, so the example project pins it), else the start of this dbt
    invocation. One value per build, so every monitor of a build agrees on it.
-#}
{% macro monitoring_now() %}
    {%- set configured = var('featureops_monitoring_now', none) -%}
    {%- if configured is none or (configured | string | trim) == '' -%}
        {{ return(run_started_at.replace(tzinfo=none)) }}
    {%- endif -%}
    {%- set text = configured | string | trim -%}
    {%- set match = modules.re.fullmatch(
        '(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?', text) -%}
    {%- if not match -%}
        {{ exceptions.raise_compiler_error(
            "var featureops_monitoring_now: '" ~ text ~ "' is not a timestamp;"
            ~ " use 'YYYY-MM-DD HH:MM:SS' (naive UTC), or leave it unset to"
            ~ " measure against the start of the build") }}
    {%- endif -%}
    {%- set parts = [] -%}
    {%- for group in match.groups() -%}
        {%- do parts.append((group or '0') | int) -%}
    {%- endfor -%}
    {{ return(modules.datetime.datetime(*parts)) }}
{% endmacro %}
