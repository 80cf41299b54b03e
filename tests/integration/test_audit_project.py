"""The audit on the example project: its real state (no error; every finding or suppression
matches a fact read from the manifest), planted problems in a broken copy (each found on
the right view), and `featureops deprecate` end to end (YAML edit, dbt parse, audit)."""

from __future__ import annotations

import json
from pathlib import Path

from featureops.cli import run
from featureops.dbt_runner import run_dbt
from tests.conftest import REPO_ROOT, BuiltProject, edit_file

AS_OF = "2026-11-27"


def audit_json(manifest: Path, project: Path, capsys, *extra: str) -> tuple[int, dict]:
    code = run(["audit", "--format", "json", "--as-of", AS_OF, "-m", str(manifest),
                "--project-dir", str(project), *extra])
    return code, json.loads(capsys.readouterr().out)


def parse(project: Path, target: Path) -> Path:
    run_dbt(["parse", "--target-path", str(target), "--log-path", str(target / "logs")],
            project)
    return target / "manifest.json"


def test_the_example_project_has_no_error_and_its_findings_are_true(
        duckdb_build: BuiltProject, capsys) -> None:
    code, report = audit_json(duckdb_build.manifest_path, REPO_ROOT, capsys)
    assert code == 0 and report["passed"] and report["counts"]["error"] == 0
    raw = json.loads(duckdb_build.manifest_path.read_text())
    listed = {(f["rule"], f["resource"]) for f in report["findings"] + report["suppressed"]}
    # Independent oracle for two rules: what the JSON says about descriptions and freshness
    # of the root project's resources (installed packages such as featureops are not audited).
    root = raw["metadata"]["project_name"]
    for uid, source in raw["sources"].items():
        if source["package_name"] != root:
            assert not any(resource == uid for _, resource in listed), uid
            continue
        fresh = any((source.get("freshness") or {}).get(k, {}) and
                    (source["freshness"][k] or {}).get("count") is not None
                    for k in ("warn_after", "error_after"))
        assert (("source_without_freshness", uid) in listed) == (not fresh), uid
    for uid, node in raw["nodes"].items():
        if node["resource_type"] == "model" and node["package_name"] == root:
            assert (("model_missing_description", uid) in listed) == (
                not node["description"].strip()), uid
    rules = {r["id"]: r["checked"] for r in report["rules"]}
    assert rules["feature_view_missing_owner"] >= 5  # every feature view was audited
    assert all(s["suppressed"] for s in report["suppressed"])


