{#-
    Statements run before the heavy monitoring models (a pre-hook, inside
    their transaction). Nothing by default.
-#}
{% macro monitoring_session_settings() %}
    {{ return(adapter.dispatch('monitoring_session_settings', 'featureops')()) }}
{% endmacro %}

{% macro default__monitoring_session_settings() %}
    {{ return('') }}
{% endmacro %}

{#-
    Postgres estimates one row for most CTEs of these long queries, picks
    nested loops over them and spends seconds JIT-compiling the result: hash
    joins without JIT are several times faster here. SET LOCAL keeps it to
    the model's own transaction.
-#}
{% macro postgres__monitoring_session_settings() %}
    {{ return('set local enable_nestloop = off; set local jit = off') }}
{% endmacro %}
