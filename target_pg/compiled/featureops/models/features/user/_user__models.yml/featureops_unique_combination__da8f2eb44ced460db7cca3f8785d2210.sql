select
        user_id, event_at,
        count(*) as duplicate_count
    from "test"."fo_dev"."feat_user__spend_windows"
    group by user_id, event_at
    having count(*) > 1
