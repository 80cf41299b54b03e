{#- A Python string as a SQL string literal. -#}
{% macro quote_string(value) %}
    {{- return(adapter.dispatch('quote_string', 'featureops')(value)) -}}
{% endmacro %}

{#- Standard SQL: single quotes doubled. -#}
{% macro default__quote_string(value) %}
    {{- return("'" ~ (value | string | replace("'", "''")) ~ "'") -}}
{% endmacro %}

{#- Spark reads '' as two adjacent literals (concatenated) and a backslash as
    an escape: both are escaped with a backslash. -#}
{% macro spark__quote_string(value) %}
    {{- return("'" ~ (value | string | replace('\\', '\\\\') | replace("'", "\\'")) ~ "'") -}}
{% endmacro %}
