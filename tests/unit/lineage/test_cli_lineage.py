"""`featureops lineage` and `featureops impact` through the CLI: formats, exit codes, one-line
errors and warnings on broken manifests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from featureops.cli import run
from tests.unit.lineage.conftest import shop_builder


@pytest.fixture
def manifest_path(tmp_path: Path) -> Path:
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(shop_builder().build()))
    return path


def lineage(manifest: Path, *args: str) -> int:
    return run(["lineage", *args, "--manifest", str(manifest), "--project-dir",
                str(manifest.parent)])


def test_text_lineage_lists_both_directions(manifest_path: Path, capsys) -> None:
    assert lineage(manifest_path, "int_orders") == 0
    out = capsys.readouterr().out
    assert "up 1" in out and "stg_orders" in out and "down 2" in out and "churn_model" in out


def test_upstream_depth_json(manifest_path: Path, capsys) -> None:
    assert lineage(manifest_path, "feat_customer__orders", "--upstream", "--depth", "1",
                   "--format", "json") == 0
    data = json.loads(capsys.readouterr().out)
    assert {n["label"] for n in data["nodes"]} == {"feat_customer__orders", "int_orders",
                                                   "stg_customers"}
    assert data["direction"] == "upstream" and data["depth"] == 1


@pytest.mark.parametrize(("fmt", "marker"), [("mermaid", "flowchart LR"),
                                             ("dot", "digraph"), ("html", "<!DOCTYPE html>")])
def test_file_formats_to_out(manifest_path: Path, tmp_path: Path, fmt: str, marker: str,
                             capsys) -> None:
    out = tmp_path / "reports" / f"lineage.{fmt}"
    assert lineage(manifest_path, "stg_orders", "--format", fmt, "--out", str(out)) == 0
    assert out.read_text().startswith(marker)
    assert f"wrote {out}" in capsys.readouterr().err


def test_column_lineage_text_and_json(manifest_path: Path, capsys) -> None:
    assert lineage(manifest_path, "feat_customer__orders.region", "--upstream") == 0
    assert "countries.region" in capsys.readouterr().out
    assert lineage(manifest_path, "stg_orders.amount", "--format", "json") == 0
    data = json.loads(capsys.readouterr().out)
    labels = {n["label"] for n in data["nodes"]}
    assert {"raw.orders.amount", "int_orders.amount", "feat_customer__orders.amount_sum_7d"} \
        <= labels
    assert data["unresolved"] == []


def test_exposure_training_lineage(manifest_path: Path, capsys) -> None:
    assert lineage(manifest_path, "--exposure", "churn_model") == 0
    out = capsys.readouterr().out
    assert "training_orders" in out and "feat_customer__orders" in out
    assert lineage(manifest_path, "--exposure", "churn_model", "--format", "json") == 0
    assert json.loads(capsys.readouterr().out)["training_sets"][0]["name"] == "training_orders"
    assert lineage(manifest_path, "--exposure", "churn_model", "--format", "mermaid") == 0
    assert "training_orders" in capsys.readouterr().out


def test_openlineage_format(manifest_path: Path, capsys) -> None:
    assert lineage(manifest_path, "feat_customer__orders", "--format", "openlineage",
                   "--namespace", "postgres://warehouse:5432") == 0
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert {e["job"]["name"] for e in events} >= {"model.shop.feat_customer__orders",
                                                  "exposure.shop.churn_model"}
    assert all(o["namespace"] == "postgres://warehouse:5432"
               for e in events for o in e["outputs"])


def test_impact_text_and_json(manifest_path: Path, capsys) -> None:
    assert run(["impact", "raw.orders", "-m", str(manifest_path)]) == 0
    out = capsys.readouterr().out
    assert out.index("churn_model") < out.index("sales_dashboard")
    assert "growth-ml@example.com" in out
    assert run(["impact", "raw.orders", "-m", str(manifest_path), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [e["name"] for e in data["exposures"]] == ["churn_model", "sales_dashboard"]


@pytest.mark.parametrize("args", [["no_such_model"], ["stg_orders.no_such_column"],
                                  ["--exposure", "int_orders"]])
def test_user_errors_are_one_line_exit_2(manifest_path: Path, args: list[str], capsys) -> None:
    assert lineage(manifest_path, *args) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "manifest.json"
    path.write_text(text)
    return path


@pytest.mark.parametrize(("mutate", "expected"), [
    (lambda text: text[: len(text) // 2], "ends early (truncated?)"),
    (lambda text: json.dumps({**json.loads(text), "nodes": None}), "`nodes` is missing"),
    (lambda text: text.replace("manifest/v12.json", "manifest/v99.json"), "v99"),
    (lambda text: text.replace('"name": "stg_orders"', '"nom": "stg_orders"', 1),
     "`nodes.model.shop.stg_orders.name` is missing"),
])
@pytest.mark.parametrize("command", [["lineage", "stg_orders"], ["impact", "stg_orders"],
                                     ["audit"]])
def test_broken_manifests_give_one_line_errors(tmp_path: Path, mutate, expected: str,
                                               command: list[str], capsys) -> None:
    path = _write(tmp_path, mutate(json.dumps(shop_builder().build())))
    assert run([*command, "-m", str(path), "--project-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ") and expected in err
    assert str(path) in err


def test_cycles_and_unknown_parents_warn_but_work(tmp_path: Path, capsys) -> None:
    data = shop_builder().build()
    data["nodes"]["model.shop.stg_orders"]["depends_on"]["nodes"].append("model.shop.int_orders")
    data["nodes"]["model.shop.int_orders"]["depends_on"]["nodes"].append("model.shop.ghost")
    data["parent_map"] = data["child_map"] = None
    path = _write(tmp_path, json.dumps(data))
    assert run(["lineage", "stg_orders", "-m", str(path), "--format", "json"]) == 0
    captured = capsys.readouterr()
    warnings = [line for line in captured.err.splitlines() if line.startswith("warning: ")]
    assert len(warnings) == 2 and any("cycle" in w for w in warnings)
    assert any("model.shop.ghost" in w for w in warnings)
    assert json.loads(captured.out)["root"] == "model.shop.stg_orders"


REAL_MANIFESTS = Path(__file__).resolve().parents[2] / "resources" / "real_manifests"


@pytest.fixture
def versioned_manifest(tmp_path: Path) -> Path:
    """ad_spend_per_adv exists only as version 1 (its latest) and has a column named `v1`;
    the unversioned `plain` has one too. Both read raw.spend."""
    from featureops.testing import ManifestBuilder

    b = ManifestBuilder("ads")
    b.source("raw", "spend", columns={"adv_id": None, "amount": None})
    sql = 'select adv_id, amount as v1 from "dev"."raw_raw"."spend"'
    b.model("ad_spend_per_adv", depends_on=["raw.spend"], version=1, latest_version=1,
            columns={"adv_id": "bigint", "v1": "double"}, sql=sql)
    b.model("plain", depends_on=["raw.spend"], columns={"adv_id": "bigint", "v1": "double"},
            sql=sql)
    return _write(tmp_path, json.dumps(b.build()))


def test_name_dot_version_is_the_model_version_not_a_column(versioned_manifest: Path,
                                                            capsys) -> None:
    """#11 item 12: `name.v1` is dbt's selector for version 1, even when it is the latest
    (it used to be read as column `v1` of the latest version)."""
    assert lineage(versioned_manifest, "ad_spend_per_adv.v1", "--format", "json") == 0
    data = json.loads(capsys.readouterr().out)
    assert data["root"] == "model.ads.ad_spend_per_adv.v1"
    assert {n["label"] for n in data["nodes"]} == {"ad_spend_per_adv", "raw.spend"}
    assert run(["impact", "ads.ad_spend_per_adv.v1", "-m", str(versioned_manifest)]) == 0


def test_a_column_named_like_a_version_is_reached_after_the_version(
        versioned_manifest: Path, capsys) -> None:
    assert lineage(versioned_manifest, "ad_spend_per_adv.v1.v1", "--upstream",
                   "--format", "json") == 0
    labels = {n["label"] for n in json.loads(capsys.readouterr().out)["nodes"]}
    assert labels == {"ad_spend_per_adv.v1", "raw.spend.amount"}
    # An unversioned model has no versions to mean: `plain.v1` is its column.
    assert lineage(versioned_manifest, "plain.v1", "--upstream", "--format", "json") == 0
    labels = {n["label"] for n in json.loads(capsys.readouterr().out)["nodes"]}
    assert labels == {"plain.v1", "raw.spend.amount"}


def test_a_missing_version_is_an_error_naming_the_versions(versioned_manifest: Path,
                                                           capsys) -> None:
    assert lineage(versioned_manifest, "ad_spend_per_adv.v2") == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "has no version v2 (versions: v1)" in err
    assert "`ad_spend_per_adv.v1.v2`" in err


def test_versions_of_a_real_manifest(capsys) -> None:
    """sa-demo-snowflake has dim_customers v1 and v2 (latest)."""
    manifest = REAL_MANIFESTS / "sa-demo-snowflake" / "manifest.json"
    for text, root in [("dim_customers.v2", "model.analytics.dim_customers.v2"),
                       ("dim_customers.v1", "model.analytics.dim_customers.v1"),
                       ("dim_customers", "model.analytics.dim_customers.v2")]:
        assert run(["lineage", text, "-m", str(manifest), "--format", "json"]) == 0
        assert json.loads(capsys.readouterr().out)["root"] == root
    assert run(["lineage", "dim_customers.v1.customer_key", "-m", str(manifest),
                "--upstream", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert "model.analytics.dim_customers.v1.customer_key" in {n["id"] for n in
                                                               data["nodes"]}


def test_long_listings_are_plain_lines_with_the_same_rows(manifest_path: Path, capsys,
                                                          monkeypatch, tmp_path: Path) -> None:
    from featureops.lineage import render_text

    assert lineage(manifest_path, "int_orders", "--format", "json") == 0
    nodes = json.loads(capsys.readouterr().out)["nodes"]
    monkeypatch.setattr(render_text, "TABLE_MAX_ROWS", 1)
    assert lineage(manifest_path, "int_orders") == 0
    out = capsys.readouterr().out
    assert "┃" not in out and "│" not in out  # no table drawn
    rows = [line.split("\t") for line in out.splitlines() if "\t" in line]
    assert sorted(r[4] for r in rows) == sorted(n["id"] for n in nodes if n["id"] !=
                                                 "model.shop.int_orders")
    assert ["up 1", "model", "stg_orders"] in [r[:3] for r in rows]
    assert lineage(manifest_path, "int_orders", "--out", str(tmp_path / "x.txt")) == 2
    assert not (tmp_path / "x.txt").exists()

    assert run(["impact", "raw.orders", "-m", str(manifest_path)]) == 0
    out = capsys.readouterr().out
    assert "┃" not in out and "│" not in out
    exposures = [line.split("\t") for line in out.splitlines() if "\t" in line][:2]
    assert [e[0] for e in exposures] == ["churn_model", "sales_dashboard"]
    assert "growth-ml@example.com" in out and "downstream node(s)" in out
