{#-
    A featureops duration ('90s', '15m', '1h', '7d', '2w': the syntax of
    meta.featureops ttl and sla.freshness) as a number of seconds, in Jinja.
-#}
{% macro duration_seconds(duration) %}
    {%- set parsed = featureops._parse_duration(duration) -%}
    {%- set unit_seconds = {'s': 1, 'm': 60, 'h': 3600, 'd': 86400, 'w': 604800} -%}
    {{ return(parsed.count * unit_seconds[parsed.unit]) }}
{% endmacro %}

{#-
    The one parser of the duration syntax in SQL templates (featureops.durations is
    its Python twin): {'count': int, 'unit': one of s m h d w}, or a compile error.
-#}
{% macro _parse_duration(duration) %}
    {%- set match = modules.re.fullmatch('([1-9][0-9]*)([smhdw])', duration | string | trim) -%}
    {%- if not match -%}
        {{ exceptions.raise_compiler_error(
            "featureops: '" ~ duration ~ "' is not a duration;"
            ~ " use a positive integer and one of s, m, h, d, w (e.g. 7d)") }}
    {%- endif -%}
    {{ return({'count': match.group(1) | int, 'unit': match.group(2)}) }}
{% endmacro %}
