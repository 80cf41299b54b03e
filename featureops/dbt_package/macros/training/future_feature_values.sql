{#-
    Leakage check: a feature value in a training set that no row of its view
    had at or before the row's prediction time (within the same entity), i.e.
    a value taken from the future. It holds for any training set, however it
    was built: a hand-written "latest value" join fails it, the
    point-in-time join cannot. Values equal to an earlier one pass (no false
    alarms), so a future value that repeats a past one goes unseen.
-#}
{% test no_future_feature_values(model) %}
    {%- if not execute -%}
        {{ return(featureops._no_leakage_rows()) }}
    {%- endif -%}
    {%- set node = featureops._tested_training_set(model) -%}
    {{ return(featureops.future_feature_values_sql(
        model, featureops._featureops_block(node), node.name)) }}
{% endtest %}

{% macro future_feature_values_sql(training_relation, spec, model_name) %}
    {{- featureops._held_value_findings(training_relation, spec, model_name,
        featureops._training_set_views(spec), within_ttl=false) -}}
{% endmacro %}
