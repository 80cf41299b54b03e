{#-
    Cyclical encoding of a time part, so 23:00 and 00:00 (or Sunday and Monday)
    are neighbours: returns sin or cos of 2*pi*value/period as a float.
    part: hour_of_day (0-23, period 24) or day_of_week (ISO 1=Monday..7, period 7).
-#}
{% macro cyclical_encoding(timestamp_expression, part, trig_function) %}
    {{- return(adapter.dispatch('cyclical_encoding', 'featureops')(
        timestamp_expression, part, trig_function)) -}}
{% endmacro %}

{#- ANSI/Postgres: extract() returns numeric on Postgres 14+, so cast it. -#}
{% macro default__cyclical_encoding(timestamp_expression, part, trig_function) %}
    {{- featureops._extracted_cycle(timestamp_expression, part, trig_function,
                                    {'hour_of_day': 'hour', 'day_of_week': 'isodow'}) -}}
{%- endmacro %}

{#- DuckDB has direct hour()/isodow() functions returning bigint. -#}
{% macro duckdb__cyclical_encoding(timestamp_expression, part, trig_function) %}
    {%- set spec = featureops._cyclical_part(part, trig_function) -%}
    {%- set function = {'hour_of_day': 'hour', 'day_of_week': 'isodow'}[part] -%}
    {{ trig_function }}(2 * pi() * {{ function }}({{ timestamp_expression }}) / {{ spec.period }})
{%- endmacro %}

{#- Spark names the ISO day of week DAYOFWEEK_ISO (its `dow` counts from Sunday). -#}
{% macro spark__cyclical_encoding(timestamp_expression, part, trig_function) %}
    {{- featureops._extracted_cycle(timestamp_expression, part, trig_function,
                                    {'hour_of_day': 'hour', 'day_of_week': 'dayofweek_iso'}) -}}
{%- endmacro %}

{#- sin/cos of the extract() field `fields[part]`, cast to double. -#}
{% macro _extracted_cycle(timestamp_expression, part, trig_function, fields) %}
    {%- set spec = featureops._cyclical_part(part, trig_function) -%}
    {{ trig_function }}(
        2 * pi()
        * cast(extract({{ fields[part] }} from {{ timestamp_expression }}) as {{ featureops.type_double() }})
        / {{ spec.period }}
    )
{%- endmacro %}

{% macro _cyclical_part(part, trig_function) %}
    {%- set periods = {'hour_of_day': 24, 'day_of_week': 7} -%}
    {%- if part not in periods -%}
        {{ exceptions.raise_compiler_error(
            "featureops.cyclical_encoding: part '" ~ part
            ~ "' is not one of hour_of_day, day_of_week") }}
    {%- endif -%}
    {%- if trig_function not in ['sin', 'cos'] -%}
        {{ exceptions.raise_compiler_error(
            "featureops.cyclical_encoding: trig_function '" ~ trig_function
            ~ "' is not sin or cos") }}
    {%- endif -%}
    {{- return({'period': periods[part]}) -}}
{% endmacro %}
