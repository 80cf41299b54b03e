
  create view "test"."fo_dev"."stg_payments__chargebacks__dbt_tmp"
    
    
  as (
    with

source as (

    select * from "test"."fo_dev_raw"."chargebacks"

),

renamed as (

    select
        cast(chargeback_id as bigint) as chargeback_id,
        cast(transaction_id as bigint) as transaction_id,
        reason_code,
        cast(amount as double precision) as amount,
        cast(reported_at as timestamp) as reported_at

    from source

)

select * from renamed
  );