
  create view "test"."fo_dev"."stg_payments__transactions__dbt_tmp"
    
    
  as (
    with

source as (

    select * from "test"."fo_dev_raw"."transactions"

),

renamed as (

    select
        cast(transaction_id as bigint) as transaction_id,
        cast(user_id as bigint) as user_id,
        cast(merchant_id as bigint) as merchant_id,
        cast(amount as double precision) as amount,
        currency as currency_code,
        merchant_category_code,
        channel,
        device_type,
        device_id,
        country as transaction_country_code,
        cast(event_at as timestamp) as event_at

    from source

)

select * from renamed
  );