"""`featureops validate` on training-set blocks and window declarations."""

from __future__ import annotations

import re
from typing import Any

import pytest

from featureops.catalog import FeatureCatalog, InvalidFeatureMetaError
from featureops.manifest import Manifest
from featureops.testing import ManifestBuilder
from featureops.validate import validate_manifest


def project(training: dict[str, Any] | None = None, window: dict[str, Any] | None = None,
            exposure_depends_on_training: bool = True) -> Manifest:
    builder = ManifestBuilder("shop")
    builder.model("events", columns={"user_id": "bigint", "event_at": "timestamp",
                                     "amount": "double", "reported_at": "timestamp"})
    columns: dict[str, Any] = {"user_id": "bigint", "event_at": "timestamp",
                               "amount_sum_1d": {"data_type": "double", "description": "Sum.",
                                                 "meta": {"featureops": window or {}}}}
    builder.feature_view("user_spend", columns=columns, depends_on=["events"])
    block = {"kind": "training_set", "exposure": "scorer", "timestamp": "event_at",
             "labels": ["label"]} | (training or {})
    builder.model("train_scorer", meta={"featureops": block}, depends_on=["user_spend"],
                  columns={"user_id": "bigint", "event_at": "timestamp", "label": "boolean"})
    builder.exposure("scorer", depends_on=["user_spend", *(
        ["train_scorer"] if exposure_depends_on_training else [])],
        meta={"featureops": {"features": ["user_spend"]}})
    return Manifest.from_dict(builder.build())


def messages(manifest: Manifest) -> list[str]:
    return [str(p) for p in validate_manifest(manifest).problems]


def test_a_valid_training_set_is_accepted_and_catalogued() -> None:
    manifest = project(window={"window": "1d", "aggregate": "sum", "source": "events",
                               "source_column": "amount"})
    report = validate_manifest(manifest)
    assert report.ok and report.problems == () and report.training_sets == 1
    catalog = FeatureCatalog.from_manifest(manifest)
    assert [t.name for t in catalog.training_sets_for("scorer")] == ["train_scorer"]


@pytest.mark.parametrize(("training", "expected"), [
    ({"exposur": "x"}, "meta.featureops.exposur: unknown key"),
    ({"exposure": "nobody"}, "meta.featureops.exposure: no ml exposure named 'nobody'"),
    ({"features": ["user_spend:nope"]}, "meta.featureops.features.0: feature view "
                                        "'user_spend' has no feature 'nope'"),
    ({"label_sources": ["missing"]}, "meta.featureops.label_sources.0: no model named"),
    ({"labels": ["is_fraud"]}, "warning: .*meta.featureops.labels.0: column 'is_fraud' is "
                               "not among"),
])
def test_training_set_problems_name_model_and_field(training, expected) -> None:
    found = messages(project(training))
    assert any(re.search(expected, m) for m in found), found
    assert all("model 'train_scorer'" in m for m in found)


def test_exposure_should_depend_on_its_training_set() -> None:
    (message,) = messages(project(exposure_depends_on_training=False))
    assert message.startswith("warning: ") and "does not list ref('train_scorer')" in message


@pytest.mark.parametrize(("window", "expected"), [
    ({"window": "1d", "aggregate": "sum", "source": "events"},
     "columns.amount_sum_1d.meta.featureops: aggregate 'sum' needs source_column"),
    ({"window": "1 day", "aggregate": "count", "source": "events"}, "is not a duration"),
    ({"window": "1d", "aggregate": "median", "source": "events"}, "aggregate"),
    ({"window": "1d", "aggregate": "count", "source": "nowhere"}, "no model named 'nowhere'"),
    ({"window": "1d", "aggregate": "count", "source": "events", "available_at": "known_at"},
     "documents no column 'known_at' \\(available_at\\)"),
])
def test_window_declarations_are_checked(window, expected) -> None:
    found = messages(project(window=window))
    assert any(re.search(expected, m) for m in found), found
    assert all("model 'user_spend'" in m for m in found)


def test_catalog_refuses_an_invalid_training_set_with_one_line() -> None:
    with pytest.raises(InvalidFeatureMetaError, match="model 'train_scorer': "
                                                      "meta.featureops.timestamp"):
        FeatureCatalog.from_manifest(project({"timestamp": "not valid"}))
