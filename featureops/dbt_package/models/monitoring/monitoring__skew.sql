{{ config(enabled=featureops.monitoring_enabled('skew')) }}
{#- Training-serving skew per feature and serving day (or week), with trend. -#}
{{ featureops.distribution_history(
    ref('monitoring__skew_metrics'),
    ['exposure', 'feature_view', 'feature', 'grain'],
    'bucket_start',
) }}
