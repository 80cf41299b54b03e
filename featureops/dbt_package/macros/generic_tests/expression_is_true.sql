{#-
    Fails on every row where the boolean SQL expression is false. With a
    column, the expression is applied to it (e.g. expression: '>= 0').
    A null result is not a failure: pair with not_null where needed.
-#}
{% test expression_is_true(model, expression, column_name=none) %}
    {{ return(adapter.dispatch('test_expression_is_true', 'featureops')(
        model, expression, column_name)) }}
{% endtest %}

{% macro default__test_expression_is_true(model, expression, column_name) %}
    select *
    from {{ model }}
    where not (
        {%- if column_name is not none %} {{ column_name }}{% endif %} {{ expression }}
    )
{% endmacro %}
