{#-
    Columns added, removed or retyped between the two latest builds that
    measured each relation (relations measured only once have no changes).
-#}
{% macro schema_changes(history) %}
    with

    schema_rows as (
        select measured_at, model_name, column_name, metric_text as data_type
        from {{ history }} as history_input
        where metric_name = 'data_type'
    ),

    builds as (
        select
            model_name,
            measured_at,
            row_number() over (partition by model_name order by measured_at desc) as build_rank,
            max(measured_at) over () as latest_measured_at
        from (select distinct model_name, measured_at from schema_rows) as distinct_builds
    ),

    ranked_columns as (
        select schema_rows.*, builds.build_rank
        from schema_rows
        inner join builds
            on schema_rows.model_name = builds.model_name
            and schema_rows.measured_at = builds.measured_at
        where builds.build_rank <= 2
    ),

    compared as (
        select
            coalesce(latest_columns.model_name, previous_columns.model_name) as model_name,
            coalesce(latest_columns.column_name, previous_columns.column_name) as column_name,
            case
                when previous_columns.column_name is null then 'added'
                when latest_columns.column_name is null then 'removed'
                when latest_columns.data_type <> previous_columns.data_type then 'retyped'
            end as change_type,
            previous_columns.data_type as previous_type,
            latest_columns.data_type as current_type
        from (select * from ranked_columns where build_rank = 1) as latest_columns
        full outer join (select * from ranked_columns where build_rank = 2) as previous_columns
            on latest_columns.model_name = previous_columns.model_name
            and latest_columns.column_name = previous_columns.column_name
    ),

    build_pairs as (
        select
            model_name,
            max(case when build_rank = 1 then measured_at end) as measured_at,
            max(case when build_rank = 2 then measured_at end) as previous_measured_at,
            max(latest_measured_at) as latest_measured_at
        from builds
        group by model_name
    )

    select
        compared.model_name,
        compared.column_name,
        compared.change_type,
        compared.previous_type,
        compared.current_type,
        build_pairs.measured_at,
        build_pairs.previous_measured_at,
        build_pairs.measured_at = build_pairs.latest_measured_at as is_latest_build
    from compared
    inner join build_pairs
        on compared.model_name = build_pairs.model_name
    where compared.change_type is not null
        and build_pairs.previous_measured_at is not null
{% endmacro %}
