{#-
    Leakage check, static: labels must not reach features before they are
    known. A feature of the training set that reads label data must do so in
    a window column that declares available_at (when a label becomes known);
    the data check windows_exclude_event then shows such a column counts a
    label only once it has arrived. Failing rows name the view and column.

    What a feature reads is a matter of column lineage, which needs a SQL
    parser: `featureops leakage` traces it (featureops.offline.label_reads)
    and passes label_reads, {view: {column: [label columns it reads]}}, so
    only features that read a label column fail, not a count of the rows of
    a table that also holds the label. The dbt test has no parser: it judges
    whole models, failing a view that reads a label source (directly or
    through other models) with no window column over it declaring
    available_at.
-#}
{% test labels_known_before_prediction(model) %}
    {%- if not execute -%}
        {{ return(featureops._no_leakage_rows()) }}
    {%- endif -%}
    {%- set node = featureops._tested_training_set(model) -%}
    {%- set spec = featureops._featureops_block(node) -%}
    {{ return(featureops.label_availability_sql(
        featureops._training_set_views(spec), spec.label_sources or [])) }}
{% endtest %}

{% macro label_availability_sql(views, label_sources, label_reads=none) %}
    {%- set problems = [] -%}
    {%- for view in views -%}
        {%- set node = graph.nodes[view.unique_id] -%}
        {%- set covered = [] -%}
        {%- set windows = [] -%}
        {%- for name, column in node.columns.items() -%}
            {%- set block = featureops._featureops_block(column) -%}
            {%- if block.window and block.source in label_sources -%}
                {%- do windows.append(name) -%}
                {%- if block.available_at -%}
                    {%- do covered.append(block.source) -%}
                {%- else -%}
                    {%- do problems.append([view.name, name,
                        'aggregates label source ' ~ block.source ~ ' without available_at:'
                        ~ ' labels that arrive after the prediction time may be counted']) -%}
                {%- endif -%}
            {%- endif -%}
        {%- endfor -%}
        {%- if label_reads is none -%}
            {%- for source in featureops._model_ancestors(node)
                    if source in label_sources and source not in covered -%}
                {%- do problems.append([view.name, '*',
                    'reads label source ' ~ source ~ ' but no column declares a window'
                    ~ ' over it with available_at, so labels arriving after the prediction'
                    ~ ' time cannot be ruled out (this test judges whole models;'
                    ~ ' `featureops leakage` judges the columns each feature reads)']) -%}
            {%- endfor -%}
        {%- else -%}
            {%- for name, reads in (label_reads.get(view.name) or {}).items()
                    if name not in windows -%}
                {%- do problems.append([view.name, name,
                    'reads label data ' ~ reads | join(', ') ~ ' outside a window that'
                    ~ ' declares available_at, so labels arriving after the prediction'
                    ~ ' time may be read']) -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if not problems -%}
        {{- return(featureops._no_leakage_rows()) -}}
    {%- endif -%}
    {%- for problem in problems %}
    select
        {{ featureops._sql_literal(problem[0]) }} as model_name,
        {{ featureops._sql_literal(problem[1]) }} as column_name,
        {{ featureops._sql_literal(problem[2]) }} as problem,
        cast(null as {{ dbt.type_string() }}) as example
        {%- if not loop.last %}
    union all
        {%- endif %}
    {%- endfor %}
{% endmacro %}

{#- Names of the models a node reads, directly or through other models. -#}
{% macro _model_ancestors(node) %}
    {%- set seen = [] -%}
    {%- set pending = node.depends_on.nodes | list -%}
    {%- for unique_id in pending if unique_id in graph.nodes and unique_id not in seen -%}
        {%- do seen.append(unique_id) -%}
        {%- do pending.extend(graph.nodes[unique_id].depends_on.nodes) -%}
    {%- endfor -%}
    {%- set names = [] -%}
    {%- for unique_id in seen -%}
        {%- do names.append(graph.nodes[unique_id].name) -%}
    {%- endfor -%}
    {{- return(names) -}}
{% endmacro %}
