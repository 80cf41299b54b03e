with

source as (

    select * from {{ payments_source('merchants') }}

),

renamed as (

    select
        cast(merchant_id as bigint) as merchant_id,
        merchant_name,
        category_code,
        country as merchant_country_code,
        description,
        cast(
            description_embedding
            as {{ featureops.type_float_array(var('featureops_embedding_dim')) }}
        )
            as description_embedding,
        cast(onboarded_at as timestamp) as onboarded_at

    from source

)

select * from renamed
