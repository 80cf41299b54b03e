select usd_rate
    from "test"."fo_dev_reference"."currency_rates"
    where not (
        usd_rate is null
        or (
            usd_rate > 0
            and true
        )
    )
