

with

transactions as (

    select * from "test"."fo_dev"."stg_payments__transactions"

),

users as (

    select * from "test"."fo_dev"."stg_payments__users"

),

currency_rates as (

    select * from "test"."fo_dev_reference"."currency_rates"

),

enriched as (

    select
        transactions.transaction_id,
        transactions.user_id,
        transactions.merchant_id,
        transactions.event_at,
        transactions.amount * currency_rates.usd_rate as amount_usd,
        transactions.currency_code,
        transactions.merchant_category_code,
        transactions.channel,
        transactions.device_type,
        transactions.transaction_country_code,
        users.home_country_code,
        transactions.transaction_country_code
        <> users.home_country_code as is_foreign

    from transactions
    inner join users
        on transactions.user_id = users.user_id
    inner join currency_rates
        on transactions.currency_code = currency_rates.currency

)

select * from enriched