
    select *
    from "test"."fo_dev"."feat_user__spend_windows"
    where not ( transaction_count_1h <= transaction_count_24h and transaction_count_24h <= transaction_count_7d and transaction_count_7d <= transaction_count_30d
    )
