{#-
    Context of each transaction at authorisation time: when it happened,
    encoded cyclically (so 23:00 sits next to 00:00 and Sunday next to Monday),
    where, and through which channel. Everything here is known at the instant
    of the event, so these features describe the event itself.
    Grain: one row per transaction_id.
-#}
with

transactions as (

    select * from {{ ref('int_transactions__enriched') }}

),

countries as (

    select * from {{ ref('countries') }}

),

context as (

    select
        transactions.transaction_id,
        transactions.event_at,
        transactions.amount_usd,
        transactions.channel,
        transactions.device_type,
        transactions.is_foreign,
        coalesce(countries.is_high_risk, false) as is_high_risk_country,
        transactions.channel = 'online' as is_card_not_present,
        {{ featureops.cyclical_encoding(
            'transactions.event_at', 'hour_of_day', 'sin'
        ) }} as hour_of_day_sin,
        {{ featureops.cyclical_encoding(
            'transactions.event_at', 'hour_of_day', 'cos'
        ) }} as hour_of_day_cos,
        {{ featureops.cyclical_encoding(
            'transactions.event_at', 'day_of_week', 'sin'
        ) }} as day_of_week_sin,
        {{ featureops.cyclical_encoding(
            'transactions.event_at', 'day_of_week', 'cos'
        ) }} as day_of_week_cos,
        extract(hour from transactions.event_at) < 6 as is_night

    from transactions
    left join countries
        on transactions.transaction_country_code = countries.country_code

)

select * from context
