{{ config(enabled=featureops.monitoring_enabled('quality')) }}
{#- Age of each monitored relation's newest row against its SLA, per build. -#}
{{ featureops.freshness_history(ref('monitoring__quality_metrics')) }}
