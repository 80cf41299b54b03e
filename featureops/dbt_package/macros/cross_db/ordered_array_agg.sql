{#-
    The values of `expression` in the order of `order_by`, nulls kept, as an
    array (a list on DuckDB): the aggregate that rebuilds an embedding from
    its elements or keeps bins in order.
-#}
{% macro ordered_array_agg(expression, order_by) %}
    {{- return(adapter.dispatch('ordered_array_agg', 'featureops')(expression, order_by)) -}}
{% endmacro %}

{% macro default__ordered_array_agg(expression, order_by) %}
    array_agg({{ expression }} order by {{ order_by }})
{%- endmacro %}

{#- Spark's array_agg takes no order and drops nulls: collect (key, value)
    structs (a struct with a null value is kept), sort them by key, keep the values. -#}
{% macro spark__ordered_array_agg(expression, order_by) %}
    transform(
        array_sort(collect_list(named_struct(
            'sort_key', {{ order_by }}, 'element', {{ expression }}))),
        entry -> entry.element
    )
{%- endmacro %}
