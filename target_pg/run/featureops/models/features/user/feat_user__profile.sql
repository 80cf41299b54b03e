
  
    

  create  table "test"."fo_dev"."feat_user__profile__dbt_tmp"
  
  
    
  
  (
    user_id bigint not null,
    event_at timestamp not null,
    signup_at timestamp,
    birth_year integer,
    home_country_code text,
    home_region text,
    is_high_risk_home_country boolean,
    card_tier text,
    credit_limit_usd double precision
    
    )
 ;
    insert into "test"."fo_dev"."feat_user__profile__dbt_tmp" (
      user_id, event_at, signup_at, birth_year, home_country_code, home_region, is_high_risk_home_country, card_tier, credit_limit_usd
    )
  
  (
    
    select user_id, event_at, signup_at, birth_year, home_country_code, home_region, is_high_risk_home_country, card_tier, credit_limit_usd
    from (
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
    ) as model_subq
  );
  