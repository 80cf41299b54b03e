select birth_year
    from "test"."fo_dev"."feat_user__profile"
    where not (
        birth_year is null
        or (
            birth_year >= 1900
            and birth_year <= 2010
        )
    )
