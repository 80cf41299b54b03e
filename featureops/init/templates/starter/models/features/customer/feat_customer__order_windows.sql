{#-
    Order velocity per customer: count, total, average and largest order over
    trailing 7 and 30 day windows that end strictly before each order
    (featureops.windowed_aggregate leaves out the order itself and any order
    at the same instant), so a row never includes the event it describes.
    Grain: one row per (customer_id, event_at), event_at being the time of an
    order of the customer.
-#}
with

orders as (

    select * from {{ ref('stg_shop__orders') }}

),

windowed as (

    select
        customer_id,
        ordered_at as event_at,
        {{ featureops.windowed_aggregate(
            'count', 'amount', 'customer_id', 'ordered_at', '7d'
        ) }} as order_count_7d,
        coalesce({{ featureops.windowed_aggregate(
            'sum', 'amount', 'customer_id', 'ordered_at', '7d'
        ) }}, 0) as amount_sum_7d,
        {{ featureops.windowed_aggregate(
            'avg', 'amount', 'customer_id', 'ordered_at', '7d'
        ) }} as amount_avg_7d,
        {{ featureops.windowed_aggregate(
            'count', 'amount', 'customer_id', 'ordered_at', '30d'
        ) }} as order_count_30d,
        coalesce({{ featureops.windowed_aggregate(
            'sum', 'amount', 'customer_id', 'ordered_at', '30d'
        ) }}, 0) as amount_sum_30d,
        {{ featureops.windowed_aggregate(
            'max', 'amount', 'customer_id', 'ordered_at', '30d'
        ) }} as amount_max_30d

    from orders

),

-- Orders of one customer at the same instant share one window frame, so their
-- rows are identical: keep one per (customer_id, event_at).
deduplicated as (

    select distinct * from windowed

)

select * from deduplicated
