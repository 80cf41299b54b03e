{#- A Python string as a SQL string literal (single quotes doubled). -#}
{% macro quote_string(value) %}
    {{- return("'" ~ (value | string | replace("'", "''")) ~ "'") -}}
{% endmacro %}
