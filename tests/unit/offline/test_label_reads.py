"""labels_known_before_prediction judges the columns a feature reads: a window that counts a
rider's requests is no label leak although the label (is_cancelled) lives in the same table;
one that sums the label is. What cannot be traced is reported, never passed."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from featureops.catalog import FeatureCatalog
from featureops.manifest import Manifest
from featureops.offline.graph import graph_from_manifest
from featureops.offline.label_reads import label_reads, project_resolver
from featureops.offline.leakage import check_leakage
from featureops.offline.macros import MacroRenderer, MacroSource
from featureops.project import Project
from featureops.testing import ManifestBuilder

REQUESTS = '"dev"."main"."int_requests"'
FRAME = ("partition by rider_id order by requested_at range between interval 1 hour "
         "preceding and current row exclude current row")
VIEW_SQL = f"""select rider_id, requested_at as event_at,
    count(*) over ({FRAME}) as request_count_1h,
    sum(case when is_cancelled then 1 else 0 end) over ({FRAME}) as cancelled_count_1h
from {REQUESTS}"""
TRAINING_SQL = f"""select requests.rider_id, requests.requested_at as event_at,
    requests.is_cancelled, features.request_count_1h, features.cancelled_count_1h
from {REQUESTS} as requests
inner join "dev"."main"."rider_requests" as features
    on requests.rider_id = features.rider_id and requests.requested_at = features.event_at"""
TRAINING_SET = {"kind": "training_set", "exposure": "cancel_model", "timestamp": "event_at",
                "labels": ["is_cancelled"], "label_sources": ["int_requests"],
                "features": ["rider_requests:request_count_1h",
                             "rider_requests:cancelled_count_1h"]}


def rides(*, view_sql: str | None = VIEW_SQL, training_sql: str = TRAINING_SQL,
          label_source: str = "int_requests") -> ManifestBuilder:
    """int_requests (one row per ride request, with its label is_cancelled) -> the view
    rider_requests (two windows over it) -> train_cancellations (label + both features)."""
    builder = ManifestBuilder("rides", database="dev")
    builder.model("int_requests", materialized="table",
                  sql="select request_id, rider_id, requested_at, is_cancelled "
                      "from raw_requests",
                  columns={"request_id": "bigint", "rider_id": "bigint",
                           "requested_at": "timestamp", "is_cancelled": "boolean"})
    builder.model("int_riders", materialized="table", sql="select rider_id from raw_riders",
                  columns={"rider_id": "bigint"})
    builder.feature_view("rider_requests", entities=("rider_id",), tests=False,
                         features={"request_count_1h": "bigint",
                                   "cancelled_count_1h": "bigint"},
                         depends_on=["int_requests"], sql=view_sql)
    builder.exposure("cancel_model", depends_on=["rider_requests"])
    builder.model("train_cancellations", materialized="table", sql=training_sql,
                  depends_on=["int_requests", "rider_requests"],
                  meta={"featureops": {**TRAINING_SET, "label_sources": [label_source]}},
                  columns={"rider_id": "bigint", "event_at": "timestamp",
                           "is_cancelled": "boolean", "request_count_1h": "bigint",
                           "cancelled_count_1h": "bigint"})
    return builder


def reads_of(builder: ManifestBuilder) -> dict[str, dict[str, list[str]]]:
    manifest = Manifest.from_dict(builder.build(), source="manifest.json")
    training_set = FeatureCatalog.from_manifest(manifest).training_sets["train_cancellations"]
    views = [{"name": "rider_requests", "unique_id": "model.rides.rider_requests",
              "features": [{"column": "request_count_1h"}, {"column": "cancelled_count_1h"}]}]
    return label_reads(project_resolver(manifest, None), training_set, views)


def test_only_the_window_over_the_label_column_reads_label_data() -> None:
    assert reads_of(rides()) == {
        "rider_requests": {"cancelled_count_1h": ["int_requests.is_cancelled"]}}


def test_a_label_source_the_labels_are_not_traced_to_counts_whole() -> None:
    # The labels come from int_requests, but the training set names int_riders: every
    # column of int_riders is then label data, and the window partition reads one.
    view_sql = VIEW_SQL.replace(f"from {REQUESTS}", f"""from {REQUESTS}
        inner join "dev"."main"."int_riders" as riders using (rider_id)""").replace(
        "partition by rider_id", "partition by riders.rider_id")
    builder = rides(view_sql=view_sql, label_source="int_riders")
    builder.nodes["model.rides.rider_requests"]["depends_on"]["nodes"].append(
        "model.rides.int_riders")
    reads = reads_of(builder)["rider_requests"]
    assert reads == {"request_count_1h": ["int_riders.rider_id"],
                     "cancelled_count_1h": ["int_riders.rider_id"]}


def test_a_feature_whose_sql_cannot_be_traced_is_reported() -> None:
    reads = reads_of(rides(view_sql=None))["rider_requests"]
    assert reads.keys() == {"request_count_1h", "cancelled_count_1h"}
    (detail,) = reads["request_count_1h"]
    assert detail.startswith("rider_requests.request_count_1h (not traceable: no compiled SQL")


def build_warehouse(root: Path, minutes_apart: int = 5) -> Project:
    """The tables of :func:`rides`: 300 requests of 7 riders, ``minutes_apart`` apart."""
    root.mkdir()
    with duckdb.connect(str(root / "dev.duckdb")) as conn:
        conn.execute(f"""create table int_requests as select i as request_id,
                        i % 7 as rider_id,
                        timestamp '2026-01-01' + to_minutes(i * {minutes_apart}) as requested_at,
                        (i * 31) % 10 < 3 as is_cancelled
                        from range(300) t(i)""")
        conn.execute(f"create table rider_requests as {VIEW_SQL.replace(REQUESTS, 'int_requests')}")
        conn.execute("create table train_cancellations as " + TRAINING_SQL.replace(
            REQUESTS, "int_requests").replace('"dev"."main".', ""))
    (root / "manifest.json").write_text(json.dumps(rides().build()))
    return Project.locate(root, root / "manifest.json")


def test_featureops_leakage_names_only_the_feature_that_reads_the_label(tmp_path) -> None:
    project = build_warehouse(tmp_path / "rides")
    report = check_leakage(project, warehouse=tmp_path / "rides" / "dev.duckdb")
    found = [(f.model, f.column, f.problem) for f in report.findings
             if f.check == "labels_known_before_prediction"]
    assert found == [("rider_requests", "cancelled_count_1h",
                      "reads label data int_requests.is_cancelled outside a window that "
                      "declares available_at, so labels arriving after the prediction time "
                      "may be read")]
    assert not [f for f in report.findings if f.check == "no_future_feature_values"]


def test_the_dbt_test_without_a_parser_judges_the_whole_view() -> None:
    manifest = Manifest.from_dict(rides().build(), source="manifest.json")
    renderer = MacroRenderer("duckdb", source=MacroSource.from_manifest(manifest),
                             graph=graph_from_manifest(manifest))
    spec = FeatureCatalog.from_manifest(manifest).training_sets[
        "train_cancellations"].spec.model_dump()
    views = renderer.render("_training_set_views", spec)
    sql = renderer.render("label_availability_sql", views, spec["label_sources"])
    rows = duckdb.sql(sql).fetchall()
    assert [(model, column) for model, column, _, _ in rows] == [("rider_requests", "*")]
    assert "`featureops leakage` judges the columns each feature reads" in rows[0][2]
