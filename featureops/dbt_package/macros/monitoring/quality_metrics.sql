{#-
    The quality metrics of this build for every monitored relation, one row per
    (relation, column, metric, bucket), for an incremental model that appends
    them so history and trends exist:

    - per time bucket (day or hour of the timestamp column) over the last
      `buckets` complete buckets before now, from the first bucket that
      began at or after the relation's oldest row: row_count, and per column
      null_rate, distinct_count (not of binary floats, whose equal values
      differ in their last bits between engines) and, for numbers and booleans,
      mean (share of true), stddev, min and max. Empty buckets are kept (row_count 0), so a
      volume drop to nothing is seen.
    - per build (grain 'build'): total_row_count, freshness_age_seconds (now minus the
      newest timestamp; metric_text holds that timestamp) and
      freshness_sla_seconds, and one data_type row per column (metric_text is
      the type, metric_value the position) for schema-change detection.
      Relations without a timestamp get their column metrics per build.

    `monitored` is a list of ref()s or featureops.monitored(ref(...), ...).
-#}
{% macro quality_metrics(monitored) %}
    {{ return(adapter.dispatch('quality_metrics', 'featureops')(monitored)) }}
{% endmacro %}

{% macro default__quality_metrics(monitored) %}
    {%- if not execute or monitored | length == 0 -%}
        {{ return(featureops._metric_row_types(none)) }}
    {%- endif -%}
    {%- set now = featureops.monitoring_now() -%}
    {%- set measured = [] -%}
    {%- for item in monitored -%}
        {%- set settings = featureops._monitor_settings(item) -%}
        {%- if settings.columns -%}{%- do measured.append(settings) -%}{%- endif -%}
    {%- endfor -%}
    {%- if not measured -%}
        {{ return(featureops._metric_row_types(none)) }}
    {%- endif %}
    with
    {% for settings in measured %}
        {{ featureops._relation_quality_ctes(settings, 'relation_' ~ loop.index, now) }},
    {% endfor %}

    all_metrics as (
        {% for settings in measured %}
            select * from relation_{{ loop.index }}__metrics
            {% if not loop.last %}union all{% endif %}
        {% endfor %}
    )

    {{ featureops._metric_row_types('all_metrics') }}
{% endmacro %}

{#- The typed select of the metrics table (an empty one when source is none). -#}
{% macro _metric_row_types(source) %}
    select
{{ featureops._build_columns(featureops.monitoring_now()) }},
        cast(model_name as {{ dbt.type_string() }}) as model_name,
        cast(column_name as {{ dbt.type_string() }}) as column_name,
        cast(metric_name as {{ dbt.type_string() }}) as metric_name,
        cast(grain as {{ dbt.type_string() }}) as grain,
        cast(bucket_start as timestamp) as bucket_start,
        cast(bucket_end as timestamp) as bucket_end,
        cast(metric_value as {{ featureops.type_double() }}) as metric_value,
        cast(metric_text as {{ dbt.type_string() }}) as metric_text
    {% if source is none -%}
    from (
        select
            null as model_name, null as column_name, null as metric_name,
            null as grain, null as bucket_start, null as bucket_end,
            null as metric_value, null as metric_text
    ) as no_metrics
    where 1 = 0
    {%- else -%}
    from {{ source }}
    {%- endif %}
{% endmacro %}

{% macro _relation_quality_ctes(settings, prefix, now) %}
    {%- set ts = settings.timestamp_column -%}
    {%- set buckets = featureops._bucket_bounds(now, settings.bucket, settings.buckets) if ts else [] -%}
    {%- set model = featureops.quote_string(settings.model_name) -%}
    {%- set build_bucket = featureops.timestamp_literal(run_started_at.replace(tzinfo=none)) -%}
    {{ prefix }}__table as (
        select
            count(*) as row_count
            {%- if ts %},
            min({{ adapter.quote(ts) }}) as oldest_at,
            max({{ adapter.quote(ts) }}) as newest_at
            {%- endif %}
        from {{ settings.relation }}
    ),

    {%- if ts %}

    {#- Constant rows are VALUES lists, never unions of one-row selects: a
        union branch per row makes the plan grow with the columns and buckets,
        which Spark's planner takes minutes over. #}
    {{ prefix }}__buckets as (
        select bucket_values.bucket_start, bucket_values.bucket_end
        from (values
            {%- for bounds in buckets %}
            ({{ featureops.timestamp_literal(bounds[0]) }}, {{ featureops.timestamp_literal(bounds[1]) }})
            {{- ',' if not loop.last }}
            {%- endfor %}
        ) as bucket_values (bucket_start, bucket_end)
    ),

    {{ prefix }}__rows as (
        select
            cast({{ dbt.date_trunc(settings.bucket, adapter.quote(ts)) }} as timestamp) as row_bucket,
            *
        from {{ settings.relation }}
        where
            {{ adapter.quote(ts) }} >= {{ featureops.timestamp_literal(buckets[0][0]) }}
            and {{ adapter.quote(ts) }} < {{ featureops.timestamp_literal(buckets[-1][1]) }}
    ),

    {#- Buckets that began before the relation's oldest row are not history
        (a new relation's empty past is not a volume of 0); an empty relation
        keeps them all, so a drop to nothing is seen. #}
    {{ prefix }}__aggregated as (
        select
            buckets.bucket_start,
            buckets.bucket_end,
            count(bucketed.row_bucket) as row_count
            {{- featureops._column_aggregates(settings.columns, 'bucketed.') }}
        from {{ prefix }}__buckets as buckets
        cross join {{ prefix }}__table as relation_table
        left join {{ prefix }}__rows as bucketed
            on buckets.bucket_start = bucketed.row_bucket
        where relation_table.oldest_at is null
            or buckets.bucket_start >= relation_table.oldest_at
        group by buckets.bucket_start, buckets.bucket_end
    ),

    {%- else %}

    {{ prefix }}__aggregated as (
        select
            {{ build_bucket }} as bucket_start,
            {{ build_bucket }} as bucket_end,
            count(*) as row_count
            {{- featureops._column_aggregates(settings.columns, '') }}
        from {{ settings.relation }}
    ),

    {%- endif %}

    {{ prefix }}__metric_list as (
        {%- set metric_index = namespace(value=1) %}
        select metric_values.metric_index, metric_values.column_name, metric_values.metric_name
        from (values
            (1, null, 'row_count')
        {%- for column in settings.columns %}
            {%- for metric, expression in featureops._column_metric_expressions(column, loop.index).items() %}
                {%- set metric_index.value = metric_index.value + 1 %},
            ({{ metric_index.value }}, {{ featureops.quote_string(column.name) }}, '{{ metric }}')
            {%- endfor %}
        {%- endfor %}
        ) as metric_values (metric_index, column_name, metric_name)
    ),

    {{ prefix }}__metrics as (
        {#- One pass over the (few) buckets, unpivoted by a CASE per metric. #}
        {%- set grain = "'" ~ settings.bucket ~ "'" if ts else "'build'" %}
        {%- set metric_index = namespace(value=1) %}
        select
            {{ model }} as model_name,
            metric_list.column_name,
            metric_list.metric_name,
            {{ grain }} as grain,
            aggregated.bucket_start,
            aggregated.bucket_end,
            cast(case metric_list.metric_index
                when 1 then row_count
                {%- for column in settings.columns %}
                    {%- for metric, expression in featureops._column_metric_expressions(column, loop.index).items() %}
                        {%- set metric_index.value = metric_index.value + 1 %}
                when {{ metric_index.value }} then {{ expression }}
                    {%- endfor %}
                {%- endfor %}
            end as {{ featureops.type_double() }}) as metric_value,
            null as metric_text
        from {{ prefix }}__aggregated as aggregated
        cross join {{ prefix }}__metric_list as metric_list
        {%- if ts %}
        union all
        select
            {{ model }}, null, 'total_row_count', 'build', {{ build_bucket }}, {{ build_bucket }},
            cast(row_count as {{ featureops.type_double() }}), null
        from {{ prefix }}__table
        union all
        select
            {{ model }}, {{ featureops.quote_string(ts) }}, 'freshness_age_seconds', 'build',
            {{ build_bucket }}, {{ build_bucket }},
            {{ featureops.seconds_between('newest_at', featureops.timestamp_literal(now)) }},
            cast(newest_at as {{ dbt.type_string() }})
        from {{ prefix }}__table
            {%- if settings.sla_seconds %}
        union all
        select
            {{ model }}, {{ featureops.quote_string(ts) }}, 'freshness_sla_seconds', 'build',
            {{ build_bucket }}, {{ build_bucket }},
            cast({{ settings.sla_seconds }} as {{ featureops.type_double() }}), null
            {%- endif %}
        {%- endif %}
        union all
        select
            {{ model }}, data_types.column_name, 'data_type', 'build',
            {{ build_bucket }}, {{ build_bucket }},
            cast(data_types.column_position as {{ featureops.type_double() }}),
            data_types.data_type
        from (values
        {%- for column in settings.columns %}
            ({{ featureops.quote_string(column.name) }}, {{ loop.index }}, {{ featureops.quote_string(column.data_type) }})
            {{- ',' if not loop.last }}
        {%- endfor %}
        ) as data_types (column_name, column_position, data_type)
    )
{%- endmacro %}

{#- [start, end) of the `count` complete buckets that end at or before now. -#}
{% macro _bucket_bounds(now, bucket, count) %}
    {%- set step = modules.datetime.timedelta(hours=1) if bucket == 'hour'
        else modules.datetime.timedelta(days=1) -%}
    {%- set last_end = now.replace(minute=0, second=0, microsecond=0) if bucket == 'hour'
        else now.replace(hour=0, minute=0, second=0, microsecond=0) -%}
    {%- set bounds = [] -%}
    {%- for back in range(count, 0, -1) -%}
        {%- set end = last_end - step * (back - 1) -%}
        {%- do bounds.append((end - step, end)) -%}
    {%- endfor -%}
    {{ return(bounds) }}
{% endmacro %}

{#- Aggregates of every measured column, named m<position>_<statistic>. -#}
{% macro _column_aggregates(columns, qualifier) %}
    {%- for column in columns %}
        {%- set source = qualifier ~ adapter.quote(column.name) -%}
        {%- set position = loop.index %},
            count({{ source }}) as m{{ position }}_non_null
        {%- if column.kind != 'other' and not column.is_float %},
            count(distinct {{ source }}) as m{{ position }}_distinct
        {%- endif %}
        {%- if column.kind == 'numeric' and column.role == 'feature' %},
            avg(cast({{ source }} as {{ featureops.type_double() }})) as m{{ position }}_mean,
            stddev_samp(cast({{ source }} as {{ featureops.type_double() }})) as m{{ position }}_stddev,
            min(cast({{ source }} as {{ featureops.type_double() }})) as m{{ position }}_min,
            max(cast({{ source }} as {{ featureops.type_double() }})) as m{{ position }}_max
        {%- elif column.kind == 'boolean' and column.role == 'feature' %},
            avg(cast(case when {{ source }} then 1 when not {{ source }} then 0 end
                as {{ featureops.type_double() }})) as m{{ position }}_mean
        {%- endif %}
    {%- endfor %}
{%- endmacro %}

{#- metric name -> expression over the aggregates of one column. -#}
{% macro _column_metric_expressions(column, position) %}
    {%- set m = 'm' ~ position -%}
    {%- set metrics = {
        'null_rate': 'case when row_count > 0 then 1.0 - cast(' ~ m ~ '_non_null as '
            ~ featureops.type_double() ~ ') / row_count end'} -%}
    {%- if column.kind != 'other' and not column.is_float -%}
        {%- do metrics.update({'distinct_count': m ~ '_distinct'}) -%}
    {%- endif -%}
    {%- if column.role == 'feature' and column.kind in ['numeric', 'boolean'] -%}
        {%- do metrics.update({'mean': m ~ '_mean'}) -%}
    {%- endif -%}
    {%- if column.role == 'feature' and column.kind == 'numeric' -%}
        {%- do metrics.update({'stddev': m ~ '_stddev', 'min': m ~ '_min', 'max': m ~ '_max'}) -%}
    {%- endif -%}
    {{ return(metrics) }}
{% endmacro %}
