{#-
    Z-scores of the quality metrics: for every series (relation, column,
    metric, grain) and every bucket, the bucket's latest measurement against
    the `training_window` buckets before it (never itself), once at least
    `min_training_size` of them have a value:

        z = (value - mean) / max(stddev, 1e-6 * |mean|, resolution)

    where resolution is 1 for counts, 0.001 for null rates and 1e-9 otherwise:
    the floor keeps float noise (or a count moving by one) on a constant
    metric from looking anomalous, while a real break from a constant history
    (a column that never had nulls getting 5% of them) stands out. severity is low,
    medium, high or critical at |z| below 2, 2, 3 and 4 sigma (by default);
    trend compares |z| with the previous bucket's (0.5 sigma tolerance).
    Buckets are days (or hours) of data; relations without a timestamp have
    one bucket per build. `history` is the quality-metrics model, or this
    macro's own output (the monitoring__anomalies view), whose metric values
    it re-scores with other settings.
-#}
{% macro metric_anomalies(history, training_window=14, min_training_size=7,
                          severity_bounds=[2, 3, 4], where=none) %}
    {{ return(adapter.dispatch('metric_anomalies', 'featureops')(
        history, training_window, min_training_size, severity_bounds, where)) }}
{% endmacro %}

{% macro default__metric_anomalies(history, training_window, min_training_size, severity_bounds,
                                   where) %}
    {%- if training_window | int < 2 or min_training_size | int < 2
          or min_training_size | int > training_window | int -%}
        {{ exceptions.raise_compiler_error(
            "featureops.metric_anomalies: need 2 <= min_training_size <= training_window, got "
            ~ min_training_size ~ " and " ~ training_window) }}
    {%- endif -%}
    {%- set series = 'model_name, column_name, metric_name, grain' -%}
    with

    history_rows as (
        select
            build_id, measured_at, model_name, column_name, metric_name, grain,
            bucket_start, bucket_end, metric_value
        from {{ history }} as history_input
        where metric_name in ({{ featureops._string_list(featureops.anomaly_metric_names()) }})
        {%- if where %}
            and ({{ where }})
        {%- endif %}
    ),

    measurements as (
        {{ featureops._latest_measurements('history_rows', series ~ ', bucket_start') }}
    ),

    trained as (
        select
            *,
            avg(metric_value) over training as training_mean,
            stddev_samp(metric_value) over training as training_stddev,
            count(metric_value) over training as training_size
        from measurements
        window training as (
            partition by {{ series }} order by bucket_start
            rows between {{ training_window | int }} preceding and 1 preceding
        )
    ),

    scored as (
        select
            *,
            case when training_size >= {{ min_training_size | int }} and metric_value is not null
                then (metric_value - training_mean) / greatest(
                    coalesce(training_stddev, 0),
                    abs(training_mean) * 1e-6,
                    case metric_name
                        when 'row_count' then 1
                        when 'distinct_count' then 1
                        when 'null_rate' then 0.001
                        else 1e-9
                    end
                ) end as z_score
        from trained
    ),

    sequenced as (
        select
            *,
            lag(z_score) over (partition by {{ series }} order by bucket_start)
                as previous_z_score,
            row_number() over (partition by {{ series }} order by bucket_start desc) = 1
                as is_latest_bucket
        from scored
    )

    select
        model_name,
        column_name,
        metric_name,
        grain,
        bucket_start,
        bucket_end,
        build_id,
        measured_at,
        measured_at = latest_measured_at as measured_in_latest_build,
        is_latest_bucket,
        metric_value,
        training_mean,
        training_stddev,
        training_size,
        z_score,
        case
            when z_score is null then null
            when abs(z_score) >= {{ severity_bounds[2] }} then 'critical'
            when abs(z_score) >= {{ severity_bounds[1] }} then 'high'
            when abs(z_score) >= {{ severity_bounds[0] }} then 'medium'
            else 'low'
        end as severity,
        {{ featureops._trend('abs(z_score)', 'abs(previous_z_score)', 0.5) }} as trend
    from sequenced
{% endmacro %}
