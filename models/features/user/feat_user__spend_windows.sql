{#-
    Card spend velocity per user: count, sum, average and maximum of USD
    amounts over trailing windows that end strictly before each transaction
    (featureops.windowed_aggregate excludes the event itself and any tie), so
    the row describing a transaction never includes it.
    Grain: one row per (user_id, event_at) at which the user transacted.
-#}
with

transactions as (

    select * from {{ ref('int_transactions__enriched') }}

),

windowed as (

    select
        user_id,
        event_at,
        {{ featureops.windowed_aggregate(
            'count', 'amount_usd', 'user_id', 'event_at', '1h'
        ) }} as transaction_count_1h,
        coalesce({{ featureops.windowed_aggregate(
            'sum', 'amount_usd', 'user_id', 'event_at', '1h'
        ) }}, 0) as amount_usd_sum_1h,
        {{ featureops.windowed_aggregate(
            'avg', 'amount_usd', 'user_id', 'event_at', '1h'
        ) }} as amount_usd_avg_1h,
        {{ featureops.windowed_aggregate(
            'max', 'amount_usd', 'user_id', 'event_at', '1h'
        ) }} as amount_usd_max_1h,
        {{ featureops.windowed_aggregate(
            'count', 'amount_usd', 'user_id', 'event_at', '24h'
        ) }} as transaction_count_24h,
        coalesce({{ featureops.windowed_aggregate(
            'sum', 'amount_usd', 'user_id', 'event_at', '24h'
        ) }}, 0) as amount_usd_sum_24h,
        {{ featureops.windowed_aggregate(
            'avg', 'amount_usd', 'user_id', 'event_at', '24h'
        ) }} as amount_usd_avg_24h,
        {{ featureops.windowed_aggregate(
            'max', 'amount_usd', 'user_id', 'event_at', '24h'
        ) }} as amount_usd_max_24h,
        {{ featureops.windowed_aggregate(
            'count', 'amount_usd', 'user_id', 'event_at', '7d'
        ) }} as transaction_count_7d,
        coalesce({{ featureops.windowed_aggregate(
            'sum', 'amount_usd', 'user_id', 'event_at', '7d'
        ) }}, 0) as amount_usd_sum_7d,
        {{ featureops.windowed_aggregate(
            'avg', 'amount_usd', 'user_id', 'event_at', '7d'
        ) }} as amount_usd_avg_7d,
        {{ featureops.windowed_aggregate(
            'max', 'amount_usd', 'user_id', 'event_at', '7d'
        ) }} as amount_usd_max_7d,
        {{ featureops.windowed_aggregate(
            'count', 'amount_usd', 'user_id', 'event_at', '30d'
        ) }} as transaction_count_30d,
        coalesce({{ featureops.windowed_aggregate(
            'sum', 'amount_usd', 'user_id', 'event_at', '30d'
        ) }}, 0) as amount_usd_sum_30d,
        {{ featureops.windowed_aggregate(
            'avg', 'amount_usd', 'user_id', 'event_at', '30d'
        ) }} as amount_usd_avg_30d,
        {{ featureops.windowed_aggregate(
            'max', 'amount_usd', 'user_id', 'event_at', '30d'
        ) }} as amount_usd_max_30d

    from transactions

),

-- Transactions of one user at the same instant share one window frame, so
-- their rows are identical: keep one per (user_id, event_at).
deduplicated as (

    select distinct * from windowed

)

select * from deduplicated
