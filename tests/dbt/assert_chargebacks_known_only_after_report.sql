-- No merchant-risk row may count more chargebacks than had been reported before its
-- as-of time: recount them independently from the raw chargeback reports.
with

risk as (

    select * from {{ ref('feat_merchant__risk_windows') }}

),

reports as (

    select
        charged_back.merchant_id,
        charged_back.event_at,
        min(chargebacks.reported_at) as reported_at

    from {{ ref('stg_payments__chargebacks') }} as chargebacks
    inner join {{ ref('stg_payments__transactions') }} as charged_back
        on chargebacks.transaction_id = charged_back.transaction_id
    group by 1, 2

),

reported_before_as_of as (

    select
        risk.merchant_id,
        risk.event_at,
        risk.chargeback_count_30d,
        count(reports.reported_at) as reported_count

    from risk
    left join reports
        on
            risk.merchant_id = reports.merchant_id
            and risk.event_at > reports.reported_at
            and risk.event_at > reports.event_at
            and reports.event_at
            >= risk.event_at - {{ featureops.interval_literal('30d') }}
    group by 1, 2, 3

)

select * from reported_before_as_of
where chargeback_count_30d <> reported_count
