
  
    

  create  table "test"."fo_dev"."feat_transaction__context__dbt_tmp"
  
  
    
  
  (
    transaction_id bigint not null,
    event_at timestamp not null,
    amount_usd double precision,
    channel text,
    device_type text,
    is_foreign boolean,
    is_high_risk_country boolean,
    is_card_not_present boolean,
    hour_of_day_sin double precision,
    hour_of_day_cos double precision,
    day_of_week_sin double precision,
    day_of_week_cos double precision,
    is_night boolean
    
    )
 ;
    insert into "test"."fo_dev"."feat_transaction__context__dbt_tmp" (
      transaction_id, event_at, amount_usd, channel, device_type, is_foreign, is_high_risk_country, is_card_not_present, hour_of_day_sin, hour_of_day_cos, day_of_week_sin, day_of_week_cos, is_night
    )
  
  (
    
    select transaction_id, event_at, amount_usd, channel, device_type, is_foreign, is_high_risk_country, is_card_not_present, hour_of_day_sin, hour_of_day_cos, day_of_week_sin, day_of_week_cos, is_night
    from (
        with

transactions as (

    select * from "test"."fo_dev"."int_transactions__enriched"

),

countries as (

    select * from "test"."fo_dev_reference"."countries"

),

context as (

    select
        transactions.transaction_id,
        transactions.event_at,
        transactions.amount_usd,
        transactions.channel,
        transactions.device_type,
        transactions.is_foreign,
        coalesce(countries.is_high_risk, false) as is_high_risk_country,
        transactions.channel = 'online' as is_card_not_present,
        sin(
        2 * pi()
        * cast(extract(hour from transactions.event_at) as double precision)
        / 24
    ) as hour_of_day_sin,
        cos(
        2 * pi()
        * cast(extract(hour from transactions.event_at) as double precision)
        / 24
    ) as hour_of_day_cos,
        sin(
        2 * pi()
        * cast(extract(isodow from transactions.event_at) as double precision)
        / 7
    ) as day_of_week_sin,
        cos(
        2 * pi()
        * cast(extract(isodow from transactions.event_at) as double precision)
        / 7
    ) as day_of_week_cos,
        extract(hour from transactions.event_at) < 6 as is_night

    from transactions
    left join countries
        on transactions.transaction_country_code = countries.country_code

)

select * from context
    ) as model_subq
  );
  