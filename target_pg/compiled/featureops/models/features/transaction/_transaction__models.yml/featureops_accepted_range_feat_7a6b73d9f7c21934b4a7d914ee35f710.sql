select day_of_week_sin
    from "test"."fo_dev"."feat_transaction__context"
    where not (
        day_of_week_sin is null
        or (
            day_of_week_sin >= -1
            and day_of_week_sin <= 1
        )
    )
