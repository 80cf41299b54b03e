select amount
    from "test"."fo_dev"."stg_payments__transactions"
    where not (
        amount is null
        or (
            amount > 0
            and true
        )
    )
