{#- The columns every metric model starts with: which build measured, when, against which "now". -#}
{% macro _build_columns(now) %}
        cast('{{ invocation_id }}' as {{ dbt.type_string() }}) as build_id,
        {{ featureops.timestamp_literal(run_started_at.replace(tzinfo=none)) }} as measured_at,
        {{ featureops.timestamp_literal(now) }} as monitoring_now
{%- endmacro %}

{#-
    The statistics of distribution_comparison() from `alias`, with the two sides named
    (reference/current for drift, training/serving for skew).
-#}
{% macro _comparison_columns(alias, reference='reference', current='current') %}
        {{ alias }}.distribution_kind,
        {{ alias }}.reference_count as {{ reference }}_count,
        {{ alias }}.current_count as {{ current }}_count,
        {{ alias }}.bin_count,
        {{ alias }}.psi,
        {{ alias }}.jensen_shannon,
        {{ alias }}.ks_statistic,
        {{ alias }}.reference_mean as {{ reference }}_mean,
        {{ alias }}.reference_stddev as {{ reference }}_stddev,
        {{ alias }}.current_mean as {{ current }}_mean,
        {{ alias }}.current_stddev as {{ current }}_stddev,
        {{ alias }}.mean_shift_sd,
        {{ alias }}.bin_lower_edges,
        {{ alias }}.bin_upper_edges,
        {{ alias }}.bin_categories,
        {{ alias }}.reference_shares as {{ reference }}_shares,
        {{ alias }}.current_shares as {{ current }}_shares
{%- endmacro %}
