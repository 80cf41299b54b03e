{#-
    The mean description embedding of each merchant category: what a typical
    merchant of that category "looks like". Element-wise mean via one row per
    (category, dimension), portable across engines.
-#}
with

merchants as (

    select * from {{ ref('stg_payments__merchants') }}

),

dimensions as (

    select dimension_series.dimension_index
    from {{ featureops.series(
        1, var('featureops_embedding_dim'), 'dimension_series', 'dimension_index'
    ) }}

),

elements as (

    select
        merchants.category_code,
        dimensions.dimension_index,
        avg(
            cast(
                {{ featureops.array_element(
                    'merchants.description_embedding', 'dimensions.dimension_index'
                ) }}
                as {{ featureops.type_double() }}
            )
        ) as mean_value

    from merchants
    cross join dimensions
    group by 1, 2

),

centroids as (

    select
        category_code,
        cast(
            {{ featureops.ordered_array_agg('mean_value', 'dimension_index') }}
            as {{ featureops.type_float_array(var('featureops_embedding_dim')) }}
        ) as centroid_embedding

    from elements
    group by 1

)

select * from centroids
