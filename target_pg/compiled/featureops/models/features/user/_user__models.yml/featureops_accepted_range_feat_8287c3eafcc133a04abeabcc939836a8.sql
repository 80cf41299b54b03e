select transaction_count_30d
    from "test"."fo_dev"."feat_user__spend_windows"
    where not (
        transaction_count_30d is null
        or (
            transaction_count_30d >= 0
            and true
        )
    )
