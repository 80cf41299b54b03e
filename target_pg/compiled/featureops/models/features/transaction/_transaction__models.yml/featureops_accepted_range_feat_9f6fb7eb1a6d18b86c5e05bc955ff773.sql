select amount_usd
    from "test"."fo_dev"."feat_transaction__context"
    where not (
        amount_usd is null
        or (
            amount_usd > 0
            and true
        )
    )
