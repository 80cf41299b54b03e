select amount_usd_sum_1h
    from "test"."fo_dev"."feat_user__spend_windows"
    where not (
        amount_usd_sum_1h is null
        or (
            amount_usd_sum_1h >= 0
            and true
        )
    )
