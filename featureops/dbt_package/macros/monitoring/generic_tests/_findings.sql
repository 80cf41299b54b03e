{#-
    Shared by the monitoring tests. Each test returns one row per finding, in
    the same shape (check_name, model_name, column_name, metric_name,
    bucket_start, observed_value, expected_value, score, warn_threshold,
    error_threshold, severity, trend, detail, alert_level), where alert_level is 1 for
    a warning, 2 for a critical finding and -1 for a series the test could
    not judge (insufficient data: too little history, too few values on a
    side). The test's failure count is the highest alert level (fail_calc),
    so dbt warns on warnings, fails on critical findings and passes
    otherwise; `featureops monitor` and the report read the rows (of passing
    tests too: dbt records no count for a pass). var featureops_monitoring_severity (default error)
    can downgrade every monitoring test to warn; a test's own `config:
    severity:` wins over it. A test attached by the package (configured)
    records its rules in config.meta.featureops.rules, where featureops reads
    which tables it covers.
-#}
{% macro _monitoring_test_config(configured_test=none) %}
    {%- set settings = {
        'fail_calc': 'coalesce(max(alert_level), 0)', 'warn_if': '>= 1', 'error_if': '>= 2',
        'severity': var('featureops_monitoring_severity', 'error'),
        'tags': ['featureops_monitoring']} -%}
    {%- if configured_test -%}
        {%- do settings.update({'meta': {'featureops': {
            'rules': featureops._configured_rules(configured_test)}}}) -%}
    {%- endif -%}
    {{ config(**settings) }}
{% endmacro %}

{#- 2 at or above the error threshold, 1 at or above the warning one, else 0. -#}
{% macro _alert_level(score, warn_threshold, error_threshold) %}
    {%- set levels = [] -%}
    {%- if error_threshold is not none -%}
        {%- do levels.append('when ' ~ score ~ ' >= ' ~ error_threshold ~ ' then 2') -%}
    {%- endif -%}
    {%- if warn_threshold is not none -%}
        {%- do levels.append('when ' ~ score ~ ' >= ' ~ warn_threshold ~ ' then 1') -%}
    {%- endif -%}
    {{- return('case ' ~ (levels | join(' ')) ~ ' else 0 end' if levels else '0') -}}
{% endmacro %}

{#- `and column = 'value'` when a filter value is given. -#}
{% macro _filter(column, value) %}
    {%- if value is none -%}{{ return('') }}{%- endif -%}
    {%- if value is string -%}
        {{ return(' and ' ~ column ~ ' = ' ~ featureops.quote_string(value)) }}
    {%- endif -%}
    {{ return(' and ' ~ column ~ ' in (' ~ featureops._string_list(value) ~ ')') }}
{% endmacro %}

{#- Fails with a clear message when a threshold is not a number. -#}
{% macro _check_number(test_name, argument, value) %}
    {%- if value is not none and (value is string or value is not number) -%}
        {{ exceptions.raise_compiler_error(
            test_name ~ ": " ~ argument ~ " must be a number, not '" ~ value ~ "'") }}
    {%- endif -%}
{% endmacro %}

{#- Findings of the latest bucket of every series the filter selects. -#}
{% macro _anomaly_findings(check_name, model, where, training_window, min_training_size,
                           sensitivity, error_sensitivity, direction) %}
    {%- for argument, value in [('sensitivity', sensitivity),
                                ('error_sensitivity', error_sensitivity)] -%}
        {{ featureops._check_number(check_name, argument, value) }}
    {%- endfor -%}
    {%- set directed = {'both': 'abs(z_score)', 'drop': '-z_score', 'spike': 'z_score'} -%}
    {%- if direction not in directed -%}
        {{ exceptions.raise_compiler_error(
            check_name ~ ": direction must be both, drop or spike, not '" ~ direction ~ "'") }}
    {%- endif -%}
    with

    scores as (
        {{ featureops.metric_anomalies(
            model, training_window=training_window, min_training_size=min_training_size,
            where=where) }}
    ),

    tested as (
        select *, {{ directed[direction] }} as directed_score
        from scores
        where is_latest_bucket and measured_in_latest_build and z_score is not null
    ),

    {#- A value without enough buckets before it to score (a new relation,
        column or series): not judged, which is not the same as normal. #}
    unjudged as (
        select *
        from scores
        where is_latest_bucket and measured_in_latest_build and z_score is null
            and metric_value is not null and training_size < {{ min_training_size | int }}
    )

    {{ featureops._findings_select(check_name, 'tested', {
        'model_name': 'model_name', 'column_name': 'column_name',
        'metric_name': 'metric_name', 'bucket_start': 'bucket_start',
        'observed_value': 'metric_value', 'expected_value': 'training_mean',
        'score': 'z_score', 'warn_threshold': sensitivity,
        'error_threshold': error_sensitivity, 'severity': 'severity', 'trend': 'trend'},
        featureops._alert_level('directed_score', sensitivity, error_sensitivity)) }}
    union all
    {{ featureops._findings_select(check_name, 'unjudged', {
        'model_name': 'model_name', 'column_name': 'column_name',
        'metric_name': 'metric_name', 'bucket_start': 'bucket_start',
        'observed_value': 'metric_value',
        'detail': "'insufficient data: ' || cast(training_size as " ~ dbt.type_string()
            ~ ") || ' of " ~ min_training_size | int ~ " buckets of history needed'"},
        featureops._insufficient_level()) }}
{% endmacro %}

{#- The alert level of a series a test could not judge (insufficient data). -#}
{% macro _insufficient_level() %}
    {{- return('-1') -}}
{% endmacro %}

{#-
    Findings of distribution comparisons: level per statistic, the worst
    wins; the score reported is the PSI, the detail lists every statistic.
    Comparisons with fewer than `min_count` values on a side (reference_count,
    current_count) are not judged: insufficient data.
-#}
{% macro _distribution_findings(check_name, source, column_label, thresholds, min_count) %}
    {%- set judged = 'reference_count >= ' ~ min_count | int
        ~ ' and current_count >= ' ~ min_count | int -%}
    {%- set text = dbt.type_string() -%}
    {{ featureops._judged_distribution_findings(
        check_name, '(select * from ' ~ source ~ ' where ' ~ judged ~ ')', column_label,
        thresholds) }}
    union all
    {{ featureops._findings_select(check_name,
        '(select * from ' ~ source ~ ' where not (' ~ judged ~ '))', {
        'model_name': 'model_name', 'column_name': column_label, 'metric_name': "'psi'",
        'bucket_start': 'bucket_start', 'observed_value': 'psi',
        'detail': "'insufficient data: ' || cast(reference_count as " ~ text
            ~ ") || ' reference and ' || cast(current_count as " ~ text
            ~ ") || ' current values, " ~ min_count | int ~ " needed on each side'"},
        featureops._insufficient_level()) }}
{% endmacro %}

{% macro _judged_distribution_findings(check_name, source, column_label, thresholds) %}
    {%- set levels = [] -%}
    {%- for statistic, bounds in thresholds.items() -%}
        {%- for bound in bounds -%}
            {{ featureops._check_number(check_name, statistic ~ ' threshold', bound) }}
        {%- endfor -%}
        {%- if bounds[0] is not none or bounds[1] is not none -%}
            {%- do levels.append(featureops._alert_level(
                'abs(' ~ statistic ~ ')', bounds[0], bounds[1])) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set level = 'greatest(' ~ (levels + ['0', '0']) | join(', ') ~ ')' -%}
    {%- set psi_bounds = thresholds.get('psi', [none, none]) -%}
    {%- set detail -%}
        'psi ' || {{ featureops._rounded_text('psi') }}
            || ', jsd ' || {{ featureops._rounded_text('jensen_shannon') }}
            || ', ks ' || coalesce({{ featureops._rounded_text('ks_statistic') }}, '-')
            || ', mean shift ' || coalesce({{ featureops._rounded_text('mean_shift_sd') }}, '-')
            || ' sd'
    {%- endset -%}
    {{ featureops._findings_select(check_name, source, {
        'model_name': 'model_name', 'column_name': column_label, 'metric_name': "'psi'",
        'bucket_start': 'bucket_start', 'observed_value': 'psi', 'score': 'psi',
        'warn_threshold': psi_bounds[0], 'error_threshold': psi_bounds[1],
        'trend': 'trend', 'detail': detail}, level) }}
{% endmacro %}

{#- A double rounded to 4 decimals, as text. -#}
{% macro _rounded_text(expression) %}
    {{- return('cast(round(cast(' ~ expression ~ ' as numeric), 4) as ' ~ dbt.type_string() ~ ')') -}}
{% endmacro %}

{#-
    The finding rows of a monitoring test, in the one shape every test returns:
    `columns` maps finding columns to SQL expressions over `source` (the others
    are typed nulls), `level` is the alert-level expression; rows at 0 (ok)
    are left out.
-#}
{% macro _findings_select(check_name, source, columns, level) %}
    {%- set types = {
        'model_name': dbt.type_string(), 'column_name': dbt.type_string(),
        'metric_name': dbt.type_string(), 'bucket_start': 'timestamp',
        'observed_value': featureops.type_double(), 'expected_value': featureops.type_double(),
        'score': featureops.type_double(), 'warn_threshold': featureops.type_double(),
        'error_threshold': featureops.type_double(), 'severity': dbt.type_string(),
        'trend': dbt.type_string(), 'detail': dbt.type_string()} -%}
    {%- for name in columns if name not in types -%}
        {{ exceptions.raise_compiler_error("_findings_select: unknown finding column " ~ name) }}
    {%- endfor -%}
    select
        cast('{{ check_name }}' as {{ dbt.type_string() }}) as check_name,
        {%- for name, type in types.items() %}
        {%- set expression = columns.get(name) %}
        cast({{ 'null' if expression is none else expression }} as {{ type }}) as {{ name }},
        {%- endfor %}
        {{ level }} as alert_level
    from {{ source }} as finding_source
    where {{ level }} <> 0
{%- endmacro %}

{#-
    The arguments a rule of vars.featureops.monitoring.tests may set, per
    test (everything but the model the test is attached to).
-#}
{% macro _rule_arguments() %}
    {{ return({
        'column_anomalies': ['model_name', 'column_name', 'metrics', 'training_window',
                             'min_training_size', 'sensitivity', 'error_sensitivity',
                             'direction'],
        'distribution_drift': ['check_name', 'column_name', 'psi_warning', 'psi_critical',
                               'jsd_warning', 'jsd_critical', 'ks_warning', 'ks_critical',
                               'min_current_count'],
        'freshness_sla': ['model_name', 'warn_after', 'error_after'],
        'monitoring_coverage': [],
        'schema_changes': ['model_name', 'warn_on', 'error_on'],
        'training_serving_skew': ['exposure', 'feature', 'grain', 'psi_warning',
                                  'psi_critical', 'jsd_warning', 'jsd_critical', 'ks_warning',
                                  'ks_critical', 'mean_shift_warning', 'mean_shift_critical',
                                  'min_serving_count'],
        'volume_anomaly': ['model_name', 'training_window', 'min_training_size',
                           'sensitivity', 'error_sensitivity', 'direction'],
    }) }}
{% endmacro %}

{#-
    The rules of a monitoring test attached by the package (configured=true):
    vars.featureops.monitoring.tests.<test_name>, each rule the arguments of
    one run of the test, as if the test were listed once per rule in YAML.
    No list: one rule with the test's defaults; an empty list: no rule.
-#}
{% macro _configured_rules(test_name) %}
    {%- set rules = featureops.monitoring_settings().tests.get(test_name) -%}
    {{ return([{}] if rules is none else rules) }}
{% endmacro %}

{#- The findings of every configured rule of a test, together. -#}
{% macro _configured_findings(test_name, model) %}
    {%- set parts = [] -%}
    {%- for rule in featureops._configured_rules(test_name) -%}
        {%- do parts.append('select * from (\n' ~ featureops['test_' ~ test_name](model, **rule)
            ~ '\n) as rule_' ~ loop.index) -%}
    {%- endfor -%}
    {%- if not parts -%}{{ return(featureops._no_findings()) }}{%- endif -%}
    {{ return(parts | join('\nunion all\n')) }}
{% endmacro %}

{#- The findings shape with no rows. -#}
{% macro _no_findings() %}
    {%- set text = dbt.type_string() -%}
    {%- set number = featureops.type_double() -%}
    select
        cast(null as {{ text }}) as check_name, cast(null as {{ text }}) as model_name,
        cast(null as {{ text }}) as column_name, cast(null as {{ text }}) as metric_name,
        cast(null as timestamp) as bucket_start,
        cast(null as {{ number }}) as observed_value,
        cast(null as {{ number }}) as expected_value, cast(null as {{ number }}) as score,
        cast(null as {{ number }}) as warn_threshold,
        cast(null as {{ number }}) as error_threshold, cast(null as {{ text }}) as severity,
        cast(null as {{ text }}) as trend, cast(null as {{ text }}) as detail,
        cast(null as integer) as alert_level
    where 1 = 0
{% endmacro %}
