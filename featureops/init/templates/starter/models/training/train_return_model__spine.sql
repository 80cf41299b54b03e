{#-
    The labelled spine of return_model: one row per order whose label is
    mature, with the prediction time (event_at, when the order was placed)
    and the label.
    An order is returned when its return was reported within the label window
    (var return_label_window). Only orders whose whole window has passed by the
    last observed order are kept: a younger order's "not returned" may be a
    return that has not been reported yet.
-#}
{%- set label_window = var('return_label_window') -%}

with

orders as (

    select * from {{ ref('stg_shop__orders') }}

),

returns as (

    select * from {{ ref('stg_shop__returns') }}

),

data_bounds as (

    select max(ordered_at) as cutoff_at from orders

),

labelled as (

    select
        orders.order_id,
        orders.customer_id,
        orders.ordered_at as event_at,
        coalesce(
            returns.returned_at
            < orders.ordered_at + {{ featureops.interval_literal(label_window) }},
            false
        ) as is_returned

    from orders
    cross join data_bounds
    left join returns
        on orders.order_id = returns.order_id
    where
        orders.ordered_at + {{ featureops.interval_literal(label_window) }}
        <= data_bounds.cutoff_at

)

select * from labelled
