{{ config(enabled=featureops.monitoring_enabled('quality')) }}
{#- Z-scores of every quality metric, bucket by bucket (default settings). -#}
{{ featureops.metric_anomalies(ref('monitoring__quality_metrics')) }}
