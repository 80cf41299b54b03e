{{ config(materialized='table', enabled=featureops.monitoring_enabled('skew')) }}

{#-
    The serving log, typed. Before the first request is logged there are no
    files (DuckDB) or no table (Postgres): the model is then empty, so the
    skew monitors see no traffic instead of failing the build. A table, not a
    view: DuckDB would resolve the relative Parquet path of a view against
    the reader's working directory. Identical rows (a file written twice, a
    replay run again) count once.
-#}
{%- set serving_log = source('featureops_serving', 'serving_log') %}
{%- set readable = featureops.resolve_external(serving_log) %}

with

{% if featureops.serving_log_available(serving_log, readable) -%}
serving_log as (

    select * from {{ readable }}

),
{%- else -%}
serving_log as (

    select
        null as request_id,
        null as served_at,
        null as service,
        null as feature_view,
        null as feature,
        null as entity_key,
        null as value_double,
        null as value_text,
        null as status,
        null as event_at
    where 1 = 0

),
{%- endif %}

typed as (

    select distinct
        cast(request_id as {{ dbt.type_string() }}) as request_id,
        cast(served_at as timestamp) as served_at,
        cast(service as {{ dbt.type_string() }}) as service,
        cast(feature_view as {{ dbt.type_string() }}) as feature_view,
        cast(feature as {{ dbt.type_string() }}) as feature,
        cast(entity_key as {{ dbt.type_string() }}) as entity_key,
        cast(value_double as {{ featureops.type_double() }}) as value_double,
        cast(value_text as {{ dbt.type_string() }}) as value_text,
        cast(status as {{ dbt.type_string() }}) as status,
        cast(event_at as timestamp) as event_at
    from serving_log

)

select * from typed
