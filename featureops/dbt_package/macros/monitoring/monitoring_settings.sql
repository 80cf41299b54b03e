{#-
    Monitoring is configured, not copied: the project's dbt_project.yml says
    what to monitor under vars.featureops.monitoring (docs/monitoring.md), and
    the package's monitoring models build only what is configured.

        vars:
          featureops:
            monitoring:
              enabled: true
              monitored:          # quality metrics (volume, columns, freshness, schema)
                - feat_user__profile
                - {model: feat_user__spend_windows, bucket: hour, buckets: 48}
              drift:              # distribution-drift checks
                - {name: spend_week_over_month, model: feat_user__spend_windows,
                   reference_window: [35d, 7d], current_window: [7d, null]}
              skew:               # training set against the serving log
                training_sets: [train_my_model__spine]
                serving_window: 7d

    Names are models of the root project (or package.model). The lists are
    read at parse time so that dbt sees each ref() and orders the build.
-#}
{% macro monitoring_settings() %}
    {%- set where = 'vars.featureops.monitoring' -%}
    {%- set root = var('featureops', {}) -%}
    {%- if root is none -%}{%- set root = {} -%}{%- endif -%}
    {%- if root is not mapping -%}
        {{ featureops._settings_error('vars.featureops', "must be a mapping, not '" ~ root ~ "'") }}
    {%- endif -%}
    {%- set block = root.get('monitoring') -%}
    {%- if block is none -%}{%- set block = {} -%}{%- endif -%}
    {%- do featureops._checked_mapping(
        block, ['enabled', 'monitored', 'drift', 'skew', 'tests'], where) -%}
    {%- set monitored = featureops._checked_monitored(block.get('monitored'), where ~ '.monitored') -%}
    {%- set drift = featureops._checked_drift(block.get('drift'), where ~ '.drift') -%}
    {{ return({
        'enabled': featureops._checked_boolean(block.get('enabled', false), where ~ '.enabled'),
        'monitored': monitored,
        'drift': drift,
        'skew': featureops._checked_skew(block.get('skew'), where ~ '.skew'),
        'tests': featureops._checked_tests(block.get('tests'), monitored, drift, where ~ '.tests'),
    }) }}
{% endmacro %}

{#-
    Whether a part of monitoring is built: 'quality' (quality metrics,
    anomalies, freshness, schema changes) when monitoring is enabled and
    lists monitored models, 'drift' when it lists drift checks, 'skew' when it
    names training sets. Everything else is disabled and costs nothing.
-#}
{% macro monitoring_enabled(part='quality') %}
    {%- set settings = featureops.monitoring_settings() -%}
    {%- set configured = {
        'quality': settings.monitored, 'drift': settings.drift,
        'skew': settings.skew.training_sets} -%}
    {%- if part not in configured -%}
        {{ exceptions.raise_compiler_error("featureops.monitoring_enabled: part must be one of "
            ~ configured.keys() | sort | join(', ') ~ ", not '" ~ part ~ "'") }}
    {%- endif -%}
    {{ return(settings.enabled and configured[part] | length > 0) }}
{% endmacro %}

{#- ref() of a configured model name: `model` (root project) or `package.model`. -#}
{% macro _monitoring_ref(name, where) %}
    {%- set parts = featureops._checked_name(name, where).split('.') -%}
    {%- if parts | length > 2 or '' in parts -%}
        {{ featureops._settings_error(where, "'" ~ name ~ "' is not a model name"
            ~ " (model, or package.model)") }}
    {%- endif -%}
    {%- if parts | length == 2 -%}{{ return(ref(parts[0], parts[1])) }}{%- endif -%}
    {{ return(ref(project_name, name)) }}
{% endmacro %}

{#-
    The monitored relations, as quality_metrics() takes them. A model's
    meta.featureops.monitoring may set bucket, buckets, columns and
    exclude_columns for itself (its timestamp and sla.freshness are already
    in meta.featureops); the vars entry wins over it. meta is read when the
    model runs (dbt knows every node by then), refs at parse time.
-#}
{% macro configured_monitored() %}
    {%- set found = [] -%}
    {%- for entry in featureops.monitoring_settings().monitored -%}
        {%- set where = "vars.featureops.monitoring.monitored[" ~ loop.index0 ~ "]" -%}
        {%- set relation = featureops._monitoring_ref(entry.model, where) -%}
        {%- set options = featureops._meta_monitoring_options(relation) if execute else {} -%}
        {%- for key, value in entry.items() if key != 'model' -%}
            {%- do options.update({key: value}) -%}
        {%- endfor -%}
        {%- do found.append(featureops.monitored(relation, **options)) -%}
    {%- endfor -%}
    {{ return(found) }}
{% endmacro %}

{#- The monitored() options of a model's meta.featureops.monitoring, checked. -#}
{% macro _meta_monitoring_options(relation) %}
    {%- set node = featureops._node_for_relation(relation) -%}
    {%- set options = featureops._featureops_meta(node).get('monitoring') -%}
    {%- if node is none or options is none -%}{{ return({}) }}{%- endif -%}
    {%- set where = node.name ~ ": meta.featureops.monitoring" -%}
    {%- do featureops._checked_mapping(
        options, ['bucket', 'buckets', 'columns', 'exclude_columns'], where) -%}
    {{ return(featureops._checked_monitored_options(options, where)) }}
{% endmacro %}

{#- The configured drift checks, as drift_metrics() takes them. -#}
{% macro configured_drift_checks() %}
    {%- set found = [] -%}
    {%- for entry in featureops.monitoring_settings().drift -%}
        {%- set where = "vars.featureops.monitoring.drift[" ~ loop.index0 ~ "]" -%}
        {%- set options = {} -%}
        {%- for key, value in entry.items() if key not in ['name', 'model', 'current_model'] -%}
            {%- do options.update({key: value}) -%}
        {%- endfor -%}
        {%- if entry.get('current_model') -%}
            {%- do options.update({'current': featureops._monitoring_ref(
                entry.current_model, where ~ '.current_model')}) -%}
        {%- endif -%}
        {%- do found.append(featureops.drift_check(
            entry.name, featureops._monitoring_ref(entry.model, where ~ '.model'), **options)) -%}
    {%- endfor -%}
    {{ return(found) }}
{% endmacro %}

{#- The configured training sets of the skew monitor. -#}
{% macro configured_skew_training_sets() %}
    {%- set found = [] -%}
    {%- for name in featureops.monitoring_settings().skew.training_sets -%}
        {%- do found.append(featureops._monitoring_ref(
            name, "vars.featureops.monitoring.skew.training_sets[" ~ loop.index0 ~ "]")) -%}
    {%- endfor -%}
    {{ return(found) }}
{% endmacro %}
