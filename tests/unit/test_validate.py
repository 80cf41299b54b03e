"""featureops validate: every problem of every meta.featureops block, each naming the YAML
file, the model and the field."""

from __future__ import annotations

import copy

import pytest

from featureops.manifest import Manifest
from featureops.validate import validate_manifest
from tests import factories as f


def _validate(*nodes, exposures=()):
    return validate_manifest(Manifest.from_dict(f.manifest(*nodes, exposures=exposures)))


def _meta(**changes):
    meta = copy.deepcopy(f.VALID_VIEW_META)
    for key, value in changes.items():
        if value is None:
            meta.pop(key, None)
        else:
            meta[key] = value
    return meta


def test_a_valid_view_and_service_have_no_problems() -> None:
    view = f.model("feat_user__spend", meta=f.VALID_VIEW_META)
    service = f.exposure("fraud", [view["unique_id"]], features=["feat_user__spend:spend_sum_7d"])
    report = _validate(view, exposures=(service,))
    assert report.ok and report.problems == ()
    assert (report.feature_views, report.feature_services) == (1, 1)


@pytest.mark.parametrize(
    ("meta", "field", "fragment"),
    [
        (_meta(ttl="7 days"), "meta.featureops.ttl", "'7 days' is not a duration"),
        (_meta(ttl="0d"), "meta.featureops.ttl", "'0d' is not a duration"),
        (_meta(tll="7d"), "meta.featureops.tll", "unknown key"),
        (_meta(status="retired"), "meta.featureops.status", "active"),
        (_meta(entities=[]), "meta.featureops.entities", "at least 1"),
        (_meta(entities=["user id"]), "meta.featureops.entities.0", "not a plain column name"),
        (_meta(timestamp=None), "meta.featureops.timestamp", "Field required"),
        (_meta(compatibility="sideways"), "meta.featureops.compatibility", "backward"),
        (_meta(sla={"freshness": "soon"}), "meta.featureops.sla.freshness", "not a duration"),
        (_meta(last_reviewed="yesterday"), "meta.featureops.last_reviewed", "date"),
        (_meta(kind="view"), "meta.featureops.kind", "feature_view"),
    ],
)
def test_schema_problems_name_file_model_and_field(meta, field, fragment) -> None:
    report = _validate(f.model("feat_user__spend", meta=meta))
    assert not report.ok
    problem = next(p for p in report.errors if p.field == field)
    assert fragment in problem.message
    assert problem.path == "models/features/_features__models.yml"
    assert problem.resource == "model 'feat_user__spend'"
    assert "\n" not in str(problem)


def test_entity_and_timestamp_must_be_contract_columns() -> None:
    meta = _meta(entities=["user_id", "card_id"], timestamp="updated_at")
    report = _validate(f.model("feat_user__spend", meta=meta))
    fields = {p.field: p.message for p in report.errors}
    assert "column 'card_id' is not declared" in fields["meta.featureops.entities.1"]
    assert "column 'updated_at' is not declared" in fields["meta.featureops.timestamp"]
    assert "meta.featureops.entities.0" not in fields


def test_view_without_enforced_contract_is_an_error() -> None:
    report = _validate(f.model("feat_user__spend", meta=f.VALID_VIEW_META, enforced=False))
    assert [p.field for p in report.errors] == ["config.contract.enforced"]


def test_untyped_columns_and_keys_only_views_are_errors() -> None:
    columns = [f.column("user_id"), f.column("event_at", None)]
    report = _validate(f.model("feat_user__spend", meta=f.VALID_VIEW_META, columns=columns))
    fields = {p.field: p.message for p in report.errors}
    assert "need a data_type" in fields["columns.event_at.data_type"]
    assert "no feature columns" in fields["columns"] or "event_at" in fields["columns"]


def test_every_problem_is_reported_not_just_the_first() -> None:
    bad_a = f.model("feat_a", meta=_meta(ttl="soon", tll="1d"))
    bad_b = f.model("feat_b", meta=f.VALID_VIEW_META, enforced=False)
    report = _validate(bad_a, bad_b, f.model("plain_model"))
    assert {(p.resource, p.field) for p in report.errors} == {
        ("model 'feat_a'", "meta.featureops.ttl"),
        ("model 'feat_a'", "meta.featureops.tll"),
        ("model 'feat_b'", "config.contract.enforced"),
    }
    assert report.feature_views == 2


def test_service_references_are_resolved() -> None:
    view = f.model("feat_user__spend", meta=f.VALID_VIEW_META)
    service = f.exposure("fraud", [view["unique_id"]],
                         features=["feat_user__spend:spend_sum_30d", "feat_users__spend"])
    report = _validate(view, exposures=(service,))
    messages = {p.field: p.message for p in report.errors}
    assert "has no feature 'spend_sum_30d' (did you mean 'spend_sum_7d'?)" in (
        messages["meta.featureops.features.0"])
    assert "no feature view named 'feat_users__spend' (did you mean 'feat_user__spend'?)" in (
        messages["meta.featureops.features.1"])


def test_service_reading_a_view_it_does_not_depend_on_is_a_warning() -> None:
    view = f.model("feat_user__spend", meta=f.VALID_VIEW_META)
    service = f.exposure("fraud", [], features=["feat_user__spend"])
    report = _validate(view, exposures=(service,))
    assert report.ok
    (warning,) = report.problems
    assert warning.severity == "warning" and "depends_on" in warning.message


def test_manifest_without_feature_views_is_valid() -> None:
    report = _validate(f.model("orders"), f.model("customers"))
    assert report.ok and report.feature_views == 0
