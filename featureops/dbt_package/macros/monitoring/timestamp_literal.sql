{#- A naive UTC datetime as a SQL timestamp literal both engines read. -#}
{% macro timestamp_literal(value) %}
    {{- return("cast('" ~ value.strftime('%Y-%m-%d %H:%M:%S') ~ "' as timestamp)") -}}
{% endmacro %}
