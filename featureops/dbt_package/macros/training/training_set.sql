{#-
    The body of a training-set model: the spine point-in-time joined with the
    features its meta.featureops block asks for (kind: training_set; see
    docs/training-sets.md). The block is the single definition: the exposure
    whose features to join (or an explicit `features` list), the prediction
    time column and the join options; monitoring and `featureops leakage`
    read the same block.

        {{ featureops.training_set(spine='labelled_transactions') }}

    The views are found through the graph at execution time, so the model
    names them for dbt's DAG with `-- depends_on: {{ ref('view') }}` lines
    (dbt says which one is missing if a line is forgotten).
-#}
{% macro training_set(spine, spine_columns=none, order_by=none) %}
    {%- if not execute -%}
        {{- return('select 1 as parsing') -}}
    {%- endif -%}
    {%- set spec = featureops._featureops_block(model) -%}
    {%- if spec.kind != 'training_set' -%}
        {{ exceptions.raise_compiler_error(
            "featureops.training_set: model '" ~ model.name ~ "' needs config.meta.featureops"
            ~ " with kind: training_set (got " ~ (spec.kind or 'no featureops block') ~ ")") }}
    {%- endif -%}
    {{- return(featureops.training_set_from_spec(spine, spec, spine_columns, order_by)) -}}
{% endmacro %}

{#-
    The same from a spec mapping (the fields of TrainingSetSpec): what the
    Python API renders, with the spine it registered.
-#}
{% macro training_set_from_spec(spine, spec, spine_columns=none, order_by=none) %}
    {%- set references = spec.features or featureops.exposure_features(spec.exposure) -%}
    {%- set views = featureops.resolve_feature_views(
        references, spec.full_feature_names or false) -%}
    {{- return(featureops.point_in_time_join(
        spine, spec.timestamp, views, spine_columns, order_by,
        spec.exclusive or false, spec.exclude_created_after or false)) -}}
{% endmacro %}
