{#-
    The training set of return_model: each labelled order with the model's
    features as they were when it was placed (a point-in-time join). What to
    join is read from this model's meta.featureops (the exposure's features);
    the depends_on line gives dbt the feature view for its DAG.
-#}
-- depends_on: {{ ref('feat_customer__order_windows') }}

with

spine as (

    select * from {{ ref('train_return_model__spine') }}

),

training_set as (

    {{ featureops.training_set(
        spine='spine',
        spine_columns=['order_id', 'customer_id', 'event_at', 'is_returned'],
    ) }}

)

select * from training_set
