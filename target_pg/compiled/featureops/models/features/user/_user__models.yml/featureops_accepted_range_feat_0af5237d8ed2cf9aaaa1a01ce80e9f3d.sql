select transaction_count_1h
    from "test"."fo_dev"."feat_user__spend_windows"
    where not (
        transaction_count_1h is null
        or (
            transaction_count_1h >= 0
            and true
        )
    )
