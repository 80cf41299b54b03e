
-- Fixture for int_transactions__enriched
select 
    
    cast(1 as bigint)
 as "transaction_id", cast(null as bigint) as "user_id", 
    
    cast(7 as bigint)
 as "merchant_id", 
    
    cast('2026-01-01 10:00:00' as timestamp without time zone)
 as "event_at", 
    
    cast(100 as double precision)
 as "amount_usd", cast(null as text) as "currency_code", cast(null as text) as "merchant_category_code", cast(null as text) as "channel", cast(null as text) as "device_type", cast(null as text) as "transaction_country_code", cast(null as text) as "home_country_code", cast(null as boolean) as "is_foreign"
union all
select 
    
    cast(2 as bigint)
 as "transaction_id", cast(null as bigint) as "user_id", 
    
    cast(7 as bigint)
 as "merchant_id", 
    
    cast('2026-01-02 09:00:00' as timestamp without time zone)
 as "event_at", 
    
    cast(50 as double precision)
 as "amount_usd", cast(null as text) as "currency_code", cast(null as text) as "merchant_category_code", cast(null as text) as "channel", cast(null as text) as "device_type", cast(null as text) as "transaction_country_code", cast(null as text) as "home_country_code", cast(null as boolean) as "is_foreign"
union all
select 
    
    cast(3 as bigint)
 as "transaction_id", cast(null as bigint) as "user_id", 
    
    cast(8 as bigint)
 as "merchant_id", 
    
    cast('2026-01-03 08:00:00' as timestamp without time zone)
 as "event_at", 
    
    cast(20 as double precision)
 as "amount_usd", cast(null as text) as "currency_code", cast(null as text) as "merchant_category_code", cast(null as text) as "channel", cast(null as text) as "device_type", cast(null as text) as "transaction_country_code", cast(null as text) as "home_country_code", cast(null as boolean) as "is_foreign"