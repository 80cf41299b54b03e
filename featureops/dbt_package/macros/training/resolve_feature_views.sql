{#-
    Feature references -> the view descriptors point_in_time_join takes.

    references: `view:feature` or a whole `view` (every column that is not an
        entity key or a timestamp), as in an ml exposure's
        meta.featureops.features.
    full_feature_names: name output columns `<view>__<feature>` instead of
        `<feature>`; without it, two views offering the same feature name are
        an error.
    use_ref: reach views through ref() (models, which need the DAG edge);
        false reads the relation name from the graph (data tests, whose
        model was built after its views anyway).

    Views come in first-mention order, features in mention order (a whole
    view: column order), each once: the order of FeatureCatalog.resolve.
    Reads meta.featureops from the graph (the manifest), so it runs at
    execution time only; the Python API renders it with the manifest as graph.
-#}
{% macro resolve_feature_views(references, full_feature_names=false, use_ref=true) %}
    {%- if references is string or references | length == 0 -%}
        {{ exceptions.raise_compiler_error(
            "featureops: no features requested: pass `view` or `view:feature`"
            ~ " references, or an ml exposure that lists them") }}
    {%- endif -%}
    {%- set views = [] -%}
    {%- set by_name = {} -%}
    {%- for reference in references -%}
        {%- set parts = reference.split(':') -%}
        {%- set view_name = parts[0] | trim -%}
        {%- if view_name not in by_name -%}
            {%- set view = featureops._feature_view_descriptor(view_name, use_ref) -%}
            {%- do by_name.update({view_name: view}) -%}
            {%- do views.append(view) -%}
        {%- endif -%}
        {%- set view = by_name[view_name] -%}
        {%- if parts | length > 1 -%}
            {%- set wanted = [parts[1] | trim] -%}
            {%- if wanted[0] not in view.available -%}
                {{ exceptions.raise_compiler_error(
                    "featureops: feature view '" ~ view_name ~ "' has no feature '"
                    ~ wanted[0] ~ "' (it has: " ~ view.available | join(', ') ~ ")") }}
            {%- endif -%}
        {%- else -%}
            {%- set wanted = view.available -%}
        {%- endif -%}
        {%- for column in wanted if column not in view.features | map(attribute='column') | list -%}
            {%- set alias = view_name ~ '__' ~ column if full_feature_names else column -%}
            {%- do view.features.append({'column': column, 'alias': alias}) -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- do featureops._check_feature_name_collisions(views) -%}
    {{- return(views) -}}
{% endmacro %}

{#- The features listed by an ml exposure's meta.featureops.features. -#}
{% macro exposure_features(exposure_name) %}
    {%- for exposure in graph.exposures.values()
            if exposure.name == exposure_name and exposure.resource_type == 'exposure' -%}
        {%- set block = featureops._featureops_block(exposure) -%}
        {%- if not block.features -%}
            {{ exceptions.raise_compiler_error(
                "featureops: exposure '" ~ exposure_name
                ~ "' lists no meta.featureops.features") }}
        {%- endif -%}
        {{- return(block.features) -}}
    {%- endfor -%}
    {{ exceptions.raise_compiler_error(
        "featureops: no exposure named '" ~ exposure_name
        ~ "'; run `featureops list` to see the feature services") }}
{% endmacro %}

{#- meta.featureops of a graph node: config.meta (dbt >= 1.10) wins over meta. -#}
{% macro _featureops_block(node) %}
    {%- set config_meta = (node.config or {}).meta or {} -%}
    {%- set block = config_meta.featureops or (node.meta or {}).featureops -%}
    {{- return(block if block is mapping else {}) -}}
{% endmacro %}

{#-
    The graph node of a feature view by catalog name: a model name, or
    `<name>_v<N>` for a non-latest version of a versioned model.
-#}
{% macro _feature_view_node(view_name) %}
    {%- for node in graph.nodes.values() if node.resource_type == 'model' -%}
        {%- set versioned = node.version is not none and node.latest_version is not none
            and (node.version | string) != (node.latest_version | string) -%}
        {%- set catalog_name = node.name ~ '_v' ~ node.version if versioned else node.name -%}
        {%- if catalog_name == view_name
                and featureops._featureops_block(node).kind == 'feature_view' -%}
            {{- return(node) -}}
        {%- endif -%}
    {%- endfor -%}
    {{ exceptions.raise_compiler_error(
        "featureops: no feature view named '" ~ view_name
        ~ "'; run `featureops list` to see the catalog") }}
{% endmacro %}

{% macro _feature_view_descriptor(view_name, use_ref) %}
    {%- set node = featureops._feature_view_node(view_name) -%}
    {%- set spec = featureops._featureops_block(node) -%}
    {%- set keys = (spec.entities or []) + [spec.timestamp] + [spec.created_timestamp] -%}
    {%- set versioned = node.version is not none and view_name != node.name -%}
    {{- return({
        'name': view_name,
        'relation': node.relation_name if not use_ref
            else ref(node.name, version=node.version) if versioned else ref(node.name),
        'unique_id': node.unique_id,
        'columns': node.columns,
        'entities': spec.entities or [],
        'timestamp': spec.timestamp,
        'created_timestamp': spec.created_timestamp,
        'ttl': spec.ttl,
        'available': node.columns.keys() | reject('in', keys) | list,
        'features': [],
    }) -}}
{% endmacro %}

{% macro _check_feature_name_collisions(views) %}
    {%- set owners = {} -%}
    {%- for view in views -%}
        {%- for feature in view.features -%}
            {%- if feature.alias in owners -%}
                {{ exceptions.raise_compiler_error(
                    "featureops: feature '" ~ feature.alias ~ "' is requested from both '"
                    ~ owners[feature.alias] ~ "' and '" ~ view.name
                    ~ "'; prefix the names with their view (full_feature_names, CLI"
                    ~ " --full-feature-names) or request only one of them") }}
            {%- endif -%}
            {%- do owners.update({feature.alias: view.name}) -%}
        {%- endfor -%}
    {%- endfor -%}
{% endmacro %}
