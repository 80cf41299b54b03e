{{ config(enabled=featureops.monitoring_enabled('quality')) }}
{#- Columns added, removed or retyped since each relation's previous build. -#}
{{ featureops.schema_changes(ref('monitoring__quality_metrics')) }}
