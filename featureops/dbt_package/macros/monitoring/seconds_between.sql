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
