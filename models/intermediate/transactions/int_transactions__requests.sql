{#-
    What the payment gateway knows about a transaction when it asks for a
    fraud score (the raw fields it sends), with the cardholder's home country
    (at serving time, the stored feature feat_user__profile:home_country_code).
    feat_transaction__context is computed from exactly these columns, so
    featureops can run its SQL over a live request (docs/request-time.md).
    Grain: one row per transaction_id.
-#}
with

transactions as (

    select * from {{ ref('stg_payments__transactions') }}

),

users as (

    select * from {{ ref('stg_payments__users') }}

),

requests as (

    select
        transactions.transaction_id,
        transactions.user_id,
        transactions.event_at,
        transactions.amount,
        transactions.currency_code,
        transactions.channel,
        transactions.device_type,
        transactions.transaction_country_code,
        users.home_country_code

    from transactions
    inner join users
        on transactions.user_id = users.user_id

)

select * from requests
