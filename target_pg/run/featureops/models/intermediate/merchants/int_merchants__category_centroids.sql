
  create view "test"."fo_dev"."int_merchants__category_centroids__dbt_tmp"
    
    
  as (
    with

merchants as (

    select * from "test"."fo_dev"."stg_payments__merchants"

),

dimensions as (

    select dimension_series.dimension_index
    from
        generate_series(
            1, 16
        ) as dimension_series (dimension_index)

),

elements as (

    select
        merchants.category_code,
        dimensions.dimension_index,
        avg(
            cast(
                merchants.description_embedding[dimensions.dimension_index]
                as double precision
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
            array_agg(mean_value order by dimension_index)
            as real[16]
        ) as centroid_embedding

    from elements
    group by 1

)

select * from centroids
  );