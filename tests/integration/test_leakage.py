"""`featureops leakage` and the leakage dbt tests: silent on the example project, and
finding every leak planted in a broken copy of it (each finding naming model and column)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from featureops.cli import cli
from featureops.dbt_runner import run_dbt
from featureops.offline.leakage import check_leakage
from featureops.project import Project
from tests.conftest import copy_project

LEAKY_TRAINING_SET_SQL = """
-- depends_on: {{ ref('feat_user__profile') }}
-- depends_on: {{ ref('feat_transaction__context') }}
with

spine as (select * from {{ ref('train_fraud_detection__spine') }}),

profiles as (select * from {{ ref('feat_user__profile') }}),

context as (select * from {{ ref('feat_transaction__context') }}),

-- The classic mistake: the latest profile, whatever the transaction's time.
latest_profiles as (
    select user_id, max(event_at) as event_at from profiles group by 1
)

select
    spine.*,
    profiles.credit_limit_usd,
    context.is_disputed,
    context.user_transaction_count_7d,
    context.user_charged_back_count_7d
from spine
left join latest_profiles on spine.user_id = latest_profiles.user_id
left join profiles
    on latest_profiles.user_id = profiles.user_id
    and latest_profiles.event_at = profiles.event_at
left join context on spine.transaction_id = context.transaction_id
"""

LEAKY_TRAINING_SET_YML = """
version: 2
models:
  - name: train_leaky__transactions
    config:
      meta:
        featureops:
          kind: training_set
          exposure: fraud_detection_model
          timestamp: event_at
          labels: [is_fraud]
          label_sources: [int_transactions__chargebacks]
          features:
            - feat_user__profile:credit_limit_usd
            - feat_transaction__context:is_disputed
            - feat_transaction__context:user_transaction_count_7d
            - feat_transaction__context:user_charged_back_count_7d
    data_tests:
      - featureops.no_future_feature_values
      - featureops.labels_known_before_prediction
      - featureops.label_correlation:
          config:
            severity: warn
    columns:
      - name: is_fraud
        data_type: boolean
"""


# Every transaction with its label: a table that holds the label column (is_charged_back)
# next to columns that are not labels.
LABELLED_TRANSACTIONS_SQL = """
with

transactions as (select * from {{ ref('int_transactions__enriched') }}),

chargebacks as (select * from {{ ref('int_transactions__chargebacks') }}),

labelled as (
    select
        transactions.transaction_id,
        transactions.user_id,
        transactions.event_at,
        chargebacks.reported_at is not null as is_charged_back
    from transactions
    left join chargebacks on transactions.transaction_id = chargebacks.transaction_id
)

select * from labelled
"""

USER_WINDOWS_CTE = """labelled as (

    select * from {{ ref('int_transactions__labelled') }}

),

-- Over the week before each transaction: how many the user made (reads no label
-- column) and how many of those were charged back (reads the label).
user_windows as (

    select
        transaction_id,
        cast(count(*) over last_week as bigint) as user_transaction_count_7d,
        cast(sum(case when is_charged_back then 1 else 0 end) over last_week as bigint)
            as user_charged_back_count_7d
    from labelled
    window last_week as (
        partition by user_id order by event_at
        range between interval '7 days' preceding and current row exclude current row
    )

),

