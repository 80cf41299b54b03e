{#-
    Leakage check: every feature column whose meta declares a window
    (meta.featureops: {window, aggregate, source, ...}; docs/training-sets.md)
    is recomputed from its source over [t - window, t), counting a source row
    only once its available_at has passed when one is declared, and compared
    with the stored value. A failing row says how it fails: the window takes
    in the event itself (rows at t), counts rows before they were available
    (labels that arrive after the prediction time), or just differs.
-#}
{% test windows_exclude_event(model) %}
    {%- if not execute -%}
        {{ return(featureops._no_leakage_rows()) }}
    {%- endif -%}
    {%- set node = featureops._tested_training_set(model) -%}
    {%- set views = featureops._training_set_views(featureops._featureops_block(node)) -%}
    {%- for view in views %}
    {{ featureops.window_leakage_sql(graph.nodes[view.unique_id]) }}
        {%- if not loop.last %}
    union all
        {%- endif %}
    {%- endfor %}
{% endtest %}

{#-
    One join per group (below); its rows carry every column of the group side by
    side, so each column's verdict is computed there and the columns are then
    unpivoted by a cross join with their numbers. (A union branch per column
    would make engines that inline CTEs, Spark, redo the join per column.)
-#}
{% macro window_leakage_sql(view_node) %}
    {%- set groups = featureops._window_groups(view_node) -%}
    {%- if not groups -%}
        {{- return(featureops._no_leakage_rows()) -}}
    {%- endif -%}
    {%- set spec = featureops._featureops_block(view_node) -%}
    {%- set text = dbt.type_string() -%}
    select * from (
        with
    {%- for group in groups %}
        __fo_window_group_{{ loop.index }} as (
            {{ featureops._window_recomputation(view_node, spec, group) }}
        ){% if not loop.last %},{% endif %}
    {%- endfor %}
    {%- for group in groups %}
        {%- set group_loop = loop %}
        select
            {{ featureops._sql_literal(view_node.name) }} as model_name,
            column_name,
            problem,
            key_text || ' at ' || cast(feature_at as {{ text }}) || detail as example
        from (
            select
                key_text,
                feature_at,
                case __fo_column
                {%- for column in group.columns %}
                    when {{ loop.index }} then {{ featureops._sql_literal(column.name) }}
                {%- endfor %}
                end as column_name,
                case __fo_column
                {%- for column in group.columns %}
                    when {{ loop.index }} then __fo_problem_{{ loop.index }}
                {%- endfor %}
                end as problem,
                case __fo_column
                {%- for column in group.columns %}
                    when {{ loop.index }} then __fo_detail_{{ loop.index }}
                {%- endfor %}
                end as detail
            from (
                select
                    key_text,
                    feature_at
                {%- for column in group.columns %},
                    {{ featureops._window_column_problem(group, column, loop.index) }}
                        as __fo_problem_{{ loop.index }},
                    ': stored ' || coalesce(cast(__fo_stored_{{ loop.index }} as {{ text }}), 'null')
                    || ', recomputed '
                    || coalesce(cast(__fo_expected_{{ loop.index }} as {{ text }}), 'null')
                        as __fo_detail_{{ loop.index }}
                {%- endfor %}
                from __fo_window_group_{{ group_loop.index }}
            ) as verdicts
            cross join (
            {%- for column in group.columns %}
                select {{ loop.index }} as __fo_column{% if not loop.last %} union all{% endif %}
            {%- endfor %}
            ) as window_columns
        ) as compared
        where problem is not null
        {%- if not group_loop.last %}
        union all
        {%- endif %}
    {%- endfor %}
    ) as window_leakage
{% endmacro %}

{#- Why column number `index` of a group's recomputation fails, or null when it matches. -#}
{% macro _window_column_problem(group, column, index) %}
    {%- set stored = '__fo_stored_' ~ index -%}
    case
        when {{ featureops._window_value_matches(
            column.aggregate, stored, '__fo_expected_' ~ index) }}
            then null
        {%- if group.available_at %}
        when {{ featureops._window_value_matches(
            column.aggregate, stored, '__fo_unavailable_' ~ index) }}
            then {{ featureops._sql_literal(
                'counts ' ~ group.source ~ ' rows before their ' ~ group.available_at
                ~ ': labels that arrive after the prediction time') }}
        {%- endif %}
        when {{ featureops._window_value_matches(
            column.aggregate, stored, '__fo_with_event_' ~ index) }}
            then {{ featureops._sql_literal(
                'the ' ~ column.window ~ ' window takes in the event itself'
                ~ ' (source rows at the feature timestamp)') }}
        else {{ featureops._sql_literal(
            'differs from ' ~ column.aggregate ~ ' over [t - ' ~ column.window
            ~ ', t) of ' ~ group.source) }}
    end
{%- endmacro %}

{#-
    One pass over the source per group: per feature row and column, the
    aggregate over [t - w, t) (the definition), over [t - w, t] (with the
    event) and over [t - w, t) ignoring available_at (the "with" variants
    change one thing each, so a failing row says which).
-#}
{% macro _window_recomputation(view_node, spec, group) %}
    {%- set source_ts = 'source_row.' ~ adapter.quote(group.source_timestamp) -%}
    {%- set feature_ts = 'feature_row.' ~ adapter.quote(spec.timestamp) -%}
    {%- set before = source_ts ~ ' < ' ~ feature_ts -%}
    {%- set known = ' and source_row.' ~ adapter.quote(group.available_at) ~ ' < ' ~ feature_ts
        if group.available_at else '' %}
    select
        {{ featureops._key_text('feature_row', spec.entities) }} as key_text,
        {{ feature_ts }} as feature_at,
        {%- for column in group.columns %}
        feature_row.{{ adapter.quote(column.name) }} as __fo_stored_{{ loop.index }},
        {%- set in_window = source_ts ~ ' >= ' ~ feature_ts ~ ' - '
            ~ featureops._exact_interval(column.window) ~ ' and ' %}
        {{ featureops._window_aggregate(column, in_window ~ before ~ known) }}
            as __fo_expected_{{ loop.index }},
        {{ featureops._window_aggregate(column, in_window ~ source_ts ~ ' <= ' ~ feature_ts
            ~ known) }}
            as __fo_with_event_{{ loop.index }},
        {{ featureops._window_aggregate(column, in_window ~ before) }}
            as __fo_unavailable_{{ loop.index }}
        {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from {{ view_node.relation_name }} as feature_row
    left join {{ group.relation }} as source_row
        on
        {%- for entity in spec.entities %}
            feature_row.{{ adapter.quote(entity) }} = source_row.{{ adapter.quote(entity) }} and
        {%- endfor %}
            {{ source_ts }} >= {{ feature_ts }} - {{ featureops._exact_interval(group.window) }}
            and {{ source_ts }} <= {{ feature_ts }}
    group by
        {%- for entity in spec.entities %}
        feature_row.{{ adapter.quote(entity) }},
        {%- endfor %}
        {{ feature_ts }}
        {%- for column in group.columns %},
        feature_row.{{ adapter.quote(column.name) }}
        {%- endfor %}
{% endmacro %}

{% macro _window_aggregate(column, condition) %}
    {%- set value = 'source_row.' ~ adapter.quote(column.source_column)
        if column.source_column else '1' -%}
    {%- set filtered = 'case when ' ~ condition ~ ' then ' ~ value ~ ' end' -%}
    {%- if column.aggregate in ['sum', 'avg'] -%}
        cast({{ column.aggregate }}({{ filtered }}) as {{ featureops.type_double() }})
    {%- else -%}
        {{ column.aggregate }}({{ filtered }})
    {%- endif -%}
{% endmacro %}

{#- count and sum: an empty window is 0 or null alike; floats to 1e-6 relative. -#}
{% macro _window_value_matches(aggregate, stored, expected) %}
    {%- set double = featureops.type_double() -%}
    {%- if aggregate == 'count' -%}
        coalesce({{ stored }}, 0) = coalesce({{ expected }}, 0)
    {%- else -%}
        {%- set left = 'cast(' ~ stored ~ ' as ' ~ double ~ ')' -%}
        {%- set right = 'cast(' ~ expected ~ ' as ' ~ double ~ ')' -%}
        {%- if aggregate == 'sum' -%}
            {%- set left = 'coalesce(' ~ left ~ ', 0)' -%}
            {%- set right = 'coalesce(' ~ right ~ ', 0)' -%}
        {%- endif -%}
        coalesce(
            ({{ left }} is null and {{ right }} is null)
            or abs({{ left }} - {{ right }}) <= 1e-6 * greatest(1, abs({{ right }})),
            false
        )
    {%- endif -%}
{% endmacro %}

{#-
    Window columns of a view grouped by what they read (source, its timestamp,
    available_at): one join per group, over the group's longest window.
-#}
{% macro _window_groups(view_node) %}
    {%- set spec = featureops._featureops_block(view_node) -%}
    {%- set groups = {} -%}
    {%- set ordered = [] -%}
    {%- for name, column in view_node.columns.items() -%}
        {%- set block = featureops._featureops_block(column) -%}
        {%- if block.window -%}
            {%- if block.aggregate not in ['count', 'sum', 'avg', 'min', 'max'] or not block.source -%}
                {{ exceptions.raise_compiler_error(
                    "featureops: " ~ view_node.name ~ "." ~ name ~ ": meta.featureops.window"
                    ~ " needs aggregate (count, sum, avg, min, max) and source") }}
            {%- endif -%}
            {%- set source_ts = block.source_timestamp or spec.timestamp -%}
            {%- set key = [block.source, source_ts, block.available_at] | join('|') -%}
            {%- if key not in groups -%}
                {%- set group = {
                    'source': block.source,
                    'relation': featureops._model_relation(block.source),
                    'window': block.window,
                    'seconds': featureops.duration_seconds(block.window),
                    'source_timestamp': source_ts,
                    'available_at': block.available_at,
                    'columns': [],
                } -%}
                {%- do groups.update({key: group}) -%}
                {%- do ordered.append(group) -%}
            {%- endif -%}
            {%- set group = groups[key] -%}
            {%- if featureops.duration_seconds(block.window) > group.seconds -%}
                {%- do group.update({'window': block.window,
                                     'seconds': featureops.duration_seconds(block.window)}) -%}
            {%- endif -%}
            {%- do group.columns.append({
                'name': name,
                'window': block.window,
                'aggregate': block.aggregate,
                'source_column': block.source_column,
            }) -%}
        {%- endif -%}
    {%- endfor -%}
    {{- return(ordered) -}}
{% endmacro %}

{% macro _model_relation(model_name) %}
    {%- for node in graph.nodes.values()
            if node.resource_type == 'model' and node.name == model_name -%}
        {{- return(node.relation_name) -}}
    {%- endfor -%}
    {{ exceptions.raise_compiler_error(
        "featureops: meta.featureops.source names no model '" ~ model_name ~ "'") }}
{% endmacro %}
