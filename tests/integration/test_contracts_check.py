"""`contracts check` on the example project: the committed registry is complete and passes;
a planted breaking edit (in a copy of the project, re-parsed by dbt) fails with the right
rules; and the changes featureops marks `dbt_breaking` are exactly the ones dbt's own
`state:modified.contract` reports (UnversionedBreakingChange events), used as the oracle."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from featureops.cli import run
from featureops.contracts.contract import contracts_from_manifest
from featureops.dbt_runner import run_dbt
from featureops.manifest import load_manifest
from tests.conftest import REPO_ROOT, copy_project

pytestmark = pytest.mark.slow

# Edits to the example project's YAML: (file, old text, new text). The first two are
# forbidden under `backward` (the mode of every example view); the rest are allowed under
# `backward` but are breaking for dbt.
PLANTED = [
    ("models/features/user/_user__models.yml",
     "description: Credit limit in US dollars.\n        data_type: double precision",
     "description: Credit limit in US dollars.\n        data_type: real"),
    ("models/features/user/_user__models.yml",
     "- name: card_tier\n", "- name: card_level\n"),
    ("models/features/user/_user__models.yml",
     "description: Cardholder's year of birth.\n        data_type: integer",
     "description: Cardholder's year of birth.\n        data_type: bigint"),
    ("models/features/user/_user__models.yml",
     "      - name: amount_usd_max_30d\n        description: >\n          Largest USD amount "
     "among the user's transactions in the 30 days\n          before this one; null when "
     "there was none.\n        data_type: double precision\n", ""),
    ("models/features/merchant/_merchant__models.yml",
     "data_type: text\n        constraints:\n          - type: not_null\n      - name: "
     "category_name", "data_type: text\n      - name: category_name"),
    ("models/features/merchant/_merchant__models.yml",
     "7 days before event_at.\n        data_type: bigint",
     "7 days before event_at.\n        data_type: int8"),
    # Allowed everywhere and not breaking for dbt either: a new nullable column.
    ("models/features/transaction/_transaction__models.yml",
     "      - name: is_night\n",
     "      - name: merchant_distance_km\n        description: New.\n"
     "        data_type: double precision\n      - name: is_night\n"),
]


def _dbt(project: Path, target: Path, *args: str):
    return run_dbt([*args, "--target-path", str(target), "--log-path", str(target / "logs"),
                    "--vars", "{featureops_raw_dir: 'unused-by-parse'}"], project,
                   env={"FEATUREOPS_TARGET": "dev",
                        "FEATUREOPS_DUCKDB_PATH": str(target / "parse.duckdb")})


@pytest.fixture(scope="module")
def projects(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """A pristine copy parsed by dbt, then the planted edits parsed by `dbt ls
    --select state:modified.contract --state <pristine target>` with JSON logs."""
    root = tmp_path_factory.mktemp("contracts_check")
    project = copy_project(root / "project")
    pristine = root / "pristine_target"
    _dbt(project, pristine, "parse")
    for relative, old, new in PLANTED:
        path = project / relative
        text = path.read_text()
        assert text.count(old) == 1, f"planted edit no longer applies to {relative}: {old!r}"
        path.write_text(text.replace(old, new))
    edited = root / "edited_target"
    listed = _dbt(project, edited, "ls", "--resource-type", "model", "--select",
                  "state:modified.contract", "--state", str(pristine), "--log-format", "json")
    events = [json.loads(line) for line in listed.stdout.splitlines() if line.startswith("{")]
    dbt_breaking = {e["data"]["model_name"]: e["data"] for e in events
                    if e["info"]["name"] == "UnversionedBreakingChange"}
    return {"project": project, "pristine": pristine / "manifest.json",
            "edited": edited / "manifest.json", "dbt_breaking": dbt_breaking}


def _check(capsys, *args: str) -> tuple[int, dict]:
    code = run(["contracts", "check", "--json", *args])
    return code, json.loads(capsys.readouterr().out)


def test_committed_registry_holds_every_contracted_model_and_passes(projects, capsys) -> None:
    registry = REPO_ROOT / "contracts" / "registry"
    code, report = _check(capsys, "-m", str(projects["pristine"]), "--registry", str(registry),
                          "--require-registered")
    contracted = {c.label for c in contracts_from_manifest(
        load_manifest(projects["pristine"])).values()}
    assert contracted, "the example project has contracted models"
    assert set(report["checked"]) == contracted, (
        "contracts/registry is out of date: run `featureops contracts register` and commit "
        f"contracts/registry/ (new: {report['new']}, changed: {report['unregistered']})")
    assert code == 0 and report["violations"] == [] and not report["stale_registry"]


def test_planted_breaking_change_fails_with_the_right_rules(projects, capsys) -> None:
    code, report = _check(capsys, "--project-dir", str(projects["project"]),
                          "-m", str(projects["edited"]))
    assert code == 1
    found = {(v["model"], v["column"], v["rule"], v["old"], v["new"], v["mode"])
             for v in report["violations"]}
    assert found == {
        ("feat_user__profile", "credit_limit_usd", "type_narrowed", "double precision", "real",
         "backward"),
        ("feat_user__profile", "card_level", "column_renamed", "card_tier", "card_level",
         "backward"),
    }


def test_dbt_breaking_changes_match_dbt_state_modified_contract(projects, capsys) -> None:
    code, report = _check(capsys, "-m", str(projects["edited"]), "--baseline",
                          str(projects["pristine"]))
    assert code == 1  # the narrowing and the rename
    ours: dict[str, set[str]] = {}
    for change in report["changes"]:
        if change["dbt_breaking"]:
            column = change["old"] if change["rule"] == "column_renamed" else change["column"]
            ours.setdefault(change["model"], set()).add(column)
    theirs: dict[str, set[str]] = {}
    for model, data in projects["dbt_breaking"].items():
        columns = set(data["columns_removed"])
        columns |= {c["column_name"] for c in data["column_type_changes"]}
        columns |= {c["column_name"] for c in data["enforced_column_constraint_removed"]}
        theirs[model] = columns
    assert theirs == {
        "feat_user__profile": {"credit_limit_usd", "card_tier", "birth_year"},
        "feat_user__spend_windows": {"amount_usd_max_30d"},
        "feat_merchant__profile": {"category_code"},
        "feat_merchant__risk_windows": {"transaction_count_7d"},
    }
    assert ours == theirs
    added = [c for c in report["changes"] if c["rule"] == "column_added"]
    assert [(c["model"], c["column"], c["dbt_breaking"]) for c in added] == [
        ("feat_transaction__context", "merchant_distance_km", False)]


def test_fail_on_dbt_breaking_fails_on_everything_dbt_flags(projects, capsys) -> None:
    code, report = _check(capsys, "--project-dir", str(projects["project"]),
                          "-m", str(projects["edited"]), "--fail-on-dbt-breaking")
    assert code == 1
    by_mode = {(v["column"], v["mode"]) for v in report["violations"]}
    assert by_mode == {("credit_limit_usd", "backward"), ("card_level", "backward"),
                       ("birth_year", "dbt"), ("amount_usd_max_30d", "dbt"),
                       ("category_code", "dbt"), ("transaction_count_7d", "dbt")}


def test_the_postgres_build_passes_the_registry_too(postgres_build, capsys) -> None:
    """Types are compared across spellings and engines: the registry was recorded from a
    DuckDB parse, the Postgres manifest must still pass."""
    code, report = _check(capsys, "-m", str(postgres_build.manifest_path), "--registry",
                          str(REPO_ROOT / "contracts" / "registry"))
    assert code == 0 and report["violations"] == []
