select transaction_count_7d
    from "test"."fo_dev"."feat_user__spend_windows"
    where not (
        transaction_count_7d is null
        or (
            transaction_count_7d >= 0
            and true
        )
    )
