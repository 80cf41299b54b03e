select credit_limit_usd
    from "test"."fo_dev"."feat_user__profile"
    where not (
        credit_limit_usd is null
        or (
            credit_limit_usd >= 0
            and true
        )
    )
