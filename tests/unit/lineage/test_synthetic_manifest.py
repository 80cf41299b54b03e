"""The synthetic manifest generator behind the lineage and audit benchmark: the requested
size, deterministic, readable by the manifest reader, and a realistic graph."""

from __future__ import annotations

from datetime import date

from featureops.audit.runner import run_audit
from featureops.lineage.graph import LineageGraph
from featureops.manifest import Manifest
from featureops.testing import synthetic_manifest


def test_counts_determinism_and_shape() -> None:
    data = synthetic_manifest(models=600, tests=3000, exposures=40, sources=30, seed=7)
    assert data == synthetic_manifest(models=600, tests=3000, exposures=40, sources=30, seed=7)
    assert data != synthetic_manifest(models=600, tests=3000, exposures=40, sources=30, seed=8)
    manifest = Manifest.from_dict(data, source="synthetic.json")
    assert (len(manifest.models), len(manifest.tests), len(manifest.exposures),
            len(manifest.sources)) == (600, 3000, 40, 30)
    lineage = LineageGraph.from_manifest(manifest)
    assert lineage.warnings == [] and lineage.order is not None
    deepest = max(manifest.models, key=lambda u: len(lineage.upstream(u)))
    # 12 layers; a model may read the layer before last, so shortest paths are shorter
    assert max(lineage.upstream(deepest).values()) >= 6
    assert any(u.startswith("source.") for u in lineage.upstream(deepest))
    views = [m for m in manifest.models.values() if m.meta.get("featureops")]
    assert views and any(lineage.downstream_exposures(v.unique_id) for v in views)
    report = run_audit(manifest, today=date(2026, 11, 27), lineage=lineage)
    rules = {f.rule for f in report.findings}
    assert {"feature_view_missing_owner", "feature_view_invalid_status",
            "model_missing_description", "source_without_freshness"} <= rules
