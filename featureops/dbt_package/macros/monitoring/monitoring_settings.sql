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
    {%- set block = (var('featureops', {}) or {}).get('monitoring') or {} -%}
    {%- if block is not mapping -%}
        {{ exceptions.raise_compiler_error(
            "vars.featureops.monitoring must be a mapping (docs/monitoring.md)") }}
    {%- endif -%}
    {%- set known = ['enabled', 'monitored', 'drift', 'skew', 'tests'] -%}
    {%- for key in block if key not in known -%}
        {{ exceptions.raise_compiler_error(
            "vars.featureops.monitoring." ~ key ~ ": unknown key (known: "
            ~ known | join(', ') ~ ")") }}
    {%- endfor -%}
    {%- set skew = block.get('skew') or {} -%}
    {%- if skew is not mapping -%}
        {{ exceptions.raise_compiler_error(
            "vars.featureops.monitoring.skew must be a mapping with training_sets") }}
    {%- endif -%}
    {%- for key in ['monitored', 'drift'] if block.get(key) is not none
            and (block.get(key) is string or block.get(key) is not iterable) -%}
        {{ exceptions.raise_compiler_error(
            "vars.featureops.monitoring." ~ key ~ " must be a list") }}
    {%- endfor -%}
    {{ return({
        'enabled': block.get('enabled', false) in [true, 'true', 'True', 1],
        'monitored': block.get('monitored') or [],
        'drift': block.get('drift') or [],
        'skew': skew,
        'tests': block.get('tests') or {}}) }}
{% endmacro %}

{#- Whether a part of monitoring ('quality', 'drift', 'skew') is built. -#}
{% macro monitoring_enabled(part='quality') %}
    {%- set settings = featureops.monitoring_settings() -%}
    {%- if not settings.enabled -%}{{ return(false) }}{%- endif -%}
    {%- if part == 'drift' -%}{{ return(settings.drift | length > 0) }}{%- endif -%}
    {%- if part == 'skew' -%}
        {{ return((settings.skew.get('training_sets') or []) | length > 0) }}
    {%- endif -%}
    {{ return(true) }}
{% endmacro %}

{#- ref() of a configured model name: `model` (root project) or `package.model`. -#}
{% macro _monitoring_ref(name, where) %}
    {%- if name is not string or not name -%}
        {{ exceptions.raise_compiler_error(
            where ~ ": expected a model name, got " ~ name) }}
    {%- endif -%}
    {%- set parts = name.split('.') -%}
    {%- if parts | length == 2 -%}{{ return(ref(parts[0], parts[1])) }}{%- endif -%}
    {{ return(ref(project_name, name)) }}
{% endmacro %}

{#- The monitored relations, as quality_metrics() takes them. -#}
{% macro configured_monitored() %}
    {%- set found = [] -%}
    {%- for entry in featureops.monitoring_settings().monitored -%}
        {%- set where = "vars.featureops.monitoring.monitored[" ~ loop.index0 ~ "]" -%}
        {%- if entry is mapping -%}
            {%- set options = {} -%}
            {%- for key, value in entry.items() if key != 'model' -%}
                {%- do options.update({key: value}) -%}
            {%- endfor -%}
            {%- do found.append(featureops.monitored(
                featureops._monitoring_ref(entry.get('model'), where ~ '.model'), **options)) -%}
        {%- else -%}
            {%- do found.append(featureops._monitoring_ref(entry, where)) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(found) }}
{% endmacro %}

{#- The configured drift checks, as drift_metrics() takes them. -#}
{% macro configured_drift_checks() %}
    {%- set found = [] -%}
    {%- for entry in featureops.monitoring_settings().drift -%}
        {%- set where = "vars.featureops.monitoring.drift[" ~ loop.index0 ~ "]" -%}
        {%- if entry is not mapping or not entry.get('name') or not entry.get('model') -%}
            {{ exceptions.raise_compiler_error(
                where ~ ": a drift check is a mapping with name and model") }}
        {%- endif -%}
        {%- set options = {} -%}
        {%- for key, value in entry.items() if key not in ['name', 'model', 'current_model'] -%}
            {%- do options.update({key: value}) -%}
        {%- endfor -%}
        {%- if entry.get('current_model') -%}
            {%- do options.update({'current': featureops._monitoring_ref(
                entry.get('current_model'), where ~ '.current_model')}) -%}
        {%- endif -%}
        {%- do found.append(featureops.drift_check(
            entry.get('name'), featureops._monitoring_ref(entry.get('model'), where ~ '.model'),
            **options)) -%}
    {%- endfor -%}
    {{ return(found) }}
{% endmacro %}

{#- The configured training sets of the skew monitor. -#}
{% macro configured_skew_training_sets() %}
    {%- set found = [] -%}
    {%- for name in featureops.monitoring_settings().skew.get('training_sets') or [] -%}
        {%- do found.append(featureops._monitoring_ref(
            name, "vars.featureops.monitoring.skew.training_sets[" ~ loop.index0 ~ "]")) -%}
    {%- endfor -%}
    {{ return(found) }}
{% endmacro %}
