{{ config(enabled=featureops.monitoring_enabled('drift')) }}
{#- Drift of every check and column, with its trend across windows. -#}
{{ featureops.distribution_history(
    ref('monitoring__drift_metrics'), ['check_name', 'column_name'], 'window_start'
) }}
