{#-
    The training set of fraud_detection_model: each mature, labelled
    transaction with the model's features as they were at its authorisation
    time (a point-in-time join; see docs/training-sets.md). What to join is
    read from this model's meta.featureops (the exposure's feature list); the
    depends_on lines give dbt the views for its DAG.
-#}
-- depends_on: {{ ref('feat_user__spend_windows') }}
-- depends_on: {{ ref('feat_user__profile') }}
-- depends_on: {{ ref('feat_merchant__risk_windows') }}
-- depends_on: {{ ref('feat_merchant__profile') }}
-- depends_on: {{ ref('feat_transaction__context') }}

with

spine as (

    select * from {{ ref('train_fraud_detection__spine') }}

),

training_set as (

    {{ featureops.training_set(
        spine='spine',
        spine_columns=[
            'transaction_id', 'user_id', 'merchant_id', 'event_at', 'is_fraud'
        ],
    ) }}

)

select * from training_set
