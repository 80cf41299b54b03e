with

users as (

    select * from "test"."fo_dev"."stg_payments__users"

),

countries as (

    select * from "test"."fo_dev_reference"."countries"

),

profiles as (

    select
        users.user_id,
        users.updated_at as event_at,
        users.signup_at,
        users.birth_year,
        users.home_country_code,
        countries.region as home_region,
        countries.is_high_risk as is_high_risk_home_country,
        users.card_tier,
        users.credit_limit_usd

    from users
    left join countries
        on users.home_country_code = countries.country_code

)

select * from profiles