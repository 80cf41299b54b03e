{#-
    The labelled spine of the fraud model: one row per card transaction whose
    label is mature, with the prediction time (the authorisation, event_at)
    and the label. A transaction is fraud when a chargeback for it was
    reported within the label window after it. Chargebacks arrive days to
    weeks late, so only transactions whose whole window has passed by the end
    of the observed data (the label cutoff) are kept: a younger transaction's
    "not fraud" would often be a label that has not arrived yet.
    Transactions in the first weeks of the data are left out too (the
    warm-up): their trailing windows are still filling, so their features
    look unlike anything the model will be served.
-#}
{%- set label_window = var('featureops_label_window') -%}
{%- set warmup = var('featureops_feature_warmup') -%}

with

transactions as (

    select * from {{ ref('int_transactions__enriched') }}

),

chargebacks as (

    select * from {{ ref('int_transactions__chargebacks') }}

),

-- "Now" for this training run is the last observed transaction; the first
-- usable prediction time is one warm-up after the first.
data_bounds as (

    select
        min(event_at) + {{ featureops.interval_literal(warmup) }} as warm_from_at,
        max(event_at) as cutoff_at

    from transactions

),

labelled as (

    select
        transactions.transaction_id,
        transactions.user_id,
        transactions.merchant_id,
        transactions.event_at,
        coalesce(
            chargebacks.reported_at
            < transactions.event_at
            + {{ featureops.interval_literal(label_window) }},
            false
        ) as is_fraud

    from transactions
    cross join data_bounds
    left join chargebacks
        on transactions.transaction_id = chargebacks.transaction_id
    where
        transactions.event_at >= data_bounds.warm_from_at
        and transactions.event_at + {{ featureops.interval_literal(label_window) }}
        <= data_bounds.cutoff_at

)

select * from labelled
