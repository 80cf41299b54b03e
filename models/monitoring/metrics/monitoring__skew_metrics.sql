{#-
    Training-serving skew, appended once per build: every feature the fraud
    model reads, its training set against what the server returned for it
    over the last 7 days, per serving day and over the week. The
    training_serving_skew test on the monitoring__skew view alerts on it.
-#}
{{ featureops.skew_metrics(
    serving_log=ref('stg_featureops__serving_log'),
    training_sets=[ref('train_fraud_detection__transactions')],
    serving_window='7d',
) }}
