{#-
    Validation of vars.featureops.monitoring, for monitoring_settings(): every
    problem is one compile error that names the key, e.g.
    "vars.featureops.monitoring.drift[0].reference_window: '5x' is not a
    duration". Model names are checked by dbt itself: it parses before it
    knows every model, then fails on a name no model has ("depends on a node
    named ... which was not found").
-#}

{#- One line naming the key; the caller's message says what is wrong. -#}
{% macro _settings_error(where, problem) %}
    {{ exceptions.raise_compiler_error(where ~ ": " ~ problem ~ " (see docs/monitoring.md)") }}
{% endmacro %}

{% macro _is_list(value) %}
    {{ return(value is iterable and value is not string and value is not mapping) }}
{% endmacro %}

{% macro _is_number(value) %}
    {{ return(value is number and value is not boolean) }}
{% endmacro %}

{#- A mapping whose keys are all in `known`. -#}
{% macro _checked_mapping(value, known, where) %}
    {%- if value is not mapping -%}
        {{ featureops._settings_error(where, "must be a mapping, not '" ~ value ~ "'") }}
    {%- endif -%}
    {%- for key in value if key not in known -%}
        {{ featureops._settings_error(where ~ "." ~ key,
            "unknown key (known: " ~ known | join(', ') ~ ")") }}
    {%- endfor -%}
    {{ return(value) }}
{% endmacro %}

{#- A list (none: empty). -#}
{% macro _checked_list(value, where) %}
    {%- if value is none -%}{{ return([]) }}{%- endif -%}
    {%- if not featureops._is_list(value) -%}
        {{ featureops._settings_error(where, "must be a list, not '" ~ value ~ "'") }}
    {%- endif -%}
    {{ return(value | list) }}
{% endmacro %}

{#- true or false (YAML booleans, or the text a rendered env_var() gives). -#}
{% macro _checked_boolean(value, where) %}
    {%- if value is boolean -%}{{ return(value) }}{%- endif -%}
    {%- if value is string and value | lower in ['true', 'false'] -%}
        {{ return(value | lower == 'true') }}
    {%- endif -%}
    {{ featureops._settings_error(where, "must be true or false, not '" ~ value ~ "'") }}
{% endmacro %}

{#- A non-empty name (a model, column, check or exposure). -#}
{% macro _checked_name(value, where) %}
    {%- if value is not string or not value | trim -%}
        {{ featureops._settings_error(where, "expected a name, not '" ~ value ~ "'") }}
    {%- endif -%}
    {{ return(value | trim) }}
{% endmacro %}

{#- One name or a list of names (the filters of the monitoring tests). -#}
{% macro _checked_names(value, where) %}
    {%- if value is string -%}{{ return([featureops._checked_name(value, where)]) }}{%- endif -%}
    {%- set names = [] -%}
    {%- for item in featureops._checked_list(value, where) -%}
        {%- do names.append(featureops._checked_name(item, where ~ "[" ~ loop.index0 ~ "]")) -%}
    {%- endfor -%}
    {{ return(names) }}
{% endmacro %}

{% macro _checked_duration(value, where) %}
    {%- if value is not string or not modules.re.fullmatch('[1-9][0-9]*[smhdw]', value | trim) -%}
        {{ featureops._settings_error(where, "'" ~ value ~ "' is not a duration; use a positive"
            ~ " integer and one of s, m, h, d, w (e.g. 7d)") }}
    {%- endif -%}
    {{ return(value | trim) }}
{% endmacro %}

{% macro _checked_integer(value, minimum, where) %}
    {%- if value is not integer or value is boolean or value < minimum -%}
        {{ featureops._settings_error(where, "must be a whole number of at least " ~ minimum
            ~ ", not '" ~ value ~ "'") }}
    {%- endif -%}
    {{ return(value) }}
{% endmacro %}

{% macro _checked_choice(value, choices, where) %}
    {%- if value not in choices -%}
        {{ featureops._settings_error(where, "must be one of " ~ choices | join(', ')
            ~ ", not '" ~ value ~ "'") }}
    {%- endif -%}
    {{ return(value) }}
{% endmacro %}

{#- Choices given as one value or a list of them. -#}
{% macro _checked_choices(value, choices, where) %}
    {%- set values = [value] if value is string else featureops._checked_list(value, where) -%}
    {%- for item in values -%}
        {{ featureops._checked_choice(item, choices, where) }}
    {%- endfor -%}
    {{ return(values) }}
{% endmacro %}

{#- A drift window: [start, end] as durations before now, end null for now. -#}
{% macro _checked_window(value, where) %}
    {%- if not featureops._is_list(value) or value | length != 2 or value[0] is none -%}
        {{ featureops._settings_error(where, "a window is [start, end] as durations before"
            ~ " now, e.g. [35d, 7d] or [7d, null]; not '" ~ value ~ "'") }}
    {%- endif -%}
    {%- set start = featureops._checked_duration(value[0], where ~ "[0]") -%}
    {%- if value[1] is not none -%}
        {%- set end = featureops._checked_duration(value[1], where ~ "[1]") -%}
        {%- if featureops.duration_seconds(end) >= featureops.duration_seconds(start) -%}
            {{ featureops._settings_error(where, "[" ~ start ~ ", " ~ end ~ "] ends before it"
                ~ " starts; write [start, end] with the start further back, e.g. [35d, 7d]") }}
        {%- endif -%}
    {%- endif -%}
    {{ return(value) }}
{% endmacro %}

{#-
    The options of one monitored relation (a vars entry minus `model`, or a
    model's meta.featureops.monitoring), as featureops.monitored() takes them.
-#}
{% macro _checked_monitored_options(options, where) %}
    {%- set checked = {} -%}
    {%- for key, value in options.items() if value is not none -%}
        {%- set at = where ~ "." ~ key -%}
        {%- if key == 'timestamp_column' -%}
            {%- do checked.update({key: featureops._checked_name(value, at)}) -%}
        {%- elif key == 'sla' -%}
            {%- do checked.update({key: featureops._checked_duration(value, at)}) -%}
        {%- elif key == 'bucket' -%}
            {%- do checked.update({key: featureops._checked_choice(value, ['day', 'hour'], at)}) -%}
        {%- elif key == 'buckets' -%}
            {%- do checked.update({key: featureops._checked_integer(value, 2, at)}) -%}
        {%- elif key in ['columns', 'exclude_columns'] -%}
            {%- do checked.update({key: featureops._checked_names(value, at)}) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(checked) }}
{% endmacro %}

{% macro _monitored_option_names() %}
    {{ return(['timestamp_column', 'sla', 'bucket', 'buckets', 'columns', 'exclude_columns']) }}
{% endmacro %}

{#- monitored: model names, or mappings of model plus monitored() options. -#}
{% macro _checked_monitored(value, where) %}
    {%- set entries = [] -%}
    {%- for entry in featureops._checked_list(value, where) -%}
        {%- set at = where ~ "[" ~ loop.index0 ~ "]" -%}
        {%- if entry is mapping -%}
            {%- do featureops._checked_mapping(
                entry, ['model'] + featureops._monitored_option_names(), at) -%}
            {%- set options = featureops._checked_monitored_options(entry, at) -%}
            {%- do options.update({'model': featureops._checked_name(entry.get('model'),
                                                                     at ~ '.model')}) -%}
            {%- do entries.append(options) -%}
        {%- else -%}
            {%- do entries.append({'model': featureops._checked_name(entry, at)}) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(entries) }}
{% endmacro %}

{#- drift: mappings of name, model and drift_check() options. -#}
{% macro _checked_drift(value, where) %}
    {%- set known = ['name', 'model', 'current_model', 'timestamp_column', 'reference_window',
                     'current_window', 'columns', 'bins'] -%}
    {%- set entries = [] -%}
    {%- for entry in featureops._checked_list(value, where) -%}
        {%- set at = where ~ "[" ~ loop.index0 ~ "]" -%}
        {%- do featureops._checked_mapping(entry, known, at) -%}
        {%- set name = featureops._checked_name(entry.get('name'), at ~ '.name') -%}
        {%- if not modules.re.fullmatch('[a-z_][a-z0-9_]*', name) -%}
            {{ featureops._settings_error(at ~ '.name', "'" ~ name ~ "' must be lower-case"
                ~ " letters, digits and _ (it names the check in tests and reports)") }}
        {%- endif -%}
        {%- if name in entries | map(attribute='name') | list -%}
            {{ featureops._settings_error(at ~ '.name', "a second drift check named " ~ name) }}
        {%- endif -%}
        {%- set checked = {'name': name,
                           'model': featureops._checked_name(entry.get('model'), at ~ '.model')} -%}
        {%- for key in ['current_model', 'timestamp_column'] if entry.get(key) is not none -%}
            {%- do checked.update({key: featureops._checked_name(entry[key], at ~ '.' ~ key)}) -%}
        {%- endfor -%}
        {%- for key in ['reference_window', 'current_window'] if entry.get(key) is not none -%}
            {%- do checked.update({key: featureops._checked_window(entry[key], at ~ '.' ~ key)}) -%}
        {%- endfor -%}
        {%- if entry.get('columns') is not none -%}
            {%- do checked.update({'columns': featureops._checked_names(
                entry.columns, at ~ '.columns')}) -%}
        {%- endif -%}
        {%- if entry.get('bins') is not none -%}
            {%- do checked.update({'bins': featureops._checked_integer(
                entry.bins, 2, at ~ '.bins')}) -%}
        {%- endif -%}
        {%- if not checked.get('current_model') and (not checked.get('reference_window')
                or not checked.get('current_window')) -%}
            {{ featureops._settings_error(at, "without current_model, a check compares two"
                ~ " windows of the model: set reference_window and current_window") }}
        {%- endif -%}
        {%- do entries.append(checked) -%}
    {%- endfor -%}
    {%- set bins = [] -%}
    {%- for entry in entries if entry.get('bins', 10) not in bins -%}
        {%- do bins.append(entry.get('bins', 10)) -%}
    {%- endfor -%}
    {%- if bins | length > 1 -%}
        {{ featureops._settings_error(where, "every drift check must use the same number of"
            ~ " bins, not " ~ bins | join(' and ')) }}
    {%- endif -%}
    {{ return(entries) }}
{% endmacro %}

{#- skew: the training sets and the serving window. -#}
{% macro _checked_skew(value, where) %}
    {%- if value is none -%}{{ return({'training_sets': [], 'serving_window': '7d'}) }}{%- endif -%}
    {%- do featureops._checked_mapping(value, ['training_sets', 'serving_window'], where) -%}
    {%- set training_sets = [] -%}
    {%- for name in featureops._checked_list(value.get('training_sets'), where ~ '.training_sets') -%}
        {%- do training_sets.append(featureops._checked_name(
            name, where ~ '.training_sets[' ~ loop.index0 ~ ']')) -%}
    {%- endfor -%}
    {{ return({'training_sets': training_sets, 'serving_window': featureops._checked_duration(
        value.get('serving_window', '7d'), where ~ '.serving_window')}) }}
{% endmacro %}

{#- How each argument of a monitoring-test rule is checked. -#}
{% macro _rule_argument_kinds() %}
    {{ return({
        'model_name': 'monitored_names', 'check_name': 'drift_names', 'column_name': 'names',
        'exposure': 'names', 'feature': 'names',
        'metrics': 'column_metrics', 'warn_on': 'changes', 'error_on': 'changes',
        'direction': 'direction', 'grain': 'grain',
        'training_window': 'window_size', 'min_training_size': 'window_size',
        'min_current_count': 'count', 'min_serving_count': 'count',
        'warn_after': 'duration', 'error_after': 'duration',
    }) }}
{% endmacro %}

{#-
    tests: per monitoring test, a list of rules, each the arguments of one
    run of the test (no list: one rule with the test's defaults). Filters
    must name what is configured: model_name a monitored model, check_name
    a drift check.
-#}
{% macro _checked_tests(value, monitored, drift, where) %}
    {%- if value is none -%}{{ return({}) }}{%- endif -%}
    {%- set arguments = featureops._rule_arguments() -%}
    {%- do featureops._checked_mapping(value, arguments.keys() | sort, where) -%}
    {%- set kinds = featureops._rule_argument_kinds() -%}
    {%- set known_names = {'monitored_names': [], 'drift_names': []} -%}
    {%- for entry in monitored -%}
        {%- do known_names.monitored_names.append(entry.model.split('.')[-1]) -%}
    {%- endfor -%}
    {%- for entry in drift -%}
        {%- do known_names.drift_names.append(entry.name) -%}
    {%- endfor -%}
    {%- set checked = {} -%}
    {%- for test_name, rules in value.items() -%}
        {%- if rules is none -%}
            {%- do checked.update({test_name: none}) -%}
        {%- else -%}
            {%- set at = where ~ '.' ~ test_name -%}
            {%- for rule in featureops._checked_list(rules, at) -%}
                {%- set rule_at = at ~ "[" ~ loop.index0 ~ "]" -%}
                {%- do featureops._checked_mapping(rule, arguments[test_name], rule_at) -%}
                {%- for key, argument in rule.items() if argument is not none -%}
                    {%- do featureops._checked_rule_argument(
                        argument, kinds.get(key, 'number'), known_names, rule_at ~ '.' ~ key) -%}
                {%- endfor -%}
                {%- if 'training_window' in arguments[test_name]
                        and rule.get('min_training_size', 7) > rule.get('training_window', 14) -%}
                    {{ featureops._settings_error(rule_at ~ '.min_training_size',
                        "must not exceed training_window (" ~ rule.get('training_window', 14)
                        ~ "), not " ~ rule.get('min_training_size', 7)) }}
                {%- endif -%}
            {%- endfor -%}
            {%- do checked.update({test_name: rules | list}) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(checked) }}
{% endmacro %}

{% macro _checked_rule_argument(value, kind, known_names, where) %}
    {%- if kind in known_names -%}
        {%- for name in featureops._checked_names(value, where) if name not in known_names[kind] -%}
            {{ featureops._settings_error(where, "'" ~ name ~ "' is not "
                ~ ("a monitored model (monitored: " if kind == 'monitored_names'
                   else "a drift check (drift: ") ~ known_names[kind] | join(', ') ~ ")") }}
        {%- endfor -%}
    {%- elif kind == 'names' -%}
        {%- do featureops._checked_names(value, where) -%}
    {%- elif kind == 'column_metrics' -%}
        {%- do featureops._checked_choices(value,
            featureops.anomaly_metric_names() | reject('equalto', 'row_count') | list, where) -%}
    {%- elif kind == 'changes' -%}
        {%- do featureops._checked_choices(value, ['added', 'removed', 'retyped'], where) -%}
    {%- elif kind == 'direction' -%}
        {%- do featureops._checked_choice(value, ['both', 'drop', 'spike'], where) -%}
    {%- elif kind == 'grain' -%}
        {%- do featureops._checked_choice(value, ['day', 'window'], where) -%}
    {%- elif kind == 'window_size' -%}
        {%- do featureops._checked_integer(value, 2, where) -%}
    {%- elif kind == 'count' -%}
        {%- do featureops._checked_integer(value, 1, where) -%}
    {%- elif kind == 'duration' -%}
        {%- do featureops._checked_duration(value, where) -%}
    {%- elif not featureops._is_number(value) -%}
        {{ featureops._settings_error(where, "must be a number, not '" ~ value ~ "'") }}
    {%- endif -%}
{% endmacro %}
