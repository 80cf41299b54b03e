{#-
    Turn a featureops duration ('90s', '15m', '1h', '7d', '2w': the syntax of
    meta.featureops ttl and sla.freshness) into a SQL interval literal.
    `interval '7 days'` (quoted) is the one spelling DuckDB, Postgres and Spark share.
-#}
{% macro interval_literal(duration) %}
    {%- set parsed = featureops._parse_duration(duration) -%}
    {%- set units = {'s': 'seconds', 'm': 'minutes', 'h': 'hours', 'd': 'days', 'w': 'weeks'} -%}
    interval '{{ parsed.count }} {{ units[parsed.unit] }}'
{%- endmacro %}
