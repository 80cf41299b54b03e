
    select *
    from "test"."fo_dev"."feat_merchant__risk_windows"
    where not ( transaction_count_7d <= transaction_count_30d and chargeback_count_30d <= transaction_count_30d
    )
