{#-
    Week-over-month drift of the feature views, appended once per build: each
    feature's last 7 days against the 28 days before. The distribution_drift
    test on the monitoring__drift view alerts on it.
-#}
{{ featureops.drift_metrics([
    featureops.drift_check(
        'merchant_risk_week_over_month',
        reference=ref('feat_merchant__risk_windows'),
        reference_window=['35d', '7d'],
        current_window=['7d', none],
    ),
    featureops.drift_check(
        'transaction_context_week_over_month',
        reference=ref('feat_transaction__context'),
        reference_window=['35d', '7d'],
        current_window=['7d', none],
    ),
    featureops.drift_check(
        'user_spend_week_over_month',
        reference=ref('feat_user__spend_windows'),
        reference_window=['35d', '7d'],
        current_window=['7d', none],
    ),
]) }}
