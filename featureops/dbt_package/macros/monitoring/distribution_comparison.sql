{#-
    Compares distributions: for every series of `reference` (rows grouped by
    series_columns) and every group of `current` (series_columns +
    current_columns), one row with

    - psi: population stability index over bins taken from the reference:
      numeric series use the reference's quantiles at 1/bins .. (bins-1)/bins
      (linear interpolation, numpy's default; equal edges merged), bins are
      (lower, upper] with open ends; categorical series use each category
      seen on either side as a bin. Empty bins are smoothed: a share of 0
      becomes `epsilon` in the PSI terms only.
    - jensen_shannon: Jensen-Shannon distance (base 2, in [0, 1]) over the
      same bins, unsmoothed (scipy.spatial.distance.jensenshannon).
    - ks_statistic: two-sample Kolmogorov-Smirnov statistic on the raw
      values (numeric series only; scipy.stats.ks_2samp's statistic).
    - means, standard deviations (sample) and mean_shift_sd: the current
      mean's distance from the reference mean in reference standard
      deviations (numeric series only).
    - the bins and both sides' shares as arrays, in bin order.

    Both inputs have the series/current columns plus numeric_value (double,
    for numeric series) and category_value (text, for categorical ones); a
    series is numeric when its reference has numeric values. Nulls are left
    out of every distribution.
-#}
{% macro distribution_comparison(reference, current, series_columns, current_columns, bins=10,
                                 epsilon=0.0001) %}
    {{ return(adapter.dispatch('distribution_comparison', 'featureops')(
        reference, current, series_columns, current_columns, bins, epsilon)) }}
{% endmacro %}

{% macro default__distribution_comparison(reference, current, series_columns, current_columns,
                                          bins, epsilon) %}
    {%- if bins | int < 2 -%}
        {{ exceptions.raise_compiler_error(
            "featureops.distribution_comparison: bins must be at least 2, not " ~ bins) }}
    {%- endif -%}
    {%- set series = series_columns | join(', ') -%}
    {%- set groups = (series_columns + current_columns) | join(', ') -%}
    {%- set double = featureops.type_double() -%}
    with

    {#- Only series with current values are profiled: the rest has nothing to compare. #}
    current_series as (
        select distinct {{ series }} from {{ current }} as current_input
    ),

    reference_values as (
        select
            {{ featureops._qualified('reference_input', series_columns) }},
            cast(reference_input.numeric_value as {{ double }}) as numeric_value,
            cast(reference_input.category_value as {{ dbt.type_string() }}) as category_value
        from {{ reference }} as reference_input
        inner join current_series
            on {{ featureops._join_on('reference_input', 'current_series', series_columns) }}
    ),

    current_values as (
        select
            {{ groups }},
            cast(numeric_value as {{ double }}) as numeric_value,
            cast(category_value as {{ dbt.type_string() }}) as category_value
        from {{ current }} as current_input
    ),

    series_kinds as (
        select
            {{ series }},
            count(numeric_value) > 0 as is_numeric
        from reference_values
        group by {{ series }}
    ),

    {#- One sort per series: all quantiles from a single ordered-set aggregate. #}
    reference_quantiles as (
        select
            {{ series }},
            {%- set fractions = [] %}
            {%- for step in range(1, bins | int) %}
                {%- do fractions.append(step / (bins | int)) %}
            {%- endfor %}
            {{ featureops._quantiles('numeric_value', fractions) }} as edges
        from reference_values
        where numeric_value is not null
        group by {{ series }}
    ),

    bin_edges as (
        select distinct
            {{ featureops._qualified('quantiles', series_columns) }},
            edge_values.edge
        from reference_quantiles as quantiles
        cross join {{ featureops.unnest_array('quantiles.edges', 'edge_values', 'edge') }}
    ),

    numeric_bins as (
        select
            {{ series }},
            lag(edge) over (partition by {{ series }} order by edge) as lower_edge,
            edge as upper_edge
        from bin_edges
        union all
        select {{ series }}, max(edge) as lower_edge, null as upper_edge
        from bin_edges
        group by {{ series }}
    ),

    categories as (
        select {{ series }}, category_value from reference_values
        where category_value is not null
        union
        select {{ series }}, category_value from current_values
        where category_value is not null
    ),

    bins as (
        select
            {{ featureops._qualified('numeric_bins', series_columns) }},
            numeric_bins.lower_edge,
            numeric_bins.upper_edge,
            cast(null as {{ dbt.type_string() }}) as category_value,
            row_number() over (
                partition by {{ featureops._qualified('numeric_bins', series_columns) }}
                order by case when numeric_bins.upper_edge is null then 1 else 0 end,
                    numeric_bins.upper_edge
            ) as bin_index
        from numeric_bins
        inner join series_kinds
            on {{ featureops._join_on('numeric_bins', 'series_kinds', series_columns) }}
        where series_kinds.is_numeric
        union all
        select
            {{ featureops._qualified('categories', series_columns) }},
            null as lower_edge,
            null as upper_edge,
            categories.category_value,
            row_number() over (
                partition by {{ featureops._qualified('categories', series_columns) }}
                order by categories.category_value
            ) as bin_index
        from categories
        inner join series_kinds
            on {{ featureops._join_on('categories', 'series_kinds', series_columns) }}
        where not series_kinds.is_numeric
    ),

    {%- for side, side_columns in [('reference', series_columns),
                                   ('current', series_columns + current_columns)] %}

    {{ side }}_binned as (
        select
            {{ featureops._qualified('side_values', side_columns) }},
            bins.bin_index
        from {{ side }}_values as side_values
        inner join bins
            on {{ featureops._join_on('side_values', 'bins', series_columns) }}
            and bins.category_value is null
            and side_values.numeric_value is not null
            and (bins.lower_edge is null or side_values.numeric_value > bins.lower_edge)
            and (bins.upper_edge is null or side_values.numeric_value <= bins.upper_edge)
        union all
        select
            {{ featureops._qualified('side_values', side_columns) }},
            bins.bin_index
        from {{ side }}_values as side_values
        inner join bins
            on {{ featureops._join_on('side_values', 'bins', series_columns) }}
            and side_values.category_value = bins.category_value
    ),

    {{ side }}_counts as (
        select
            {{ side_columns | join(', ') }},
            bin_index,
            count(*) as value_count
        from {{ side }}_binned
        group by {{ side_columns | join(', ') }}, bin_index
    ),

    {{ side }}_totals as (
        select
            {{ side_columns | join(', ') }},
            cast(count(*) as {{ double }}) as value_total
        from {{ side }}_binned
        group by {{ side_columns | join(', ') }}
    ),

    {{ side }}_moments as (
        select
            {{ side_columns | join(', ') }},
            avg(numeric_value) as value_mean,
            stddev_samp(numeric_value) as value_stddev
        from {{ side }}_values
        group by {{ side_columns | join(', ') }}
    ),
    {%- endfor %}

    shares as (
        select
            {{ featureops._qualified('current_totals', series_columns + current_columns) }},
            bins.bin_index,
            bins.lower_edge,
            bins.upper_edge,
            bins.category_value,
            coalesce(reference_counts.value_count, 0) / reference_totals.value_total
                as reference_share,
            coalesce(current_counts.value_count, 0) / current_totals.value_total
                as current_share
        from current_totals
        inner join reference_totals
            on {{ featureops._join_on('current_totals', 'reference_totals', series_columns) }}
        inner join bins
            on {{ featureops._join_on('current_totals', 'bins', series_columns) }}
        left join reference_counts
            on {{ featureops._join_on('bins', 'reference_counts', series_columns) }}
            and bins.bin_index = reference_counts.bin_index
        left join current_counts
            on {{ featureops._join_on('current_totals', 'current_counts',
                                      series_columns + current_columns) }}
            and bins.bin_index = current_counts.bin_index
    ),

    bin_terms as (
        select
            *,
            (smoothed_current - smoothed_reference)
                * ln(smoothed_current / smoothed_reference) as psi_term,
            case when reference_share > 0
                then reference_share * ln(2 * reference_share / (reference_share + current_share))
                else 0 end as reference_divergence,
            case when current_share > 0
                then current_share * ln(2 * current_share / (reference_share + current_share))
                else 0 end as current_divergence
        from (
            select
                *,
                case when reference_share > 0 then reference_share
                    else {{ epsilon }} end as smoothed_reference,
                case when current_share > 0 then current_share
                    else {{ epsilon }} end as smoothed_current
            from shares
        ) as smoothed_shares
    ),

    bin_scores as (
        select
            {{ groups }},
            count(*) as bin_count,
            sum(psi_term) as psi,
            sqrt(greatest(
                (sum(reference_divergence) + sum(current_divergence)) / (2 * ln(2)), 0
            )) as jensen_shannon,
            {{ featureops.ordered_array_agg('lower_edge', 'bin_index') }} as bin_lower_edges,
            {{ featureops.ordered_array_agg('upper_edge', 'bin_index') }} as bin_upper_edges,
            {{ featureops.ordered_array_agg('category_value', 'bin_index') }} as bin_categories,
            {{ featureops.ordered_array_agg('reference_share', 'bin_index') }} as reference_shares,
            {{ featureops.ordered_array_agg('current_share', 'bin_index') }} as current_shares
        from bin_terms
        group by {{ groups }}
    ),

    {#- KS without repeating the reference per current group: the reference
        CDF is carried to every current value by a running max, and the
        supremum over each gap between current values is at its ends. -#}
    ks_reference_cdf as (
        select
            {{ series }},
            numeric_value,
            reference_n,
            sum(reference_n) over (
                partition by {{ series }} order by numeric_value
                rows between unbounded preceding and current row
            ) as reference_at_or_below
        from (
            select {{ series }}, numeric_value, count(*) as reference_n
            from reference_values
            where numeric_value is not null
            group by {{ series }}, numeric_value
        ) as reference_points
    ),

    ks_points as (
        select
            {{ series }},
            {%- for column in current_columns %}
            null as {{ column }},
            {%- endfor %}
            numeric_value,
            reference_at_or_below,
            reference_at_or_below - reference_n as reference_below,
            0 as current_n,
            0 as is_current
        from ks_reference_cdf
        union all
        select
            {{ groups }},
            numeric_value,
            null as reference_at_or_below,
            null as reference_below,
            count(*) as current_n,
            1 as is_current
        from current_values
        where numeric_value is not null
        group by {{ groups }}, numeric_value
    ),

    {#- Reference rows sort before current rows of the same value, so a running
        max carries the reference CDF at (and just below) every current value. -#}
    ks_carried as (
        select
            *,
            max(case when is_current = 0 then numeric_value end) over carried
                as last_reference_value,
            max(reference_at_or_below) over carried as carried_at_or_below,
            max(reference_below) over carried as carried_below
        from ks_points
        window carried as (
            partition by {{ series }} order by numeric_value, is_current
            rows between unbounded preceding and current row
        )
    ),

    ks_reference_at_current as (
        select
            {{ groups }},
            numeric_value,
            current_n,
            coalesce(carried_at_or_below, 0) as reference_at_or_below,
            case when last_reference_value = numeric_value then carried_below
                else coalesce(carried_at_or_below, 0) end as reference_below
        from ks_carried
        where is_current = 1
    ),

    ks_gaps as (
        select
            {{ featureops._qualified('points', series_columns + current_columns) }},
            abs(
                points.reference_at_or_below / reference_totals.value_total
                - points.current_at_or_below / current_totals.value_total
            ) as gap_at_value,
            abs(
                points.reference_below / reference_totals.value_total
                - (points.current_at_or_below - points.current_n) / current_totals.value_total
            ) as gap_before_value
        from (
            select
                *,
                sum(current_n) over (
                    partition by {{ groups }} order by numeric_value
                    rows between unbounded preceding and current row
                ) as current_at_or_below
            from ks_reference_at_current
        ) as points
        inner join reference_totals
            on {{ featureops._join_on('points', 'reference_totals', series_columns) }}
        inner join current_totals
            on {{ featureops._join_on('points', 'current_totals',
                                      series_columns + current_columns) }}
    ),

    ks_scores as (
        select
            {{ groups }},
            max(greatest(gap_at_value, gap_before_value)) as ks_statistic
        from ks_gaps
        group by {{ groups }}
    )

    select
        {{ featureops._qualified('bin_scores', series_columns + current_columns) }},
        case when series_kinds.is_numeric then 'numeric' else 'categorical' end
            as distribution_kind,
        reference_totals.value_total as reference_count,
        current_totals.value_total as current_count,
        bin_scores.bin_count,
        bin_scores.psi,
        bin_scores.jensen_shannon,
        ks_scores.ks_statistic,
        reference_moments.value_mean as reference_mean,
        reference_moments.value_stddev as reference_stddev,
        current_moments.value_mean as current_mean,
        current_moments.value_stddev as current_stddev,
        (current_moments.value_mean - reference_moments.value_mean)
            / nullif(reference_moments.value_stddev, 0) as mean_shift_sd,
        bin_scores.bin_lower_edges,
        bin_scores.bin_upper_edges,
        bin_scores.bin_categories,
        bin_scores.reference_shares,
        bin_scores.current_shares
    from bin_scores
    inner join series_kinds
        on {{ featureops._join_on('bin_scores', 'series_kinds', series_columns) }}
    inner join reference_totals
        on {{ featureops._join_on('bin_scores', 'reference_totals', series_columns) }}
    inner join current_totals
        on {{ featureops._join_on('bin_scores', 'current_totals',
                                  series_columns + current_columns) }}
    inner join reference_moments
        on {{ featureops._join_on('bin_scores', 'reference_moments', series_columns) }}
    inner join current_moments
        on {{ featureops._join_on('bin_scores', 'current_moments',
                                  series_columns + current_columns) }}
    left join ks_scores
        on {{ featureops._join_on('bin_scores', 'ks_scores', series_columns + current_columns) }}
{% endmacro %}
