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
    {%- for check in prepared if check.features -%}
        {%- set bounds = check.windows.get(side) -%}
        {%- set start = bounds[0] if bounds else featureops.monitoring_now() -%}
        {%- set end = bounds[1] if bounds else featureops.monitoring_now() -%}
        {%- set features = [] -%}
        {%- for column in check.features -%}
            {%- do features.append({'column': column.name, 'kind': column.kind,
                'labels': [(featureops.quote_string(column.name), 'column_name')]}) -%}
        {%- endfor -%}
        {%- set ts = adapter.quote(check.timestamp_column) -%}
        {%- do branches.append(featureops._unpivoted_values(check[side], [
            (featureops.quote_string(check.name), 'check_name'),
            (featureops.timestamp_literal(start), 'window_start'),
            (featureops.timestamp_literal(end), 'window_end')], features,
            ts ~ ' >= ' ~ featureops.timestamp_literal(start) ~ ' and ' ~ ts ~ ' < '
            ~ featureops.timestamp_literal(end) if bounds else none)) -%}
    {%- endfor -%}
    {{ featureops._union_or_empty(branches, [
        ('check_name', dbt.type_string()), ('column_name', dbt.type_string()),
        ('window_start', 'timestamp'), ('window_end', 'timestamp'),
        ('numeric_value', featureops.type_double()),
        ('category_value', dbt.type_string())]) }}
{% endmacro %}

{#-
    numeric_value and category_value of several columns of one relation, one
    row per (relation row, column), after the `constants` (expression, alias)
    and each feature's `labels` (literal, alias), from one read of the
    relation: the columns are unpivoted by a cross join on their positions.
    One union branch per column instead would make the distribution
    comparison's plan (which reads these rows many times) grow with the
    column count, which Spark's planner takes minutes over.
    features: [{'column': name, 'kind': kind, 'labels': [(literal, alias), ...]}].
-#}
{% macro _unpivoted_values(relation, constants, features, where) %}
    {%- set rows = [] -%}
    {%- set numeric_cases = [] -%}
    {%- set category_cases = [] -%}
    {%- for feature in features -%}
        {%- set values = featureops._distribution_values(adapter.quote(feature.column), feature.kind) -%}
        {%- set literals = [loop.index | string] -%}
        {%- for literal, alias in feature.labels -%}{%- do literals.append(literal) -%}{%- endfor -%}
        {%- do rows.append('(' ~ literals | join(', ') ~ ')') -%}
        {%- do numeric_cases.append('when ' ~ loop.index ~ ' then ' ~ values.numeric) -%}
        {%- do category_cases.append('when ' ~ loop.index ~ ' then ' ~ values.category) -%}
    {%- endfor -%}
    {%- set label_names = [] -%}
    {%- for literal, alias in features[0].labels -%}{%- do label_names.append(alias) -%}{%- endfor %}
        select
            {%- for expression, alias in constants %}
            {{ expression }} as {{ alias }},
            {%- endfor %}
            {%- for alias in label_names %}
            unpivoted.{{ alias }},
            {%- endfor %}
            case unpivoted.column_position {{ numeric_cases | join(' ') }} end as numeric_value,
            case unpivoted.column_position {{ category_cases | join(' ') }} end as category_value
        from {{ relation }}
        cross join (values {{ rows | join(', ') }})
            as unpivoted (column_position, {{ label_names | join(', ') }})
        {%- if where %}
        where {{ where }}
        {%- endif %}
{% endmacro %}

{#- numeric_value and category_value expressions of a column, by kind (booleans as
    'true'/'false'): {'numeric': ..., 'category': ...}. -#}
{% macro _distribution_values(expression, kind) %}
    {%- set no_number = 'cast(null as ' ~ featureops.type_double() ~ ')' -%}
    {%- if kind == 'numeric' -%}
        {{ return({'numeric': 'cast(' ~ expression ~ ' as ' ~ featureops.type_double() ~ ')',
                   'category': 'cast(null as ' ~ dbt.type_string() ~ ')'}) }}
    {%- elif kind == 'boolean' -%}
        {{ return({'numeric': no_number, 'category': 'case when ' ~ expression
                   ~ " then 'true' when not " ~ expression ~ " then 'false' end"}) }}
    {%- endif -%}
    {{ return({'numeric': no_number,
               'category': 'cast(' ~ expression ~ ' as ' ~ dbt.type_string() ~ ')'}) }}
{% endmacro %}
