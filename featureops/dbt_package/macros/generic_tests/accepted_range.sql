{#-
    Fails on every row whose value lies outside [min_value, max_value]
    (or the open interval when inclusive=false). Nulls pass: pair with
    not_null when a value is required.
-#}
{% test accepted_range(model, column_name, min_value=none, max_value=none, inclusive=true) %}
    {{ return(adapter.dispatch('test_accepted_range', 'featureops')(
        model, column_name, min_value, max_value, inclusive)) }}
{% endtest %}

{% macro default__test_accepted_range(model, column_name, min_value, max_value, inclusive) %}
    {%- if min_value is none and max_value is none -%}
        {{ exceptions.raise_compiler_error(
            "accepted_range on " ~ model ~ "." ~ column_name
            ~ ": set min_value, max_value or both") }}
    {%- endif -%}
    {%- set lower = '>=' if inclusive else '>' -%}
    {%- set upper = '<=' if inclusive else '<' -%}
    select {{ column_name }}
    from {{ model }}
    where not (
        {{ column_name }} is null
        or (
            {% if min_value is not none -%}
                {{ column_name }} {{ lower }} {{ min_value }}
            {%- else %}true{% endif %}
            and {% if max_value is not none -%}
                {{ column_name }} {{ upper }} {{ max_value }}
            {%- else %}true{% endif %}
        )
    )
{% endmacro %}
