"""LineageGraph: building from manifests, name resolution, traversal (checked against a
brute-force oracle on random DAGs), consumers, and tolerance of broken manifests."""

from __future__ import annotations

import random

import pytest

from featureops.lineage.errors import AmbiguousNodeError, UnknownNodeError, UnknownVersionError
from featureops.lineage.graph import LineageGraph
from featureops.testing import ManifestBuilder
from tests.unit.lineage.conftest import build, names, shop_builder


def test_every_resource_type_is_a_node_with_its_edges(shop: LineageGraph) -> None:
    types = {shop.type_of(u) for u in shop.graph}
    assert types == {"source", "seed", "model", "test", "exposure"}
    assert shop.graph.has_edge("source.shop.raw.orders", "model.shop.stg_orders")
    assert shop.graph.has_edge("model.shop.training_orders", "exposure.shop.churn_model")
    assert shop.graph.has_edge("model.shop.stg_orders", "test.shop.unique_stg_orders_order_id")
    assert shop.warnings == []


def test_semantic_models_and_metrics_are_nodes() -> None:
    b = shop_builder()
    b.semantic_model("orders_sm", model="int_orders")
    b.metric("revenue", depends_on=["orders_sm"])
    lineage = LineageGraph.from_manifest(build(b))
    assert lineage.type_of("metric.shop.revenue") == "metric"
    down = lineage.downstream("model.shop.stg_orders")
    assert {"semantic_model.shop.orders_sm", "metric.shop.revenue"} <= set(down)
    assert down["metric.shop.revenue"] == 3  # int (1), semantic model (2), metric (3)


@pytest.mark.parametrize(("text", "expected"), [
    ("stg_orders", "model.shop.stg_orders"),
    ("model.shop.stg_orders", "model.shop.stg_orders"),
    ("shop.stg_orders", "model.shop.stg_orders"),
    ("raw.orders", "source.shop.raw.orders"),
    ("countries", "seed.shop.countries"),
    ("churn_model", "exposure.shop.churn_model"),
    ("  int_orders ", "model.shop.int_orders"),
])
def test_resolve_names(shop: LineageGraph, text: str, expected: str) -> None:
    assert shop.resolve(text) == expected


def test_resolve_unknown_suggests_close_names(shop: LineageGraph) -> None:
    with pytest.raises(UnknownNodeError, match="did you mean stg_orders") as error:
        shop.resolve("stg_order")
    assert "\n" not in str(error.value) and "manifest.json" in str(error.value)


def test_resolve_prefers_root_project_then_refuses_ambiguity() -> None:
    b = ManifestBuilder("shop")
    b.model("orders")
    b.model("orders", package="other_pkg")
    lineage = LineageGraph.from_manifest(build(b))
    assert lineage.resolve("orders") == "model.shop.orders"
    b2 = ManifestBuilder("root")
    b2.model("orders", package="a")
    b2.model("orders", package="b")
    lineage2 = LineageGraph.from_manifest(build(b2))
    with pytest.raises(AmbiguousNodeError, match="model.a.orders, model.b.orders"):
        lineage2.resolve("orders")
    assert lineage2.resolve("b.orders") == "model.b.orders"


def test_resolve_versioned_model_picks_latest() -> None:
    b = ManifestBuilder("shop")
    b.model("dim_customers", version=1, latest_version=2)
    b.model("dim_customers", version=2, latest_version=2)
    lineage = LineageGraph.from_manifest(build(b))
    assert lineage.resolve("dim_customers") == "model.shop.dim_customers.v2"
    assert lineage.name_of("model.shop.dim_customers.v1") == "dim_customers.v1"
    # dbt's selector syntax names every version, the latest one included (#11 item 12)
    assert lineage.resolve("dim_customers.v2") == "model.shop.dim_customers.v2"
    assert lineage.resolve("shop.dim_customers.v2") == "model.shop.dim_customers.v2"
    assert lineage.resolve("dim_customers.v1") == "model.shop.dim_customers.v1"
    with pytest.raises(UnknownVersionError, match=r"no version v10 \(versions: v1, v2\)"):
        lineage.resolve("dim_customers.v10")


def test_upstream_and_downstream_with_depth(shop: LineageGraph) -> None:
    up = shop.upstream("model.shop.feat_customer__orders")
    assert names(shop, up) == {"int_orders", "stg_orders", "raw.orders", "stg_customers",
                               "raw.customers", "countries"}
    assert up["model.shop.int_orders"] == 1 and up["source.shop.raw.orders"] == 3
    assert names(shop, shop.upstream("model.shop.feat_customer__orders", depth=1)) == {
        "int_orders", "stg_customers"}
    down = shop.downstream("model.shop.stg_customers", include_tests=False)
    assert names(shop, down) == {"feat_customer__orders", "training_orders", "churn_model"}
    assert down["exposure.shop.churn_model"] == 2  # the shortest path, via the view


def _random_dag(seed: int, size: int = 60) -> tuple[ManifestBuilder, dict[str, list[str]]]:
    rng = random.Random(seed)
    b = ManifestBuilder("rnd")
    parents: dict[str, list[str]] = {}
    for i in range(size):
        chosen = rng.sample(range(i), k=min(i, rng.randint(0, 3)))
        uid = b.model(f"m{i}", depends_on=[f"m{j}" for j in chosen])
        parents[uid] = [f"model.rnd.m{j}" for j in chosen]
    return b, parents


