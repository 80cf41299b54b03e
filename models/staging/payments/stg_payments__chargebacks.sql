with

source as (

    select * from {{ payments_source('chargebacks') }}

),

renamed as (

    select
        cast(chargeback_id as bigint) as chargeback_id,
        cast(transaction_id as bigint) as transaction_id,
        reason_code,
        cast(amount as {{ featureops.type_double() }}) as amount,
        cast(reported_at as timestamp) as reported_at

    from source

)

select * from renamed