def test_planted_problems_are_found_on_the_right_views(project_copy: Path, tmp_path: Path,
                                                       capsys) -> None:
    user = project_copy / "models/features/user/_user__models.yml"
    merchant = project_copy / "models/features/merchant/_merchant__models.yml"
    transaction = project_copy / "models/features/transaction/_transaction__models.yml"
    # feat_user__profile: no owner, PII served online, grain untested
    edit_file(user, "      group: risk_ml\n      contract:\n        enforced: true\n"
              "      meta:\n        featureops:\n          kind: feature_view\n"
              "          entities: [user_id]\n          timestamp: event_at\n"
              "          ttl: 3650d\n          online: true\n          owner: risk-ml\n",
              "      contract:\n        enforced: true\n"
              "      meta:\n        featureops:\n          kind: feature_view\n"
              "          entities: [user_id]\n          timestamp: event_at\n"
              "          ttl: 3650d\n          online: true\n")
    edit_file(user, "      - name: birth_year\n        description: Cardholder's year of birth.\n",
              "      - name: birth_year\n        description: Cardholder's year of birth.\n"
              "        config:\n          tags: [pii]\n")
    edit_file(user, "    data_tests:\n      - featureops.unique_combination_of_columns:\n"
              "          arguments:\n            combination_of_columns: [user_id, event_at]\n"
              "    columns:\n      - name: user_id\n        description: Cardholder key (entity)."
              "\n        data_type: bigint\n        constraints:\n          - type: not_null\n"
              "        data_tests:\n          - relationships:\n              arguments:\n"
              "                to: ref('stg_payments__users')\n",
              "    columns:\n      - name: user_id\n        description: Cardholder key (entity)."
              "\n        data_type: bigint\n        constraints:\n          - type: not_null\n"
              "        data_tests:\n          - relationships:\n              arguments:\n"
              "                to: ref('stg_payments__users')\n")
    # feat_user__spend_windows: review overdue, no ttl
    edit_file(user, '          ttl: 30d\n          online: true\n          owner: risk-ml\n'
              '          status: active\n          last_reviewed: "2026-11-01"\n',
              '          online: true\n          owner: risk-ml\n'
              '          status: active\n          last_reviewed: "2025-06-01"\n')
    # feat_merchant__profile: invalid status; feat_merchant__risk_windows: deprecation passed
    text = merchant.read_text()
    assert text.count("          status: active\n") == 2
    first = text.index("          status: active\n")
    second = text.index("          status: active\n", first + 1)
    text = (text[:first] + "          status: retired\n" + text[first + 24:second]
            + '          status: deprecated\n          deprecation_date: "2026-10-01"\n'
            + text[second + 24:])
    merchant.write_text(text)
    # feat_transaction__context: experimental, consumed by the production fraud model
    edit_file(transaction, "          status: active\n", "          status: experimental\n")
    manifest = parse(project_copy, tmp_path / "target")
    code, report = audit_json(manifest, project_copy, capsys)
    assert code == 1 and not report["passed"]
    found = {(f["rule"], f["name"]) for f in report["findings"]}
    planted = {
        ("feature_view_missing_owner", "feat_user__profile"),
        ("online_feature_view_pii_unapproved", "feat_user__profile"),
        ("feature_view_entity_keys_untested", "feat_user__profile"),
        ("feature_view_review_overdue", "feat_user__spend_windows"),
        ("feature_view_missing_ttl", "feat_user__spend_windows"),
        ("feature_view_invalid_status", "feat_merchant__profile"),
        ("feature_view_deprecation_date_passed", "feat_merchant__risk_windows"),
        ("deprecated_feature_view_consumed", "feat_merchant__risk_windows"),
        ("experimental_feature_view_in_production", "feat_transaction__context"),
    }
    assert planted <= found, planted - found
    feature_findings = {(r, n) for r, n in found if n.startswith("feat_")}
    assert feature_findings == planted  # nothing else was reported on the views
    pii = next(f for f in report["findings"] if f["rule"] == "online_feature_view_pii_unapproved")
    assert "birth_year" in pii["message"]
    assert pii["path"] == "models/features/user/_user__models.yml"


def test_deprecate_end_to_end(project_copy: Path, tmp_path: Path, capsys) -> None:
    manifest = parse(project_copy, tmp_path / "target")
    yaml_path = project_copy / "models/features/merchant/_merchant__models.yml"
    before = yaml_path.read_text()
    assert run(["deprecate", "feat_merchant__profile", "--date", "2027-03-01", "--guide",
                "use feat_merchant__profile_v2", "-m", str(manifest), "--project-dir",
                str(project_copy)]) == 0
    out = capsys.readouterr().out
    assert "notify merchant-intelligence <merchant-intelligence@example.com>" in out
    assert "notify risk-ml <risk-ml@example.com>" in out
    assert "exposure fraud_detection_model" in out and "exposure merchant_risk_scorer" in out
    after = yaml_path.read_text()
    removed = [line for line in before.splitlines() if line not in after.splitlines()]
    added = [line for line in after.splitlines() if line not in before.splitlines()]
    assert len(removed) == 0 or removed == ["          status: active"]
    assert len(added) == 3 and '          deprecation_date: "2027-03-01"' in added
    reparsed = parse(project_copy, tmp_path / "target2")
    assert run(["validate", "-m", str(reparsed), "--project-dir", str(project_copy)]) == 0
    capsys.readouterr()
    code, report = audit_json(reparsed, project_copy, capsys)
    assert code == 0
    consumed = [f for f in report["findings"] if f["rule"] == "deprecated_feature_view_consumed"]
    assert [f["name"] for f in consumed] == ["feat_merchant__profile"]
    assert "removal due 2027-03-01" in consumed[0]["message"]
