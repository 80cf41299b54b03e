{#-
    Turn a featureops duration ('90s', '15m', '1h', '7d', '2w': the syntax of
    meta.featureops ttl and sla.freshness) into a SQL interval literal.
    `interval '7 days'` (quoted) is the one spelling DuckDB and Postgres share.
-#}
{% macro interval_literal(duration) %}
    {%- set match = modules.re.fullmatch('([1-9][0-9]*)([smhdw])', duration | string) -%}
    {%- if not match -%}
        {{ exceptions.raise_compiler_error(
            "featureops.interval_literal: '" ~ duration ~ "' is not a duration;"
            ~ " use a positive integer and one of s, m, h, d, w (e.g. 7d)") }}
    {%- endif -%}
    {%- set units = {'s': 'seconds', 'm': 'minutes', 'h': 'hours', 'd': 'days', 'w': 'weeks'} -%}
    interval '{{ match.group(1) }} {{ units[match.group(2)] }}'
{%- endmacro %}
