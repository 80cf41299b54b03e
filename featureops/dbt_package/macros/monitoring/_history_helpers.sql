{#-
    The latest measurement of every key (a bucket re-measured by a later build
    replaces the earlier value), with the newest measured_at of all rows.
-#}
{% macro _latest_measurements(relation, key_columns) %}
    select * from (
        select
            *,
            row_number() over (
                partition by {{ key_columns }} order by measured_at desc, build_id desc
            ) as measurement_rank,
            max(measured_at) over () as latest_measured_at
        from {{ relation }} as measured
    ) as ranked_measurements
    where measurement_rank = 1
{%- endmacro %}

{#-
    improving / degrading / stable: how a check's badness (a z-score's size,
    a PSI, an age over SLA) moved since its previous evaluation.
-#}
{% macro _trend(current, previous, tolerance) %}
    {{- return('case when (' ~ previous ~ ') is null or (' ~ current ~ ') is null then null'
        ~ ' when (' ~ current ~ ') > (' ~ previous ~ ') + ' ~ tolerance ~ " then 'degrading'"
        ~ ' when (' ~ current ~ ') < (' ~ previous ~ ') - ' ~ tolerance ~ " then 'improving'"
        ~ " else 'stable' end") -}}
{% endmacro %}
