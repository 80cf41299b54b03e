{#-
    The point-in-time join: the one implementation behind training-set models
    (featureops.training_set) and the Python API / `featureops training-set`,
    which render this same file (docs/decisions/0010-one-point-in-time-join.md).

    For every spine row and every view: the feature values of the latest view
    row with the same entity key(s) whose timestamp is at or before the spine
    timestamp (strictly before when exclusive) and no older than the view's
    ttl; nulls otherwise. Ties on the view timestamp go to the latest created
    timestamp (nulls lose). With exclude_created_after, view rows created after
    the spine timestamp (or with no created timestamp) are not candidates.
    Every spine row comes out exactly once. See docs/training-sets.md.

    spine: relation, CTE name or parenthesised query with the entity columns
        of every view (matched by name) and the timestamp column.
    timestamp: spine column holding the prediction time.
    views: list of dicts {name, relation, entities, timestamp,
        created_timestamp, ttl, features: [{column, alias}]}, as made by
        featureops.resolve_feature_views.
    spine_columns: spine columns to output, in order (default: all of them).
    order_by: SQL ordering of the output (default: none).
-#}
{% macro point_in_time_join(spine, timestamp, views, spine_columns=none, order_by=none,
                            exclusive=false, exclude_created_after=false) %}
    {%- do featureops._check_point_in_time_views(views) -%}
    {#- Created-after exclusion is a second inequality, which only the lateral
        form expresses: it is the implementation for that option everywhere
        but on engines whose own form handles it (Spark). -#}
    {%- if exclude_created_after and views | selectattr('created_timestamp') | list
            and not adapter.dispatch('_excludes_created_after', 'featureops')() -%}
        {{- return(featureops.default__point_in_time_join(
            spine, timestamp, views, spine_columns, order_by, exclusive, exclude_created_after)) -}}
    {%- endif -%}
    {{- return(adapter.dispatch('point_in_time_join', 'featureops')(
        spine, timestamp, views, spine_columns, order_by, exclusive, exclude_created_after)) -}}
{% endmacro %}

{#-
    Portable (engines without an override, and every engine with
    exclude_created_after): one LEFT JOIN LATERAL ... LIMIT 1 per view. The
    lateral subquery returns at most one row, so the spine row count is
    preserved, duplicates included. Fast only with an index on the view's
    (entity, timestamp).
-#}
{% macro default__point_in_time_join(spine, timestamp, views, spine_columns, order_by,
                                     exclusive, exclude_created_after) %}
    {%- set spine_ts = '__fo_spine.' ~ adapter.quote(timestamp) %}
select
    {{ featureops._spine_select(spine_columns) }}
    {%- for view in views %}
        {%- set view_alias = '__fo_view_' ~ loop.index %}
        {%- for feature in view.features %},
    {{ view_alias }}.{{ adapter.quote(feature.alias) }}
        {%- endfor %}
    {%- endfor %}
from {{ spine }} as __fo_spine
    {%- for view in views %}
        {%- set row = '__fo_row' %}
left join lateral (
    select
        {{- featureops._aliased_features(view, row ~ '.') }}
    from {{ view.relation }} as {{ row }}
    where
        {%- for entity in view.entities %}
        {{ row }}.{{ adapter.quote(entity) }} = __fo_spine.{{ adapter.quote(entity) }} and
        {%- endfor %}
        {{ row }}.{{ adapter.quote(view.timestamp) }} {{ '<' if exclusive else '<=' }} {{ spine_ts }}
        {%- if view.ttl %}
        and {{ row }}.{{ adapter.quote(view.timestamp) }}
            >= {{ spine_ts }} - {{ featureops._exact_interval(view.ttl) }}
        {%- endif %}
        {%- if exclude_created_after and view.created_timestamp %}
        and {{ row }}.{{ adapter.quote(view.created_timestamp) }} <= {{ spine_ts }}
        {%- endif %}
    order by
        {{ row }}.{{ adapter.quote(view.timestamp) }} desc
        {%- if view.created_timestamp %},
        {{ row }}.{{ adapter.quote(view.created_timestamp) }} desc nulls last
        {%- endif %}
    limit 1
) as __fo_view_{{ loop.index }} on true
    {%- endfor %}
    {%- if order_by %}
order by {{ order_by }}
    {%- endif %}
{% endmacro %}

{#-
    Postgres: without an index on each view's (entity, timestamp), the lateral
    form scans a view once per spine row. This sort-based rewrite is
    O(n log n) instead: spine rows and view rows are merged per entity in
    time order (view rows first at equal times, last when exclusive), and a
    running max of the view rows' sequence number (timestamp, then created
    order) finds each spine row's latest candidate, fetched back by
    (entity, sequence). The spine travels as a whole-row value so that its
    columns come out as they came in.
-#}
{% macro postgres__point_in_time_join(spine, timestamp, views, spine_columns, order_by,
                                      exclusive, exclude_created_after) %}
    {%- set spine_ts = '__fo_spine.' ~ adapter.quote(timestamp) %}
with

__fo_spine_rows as (
    select
        __fo_spine as __fo_record,
        __fo_spine.*,
        row_number() over () as __fo_spine_row
    from {{ spine }} as __fo_spine
)
    {%- for view in views %}
        {%- set i = loop.index %},

__fo_rows_{{ i }} as (
    select
        {{- featureops._keys_and_timestamp(view) }}
        row_number() over (
            partition by
            {%- for entity in view.entities %}
                {{ adapter.quote(entity) }}{% if not loop.last %},{% endif %}
            {%- endfor %}
            order by {{ adapter.quote(view.timestamp) }}
            {%- if view.created_timestamp %},
                {{ adapter.quote(view.created_timestamp) }} nulls first
            {%- endif %}
        ) as __fo_sequence,
        {{- featureops._aliased_features(view) }}
    from {{ view.relation }}
    where
        {%- for entity in view.entities %}
        {{ adapter.quote(entity) }} is not null and
        {%- endfor %}
        {{ adapter.quote(view.timestamp) }} is not null
),

__fo_latest_{{ i }} as (
    select
        {%- for entity in view.entities %}
        __fo_key_{{ loop.index }},
        {%- endfor %}
        __fo_spine_row,
        max(__fo_sequence) over (
            partition by
            {%- for entity in view.entities %}
                __fo_key_{{ loop.index }}{% if not loop.last %},{% endif %}
            {%- endfor %}
            order by __fo_timestamp, __fo_side
            rows between unbounded preceding and current row
        ) as __fo_sequence
    from (
        select
            {%- for entity in view.entities %}
            __fo_key_{{ loop.index }},
            {%- endfor %}
            __fo_timestamp,
            {{ 1 if exclusive else 0 }} as __fo_side,
            __fo_sequence,
            cast(null as bigint) as __fo_spine_row
        from __fo_rows_{{ i }}
        union all
        select
            {%- for entity in view.entities %}
            __fo_spine.{{ adapter.quote(entity) }},
            {%- endfor %}
            {{ spine_ts }},
            {{ 0 if exclusive else 1 }},
            cast(null as bigint),
            __fo_spine.__fo_spine_row
        from __fo_spine_rows as __fo_spine
        where {{ spine_ts }} is not null
    ) as __fo_events
)
    {%- endfor %}

select
    {{ featureops._spine_select(spine_columns, '(__fo_spine.__fo_record).*') }}
    {{- featureops._features_within_ttl(views, spine_ts, '__fo_rows_') }}
from __fo_spine_rows as __fo_spine
    {%- for view in views %}
        {%- set i = loop.index %}
left join __fo_latest_{{ i }}
    on __fo_spine.__fo_spine_row = __fo_latest_{{ i }}.__fo_spine_row
left join __fo_rows_{{ i }}
    on
        {%- for entity in view.entities %}
        __fo_latest_{{ i }}.__fo_key_{{ loop.index }} = __fo_rows_{{ i }}.__fo_key_{{ loop.index }} and
        {%- endfor %}
        __fo_latest_{{ i }}.__fo_sequence = __fo_rows_{{ i }}.__fo_sequence
    {%- endfor %}
    {%- if order_by %}
order by {{ order_by }}
    {%- endif %}
{% endmacro %}

{#-
    DuckDB: one ASOF LEFT JOIN per view (a sort-merge, far cheaper than a
    correlated subquery at scale; benchmarks/bench_training_set.py). ASOF has
    one inequality, so a created-timestamp tie-break compares
    (timestamp, created) as a struct, and the ttl is applied afterwards: if the
    latest row is too old, every older one is too.
-#}
{% macro duckdb__point_in_time_join(spine, timestamp, views, spine_columns, order_by,
                                    exclusive, exclude_created_after) %}
    {%- set spine_ts = '__fo_spine.' ~ adapter.quote(timestamp) %}
select
    {{ featureops._spine_select(spine_columns) }}
    {{- featureops._features_within_ttl(views, spine_ts, '__fo_view_') }}
from {{ spine }} as __fo_spine
    {%- for view in views %}
        {%- set view_alias = '__fo_view_' ~ loop.index %}
asof left join (
    select
        {{- featureops._keys_and_timestamp(view) }}
        {%- if view.created_timestamp %}
        coalesce({{ adapter.quote(view.created_timestamp) }}, '-infinity') as __fo_created,
        {%- endif %}
        {{- featureops._aliased_features(view) }}
    from {{ view.relation }}
) as {{ view_alias }}
    on
        {%- for entity in view.entities %}
        __fo_spine.{{ adapter.quote(entity) }} = {{ view_alias }}.__fo_key_{{ loop.index }} and
        {%- endfor %}
        {%- if view.created_timestamp %}
        {#- ASOF picks the greatest (timestamp, created) pair that the
            spine's pair exceeds: +infinity admits every created time at the
            spine timestamp, -infinity with `>` none (exclusive). #}
        {#- A null spine timestamp must match nothing, but a struct holding a
            null is not null (and compares as largest): make it null. #}
        case when {{ spine_ts }} is not null then struct_pack(
            t := {{ spine_ts }},
            c := cast('{{ '-infinity' if exclusive else 'infinity' }}' as timestamp)
        ) end {{ '>' if exclusive else '>=' }} struct_pack(
            t := {{ view_alias }}.__fo_timestamp, c := {{ view_alias }}.__fo_created
        )
        {%- else %}
        {{ spine_ts }} {{ '>' if exclusive else '>=' }} {{ view_alias }}.__fo_timestamp
        {%- endif %}
    {%- endfor %}
    {%- if order_by %}
order by {{ order_by }}
    {%- endif %}
{% endmacro %}

{#-
    Spark: no ASOF JOIN, and a lateral join per spine row does not scale. For
    each view, the spine's distinct (entity, time) pairs and the view's rows
    are merged per entity in time order, and running max_by aggregates over
    the view rows keep each feature (and the timestamp) of the greatest
    (timestamp, created) candidate seen: one sort per view. View rows sort
    before spine rows at equal times (after them when exclusive). With
    exclude_created_after a view row becomes a candidate once both its
    timestamp and its created timestamp have passed: it is placed at the
    later of the two, a created time counting as reached at the spine time
    itself. The matches are joined back to the spine on (entity, time), so
    its columns come out as they went in (and column lineage can follow
    them); the ttl is applied to the match, as on DuckDB.
-#}
{% macro spark__point_in_time_join(spine, timestamp, views, spine_columns, order_by,
                                   exclusive, exclude_created_after) %}
    {%- set view_side = 2 if exclusive else 0 %}
    {%- set spine_ts = '__fo_spine.' ~ adapter.quote(timestamp) %}
with
    {%- for view in views %}
        {%- set i = loop.index %}
        {%- set created = view.created_timestamp %}
        {%- set by_created = exclude_created_after and created %}

__fo_events_{{ i }} as (
    select distinct
        {%- for entity in view.entities %}
        __fo_spine.{{ adapter.quote(entity) }} as __fo_key_{{ loop.index }},
        {%- endfor %}
        {{ spine_ts }} as __fo_at,
        1 as __fo_side,
        null as __fo_order,
        null as __fo_timestamp
        {%- for feature in view.features %},
        null as {{ adapter.quote(feature.alias) }}
        {%- endfor %}
    from {{ spine }} as __fo_spine
    where
        {%- for entity in view.entities %}
        __fo_spine.{{ adapter.quote(entity) }} is not null and
        {%- endfor %}
        {{ spine_ts }} is not null
    union all
    select
        {%- for entity in view.entities %}
        {{ adapter.quote(entity) }},
        {%- endfor %}
        {%- if by_created %}
        greatest({{ adapter.quote(view.timestamp) }}, {{ adapter.quote(created) }}),
        case
            when {{ adapter.quote(created) }} > {{ adapter.quote(view.timestamp) }} then 0
            else {{ view_side }}
        end,
        {%- else %}
        {{ adapter.quote(view.timestamp) }},
        {{ view_side }},
        {%- endif %}
        {#- Ordered as the other engines order candidates: timestamp, then
            created timestamp with nulls losing (a null field sorts first). #}
        named_struct(
            't', {{ adapter.quote(view.timestamp) }},
            'c', {{ adapter.quote(created) if created else 'null' }}
        ),
        {{ adapter.quote(view.timestamp) }}
        {%- for feature in view.features %},
        {{ adapter.quote(feature.column) }}
        {%- endfor %}
    from {{ view.relation }}
    where
        {%- for entity in view.entities %}
        {{ adapter.quote(entity) }} is not null and
        {%- endfor %}
        {%- if by_created %}
        {{ adapter.quote(created) }} is not null and
        {%- endif %}
        {{ adapter.quote(view.timestamp) }} is not null
),

__fo_match_{{ i }} as (
    select * from (
        select
            {%- for entity in view.entities %}
            __fo_key_{{ loop.index }},
            {%- endfor %}
            __fo_at,
            __fo_side,
            max_by(__fo_timestamp, __fo_order) over __fo_seen as __fo_timestamp
            {%- for feature in view.features %},
            max_by({{ adapter.quote(feature.alias) }}, __fo_order) over __fo_seen
                as {{ adapter.quote(feature.alias) }}
            {%- endfor %}
        from __fo_events_{{ i }}
        window __fo_seen as (
            partition by
            {%- for entity in view.entities %}
                __fo_key_{{ loop.index }}{% if not loop.last %},{% endif %}
            {%- endfor %}
            order by __fo_at, __fo_side
            rows between unbounded preceding and current row
        )
    ) as __fo_merged
    where __fo_side = 1
){% if not loop.last %},{% endif %}
    {%- endfor %}

select
    {{ featureops._spine_select(spine_columns) }}
    {{- featureops._features_within_ttl(views, spine_ts, '__fo_match_') }}
from {{ spine }} as __fo_spine
    {%- for view in views %}
        {%- set matched = '__fo_match_' ~ loop.index %}
left join {{ matched }}
    on
        {%- for entity in view.entities %}
        __fo_spine.{{ adapter.quote(entity) }} = {{ matched }}.__fo_key_{{ loop.index }} and
        {%- endfor %}
        {{ spine_ts }} = {{ matched }}.__fo_at
    {%- endfor %}
    {%- if order_by %}
order by {{ order_by }}
    {%- endif %}
{% endmacro %}

{#- Whether an engine's point_in_time_join handles exclude_created_after itself
    (else the portable lateral form does). -#}
{% macro default___excludes_created_after() %}
    {{- return(false) -}}
{% endmacro %}

{% macro spark___excludes_created_after() %}
    {{- return(true) -}}
{% endmacro %}

{% macro _spine_select(spine_columns, every_column='__fo_spine.*') %}
    {%- if spine_columns is none -%}
        {{ every_column }}
    {%- else -%}
        {%- for column in spine_columns -%}
            __fo_spine.{{ adapter.quote(column) }}{% if not loop.last %}, {% endif %}
        {%- endfor -%}
    {%- endif -%}
{% endmacro %}

{#-
    `, <feature>` for every requested feature, read from the per-view relation
    `<prefix><n>` that carries the matched row's timestamp as __fo_timestamp;
    null when that row is older than the view's ttl.
-#}
{% macro _features_within_ttl(views, spine_ts, prefix) %}
    {%- for view in views %}
        {%- set matched = prefix ~ loop.index %}
        {%- for feature in view.features %},
        {%- if view.ttl %}
    case
        when {{ matched }}.__fo_timestamp
            >= {{ spine_ts }} - {{ featureops._exact_interval(view.ttl) }}
            then {{ matched }}.{{ adapter.quote(feature.alias) }}
    end as {{ adapter.quote(feature.alias) }}
        {%- else %}
    {{ matched }}.{{ adapter.quote(feature.alias) }}
        {%- endif %}
        {%- endfor %}
    {%- endfor %}
{%- endmacro %}

{#- A view's entity keys as __fo_key_<n> and its timestamp as __fo_timestamp. -#}
{% macro _keys_and_timestamp(view) %}
    {%- for entity in view.entities %}
        {{ adapter.quote(entity) }} as __fo_key_{{ loop.index }},
    {%- endfor %}
        {{ adapter.quote(view.timestamp) }} as __fo_timestamp,
{%- endmacro %}

{#- A view's requested features under their output names. -#}
{% macro _aliased_features(view, qualifier='') %}
    {%- for feature in view.features %}
        {{ qualifier }}{{ adapter.quote(feature.column) }} as {{ adapter.quote(feature.alias) }}
        {%- if not loop.last %},{% endif %}
    {%- endfor %}
{%- endmacro %}

{#-
    A ttl as an exact number of seconds. `interval '30 days'` would follow the
    session's calendar on timestamptz (a DST day has 23 or 25 hours); a ttl
    is a duration.
-#}
{% macro _exact_interval(duration) %}
    {%- set seconds = featureops.duration_seconds(duration) -%}
    interval '{{ seconds }} seconds'
{%- endmacro %}

{% macro _check_point_in_time_views(views) %}
    {%- if views is string or views | length == 0 -%}
        {{ exceptions.raise_compiler_error(
            "featureops.point_in_time_join: views must be a non-empty list") }}
    {%- endif -%}
    {%- for view in views -%}
        {%- if not view.entities or not view.timestamp or not view.features -%}
            {{ exceptions.raise_compiler_error(
                "featureops.point_in_time_join: view '" ~ view.name
                ~ "' needs entities, a timestamp and at least one feature") }}
        {%- endif -%}
    {%- endfor -%}
{% endmacro %}
