{#-
    Card spend velocity per user: count, sum, average and maximum of USD
    amounts over trailing windows that end strictly before each transaction
    (featureops.windowed_aggregate excludes the event itself and any tie), so
    the row describing a transaction never includes it.
    Grain: one row per (user_id, event_at) at which the user transacted.
-#}
{%- set windows = ['1h', '24h', '7d', '30d'] -%}

with

transactions as (

    select * from {{ ref('int_transactions__enriched') }}

),

windowed as (

    select
        user_id,
        event_at,
        {%- for window in windows %}
        {{ featureops.windowed_aggregate(
            'count', 'amount_usd', 'user_id', 'event_at', window) }}
            as transaction_count_{{ window }},
        coalesce(
            {{ featureops.windowed_aggregate(
                'sum', 'amount_usd', 'user_id', 'event_at', window) }},
            0
        ) as amount_usd_sum_{{ window }},
        {{ featureops.windowed_aggregate(
            'avg', 'amount_usd', 'user_id', 'event_at', window) }}
            as amount_usd_avg_{{ window }},
        {{ featureops.windowed_aggregate(
            'max', 'amount_usd', 'user_id', 'event_at', window) }}
            as amount_usd_max_{{ window }}{{ "," if not loop.last }}
        {%- endfor %}

    from transactions

),

-- Transactions of one user at the same instant share one window frame, so
-- their rows are identical: keep one per (user_id, event_at).
deduplicated as (

    select distinct * from windowed

)

select * from deduplicated
