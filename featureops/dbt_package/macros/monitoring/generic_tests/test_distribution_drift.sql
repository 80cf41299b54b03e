{#-
    Distribution drift: the latest comparison of every drift check and column
    (see featureops.drift_check) against PSI, Jensen-Shannon and KS
    thresholds; a column's level is the worst of its statistics. Defaults: PSI
    0.1 warns, 0.25 fails; JSD and KS unchecked unless set. Comparisons with
    fewer than min_current_count values on either side are not judged
    (insufficient data). Attach it to
    the drift view (featureops.distribution_history of the drift metrics);
    check_name and column_name narrow it.
-#}
{% test distribution_drift(model, check_name=none, column_name=none, psi_warning=0.1,
                           psi_critical=0.25, jsd_warning=none, jsd_critical=none,
                           ks_warning=none, ks_critical=none, min_current_count=30, configured=false) %}
    {{ featureops._monitoring_test_config('distribution_drift' if configured else none) }}
    {%- if configured -%}
        {{ return(featureops._configured_findings('distribution_drift', model)) }}
    {%- endif %}
    {{ return(adapter.dispatch('test_distribution_drift', 'featureops')(
        model, check_name, column_name, psi_warning, psi_critical, jsd_warning, jsd_critical,
        ks_warning, ks_critical, min_current_count)) }}
{% endtest %}

{% macro default__test_distribution_drift(model, check_name, column_name, psi_warning,
                                          psi_critical, jsd_warning, jsd_critical, ks_warning,
                                          ks_critical, min_current_count) %}
    with

    tested as (
        select
            check_name as finding_check,
            model_name,
            column_name,
            window_start as bucket_start,
            psi,
            jensen_shannon,
            ks_statistic,
            mean_shift_sd,
            trend,
            reference_count,
            current_count
        from {{ model }} as history
        where is_latest_bucket and measured_in_latest_build
            {{- featureops._filter('check_name', check_name) }}
            {{- featureops._filter('column_name', column_name) }}
    )

    {{ featureops._distribution_findings(
        'distribution_drift', 'tested', "finding_check || ': ' || column_name", {
            'psi': [psi_warning, psi_critical], 'jensen_shannon': [jsd_warning, jsd_critical],
            'ks_statistic': [ks_warning, ks_critical]}, min_current_count) }}
{% endmacro %}
