{#-
    Merchant risk, recomputed every midnight (event_at) over the trailing
    windows [event_at - w, event_at): transaction volume and the share of those
    transactions already charged back. A chargeback counts only once it was
    reported before event_at: labels arrive days late, and a feature must not
    know what the bank only learned later.
    Grain: one row per (merchant_id, event_at), every day from the merchant's
    first transaction to the day after the last transaction in the data.
-#}
with

transactions as (

    select * from {{ ref('int_transactions__enriched') }}

),

charged_back_transactions as (

    select * from {{ ref('int_transactions__chargebacks') }}

),

daily_transactions as (

    select
        merchant_id,
        {{ dbt.date_trunc('day', 'event_at') }} as day_at,
        count(*) as transaction_count,
        sum(amount_usd) as amount_usd_sum

    from transactions
    group by 1, 2

),

merchant_first_days as (

    select
        merchant_id,
        min(day_at) as first_day_at

    from daily_transactions
    group by 1

),

day_bounds as (

    select
        min(day_at) as first_day_at,
        max(day_at) as last_day_at

    from daily_transactions

),

days as (

    select day_spine.spine_at as day_at

    from day_bounds
    cross join {{ featureops.series(
        'day_bounds.first_day_at',
        'day_bounds.last_day_at + ' ~ featureops.interval_literal('1d'),
        'day_spine',
        'spine_at',
        step=featureops.interval_literal('1d'),
    ) }}

),

-- A dense daily series per merchant, zero-filled, so that trailing windows
-- roll forward on days without activity too.
merchant_days as (

    select
        merchant_first_days.merchant_id,
        days.day_at,
        coalesce(daily_transactions.transaction_count, 0) as transaction_count,
        coalesce(daily_transactions.amount_usd_sum, 0) as amount_usd_sum

    from merchant_first_days
    inner join days
        on merchant_first_days.first_day_at <= days.day_at
    left join daily_transactions
        on
            merchant_first_days.merchant_id = daily_transactions.merchant_id
            and days.day_at = daily_transactions.day_at

),

-- Each row is as of its own midnight: the frame [day_at - w, day_at) holds
-- the whole days before it and excludes the day that starts at day_at.
volumes as (

    select
        merchant_id,
        day_at as event_at,
        cast(
            coalesce({{ featureops.windowed_aggregate(
                'sum', 'transaction_count', 'merchant_id', 'day_at', '7d'
            ) }}, 0) as bigint
        ) as transaction_count_7d,
        coalesce({{ featureops.windowed_aggregate(
            'sum', 'amount_usd_sum', 'merchant_id', 'day_at', '7d'
        ) }}, 0) as amount_usd_sum_7d,
        cast(
            coalesce({{ featureops.windowed_aggregate(
                'sum', 'transaction_count', 'merchant_id', 'day_at', '30d'
            ) }}, 0) as bigint
        ) as transaction_count_30d,
        coalesce({{ featureops.windowed_aggregate(
            'sum', 'amount_usd_sum', 'merchant_id', 'day_at', '30d'
        ) }}, 0) as amount_usd_sum_30d

    from merchant_days

),

known_chargebacks as (

    select
        volumes.merchant_id,
        volumes.event_at,
        count(charged_back_transactions.transaction_id) as chargeback_count_30d

    from volumes
    left join charged_back_transactions
        on
            volumes.merchant_id = charged_back_transactions.merchant_id
            and charged_back_transactions.event_at
            >= volumes.event_at - {{ featureops.interval_literal('30d') }}
            and volumes.event_at > charged_back_transactions.event_at
            and volumes.event_at > charged_back_transactions.reported_at
    group by 1, 2

),

final as (

    select
        volumes.merchant_id,
        volumes.event_at,
        volumes.transaction_count_7d,
        volumes.amount_usd_sum_7d,
        volumes.transaction_count_30d,
        volumes.amount_usd_sum_30d,
        known_chargebacks.chargeback_count_30d,
        cast(
            known_chargebacks.chargeback_count_30d
            as {{ featureops.type_double() }}
        )
        / nullif(volumes.transaction_count_30d, 0) as chargeback_rate_30d

    from volumes
    inner join known_chargebacks
        on
            volumes.merchant_id = known_chargebacks.merchant_id
            and volumes.event_at = known_chargebacks.event_at

)

select * from final