def _oracle_ancestors(parents: dict[str, list[str]], start: str, depth: int | None
                      ) -> dict[str, int]:
    """Brute force: relax distances until nothing changes (Bellman-Ford on unit edges)."""
    best = {start: 0}
    changed = True
    while changed:
        changed = False
        for child, ps in parents.items():
            if child in best:
                for p in ps:
                    if best[child] + 1 < best.get(p, 10**9):
                        best[p] = best[child] + 1
                        changed = True
    del best[start]
    return {k: v for k, v in best.items() if depth is None or v <= depth}


@pytest.mark.parametrize("seed", range(8))
def test_traversal_matches_brute_force_oracle(seed: int) -> None:
    b, parents = _random_dag(seed)
    lineage = LineageGraph.from_manifest(build(b))
    children: dict[str, list[str]] = {u: [] for u in parents}
    for child, ps in parents.items():
        for p in ps:
            children[p].append(child)
    rng = random.Random(seed)
    for start in rng.sample(sorted(parents), 10):
        for depth in (None, 1, 2, 5):
            assert lineage.upstream(start, depth) == _oracle_ancestors(parents, start, depth)
            assert lineage.downstream(start, depth) == _oracle_ancestors(children, start, depth)


@pytest.mark.parametrize("seed", range(5))
def test_downstream_exposures_match_brute_force(seed: int) -> None:
    b, parents = _random_dag(seed, size=40)
    rng = random.Random(seed)
    models = sorted(parents)
    reads = {f"e{i}": rng.sample(models, k=3) for i in range(6)}
    for name, deps in reads.items():
        b.exposure(name, depends_on=deps)
    lineage = LineageGraph.from_manifest(build(b))
    for uid in models:
        expected = sorted(f"exposure.rnd.{name}" for name, deps in reads.items()
                          if uid in deps or any(uid in lineage.upstream(d) for d in deps))
        assert sorted(lineage.downstream_exposures(uid)) == expected


def test_select_keeps_only_edges_between_selected_nodes(shop: LineageGraph) -> None:
    selection = shop.select("model.shop.stg_orders", direction="downstream")
    assert selection.root == "model.shop.stg_orders"
    assert names(shop, selection.nodes) == {"stg_orders", "int_orders", "feat_customer__orders",
                                            "training_orders", "churn_model",
                                            "sales_dashboard"}
    chosen = set(selection.nodes)
    assert all(a in chosen and b in chosen for a, b in selection.edges)
    assert ("model.shop.stg_customers", "model.shop.feat_customer__orders") not in \
        selection.edges
    with_tests = shop.select("model.shop.stg_orders", direction="downstream",
                             include_tests=True)
    assert "test.shop.unique_stg_orders_order_id" in with_tests.nodes
    whole = shop.select(None)
    assert not any(shop.type_of(u) == "test" for u in whole.nodes)


def test_unknown_parent_becomes_missing_node_with_warning() -> None:
    b = shop_builder()
    b.nodes["model.shop.int_orders"]["depends_on"]["nodes"].append("model.shop.gone")
    lineage = LineageGraph.from_manifest(build(b))
    assert lineage.type_of("model.shop.gone") == "missing"
    (warning,) = lineage.warnings
    assert "model.shop.int_orders" in warning and "model.shop.gone" in warning
    assert "not in the manifest" in warning and "\n" not in warning
    assert "model.shop.gone" in lineage.upstream("model.shop.feat_customer__orders")
    with pytest.raises(UnknownNodeError):
        lineage.resolve("model.shop.gone")


def test_disabled_parent_is_named_as_disabled() -> None:
    b = shop_builder()
    b.disabled["model.shop.old"] = [{"unique_id": "model.shop.old"}]
    b.nodes["model.shop.int_orders"]["depends_on"]["nodes"].append("model.shop.old")
    (warning,) = LineageGraph.from_manifest(build(b)).warnings
    assert "model.shop.old, which is disabled" in warning


def test_cycle_is_reported_and_traversals_terminate() -> None:
    b = shop_builder()
    b.nodes["model.shop.stg_orders"]["depends_on"]["nodes"].append("model.shop.int_orders")
    lineage = LineageGraph.from_manifest(build(b))
    (warning,) = lineage.warnings
    assert "cycle" in warning and "stg_orders" in warning and "int_orders" in warning
    assert "model.shop.int_orders" in lineage.upstream("model.shop.stg_orders")
    assert "model.shop.stg_orders" not in lineage.upstream("model.shop.stg_orders")
    assert "exposure.shop.sales_dashboard" in lineage.downstream_exposures(
        "model.shop.stg_orders")


def test_info_owner_precedence(shop: LineageGraph) -> None:
    assert shop.info("model.shop.feat_customer__orders").owner == "growth-ml"
    assert shop.info("model.shop.feat_customer__orders").kind == "feature_view"
    exposure = shop.info("exposure.shop.churn_model")
    assert (exposure.owner, exposure.owner_email) == ("growth-ml", "growth-ml@example.com")
    assert exposure.stage == "production" and exposure.exposure_type == "ml"
    b = ManifestBuilder("shop")
    b.group("analytics", owner="data-team", email="data@example.com")
    b.model("grouped", group="analytics")
    b.model("meta_owned", meta={"owner": "someone"})
    lineage = LineageGraph.from_manifest(build(b))
    assert lineage.info("model.shop.grouped").owner == "data-team"
    assert lineage.info("model.shop.meta_owned").owner == "someone"
    assert lineage.info("model.shop.meta_owned").to_dict()["owner"] == "someone"
