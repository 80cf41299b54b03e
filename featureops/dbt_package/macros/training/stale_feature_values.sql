{#-
    Leakage check on a training-set file: a feature value that a row of its
    view held at or before the row's prediction time, but no row within the
    view's ttl ([t - ttl, t], as the point-in-time join counts it). The join
    leaves such a value null (too old to be served), so the file was not
    built by the join as declared, or was altered. Views without a ttl are
    not checked; a value no row held at or before the prediction time is
    future_feature_values_sql's finding, not this one's.
-#}
{% macro stale_feature_values_sql(training_relation, spec, model_name) %}
    {%- set views = featureops._training_set_views(spec) | selectattr('ttl') | list -%}
    {%- if not views -%}
        {{- return(featureops._no_leakage_rows()) -}}
    {%- endif -%}
    {{- featureops._held_value_findings(training_relation, spec, model_name, views,
        within_ttl=true) -}}
{% endmacro %}
