
    select *
    from "test"."fo_dev"."int_transactions__chargebacks"
    where not ( reported_at > event_at
    )
