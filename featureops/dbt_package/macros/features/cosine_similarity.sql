{#-
    Cosine similarity of two equal-length float arrays (embeddings), computed in
    double precision, as a float in [-1, 1]; null when either vector is null or
    has zero norm. Both engines give the same value to the last digit.
-#}
{% macro cosine_similarity(left_vector, right_vector) %}
    {{- return(adapter.dispatch('cosine_similarity', 'featureops')(left_vector, right_vector)) -}}
{% endmacro %}

{#-
    Postgres (no pgvector assumed): unnest both arrays in lock-step (a
    multi-argument unnest pairs elements by position) and reduce.
-#}
{% macro default__cosine_similarity(left_vector, right_vector) %}
    (
        select
            sum(pair.l * pair.r)
            / nullif(sqrt(sum(pair.l * pair.l)) * sqrt(sum(pair.r * pair.r)), 0)
        from unnest(
            cast({{ left_vector }} as {{ featureops.type_double() }}[]),
            cast({{ right_vector }} as {{ featureops.type_double() }}[])
        ) as pair (l, r)
    )
{%- endmacro %}

{#-
    DuckDB has a native, vectorised list_cosine_similarity. It returns NaN for
    a zero-norm vector, which is mapped to null for parity with Postgres.
-#}
{% macro duckdb__cosine_similarity(left_vector, right_vector) %}
    nullif(
        list_cosine_similarity(
            cast({{ left_vector }} as {{ featureops.type_double() }}[]),
            cast({{ right_vector }} as {{ featureops.type_double() }}[])
        ),
        cast('nan' as {{ featureops.type_double() }})
    )
{%- endmacro %}

{#-
    Spark has no unnest in FROM over a row's arrays: higher-order functions
    pair the elements (zip_with) and fold the sums (aggregate), in order.
-#}
{% macro spark__cosine_similarity(left_vector, right_vector) %}
    {%- set double = featureops.type_double() -%}
    {%- set left = 'cast(' ~ left_vector ~ ' as array<' ~ double ~ '>)' -%}
    {%- set right = 'cast(' ~ right_vector ~ ' as array<' ~ double ~ '>)' -%}
    (
        {{ featureops._spark_sum_of_products(left, right) }}
        / nullif(
            sqrt({{ featureops._spark_sum_of_products(left, left) }})
            * sqrt({{ featureops._spark_sum_of_products(right, right) }}),
            0
        )
    )
{%- endmacro %}

{#- The dot product of two double arrays on Spark, summed left to right. -#}
{% macro _spark_sum_of_products(left, right) %}
    {{- return('aggregate(zip_with(' ~ left ~ ', ' ~ right ~ ', (l, r) -> l * r), cast(0 as '
        ~ featureops.type_double() ~ '), (total, product) -> total + product)') -}}
{% endmacro %}
