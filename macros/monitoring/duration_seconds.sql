{#-
    A featureops duration ('90s', '15m', '1h', '7d', '2w': the syntax of
    meta.featureops ttl and sla.freshness) as a number of seconds, in Jinja.
-#}
{% macro duration_seconds(duration) %}
    {%- set match = modules.re.fullmatch('([1-9][0-9]*)([smhdw])', duration | string | trim) -%}
    {%- if not match -%}
        {{ exceptions.raise_compiler_error(
            "featureops.duration_seconds: '" ~ duration ~ "' is not a duration;"
            ~ " use a positive integer and one of s, m, h, d, w (e.g. 7d)") }}
    {%- endif -%}
    {%- set unit_seconds = {'s': 1, 'm': 60, 'h': 3600, 'd': 86400, 'w': 604800} -%}
    {{ return(match.group(1) | int * unit_seconds[match.group(2)]) }}
{% endmacro %}
