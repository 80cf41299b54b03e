{#-
    dbt's date_trunc on Spark. Spark's date_trunc returns its session-zone
    TIMESTAMP even for a TIMESTAMP_NTZ input, so a truncated naive timestamp
    would no longer match the contract type `timestamp` (TIMESTAMP_NTZ under
    the profile's spark.sql.timestampType): cast it back. Enabled by the
    project's dispatch block for dbt (docs/spark.md), like the contract shim.
-#}
{% macro spark__date_trunc(datepart, date) %}
    cast(date_trunc('{{ datepart }}', {{ date }}) as timestamp)
{%- endmacro %}
