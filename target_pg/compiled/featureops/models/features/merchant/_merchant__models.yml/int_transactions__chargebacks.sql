
-- Fixture for int_transactions__chargebacks
select 
    
    cast(1 as bigint)
 as "transaction_id", cast(null as bigint) as "user_id", 
    
    cast(7 as bigint)
 as "merchant_id", 
    
    cast('2026-01-01 10:00:00' as timestamp without time zone)
 as "event_at", 
    
    cast('2026-01-03 12:00:00' as timestamp without time zone)
 as "reported_at", cast(null as bigint) as "chargeback_count"