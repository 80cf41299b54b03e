
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