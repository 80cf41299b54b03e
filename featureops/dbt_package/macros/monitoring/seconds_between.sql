{#-
    Seconds from one timestamp to another, as a double (negative when the
    second is earlier). Postgres' extract() returns numeric, hence the cast.
-#}
{% macro seconds_between(start_timestamp, end_timestamp) %}
    {{ return(adapter.dispatch('seconds_between', 'featureops')(start_timestamp, end_timestamp)) }}
{% endmacro %}

{% macro default__seconds_between(start_timestamp, end_timestamp) %}
    cast(extract(epoch from ({{ end_timestamp }}) - ({{ start_timestamp }})) as {{ featureops.type_double() }})
{%- endmacro %}

{#- Spark's timestamp difference is an interval with no epoch field: subtract
    microseconds since the epoch instead. -#}
{% macro spark__seconds_between(start_timestamp, end_timestamp) %}
    cast(unix_micros({{ end_timestamp }}) - unix_micros({{ start_timestamp }}) as {{ featureops.type_double() }}) / 1000000
{%- endmacro %}
