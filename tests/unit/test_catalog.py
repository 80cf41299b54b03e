"""The feature catalog: views selected by meta (not by name), features = non-key columns,
consumers = ml exposures, references resolved with helpful errors."""

from __future__ import annotations

import copy

import pytest

from featureops.catalog import FeatureCatalog, InvalidFeatureMetaError, UnknownFeatureError
from featureops.manifest import Manifest
from tests import factories as f


def _catalog(*nodes, exposures=(), groups=()):
    return FeatureCatalog.from_manifest(
        Manifest.from_dict(f.manifest(*nodes, exposures=exposures, groups=groups)))


def test_views_are_selected_by_meta_not_by_prefix() -> None:
    catalog = _catalog(f.model("feat_not_a_view"), f.model("user_spend", meta=f.VALID_VIEW_META))
    assert list(catalog.views) == ["user_spend"]


def test_features_exclude_keys_and_timestamps() -> None:
    meta = {**f.VALID_VIEW_META, "created_timestamp": "loaded_at"}
    columns = [f.column("user_id"), f.column("event_at", "timestamp"),
               f.column("loaded_at", "timestamp"), f.column("spend", "double"),
               f.column("count", "bigint")]
    view = _catalog(f.model("spend", meta=meta, columns=columns)).view("spend")
    assert [feature.name for feature in view.features] == ["spend", "count"]
    assert view.feature("spend").ref == "spend:spend"
    assert view.feature("spend").data_type == "double"


def test_consumers_and_owner_from_group() -> None:
    meta = {k: v for k, v in f.VALID_VIEW_META.items() if k != "owner"}
    view = f.model("spend", meta=meta, group="risk")
    ml = f.exposure("fraud", [view["unique_id"]])
    dashboard = f.exposure("board", [view["unique_id"]], exposure_type="dashboard")
    group = {"unique_id": "group.proj.risk", "name": "risk", "resource_type": "group",
             "package_name": "proj", "owner": {"name": "risk-team", "email": None}}
    catalog = _catalog(view, exposures=(ml, dashboard), groups=(group,))
    spend = catalog.view("spend")
    assert [e.name for e in spend.consumers] == ["fraud"]
    assert spend.owner == "risk-team"


def test_resolve_mixes_whole_views_and_single_features_without_duplicates() -> None:
    a = f.model("a", meta=f.VALID_VIEW_META)
    b_columns = [f.column("user_id"), f.column("event_at", "timestamp"), f.column("x"),
                 f.column("y")]
    b = f.model("b", meta=f.VALID_VIEW_META, columns=b_columns)
    resolved = _catalog(a, b).resolve(["b:y", "a", "b:x", "b:y"])
    assert {view: [feat.name for feat in feats] for view, feats in resolved.items()} == {
        "b": ["y", "x"], "a": ["spend_sum_7d"]}


def test_unknown_references_suggest_the_closest_name() -> None:
    catalog = _catalog(f.model("feat_user__spend", meta=f.VALID_VIEW_META))
    with pytest.raises(UnknownFeatureError, match=r"did you mean 'feat_user__spend'\?"):
        catalog.resolve(["feat_user_spend"])
    with pytest.raises(UnknownFeatureError, match=r"has no feature 'spend_sum7d'.*spend_sum_7d"):
        catalog.resolve(["feat_user__spend:spend_sum7d"])


def test_invalid_meta_is_one_line_naming_file_model_field() -> None:
    meta = copy.deepcopy(f.VALID_VIEW_META)
    meta["ttl"] = "a week"
    with pytest.raises(InvalidFeatureMetaError) as caught:
        _catalog(f.model("feat_user__spend", meta=meta))
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("models/features/_features__models.yml: model 'feat_user__spend'"
                              ": meta.featureops.ttl:")
    assert "featureops validate" in message


def test_feature_services_resolve_their_features() -> None:
    view = f.model("spend", meta=f.VALID_VIEW_META)
    service = f.exposure("fraud", [view["unique_id"]], features=["spend"], stage="production")
    catalog = _catalog(view, exposures=(service,))
    assert catalog.service("fraud").spec.stage == "production"
    assert [x.ref for x in catalog.resolve_service("fraud")["spend"]] == ["spend:spend_sum_7d"]