countries as ("""


def replace_once(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1, f"{path.name} changed: cannot plant the leak"
    path.write_text(text.replace(old, new))


def plant_leaks(root: Path) -> None:
    features = root / "models" / "features"
    # 1. A window that takes in the event it describes.
    spend_windows = features / "user" / "feat_user__spend_windows.sql"
    replace_once(spend_windows, """{{ featureops.windowed_aggregate(
            'count', 'amount_usd', 'user_id', 'event_at', '1h'
        ) }} as transaction_count_1h""", """count(amount_usd) over (
            partition by user_id order by event_at
            range between interval '1 hours' preceding and current row
        ) as transaction_count_1h""")
    # 2. Chargebacks counted before they were reported.
    replace_once(features / "merchant" / "feat_merchant__risk_windows.sql",
                 "            and volumes.event_at > charged_back_transactions.reported_at\n", "")
    # 3. A copy of the label as a feature, read without regard to when it arrived.
    context = features / "transaction" / "feat_transaction__context.sql"
    replace_once(context, "countries as (", """chargebacks as (

    select * from {{ ref('int_transactions__chargebacks') }}

),

countries as (""")
    replace_once(context, "as is_night\n", """as is_night,
        coalesce(chargebacks.reported_at < requests.event_at + interval '30 days', false)
            as is_disputed,
        user_windows.user_transaction_count_7d,
        user_windows.user_charged_back_count_7d\n""")
    replace_once(context, "    left join countries", """    left join chargebacks
        on requests.transaction_id = chargebacks.transaction_id
    left join user_windows
        on requests.transaction_id = user_windows.transaction_id
    left join countries""")
    replace_once(features / "transaction" / "_transaction__models.yml",
                 "      - name: is_night\n", """      - name: is_disputed
        description: Planted leak.
        data_type: boolean
      - name: user_transaction_count_7d
        description: Planted, no leak (counts rows of a table holding the label).
        data_type: bigint
      - name: user_charged_back_count_7d
        description: Planted leak (sums the label column).
        data_type: bigint
      - name: is_night\n""")
    # 5. Windows over a table that holds the label: one counts rows, one sums the label.
    (root / "models" / "intermediate" / "transactions" / "int_transactions__labelled.sql"
     ).write_text(LABELLED_TRANSACTIONS_SQL)
    replace_once(context, "countries as (", USER_WINDOWS_CTE)
    # 4. A hand-written training set that joins the latest values.
    (root / "models" / "training" / "train_leaky__transactions.sql").write_text(
        LEAKY_TRAINING_SET_SQL)
    (root / "models" / "training" / "_leaky__models.yml").write_text(LEAKY_TRAINING_SET_YML)


@pytest.fixture(scope="module")
def broken_project(duckdb_build, tmp_path_factory) -> tuple[Project, Path]:
    root = copy_project(tmp_path_factory.mktemp("broken_project"))
    plant_leaks(root)
    warehouse = root / "warehouse.duckdb"
    env = {"FEATUREOPS_TARGET": "dev", "FEATUREOPS_DUCKDB_PATH": str(warehouse)}
    args = ["--target-path", str(root / "target"), "--log-path", str(root / "logs"),
            "--vars", duckdb_build.vars_arg]
    run_dbt(["seed", *args], root, env=env)
    run_dbt(["run", *args], root, env=env)
    return Project.locate(root, root / "target" / "manifest.json"), warehouse


EXPECTED_LEAKS = {
    ("windows_exclude_event", "error", "feat_user__spend_windows", "transaction_count_1h"),
    ("windows_exclude_event", "error", "feat_merchant__risk_windows", "chargeback_count_30d"),
    ("no_future_feature_values", "error", "train_leaky__transactions", "credit_limit_usd"),
    # judged per column: the count of a user's transactions reads no label column
    ("labels_known_before_prediction", "error", "feat_transaction__context", "is_disputed"),
    ("labels_known_before_prediction", "error", "feat_transaction__context",
     "user_charged_back_count_7d"),
    ("label_correlation", "warning", "train_leaky__transactions", "is_disputed"),
}


def test_the_example_project_has_no_leak(duckdb_build) -> None:
    report = check_leakage(project_dir=duckdb_build.project_dir,
                           manifest=duckdb_build.manifest_path,
                           warehouse=duckdb_build.duckdb_path)
    assert report.training_sets == ("train_fraud_detection__transactions",)
    assert report.feature_views == ("feat_merchant__risk_windows", "feat_user__spend_windows")
    assert report.findings == ()


def test_every_planted_leak_is_found(broken_project) -> None:
    project, warehouse = broken_project
    report = check_leakage(project, warehouse=warehouse)
    found = {(f.check, f.severity, f.model, f.column) for f in report.findings}
    assert found == EXPECTED_LEAKS
    by_column = {(f.check, f.column): f for f in report.findings}
    windows, labels = "windows_exclude_event", "labels_known_before_prediction"
    assert "takes in the event itself" in by_column[windows, "transaction_count_1h"].problem
    assert "arrive after the prediction time" in by_column[
        windows, "chargeback_count_30d"].problem
    assert "reads label data int_transactions__chargebacks.reported_at" in by_column[
        labels, "is_disputed"].problem
    assert "reads label data int_transactions__chargebacks.reported_at" in by_column[
        labels, "user_charged_back_count_7d"].problem
    future = by_column["no_future_feature_values", "credit_limit_usd"]
    assert future.failing_rows > 100 and future.example.startswith("user_id=")
    assert not report.ok


def test_leakage_cli_exit_codes(duckdb_build, broken_project) -> None:
    runner = CliRunner()
    clean = runner.invoke(cli, ["leakage", "--project-dir", str(duckdb_build.project_dir),
                                "--manifest", str(duckdb_build.manifest_path),
                                "--warehouse", str(duckdb_build.duckdb_path)])
    assert clean.exit_code == 0, clean.output
    assert "0 error(s), 0 warning(s)" in clean.output
    project, warehouse = broken_project
    broken = runner.invoke(cli, ["leakage", "--project-dir", str(project.project_dir),
                                 "--manifest", str(project.manifest_path),
                                 "--warehouse", str(warehouse), "--json"])
    assert broken.exit_code == 1
    payload = json.loads(broken.output)
    assert not payload["ok"]
    assert {(f["model"], f["column"]) for f in payload["findings"]} == {
        (model, column) for _, _, model, column in EXPECTED_LEAKS}


def test_dbt_leakage_tests_fail_on_the_broken_project(duckdb_build, broken_project) -> None:
    project, warehouse = broken_project
    root = project.project_dir
    run_dbt(["test", "--select", "train_fraud_detection__transactions",
             "train_leaky__transactions", "--target-path", str(root / "target"),
             "--log-path", str(root / "logs"), "--vars", duckdb_build.vars_arg], root,
            env={"FEATUREOPS_TARGET": "dev", "FEATUREOPS_DUCKDB_PATH": str(warehouse)},
            check=False)
    results = json.loads((root / "target" / "run_results.json").read_text())["results"]
    status = {r["unique_id"].split(".")[2]: r["status"] for r in results}

    def outcome(test: str, model: str) -> str:
        return next(s for name, s in status.items()
                    if name.startswith(f"featureops_{test}_{model}"))

    fraud, leaky = "train_fraud_detection__transactions", "train_leaky__transactions"
    assert outcome("no_future_feature_values", fraud) == "pass"
    assert outcome("windows_exclude_event", fraud) == "fail"
    assert outcome("labels_known_before_prediction", fraud) == "fail"
    assert outcome("no_future_feature_values", leaky) == "fail"
    assert outcome("labels_known_before_prediction", leaky) == "fail"
    assert outcome("label_correlation", leaky) == "warn"
