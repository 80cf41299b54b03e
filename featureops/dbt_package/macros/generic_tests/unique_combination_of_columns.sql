{#-
    Fails once per combination of the columns that occurs more than once:
    the primary-key test of a feature view (entity keys + timestamp).
-#}
{% test unique_combination_of_columns(model, combination_of_columns) %}
    {{ return(adapter.dispatch('test_unique_combination_of_columns', 'featureops')(
        model, combination_of_columns)) }}
{% endtest %}

{% macro default__test_unique_combination_of_columns(model, combination_of_columns) %}
    {%- if combination_of_columns is string or combination_of_columns | length == 0 -%}
        {{ exceptions.raise_compiler_error(
            "unique_combination_of_columns on " ~ model
            ~ ": combination_of_columns must be a non-empty list of column names") }}
    {%- endif -%}
    select
        {{ combination_of_columns | join(', ') }},
        count(*) as duplicate_count
    from {{ model }}
    group by {{ combination_of_columns | join(', ') }}
    having count(*) > 1
{% endmacro %}
