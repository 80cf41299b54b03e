with

source as (

    select * from {{ payments_source('transactions') }}

),

renamed as (

    select
        cast(transaction_id as bigint) as transaction_id,
        cast(user_id as bigint) as user_id,
        cast(merchant_id as bigint) as merchant_id,
        cast(amount as {{ featureops.type_double() }}) as amount,
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
