
  create view "test"."fo_dev"."stg_payments__users__dbt_tmp"
    
    
  as (
    with

source as (

    select * from "test"."fo_dev_raw"."users"

),

renamed as (

    select
        cast(user_id as bigint) as user_id,
        cast(signup_at as timestamp) as signup_at,
        cast(birth_year as integer) as birth_year,
        home_country as home_country_code,
        card_tier,
        cast(credit_limit_usd as double precision) as credit_limit_usd,
        cast(updated_at as timestamp) as updated_at

    from source

)

select * from renamed
  );