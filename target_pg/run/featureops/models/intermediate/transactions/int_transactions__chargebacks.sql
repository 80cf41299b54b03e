
  create view "test"."fo_dev"."int_transactions__chargebacks__dbt_tmp"
    
    
  as (
    with

chargebacks as (

    select * from "test"."fo_dev"."stg_payments__chargebacks"

),

transactions as (

    select * from "test"."fo_dev"."stg_payments__transactions"

),

first_reports as (

    select
        transaction_id,
        min(reported_at) as reported_at,
        count(*) as chargeback_count

    from chargebacks
    group by 1

),

joined as (

    select
        transactions.transaction_id,
        transactions.user_id,
        transactions.merchant_id,
        transactions.event_at,
        first_reports.reported_at,
        first_reports.chargeback_count

    from first_reports
    inner join transactions
        on first_reports.transaction_id = transactions.transaction_id

)

select * from joined
  );