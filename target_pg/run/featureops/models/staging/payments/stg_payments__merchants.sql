
  create view "test"."fo_dev"."stg_payments__merchants__dbt_tmp"
    
    
  as (
    with

source as (

    select * from "test"."fo_dev_raw"."merchants"

),

renamed as (

    select
        cast(merchant_id as bigint) as merchant_id,
        merchant_name,
        category_code,
        country as merchant_country_code,
        description,
        cast(description_embedding as real[16])
            as description_embedding,
        cast(onboarded_at as timestamp) as onboarded_at

    from source

)

select * from renamed
  );