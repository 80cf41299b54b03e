{#-
    The settings of a monitored relation at execution time: what monitored()
    says, completed from the model's meta.featureops (timestamp, entities,
    sla.freshness) and from the warehouse (its columns and their types).
-#}
{% macro _monitor_settings(item) %}
    {%- set settings = featureops.monitored(item) if item.identifier is defined else item -%}
    {%- set relation = settings.relation -%}
    {%- set node = featureops._node_for_relation(relation) -%}
    {%- set meta = featureops._featureops_meta(node) -%}
    {%- set timestamp_column = settings.timestamp_column or meta.get('timestamp') -%}
    {%- set sla = settings.sla or (meta.get('sla') or {}).get('freshness') -%}
    {%- set keys = (meta.get('entities') or []) + [meta.get('created_timestamp')] -%}
    {%- set columns = [] -%}
    {%- set all_names = [] -%}
    {%- for column in adapter.get_columns_in_relation(relation) -%}
        {%- do all_names.append(column.name) -%}
        {#- The timestamp is always kept: buckets and freshness need it. -#}
        {%- set wanted = settings.columns is none or column.name in settings.columns
            or column.name == timestamp_column -%}
        {%- if wanted and column.name not in settings.exclude_columns -%}
            {%- set role = 'timestamp' if column.name == timestamp_column
                else ('key' if column.name in keys else 'feature') -%}
            {%- do columns.append({
                'name': column.name, 'data_type': column.dtype | lower,
                'kind': featureops._column_kind(column.dtype), 'role': role,
                'is_float': featureops._is_float_type(column.dtype)}) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if not columns and featureops._relation_exists(relation) -%}
        {{ exceptions.raise_compiler_error(
            "featureops monitoring: " ~ relation ~ " has none of the requested columns;"
            ~ " check monitored(columns=..., exclude_columns=...)") }}
    {%- endif -%}
    {%- if all_names and timestamp_column and timestamp_column not in all_names -%}
        {{ exceptions.raise_compiler_error(
            "featureops monitoring: " ~ relation ~ " has no timestamp column '"
            ~ timestamp_column ~ "'; fix meta.featureops.timestamp or monitored(timestamp_column=...)") }}
    {%- endif -%}
    {{ return({
        'relation': relation,
        'model_name': node.name if node else relation.identifier,
        'timestamp_column': timestamp_column,
        'sla_seconds': featureops.duration_seconds(sla) if sla else none,
        'bucket': settings.bucket, 'buckets': settings.buckets, 'columns': columns}) }}
{% endmacro %}

{#- The graph node (model, seed or snapshot) a relation was built from, or none. Under
    `dbt build --defer --state`, ref() of an unselected node returns the state's relation
    (its defer_relation), so that schema identifies the node too. -#}
{% macro _node_for_relation(relation) %}
    {%- for node in graph.nodes.values() -%}
        {%- if node.resource_type in ['model', 'seed', 'snapshot']
              and (node.alias or node.name) | lower == relation.identifier | lower -%}
            {%- set deferred = node.get('defer_relation') or {} -%}
            {%- if node.schema | lower == relation.schema | lower
                  or (deferred.get('schema') or '') | lower == relation.schema | lower -%}
                {{ return(node) }}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(none) }}
{% endmacro %}

{#- meta.featureops of a node (config.meta wins over the top-level meta). -#}
{% macro _featureops_meta(node) %}
    {%- if node is none -%}{{ return({}) }}{%- endif -%}
    {%- set config_meta = (node.config or {}).get('meta') or {} -%}
    {{ return(config_meta.get('featureops') or (node.meta or {}).get('featureops') or {}) }}
{% endmacro %}

{#- numeric, boolean, text, timestamp or other, from a warehouse type name. -#}
{% macro _column_kind(data_type) %}
    {%- set name = data_type | lower -%}
    {%- if '[' in name or name in ['array', 'json', 'jsonb', 'struct', 'map', 'blob', 'bytea'] -%}
        {{ return('other') }}
    {%- elif name in ['boolean', 'bool'] -%}
        {{ return('boolean') }}
    {%- elif name.startswith('timestamp') or name in ['date', 'time', 'datetime'] -%}
        {{ return('timestamp') }}
    {%- elif modules.re.match('(u?(tiny|small|big|huge)?int(eger)?[0-9]*|double|float[0-9]*|real|decimal|numeric)($|[ (])', name) -%}
        {{ return('numeric') }}
    {%- elif modules.re.match('text|varchar|character|char|string|uuid', name) -%}
        {{ return('text') }}
    {%- endif -%}
    {{ return('other') }}
{% endmacro %}

{#-
    Binary floating point: equal values computed on two engines can differ in
    their last bits (summation order), so their distinct count is not a stable
    metric and is not measured.
-#}
{% macro _is_float_type(data_type) %}
    {{ return(modules.re.match('(double|float|real)', data_type | lower) is not none) }}
{% endmacro %}

{#-
    Whether the relation is in the warehouse. A monitored relation that is not
    (a `dbt compile` before the first build) is left out of the SQL instead of
    failing the compilation; `dbt build` always builds it first.
-#}
{% macro _relation_exists(relation) %}
    {{ return(adapter.get_relation(database=relation.database, schema=relation.schema,
                                   identifier=relation.identifier) is not none) }}
{% endmacro %}
