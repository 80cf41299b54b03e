select
        merchant_id, event_at,
        count(*) as duplicate_count
    from "test"."fo_dev"."feat_merchant__risk_windows"
    group by merchant_id, event_at
    having count(*) > 1
