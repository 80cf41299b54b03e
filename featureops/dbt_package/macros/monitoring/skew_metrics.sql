{#-
    Training-serving skew of this build: for every training set (a model
    whose meta.featureops says kind: training_set and names the exposure it
    was built for), each feature the exposure reads is compared between the
    training set and the values the server returned for that exposure
    (status present or stale) in the last `serving_window` before now, per
    complete day of serving and over the whole window (grain 'window'). Statistics as in
    distribution_comparison(); the training set is the reference.

    A served feature matches the training-set column named `<view>__<feature>`
    or else `<feature>`.
-#}
{% macro skew_metrics(serving_log, training_sets, serving_window='7d', bins=10) %}
    {{ return(adapter.dispatch('skew_metrics', 'featureops')(
        serving_log, training_sets, serving_window, bins)) }}
{% endmacro %}

{% macro default__skew_metrics(serving_log, training_sets, serving_window, bins) %}
    {%- set now = featureops.monitoring_now() -%}
    {%- set window_start = now - modules.datetime.timedelta(
        seconds=featureops.duration_seconds(serving_window)) -%}
    {%- set prepared = [] -%}
    {%- if execute -%}
        {%- for training_set in training_sets -%}
            {%- do prepared.append(featureops._prepare_training_set(training_set)) -%}
        {%- endfor -%}
        {%- set exposures = prepared | map(attribute='exposure') | list -%}
        {%- if exposures | unique | list | length != exposures | length -%}
            {{ exceptions.raise_compiler_error(
                "featureops.skew_metrics: two training sets name the same exposure ("
                ~ exposures | join(', ') ~ "); compare one training set per exposure") }}
        {%- endif -%}
    {%- endif -%}
    with

    skew_reference as (
        {{ featureops._skew_reference(prepared) }}
    ),

    served as (
        select
            service as exposure,
            feature_view,
            feature,
            served_at,
            value_double,
            value_text
        from {{ serving_log }}
        where
            status in ('present', 'stale')
            and served_at >= {{ featureops.timestamp_literal(window_start) }}
            and served_at < {{ featureops.timestamp_literal(now) }}
            and service in ({{ featureops._string_list(prepared | map(attribute='exposure')) }})
    ),

    {#- Days only when complete: a partial day would skew hour-of-day patterns. #}
    served_buckets as (
        select
            *,
            'day' as grain,
            cast({{ dbt.date_trunc('day', 'served_at') }} as timestamp) as bucket_start
        from served
        where served_at < {{ featureops.timestamp_literal(
            now.replace(hour=0, minute=0, second=0, microsecond=0)) }}
        union all
        select
            *,
            'window' as grain,
            {{ featureops.timestamp_literal(window_start) }} as bucket_start
        from served
    ),

    skew_current as (
        select
            exposure,
            feature_view,
            feature,
            grain,
            bucket_start,
            {{ featureops._served_values(prepared) }}
        from served_buckets
    ),

    compared as (
        {{ featureops.distribution_comparison(
            'skew_reference', 'skew_current', ['exposure', 'feature_view', 'feature'],
            ['grain', 'bucket_start'], bins=bins) | indent(8) }}
    )

    select
{{ featureops._build_columns(now) }},
        cast(compared.exposure as {{ dbt.type_string() }}) as exposure,
        cast(training_sets.training_set as {{ dbt.type_string() }}) as training_set,
        cast(compared.feature_view as {{ dbt.type_string() }}) as feature_view,
        cast(compared.feature as {{ dbt.type_string() }}) as feature,
        cast(compared.grain as {{ dbt.type_string() }}) as grain,
        cast(compared.bucket_start as timestamp) as bucket_start,
        cast(case when compared.grain = 'window'
            then {{ featureops.timestamp_literal(now) }}
            else {{ dbt.dateadd('day', 1, 'compared.bucket_start') }} end as timestamp) as bucket_end,
{{ featureops._comparison_columns('compared', 'training', 'serving') }}
    from compared
    inner join (
        {%- set rows = [] %}
        {%- for item in prepared %}
            {%- do rows.append('select ' ~ featureops.quote_string(item.exposure) ~ ' as exposure, '
                ~ featureops.quote_string(item.name) ~ ' as training_set') %}
        {%- endfor %}
        {{ featureops._union_or_empty(rows, [
            ('exposure', dbt.type_string()), ('training_set', dbt.type_string())]) }}
    ) as training_sets
        on compared.exposure = training_sets.exposure
{% endmacro %}

{#- A training set's exposure and the (view, feature, column, kind) it serves. -#}
{% macro _prepare_training_set(relation) %}
    {%- set node = featureops._node_for_relation(relation) -%}
    {%- set meta = featureops._featureops_meta(node) -%}
    {%- if node is none or meta.get('kind') != 'training_set' or not meta.get('exposure') -%}
        {{ exceptions.raise_compiler_error(
            "featureops.skew_metrics: " ~ relation ~ " is not a training set; its YAML needs"
            ~ " config.meta.featureops: {kind: training_set, exposure: <ml exposure>}") }}
    {%- endif -%}
    {%- set columns = {} -%}
    {%- for column in adapter.get_columns_in_relation(relation) -%}
        {%- do columns.update({column.name: featureops._column_kind(column.dtype)}) -%}
    {%- endfor -%}
    {%- set features = [] -%}
    {%- for pair in featureops._exposure_features(meta.exposure, node.name) -%}
        {%- for candidate in [pair[0] ~ '__' ~ pair[1], pair[1]] -%}
            {%- if candidate in columns and columns[candidate] in ['numeric', 'boolean', 'text']
                  and pair not in features | map(attribute='pair') | list -%}
                {%- do features.append({'pair': pair, 'view': pair[0], 'feature': pair[1],
                                        'column': candidate, 'kind': columns[candidate]}) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return({'name': node.name, 'relation': relation, 'exposure': meta.exposure,
               'features': features}) }}
{% endmacro %}

{#- (view, feature) pairs an exposure's meta.featureops.features resolves to. -#}
{% macro _exposure_features(exposure_name, training_set_name) %}
    {%- set found = [] -%}
    {%- for exposure in graph.exposures.values() if exposure.name == exposure_name -%}
        {%- do found.append(exposure) -%}
    {%- endfor -%}
    {%- if not found -%}
        {{ exceptions.raise_compiler_error(
            "featureops.skew_metrics: training set " ~ training_set_name ~ " names exposure '"
            ~ exposure_name ~ "', which does not exist") }}
    {%- endif -%}
    {%- set exposure = found[0] -%}
    {%- set block = ((exposure.config or {}).get('meta') or {}).get('featureops')
        or (exposure.meta or {}).get('featureops') or {} -%}
    {%- set pairs = [] -%}
    {%- for reference in block.get('features') or [] -%}
        {%- set view_name = reference.split(':')[0] | trim -%}
        {%- if ':' in reference -%}
            {%- do pairs.append((view_name, reference.split(':', 1)[1] | trim)) -%}
        {%- else -%}
            {%- for view in graph.nodes.values() if view.resource_type == 'model'
                                                  and view.name == view_name -%}
                {%- set view_meta = featureops._featureops_meta(view) -%}
                {%- set keys = (view_meta.get('entities') or [])
                    + [view_meta.get('timestamp'), view_meta.get('created_timestamp')] -%}
                {%- for column in view.columns if column not in keys -%}
                    {%- do pairs.append((view_name, column)) -%}
                {%- endfor -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(pairs) }}
{% endmacro %}

{% macro _skew_reference(prepared) %}
    {%- set branches = [] -%}
    {%- for item in prepared if item.features -%}
        {%- set features = [] -%}
        {%- for feature in item.features -%}
            {%- do features.append({'column': feature.column, 'kind': feature.kind, 'labels': [
                (featureops.quote_string(feature.view), 'feature_view'),
                (featureops.quote_string(feature.feature), 'feature')]}) -%}
        {%- endfor -%}
        {%- do branches.append(featureops._unpivoted_values(item.relation, [
            (featureops.quote_string(item.exposure), 'exposure')], features, none)) -%}
    {%- endfor -%}
    {{ featureops._union_or_empty(branches, [
        ('exposure', dbt.type_string()), ('feature_view', dbt.type_string()),
        ('feature', dbt.type_string()), ('numeric_value', featureops.type_double()),
        ('category_value', dbt.type_string())]) }}
{% endmacro %}

{#- The served value as numeric_value/category_value, by the training column's kind. -#}
{% macro _served_values(prepared) %}
    {%- set by_kind = {'numeric': [], 'boolean': [], 'text': []} -%}
    {%- for item in prepared -%}
        {%- for feature in item.features -%}
            {%- do by_kind[feature.kind].append(item.exposure ~ '|' ~ feature.view ~ ':' ~ feature.feature) -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- set key = "exposure || '|' || feature_view || ':' || feature" -%}
        case when {{ key }} in ({{ featureops._string_list(by_kind.numeric) }})
            then value_double end as numeric_value,
        case
            when {{ key }} in ({{ featureops._string_list(by_kind.boolean) }})
                then case when value_double = 1 then 'true' when value_double = 0 then 'false' end
            when {{ key }} in ({{ featureops._string_list(by_kind.text) }})
                then value_text
        end as category_value
{%- endmacro %}
