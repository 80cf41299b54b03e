{#-
    Quality metrics of every monitored relation, appended once per build:
    volume and column profiles per day, freshness and schema per build
    (incremental, see dbt_project.yml). The views over it score them and the
    generic tests on the views alert; see _monitoring__models.yml and
    docs/monitoring.md.
-#}
{{ featureops.quality_metrics([
    ref('feat_merchant__profile'),
    ref('feat_merchant__risk_windows'),
    ref('feat_transaction__context'),
    ref('feat_user__profile'),
    ref('feat_user__spend_windows'),
]) }}
