select amount_usd_sum_7d
    from "test"."fo_dev"."feat_user__spend_windows"
    where not (
        amount_usd_sum_7d is null
        or (
            amount_usd_sum_7d >= 0
            and true
        )
    )
