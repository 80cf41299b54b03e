select birth_year
    from "test"."fo_dev"."stg_payments__users"
    where not (
        birth_year is null
        or (
            birth_year >= 1900
            and birth_year <= 2010
        )
    )
