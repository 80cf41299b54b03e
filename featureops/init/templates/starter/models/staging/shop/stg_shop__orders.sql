with

orders as (

    select * from {{ ref('raw_orders') }}

)

select
    cast(order_id as bigint) as order_id,
    cast(customer_id as bigint) as customer_id,
    cast(ordered_at as timestamp) as ordered_at,
    cast(amount as {{ featureops.type_double() }}) as amount,
    lower(channel) as channel

from orders
