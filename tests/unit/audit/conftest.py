"""Helpers for audit tests: small manifests with feature views, built in code."""

from __future__ import annotations

from datetime import date
from typing import Any

from featureops.audit.config import AuditConfig
from featureops.audit.runner import AuditReport, run_audit
from featureops.manifest import Manifest
from featureops.testing import ManifestBuilder

TODAY = date(2026, 11, 27)


def clean_builder() -> ManifestBuilder:
    """A governed project with no finding: source (fresh, described) -> stg (tested) ->
    feature view (contract, keys tested, ttl, reviewed) <- ml exposure in production."""
    b = ManifestBuilder("shop")
    b.source("raw", "orders", columns={"id": None}, freshness=True, description="Orders.")
    b.model("stg_orders", depends_on=["raw.orders"], description="One row per order.",
            columns={"id": "bigint"})
    b.test("unique", "stg_orders", column="id")
    b.test("not_null", "stg_orders", column="id")
    b.feature_view("feat_user__spend", depends_on=["stg_orders"])
    b.exposure("fraud_model", depends_on=["feat_user__spend"], owner="risk-ml",
               meta={"featureops": {"stage": "production"}})
    return b


def audit(builder: ManifestBuilder, config: dict[str, Any] | None = None, *,
          today: date = TODAY, only: tuple[str, ...] = ()) -> AuditReport:
    manifest = Manifest.from_dict(builder.build(), source="manifest.json")
    return run_audit(manifest, AuditConfig.model_validate(config or {}), today=today,
                     only=only)


def found(report: AuditReport, rule: str) -> dict[str, str]:
    """resource name -> message of one rule's findings."""
    return {f.name: f.message for f in report.findings if f.rule == rule}
