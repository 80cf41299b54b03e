{#-
    Training-serving skew: every feature an exposure reads, as served over
    the serving window (grain 'window', the default) or in the latest
    complete day (grain 'day'), against the training set the exposure was
    trained on. Levels from PSI (default 0.1 warns, 0.25 fails), and
    optionally Jensen-Shannon, KS and the mean shift in training standard
    deviations; the worst wins. Buckets with fewer than min_serving_count
    values served (or in the training set) are not judged (insufficient
    data): PSI over a few hundred values is noisy (its
    bias is about (bins - 1) / n), which is why the window is the default.
    Attach it to the skew view (featureops.distribution_history of the skew
    metrics); exposure and feature narrow it.
-#}
{% test training_serving_skew(model, exposure=none, feature=none, grain='window', psi_warning=0.1,
                              psi_critical=0.25, jsd_warning=none, jsd_critical=none,
                              ks_warning=none, ks_critical=none, mean_shift_warning=none,
                              mean_shift_critical=none, min_serving_count=200, configured=false) %}
    {{ featureops._monitoring_test_config('training_serving_skew' if configured else none) }}
    {%- if configured -%}
        {{ return(featureops._configured_findings('training_serving_skew', model)) }}
    {%- endif %}
    {{ return(adapter.dispatch('test_training_serving_skew', 'featureops')(
        model, exposure, feature, grain, psi_warning, psi_critical, jsd_warning, jsd_critical,
        ks_warning, ks_critical, mean_shift_warning, mean_shift_critical,
        min_serving_count)) }}
{% endtest %}

{% macro default__test_training_serving_skew(model, exposure, feature, grain, psi_warning,
                                             psi_critical, jsd_warning, jsd_critical,
                                             ks_warning, ks_critical, mean_shift_warning,
                                             mean_shift_critical, min_serving_count) %}
    {%- if grain not in ['day', 'window'] -%}
        {{ exceptions.raise_compiler_error(
            "training_serving_skew: grain must be day or window, not '" ~ grain ~ "'") }}
    {%- endif -%}
    with

    tested as (
        select
            exposure as model_name,
            feature_view,
            feature,
            bucket_start,
            psi,
            jensen_shannon,
            ks_statistic,
            mean_shift_sd,
            trend,
            training_count as reference_count,
            serving_count as current_count
        from {{ model }} as history
        where is_latest_bucket and measured_in_latest_build
            and grain = '{{ grain }}'
            {{- featureops._filter('exposure', exposure) }}
            {{- featureops._filter('feature', feature) }}
    )

    {{ featureops._distribution_findings(
        'training_serving_skew', 'tested', "feature_view || ':' || feature", {
            'psi': [psi_warning, psi_critical], 'jensen_shannon': [jsd_warning, jsd_critical],
            'ks_statistic': [ks_warning, ks_critical],
            'mean_shift_sd': [mean_shift_warning, mean_shift_critical]}, min_serving_count) }}
{% endmacro %}
