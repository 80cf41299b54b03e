with

source as (

    select * from {{ payments_source('users') }}

),

renamed as (

    select
        cast(user_id as bigint) as user_id,
        cast(signup_at as timestamp) as signup_at,
        cast(birth_year as integer) as birth_year,
        home_country as home_country_code,
        card_tier,
        cast(credit_limit_usd as {{ featureops.type_double() }}) as credit_limit_usd,
        cast(updated_at as timestamp) as updated_at

    from source

)

select * from renamed
