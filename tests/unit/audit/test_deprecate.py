"""`featureops deprecate`: minimal, verified YAML edits and the notices to send."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
import yaml

from featureops.cli import run
from featureops.deprecate import DeprecationError, deprecate, edit_featureops_block
from featureops.lineage.graph import LineageGraph
from featureops.manifest import Manifest
from featureops.testing import ManifestBuilder

VALUES = {"status": "deprecated", "deprecation_date": "2027-01-31",
          "deprecation_guide": 'use feat_user__v2: "same" features'}

YAML = """\
version: 2

models:
  - name: feat_other
    config:
      meta:
        featureops:
          kind: feature_view
          status: active

  # the view we deprecate
  - name: feat_user__spend
    description: >
      Spend per user.
    config:
      group: risk_ml  # owners
      meta:
        featureops:
          kind: feature_view
          entities: [user_id]
          status: active   # reviewed
          deprecation_guide: >
            an old guide
            on two lines

          last_reviewed: "2026-11-01"
          sla:
            freshness: 1h
    columns:
      - name: user_id
"""


def changed_lines(before: str, after: str) -> tuple[list[str], list[str]]:
    removed = [line for line in before.splitlines() if line not in after.splitlines()]
    added = [line for line in after.splitlines() if line not in before.splitlines()]
    return removed, added


def test_edit_replaces_and_inserts_only_the_three_keys() -> None:
    after = edit_featureops_block(YAML, "feat_user__spend", VALUES)
    removed, added = changed_lines(YAML, after)
    assert removed == ["          status: active   # reviewed",
                       "          deprecation_guide: >", "            an old guide",
                       "            on two lines"]
    assert added == ['          status: "deprecated"',
                     '          deprecation_guide: "use feat_user__v2: \\"same\\" features"',
                     '          deprecation_date: "2027-01-31"']
    parsed = yaml.safe_load(after)["models"]
    block = parsed[1]["config"]["meta"]["featureops"]
    assert {k: block[k] for k in VALUES} == VALUES
    assert block["sla"] == {"freshness": "1h"} and block["last_reviewed"] == "2026-11-01"
    assert parsed[0]["config"]["meta"]["featureops"]["status"] == "active"
    assert "  # the view we deprecate" in after and "group: risk_ml  # owners" in after


def test_edit_keeps_crlf_line_endings() -> None:
    crlf = YAML.replace("\n", "\r\n")
    after = edit_featureops_block(crlf, "feat_user__spend", VALUES)
    assert after.count("\r\n") == after.count("\n")


def test_edit_of_top_level_meta_and_idempotence() -> None:
    text = ("models:\n- name: v\n  meta:\n    featureops:\n      kind: feature_view\n"
            "- name: w\n")
    after = edit_featureops_block(text, "v", VALUES)
    assert yaml.safe_load(after)["models"][0]["meta"]["featureops"]["status"] == "deprecated"
    assert edit_featureops_block(after, "v", VALUES) == after


@pytest.mark.parametrize("text", [
    "models:\n  - name: v\n    config:\n      meta:\n        featureops: {kind: feature_view}\n",
    "models:\n  - name: v\n    config: {meta: {featureops: {kind: feature_view}}}\n",
    "models:\n  - name: other\n",
])
def test_shapes_a_line_edit_cannot_handle_are_refused(text: str) -> None:
    from featureops.deprecate import _CannotEdit

    with pytest.raises(_CannotEdit):
        edit_featureops_block(text, "v", VALUES)


def project(tmp_path: Path, yaml_text: str = YAML) -> LineageGraph:
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "_models.yml").write_text(yaml_text)
    b = ManifestBuilder("shop")
    b.feature_view("feat_user__spend", patch_path="models/_models.yml",
                   block={"owner": "risk-ml"})
    b.model("training_spend", depends_on=["feat_user__spend"],
            meta={"featureops": {"kind": "training_set", "owner": "growth-ml"}})
    b.exposure("fraud_model", depends_on=["training_spend"], owner="risk-ml")
    b.exposure("ltv_model", depends_on=["feat_user__spend"], owner="growth-ml")
    b.model("plain")
    data = b.build()
    (tmp_path / "manifest.json").write_text(json.dumps(data))
    return LineageGraph.from_manifest(Manifest.from_dict(data, source="manifest.json"))


def test_deprecate_writes_and_lists_notices(tmp_path: Path) -> None:
    lineage = project(tmp_path)
    result = deprecate(lineage, tmp_path, "feat_user__spend", when=date(2027, 1, 31),
                       guide="use  feat_user__v2", today=date(2026, 11, 27))
    assert result.written and result.warnings == []
    text = (tmp_path / "models" / "_models.yml").read_text()
    assert 'deprecation_guide: "use feat_user__v2"' in text
    assert result.diff.startswith("--- models/_models.yml")
    notices = {n.owner: n for n in result.notices}
    assert set(notices) == {"risk-ml", "growth-ml"}
    assert notices["risk-ml"].exposures == ("fraud_model",)
    assert notices["growth-ml"].exposures == ("ltv_model",)
    assert notices["growth-ml"].nodes == ("training_spend",)


def test_dry_run_and_past_date_warning(tmp_path: Path) -> None:
    lineage = project(tmp_path)
    result = deprecate(lineage, tmp_path, "feat_user__spend", when=date(2026, 1, 1),
                       guide="gone", today=date(2026, 11, 27), dry_run=True)
    assert not result.written and "+          status: \"deprecated\"" in result.diff
    assert (tmp_path / "models" / "_models.yml").read_text() == YAML
    assert "in the past" in result.warnings[0]


def test_unsafe_yaml_gives_the_manual_edit(tmp_path: Path) -> None:
    flow = "models:\n  - name: feat_user__spend\n    config: {meta: {featureops: {}}}\n"
    lineage = project(tmp_path, flow)
    result = deprecate(lineage, tmp_path, "feat_user__spend", when=date(2027, 1, 31),
                       guide="use v2", today=date(2026, 11, 27))
    assert not result.written and "inline" in result.reason
    assert 'deprecation_date: "2027-01-31"' in result.manual_edit
    assert (tmp_path / "models" / "_models.yml").read_text() == flow


def test_only_feature_views_can_be_deprecated(tmp_path: Path) -> None:
    lineage = project(tmp_path)
    with pytest.raises(DeprecationError, match="`plain` is not a feature view"):
        deprecate(lineage, tmp_path, "plain", when=date(2027, 1, 1), guide="x",
                  today=date(2026, 11, 27))


def test_cli_deprecate(tmp_path: Path, capsys) -> None:
    project(tmp_path)
    args = ["deprecate", "feat_user__spend", "--date", "2027-01-31", "--guide", "use v2",
            "--project-dir", str(tmp_path), "-m", str(tmp_path / "manifest.json")]
    assert run(args) == 0
    out = capsys.readouterr().out
    assert "updated" in out and "notify growth-ml <growth-ml@example.com>" in out
    assert "affects exposure ltv_model, training_spend" in out
    assert run([*args, "--json"]) == 0  # second run: nothing left to change
    data = json.loads(capsys.readouterr().out)
    assert data["written"] is False and data["diff"] == ""
    assert run([*args[:2], "--date", "31/01/2027", "--guide", "x", *args[6:]]) == 2
