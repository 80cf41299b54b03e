with

returns as (

    select * from {{ ref('raw_returns') }}

)

select
    cast(order_id as bigint) as order_id,
    cast(returned_at as timestamp) as returned_at

from returns
