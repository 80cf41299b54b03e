{#-
    A leakage-safe trailing-window aggregate: for each row, `aggregate` over the
    rows of the same partition whose `order_by` timestamp t' satisfies
    t - window <= t' < t. Rows at the row's own timestamp (the row itself and any
    tie) are excluded, so a feature never sees the event it describes.

    Result types are fixed so contracts hold on every engine:
    count -> bigint; sum, avg -> float; min, max -> the input's type.
-#}
{% macro windowed_aggregate(aggregate, expression, partition_by, order_by, window) %}
    {{- return(adapter.dispatch('windowed_aggregate', 'featureops')(
        aggregate, expression, partition_by, order_by, window)) -}}
{% endmacro %}

{#- Postgres and other ANSI engines: sum and avg come back as numeric, so cast. -#}
{% macro default__windowed_aggregate(aggregate, expression, partition_by, order_by, window) %}
    {%- set result_casts = {'count': dbt.type_bigint(), 'sum': featureops.type_double(), 'avg': featureops.type_double()} -%}
    {%- set call -%}
        {{ featureops._check_window_aggregate(aggregate) }}({{ expression }}) over (
            {{ featureops._strictly_before_frame(partition_by, order_by, window) }}
        )
    {%- endset -%}
    {%- if aggregate in result_casts -%}
        cast({{ call }} as {{ result_casts[aggregate] }})
    {%- else -%}
        {{ call }}
    {%- endif -%}
{% endmacro %}

{#-
    DuckDB evaluates window frames in parallel segment trees, so a plain float
    sum can differ in the last bits between runs; fsum/favg use compensated
    (Kahan) summation, which makes results stable and exact to the last digit
    against an independent computation. count already returns bigint.
-#}
{% macro duckdb__windowed_aggregate(aggregate, expression, partition_by, order_by, window) %}
    {%- set duckdb_functions = {'sum': 'fsum', 'avg': 'favg'} -%}
    {%- set function = featureops._check_window_aggregate(aggregate) -%}
    {{ duckdb_functions.get(function, function) }}({{ expression }}) over (
        {{ featureops._strictly_before_frame(partition_by, order_by, window) }}
    )
{%- endmacro %}

{% macro _check_window_aggregate(aggregate) %}
    {%- if aggregate not in ['count', 'sum', 'avg', 'min', 'max'] -%}
        {{ exceptions.raise_compiler_error(
            "featureops.windowed_aggregate: aggregate '" ~ aggregate
            ~ "' is not one of count, sum, avg, min, max") }}
    {%- endif -%}
    {{- return(aggregate) -}}
{% endmacro %}

{#- The frame [t - window, t) of the rows before each row's timestamp. -#}
{% macro _strictly_before_frame(partition_by, order_by, window) %}
    {{- return(adapter.dispatch('strictly_before_frame', 'featureops')(
        partition_by, order_by, window)) -}}
{% endmacro %}

{#- `exclude group` drops the row and its ties. -#}
{% macro default__strictly_before_frame(partition_by, order_by, window) %}
    partition by {{ partition_by }}
    order by {{ order_by }}
    range between {{ featureops.interval_literal(window) }} preceding
    and current row exclude group
{%- endmacro %}

{#-
    Spark has no `exclude group` and no interval range frames over
    timestamps: the frame is a numeric range over unix microseconds, and
    [t - w, t - 1us] is [t - w, t) at the timestamps' microsecond precision.
-#}
{% macro spark__strictly_before_frame(partition_by, order_by, window) %}
    partition by {{ partition_by }}
    order by unix_micros({{ order_by }})
    range between {{ featureops.duration_seconds(window) * 1000000 }} preceding
    and 1 preceding
{%- endmacro %}
