{#-
    One row per (check, column) for this build: the statistics of
    distribution_comparison() plus the check's windows, for an incremental
    model that appends them.
-#}
{% macro drift_metrics(checks) %}
    {{ return(adapter.dispatch('drift_metrics', 'featureops')(checks)) }}
{% endmacro %}

{% macro default__drift_metrics(checks) %}
    {%- set now = featureops.monitoring_now() -%}
    {%- set prepared = [] -%}
    {%- if execute -%}
        {%- for check in checks -%}
            {%- set check = featureops._prepare_drift_check(check, now) -%}
            {%- if check.features -%}{%- do prepared.append(check) -%}{%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {%- set bins = (prepared | map(attribute='bins') | list | unique | list) or [10] -%}
    {%- if bins | length > 1 -%}
        {{ exceptions.raise_compiler_error(
            "featureops.drift_metrics: every check of one model must use the same number of"
            ~ " bins; split checks with different bins into separate models") }}
    {%- endif -%}
    with

    drift_reference as (
        {{ featureops._drift_inputs(prepared, 'reference') }}
    ),

    drift_current as (
        {{ featureops._drift_inputs(prepared, 'current') }}
    ),

    compared as (
        {{ featureops.distribution_comparison(
            'drift_reference', 'drift_current', ['check_name', 'column_name'],
            ['window_start', 'window_end'], bins=bins[0]) | indent(8) }}
    )

    select
{{ featureops._build_columns(now) }},
        cast(compared.check_name as {{ dbt.type_string() }}) as check_name,
        cast(checks.model_name as {{ dbt.type_string() }}) as model_name,
        cast(checks.reference_name as {{ dbt.type_string() }}) as reference_name,
        cast(compared.column_name as {{ dbt.type_string() }}) as column_name,
        cast(checks.reference_window as {{ dbt.type_string() }}) as reference_window,
        cast(compared.window_start as timestamp) as window_start,
        cast(compared.window_end as timestamp) as window_end,
{{ featureops._comparison_columns('compared') }}
    from compared
    inner join (
        {%- set rows = [] %}
        {%- for check in prepared %}
            {%- do rows.append('select ' ~ featureops.quote_string(check.name) ~ ' as check_name, '
                ~ featureops.quote_string(check.model_name) ~ ' as model_name, '
                ~ featureops.quote_string(check.reference_name) ~ ' as reference_name, '
                ~ featureops.quote_string(check.reference_window_text) ~ ' as reference_window') %}
        {%- endfor %}
        {{ featureops._union_or_empty(rows, [
            ('check_name', dbt.type_string()), ('model_name', dbt.type_string()),
            ('reference_name', dbt.type_string()), ('reference_window', dbt.type_string())]) }}
    ) as checks
        on compared.check_name = checks.check_name
{% endmacro %}

{#- A check with its columns, kinds and window bounds resolved. -#}
{% macro _prepare_drift_check(check, now) %}
    {%- set settings = featureops._monitor_settings(featureops.monitored(
        check.reference, timestamp_column=check.timestamp_column,
        columns=check.columns)) -%}
    {%- set windows = {} -%}
    {%- for side in ['reference', 'current'] -%}
        {%- set bounds = check[side ~ '_window'] -%}
        {%- if bounds is not none -%}
            {%- if not settings.timestamp_column -%}
                {{ exceptions.raise_compiler_error(
                    "featureops.drift_check(" ~ check.name ~ "): windows need a timestamp"
                    ~ " column; set timestamp_column or meta.featureops.timestamp") }}
            {%- endif -%}
            {%- do windows.update({side: featureops._window_bounds(bounds, now, check.name)}) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set features = settings.columns | selectattr('role', 'equalto', 'feature')
        | selectattr('kind', 'in', ['numeric', 'boolean', 'text']) | list -%}
    {%- if check.current != check.reference and features -%}
        {#- Two relations: compare the columns both have; a named one missing is an error. -#}
        {%- set current_columns = adapter.get_columns_in_relation(check.current)
            | map(attribute='name') | list -%}
        {%- set missing = features | map(attribute='name') | reject('in', current_columns)
            | list -%}
        {%- if missing and check.columns and current_columns -%}
            {{ exceptions.raise_compiler_error(
                "featureops.drift_check(" ~ check.name ~ "): " ~ check.current
                ~ " has no column(s) " ~ missing | join(', ')) }}
        {%- endif -%}
        {%- set features = features | rejectattr('name', 'in', missing) | list -%}
    {%- endif -%}
    {%- set reference_node = featureops._node_for_relation(check.reference) -%}
    {%- set current_node = featureops._node_for_relation(check.current) -%}
    {{ return({
        'name': check.name, 'bins': check.bins, 'features': features,
        'reference': check.reference, 'current': check.current,
        'timestamp_column': settings.timestamp_column, 'windows': windows,
        'model_name': current_node.name if current_node else check.current.identifier,
        'reference_name': reference_node.name if reference_node else check.reference.identifier,
        'reference_window_text': featureops._window_text(windows.get('reference'))}) }}
{% endmacro %}

{#- [start, end) datetimes from [start_ago, end_ago] durations before now. -#}
{% macro _window_bounds(bounds, now, check_name) %}
    {%- if bounds is string or bounds | length != 2 or bounds[0] is none -%}
        {{ exceptions.raise_compiler_error(
            "featureops.drift_check(" ~ check_name ~ "): a window is [start, end] as"
            ~ " durations before now, e.g. ['35d', '7d'] or ['7d', none]") }}
    {%- endif -%}
    {%- set start = now - modules.datetime.timedelta(seconds=featureops.duration_seconds(bounds[0])) -%}
    {%- set end = now if bounds[1] is none
        else now - modules.datetime.timedelta(seconds=featureops.duration_seconds(bounds[1])) -%}
    {%- if end <= start -%}
        {{ exceptions.raise_compiler_error(
            "featureops.drift_check(" ~ check_name ~ "): window " ~ bounds
            ~ " is empty; its start must be further back than its end") }}
    {%- endif -%}
    {{ return([start, end]) }}
{% endmacro %}

{% macro _window_text(bounds) %}
    {%- if bounds is none -%}{{ return('all rows') }}{%- endif -%}
    {{ return(bounds[0].strftime('%Y-%m-%d %H:%M:%S') ~ ' to ' ~ bounds[1].strftime('%Y-%m-%d %H:%M:%S')) }}
{% endmacro %}

{#- Long rows (check_name, column_name, window, value) of one side of every check. -#}
{% macro _drift_inputs(prepared, side) %}
    {%- set branches = [] -%}
    {%- for check in prepared -%}
        {%- set bounds = check.windows.get(side) -%}
        {%- set relation = check[side] -%}
        {%- for column in check.features -%}
            {%- set values = featureops._distribution_value_columns(adapter.quote(column.name), column.kind) -%}
            {%- set branch -%}
        select
            {{ featureops.quote_string(check.name) }} as check_name,
            {{ featureops.quote_string(column.name) }} as column_name,
            {{ featureops.timestamp_literal(bounds[0]) if bounds else featureops.timestamp_literal(featureops.monitoring_now()) }} as window_start,
            {{ featureops.timestamp_literal(bounds[1]) if bounds else featureops.timestamp_literal(featureops.monitoring_now()) }} as window_end,
            {{ values }}
        from {{ relation }}
        {%- if bounds %}
        where {{ adapter.quote(check.timestamp_column) }} >= {{ featureops.timestamp_literal(bounds[0]) }}
            and {{ adapter.quote(check.timestamp_column) }} < {{ featureops.timestamp_literal(bounds[1]) }}
        {%- endif %}
            {%- endset -%}
            {%- do branches.append(branch) -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ featureops._union_or_empty(branches, [
        ('check_name', dbt.type_string()), ('column_name', dbt.type_string()),
        ('window_start', 'timestamp'), ('window_end', 'timestamp'),
        ('numeric_value', featureops.type_double()),
        ('category_value', dbt.type_string())]) }}
{% endmacro %}

{#- numeric_value and category_value of a column, by kind (booleans as 'true'/'false'). -#}
{% macro _distribution_value_columns(expression, kind) %}
    {%- if kind == 'numeric' -%}
        {{ return('cast(' ~ expression ~ ' as ' ~ featureops.type_double() ~ ') as numeric_value, cast(null as ' ~ dbt.type_string() ~ ') as category_value') }}
    {%- elif kind == 'boolean' -%}
        {{ return('cast(null as ' ~ featureops.type_double() ~ ') as numeric_value, case when ' ~ expression ~ " then 'true' when not " ~ expression ~ " then 'false' end as category_value") }}
    {%- endif -%}
    {{ return('cast(null as ' ~ featureops.type_double() ~ ') as numeric_value, cast(' ~ expression ~ ' as ' ~ dbt.type_string() ~ ') as category_value') }}
{% endmacro %}
