{#-
    The type of a fixed-length array of 32-bit floats (an embedding) of
    `size` elements, for casts in models.
-#}
{% macro type_float_array(size) %}
    {{- return(adapter.dispatch('type_float_array', 'featureops')(size)) -}}
{% endmacro %}

{#- DuckDB's fixed-size ARRAY; Postgres reads the size and ignores it. -#}
{% macro default__type_float_array(size) %}
    {{- return('real[' ~ size ~ ']') -}}
{% endmacro %}

{#- Spark arrays have no fixed size, and its 32-bit float is `float`. -#}
{% macro spark__type_float_array(size) %}
    {{- return('array<float>') -}}
{% endmacro %}
