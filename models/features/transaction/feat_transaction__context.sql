{#-
    Context of each transaction at authorisation time: when it happened,
    encoded cyclically (so 23:00 sits next to 00:00 and Sunday next to Monday),
    where, and through which channel. Everything here is known at the instant
    of the event, so these features describe the event itself.
    It is a request-time view: featureops runs this SQL over each scoring
    request (the request rows stand for int_transactions__requests; the seeds
    are small lookups), so it may only transform one request row at a time.
    Grain: one row per transaction_id.
-#}
with

requests as (

    select * from {{ ref('int_transactions__requests') }}

),

currency_rates as (

    select * from {{ ref('currency_rates') }}

),

countries as (

    select * from {{ ref('countries') }}

),

context as (

    select
        requests.transaction_id,
        requests.event_at,
        requests.amount * currency_rates.usd_rate as amount_usd,
        requests.channel,
        requests.device_type,
        requests.transaction_country_code
        <> requests.home_country_code as is_foreign,
        coalesce(countries.is_high_risk, false) as is_high_risk_country,
        requests.channel = 'online' as is_card_not_present,
        {{ featureops.cyclical_encoding(
            'requests.event_at', 'hour_of_day', 'sin'
        ) }} as hour_of_day_sin,
        {{ featureops.cyclical_encoding(
            'requests.event_at', 'hour_of_day', 'cos'
        ) }} as hour_of_day_cos,
        {{ featureops.cyclical_encoding(
            'requests.event_at', 'day_of_week', 'sin'
        ) }} as day_of_week_sin,
        {{ featureops.cyclical_encoding(
            'requests.event_at', 'day_of_week', 'cos'
        ) }} as day_of_week_cos,
        extract(hour from requests.event_at) < 6 as is_night

    from requests
    left join currency_rates
        on requests.currency_code = currency_rates.currency
    left join countries
        on requests.transaction_country_code = countries.country_code

)

select * from context
