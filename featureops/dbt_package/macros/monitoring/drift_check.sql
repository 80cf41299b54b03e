{#-
    Declares a distribution-drift check: `current` compared with `reference`
    (two relations, or two time windows of one). Windows are [start, end) as
    durations before now, e.g. reference_window=['35d', '7d'] and
    current_window=['7d', none]. Columns default to the features of a
    feature view (or every column); booleans and text are categorical.
-#}
{% macro drift_check(name, reference, current=none, timestamp_column=none, reference_window=none,
                     current_window=none, columns=none, bins=10) %}
    {%- if not modules.re.fullmatch('[a-z_][a-z0-9_]*', name) -%}
        {{ exceptions.raise_compiler_error(
            "featureops.drift_check: name '" ~ name ~ "' must be lower-case letters, digits"
            ~ " and _ (it names the check in tests and reports)") }}
    {%- endif -%}
    {%- if current is none and (reference_window is none or current_window is none) -%}
        {{ exceptions.raise_compiler_error(
            "featureops.drift_check(" ~ name ~ "): without a current relation, compare two"
            ~ " windows of the reference: set reference_window and current_window") }}
    {%- endif -%}
    {{ return({
        'name': name, 'reference': reference, 'current': current or reference,
        'timestamp_column': timestamp_column, 'reference_window': reference_window,
        'current_window': current_window, 'columns': columns, 'bins': bins | int}) }}
{% endmacro %}
