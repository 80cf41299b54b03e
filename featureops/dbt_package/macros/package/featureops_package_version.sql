{#-
    The version of this dbt package. The featureops CLI reads this macro's SQL
    from manifest.json and compares it with its own version: a project built
    with another release of the package is reported in one line.
-#}
{% macro featureops_package_version() %}
    {{- return('0.1.0') -}}
{% endmacro %}
