
    -- Build actual result given inputs
with dbt_internal_unit_test_actual as (
  select
    "user_id","event_at","transaction_count_1h","amount_usd_sum_1h","amount_usd_avg_1h","amount_usd_max_1h","transaction_count_24h", 'actual' as "actual_or_expected"
  from (
    with

 __dbt__cte__int_transactions__enriched as (

-- Fixture for int_transactions__enriched
select cast(null as bigint) as "transaction_id", 
    
    cast(1 as bigint)
 as "user_id", cast(null as bigint) as "merchant_id", 
    
    cast('2026-01-01 00:00:00' as timestamp without time zone)
 as "event_at", 
    
    cast(10 as double precision)
 as "amount_usd", cast(null as text) as "currency_code", cast(null as text) as "merchant_category_code", cast(null as text) as "channel", cast(null as text) as "device_type", cast(null as text) as "transaction_country_code", cast(null as text) as "home_country_code", cast(null as boolean) as "is_foreign"
union all
select cast(null as bigint) as "transaction_id", 
    
    cast(1 as bigint)
 as "user_id", cast(null as bigint) as "merchant_id", 
    
    cast('2026-01-01 00:30:00' as timestamp without time zone)
 as "event_at", 
    
    cast(20 as double precision)
 as "amount_usd", cast(null as text) as "currency_code", cast(null as text) as "merchant_category_code", cast(null as text) as "channel", cast(null as text) as "device_type", cast(null as text) as "transaction_country_code", cast(null as text) as "home_country_code", cast(null as boolean) as "is_foreign"
union all
select cast(null as bigint) as "transaction_id", 
    
    cast(1 as bigint)
 as "user_id", cast(null as bigint) as "merchant_id", 
    
    cast('2026-01-01 00:30:00' as timestamp without time zone)
 as "event_at", 
    
    cast(30 as double precision)
 as "amount_usd", cast(null as text) as "currency_code", cast(null as text) as "merchant_category_code", cast(null as text) as "channel", cast(null as text) as "device_type", cast(null as text) as "transaction_country_code", cast(null as text) as "home_country_code", cast(null as boolean) as "is_foreign"
union all
select cast(null as bigint) as "transaction_id", 
    
    cast(1 as bigint)
 as "user_id", cast(null as bigint) as "merchant_id", 
    
    cast('2026-01-01 01:00:00' as timestamp without time zone)
 as "event_at", 
    
    cast(40 as double precision)
 as "amount_usd", cast(null as text) as "currency_code", cast(null as text) as "merchant_category_code", cast(null as text) as "channel", cast(null as text) as "device_type", cast(null as text) as "transaction_country_code", cast(null as text) as "home_country_code", cast(null as boolean) as "is_foreign"
union all
select cast(null as bigint) as "transaction_id", 
    
    cast(1 as bigint)
 as "user_id", cast(null as bigint) as "merchant_id", 
    
    cast('2026-01-01 01:30:00' as timestamp without time zone)
 as "event_at", 
    
    cast(50 as double precision)
 as "amount_usd", cast(null as text) as "currency_code", cast(null as text) as "merchant_category_code", cast(null as text) as "channel", cast(null as text) as "device_type", cast(null as text) as "transaction_country_code", cast(null as text) as "home_country_code", cast(null as boolean) as "is_foreign"
union all
select cast(null as bigint) as "transaction_id", 
    
    cast(1 as bigint)
 as "user_id", cast(null as bigint) as "merchant_id", 
    
    cast('2026-01-02 01:00:00' as timestamp without time zone)
 as "event_at", 
    
    cast(60 as double precision)
 as "amount_usd", cast(null as text) as "currency_code", cast(null as text) as "merchant_category_code", cast(null as text) as "channel", cast(null as text) as "device_type", cast(null as text) as "transaction_country_code", cast(null as text) as "home_country_code", cast(null as boolean) as "is_foreign"
union all
select cast(null as bigint) as "transaction_id", 
    
    cast(2 as bigint)
 as "user_id", cast(null as bigint) as "merchant_id", 
    
    cast('2026-01-01 00:30:00' as timestamp without time zone)
 as "event_at", 
    
    cast(70 as double precision)
 as "amount_usd", cast(null as text) as "currency_code", cast(null as text) as "merchant_category_code", cast(null as text) as "channel", cast(null as text) as "device_type", cast(null as text) as "transaction_country_code", cast(null as text) as "home_country_code", cast(null as boolean) as "is_foreign"
), transactions as (

    select * from __dbt__cte__int_transactions__enriched

),

windowed as (

    select
        user_id,
        event_at,
        cast(count(amount_usd) over (
            
    partition by user_id
    order by event_at
    range between interval '1 hours' preceding
    and current row exclude group
        ) as bigint) as transaction_count_1h,
        coalesce(cast(sum(amount_usd) over (
            
    partition by user_id
    order by event_at
    range between interval '1 hours' preceding
    and current row exclude group
        ) as double precision), 0) as amount_usd_sum_1h,
        cast(avg(amount_usd) over (
            
    partition by user_id
    order by event_at
    range between interval '1 hours' preceding
    and current row exclude group
        ) as double precision) as amount_usd_avg_1h,
        max(amount_usd) over (
            
    partition by user_id
    order by event_at
    range between interval '1 hours' preceding
    and current row exclude group
        ) as amount_usd_max_1h,
        cast(count(amount_usd) over (
            
    partition by user_id
    order by event_at
    range between interval '24 hours' preceding
    and current row exclude group
        ) as bigint) as transaction_count_24h,
        coalesce(cast(sum(amount_usd) over (
            
    partition by user_id
    order by event_at
    range between interval '24 hours' preceding
    and current row exclude group
        ) as double precision), 0) as amount_usd_sum_24h,
        cast(avg(amount_usd) over (
            
    partition by user_id
    order by event_at
    range between interval '24 hours' preceding
    and current row exclude group
        ) as double precision) as amount_usd_avg_24h,
        max(amount_usd) over (
            
    partition by user_id
    order by event_at
    range between interval '24 hours' preceding
    and current row exclude group
        ) as amount_usd_max_24h,
        cast(count(amount_usd) over (
            
    partition by user_id
    order by event_at
    range between interval '7 days' preceding
    and current row exclude group
        ) as bigint) as transaction_count_7d,
        coalesce(cast(sum(amount_usd) over (
            
    partition by user_id
    order by event_at
    range between interval '7 days' preceding
    and current row exclude group
        ) as double precision), 0) as amount_usd_sum_7d,
        cast(avg(amount_usd) over (
            
    partition by user_id
    order by event_at
    range between interval '7 days' preceding
    and current row exclude group
        ) as double precision) as amount_usd_avg_7d,
        max(amount_usd) over (
            
    partition by user_id
    order by event_at
    range between interval '7 days' preceding
    and current row exclude group
        ) as amount_usd_max_7d,
        cast(count(amount_usd) over (
            
    partition by user_id
    order by event_at
    range between interval '30 days' preceding
    and current row exclude group
        ) as bigint) as transaction_count_30d,
        coalesce(cast(sum(amount_usd) over (
            
    partition by user_id
    order by event_at
    range between interval '30 days' preceding
    and current row exclude group
        ) as double precision), 0) as amount_usd_sum_30d,
        cast(avg(amount_usd) over (
            
    partition by user_id
    order by event_at
    range between interval '30 days' preceding
    and current row exclude group
        ) as double precision) as amount_usd_avg_30d,
        max(amount_usd) over (
            
    partition by user_id
    order by event_at
    range between interval '30 days' preceding
    and current row exclude group
        ) as amount_usd_max_30d

    from transactions

),

-- Transactions of one user at the same instant share one window frame, so
-- their rows are identical: keep one per (user_id, event_at).
deduplicated as (

    select distinct * from windowed

)

select * from deduplicated
  ) _dbt_internal_unit_test_actual
),
-- Build expected result
dbt_internal_unit_test_expected as (
  select
    "user_id", "event_at", "transaction_count_1h", "amount_usd_sum_1h", "amount_usd_avg_1h", "amount_usd_max_1h", "transaction_count_24h", 'expected' as "actual_or_expected"
  from (
    select 
    
    cast(1 as bigint)
 as "user_id", 
    
    cast('2026-01-01 00:30:00' as timestamp without time zone)
 as "event_at", 
    
    cast(1 as bigint)
 as "transaction_count_1h", 
    
    cast(10 as double precision)
 as "amount_usd_sum_1h", 
    
    cast(10 as double precision)
 as "amount_usd_avg_1h", 
    
    cast(10 as double precision)
 as "amount_usd_max_1h", 
    
    cast(1 as bigint)
 as "transaction_count_24h"
union all
select 
    
    cast(1 as bigint)
 as "user_id", 
    
    cast('2026-01-01 00:00:00' as timestamp without time zone)
 as "event_at", 
    
    cast(0 as bigint)
 as "transaction_count_1h", 
    
    cast(0 as double precision)
 as "amount_usd_sum_1h", 
    
    cast(null as double precision)
 as "amount_usd_avg_1h", 
    
    cast(null as double precision)
 as "amount_usd_max_1h", 
    
    cast(0 as bigint)
 as "transaction_count_24h"
union all
select 
    
    cast(1 as bigint)
 as "user_id", 
    
    cast('2026-01-01 01:00:00' as timestamp without time zone)
 as "event_at", 
    
    cast(3 as bigint)
 as "transaction_count_1h", 
    
    cast(60 as double precision)
 as "amount_usd_sum_1h", 
    
    cast(20 as double precision)
 as "amount_usd_avg_1h", 
    
    cast(30 as double precision)
 as "amount_usd_max_1h", 
    
    cast(3 as bigint)
 as "transaction_count_24h"
union all
select 
    
    cast(1 as bigint)
 as "user_id", 
    
    cast('2026-01-01 01:30:00' as timestamp without time zone)
 as "event_at", 
    
    cast(3 as bigint)
 as "transaction_count_1h", 
    
    cast(90 as double precision)
 as "amount_usd_sum_1h", 
    
    cast(30 as double precision)
 as "amount_usd_avg_1h", 
    
    cast(40 as double precision)
 as "amount_usd_max_1h", 
    
    cast(4 as bigint)
 as "transaction_count_24h"
union all
select 
    
    cast(1 as bigint)
 as "user_id", 
    
    cast('2026-01-02 01:00:00' as timestamp without time zone)
 as "event_at", 
    
    cast(0 as bigint)
 as "transaction_count_1h", 
    
    cast(0 as double precision)
 as "amount_usd_sum_1h", 
    
    cast(null as double precision)
 as "amount_usd_avg_1h", 
    
    cast(null as double precision)
 as "amount_usd_max_1h", 
    
    cast(2 as bigint)
 as "transaction_count_24h"
union all
select 
    
    cast(2 as bigint)
 as "user_id", 
    
    cast('2026-01-01 00:30:00' as timestamp without time zone)
 as "event_at", 
    
    cast(0 as bigint)
 as "transaction_count_1h", 
    
    cast(0 as double precision)
 as "amount_usd_sum_1h", 
    
    cast(null as double precision)
 as "amount_usd_avg_1h", 
    
    cast(null as double precision)
 as "amount_usd_max_1h", 
    
    cast(0 as bigint)
 as "transaction_count_24h"
  ) _dbt_internal_unit_test_expected
)
-- Union actual and expected results
select * from dbt_internal_unit_test_actual
union all
select * from dbt_internal_unit_test_expected