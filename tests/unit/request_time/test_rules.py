"""`featureops validate` on request-time views: the declaration's schema, and SQL that
cannot run over request rows refused with the reason."""

from __future__ import annotations

import pytest

from featureops.catalog import FeatureCatalog, InvalidFeatureMetaError
from featureops.manifest import Manifest
from featureops.validate import validate_manifest
from tests import factories as f
from tests.unit.request_time.rt_manifest import SQL, nodes, request_time_meta


def _problems(*built: dict) -> list[str]:
    report = validate_manifest(Manifest.from_dict(f.manifest(*built)))
    return [str(p) for p in report.problems]


def test_the_valid_declaration_has_no_problems() -> None:
    assert _problems(*nodes()) == []
    catalog = FeatureCatalog.from_manifest(Manifest.from_dict(f.manifest(*nodes())))
    spec = catalog.view("feat_transaction__context").spec.request_time
    assert spec.fields["amount"] == "double"
    assert spec.chained == (("feat_user__profile", "home_country_code"),)


@pytest.mark.parametrize(("change", "field", "fragment"), [
    ({"fields": {"transaction_id": "bigint", "event_at": "timestamp", "amount": "money"}},
     "meta.featureops.request_time.fields.amount", "Input should be 'bigint'"),
    ({"fields": {}}, "meta.featureops.request_time.fields", "at least 1 item"),
    ({"inputs": "x"}, "meta.featureops.request_time.inputs", "unknown key"),
    ({"features": ["feat_user__profile"]}, "meta.featureops.request_time",
     "'feat_user__profile' is not a 'view:feature' reference"),
    ({"fields": {"transaction_id": "bigint", "amount": "double"}}, "meta.featureops",
     "request_time.fields must include 'event_at'"),
])
def test_bad_declarations_name_the_model_and_field(change, field, fragment) -> None:
    problems = _problems(*nodes(request_time_meta(**change)))
    assert any(f"model 'feat_transaction__context': {field}: " in p and fragment in p
               for p in problems), problems
    with pytest.raises(InvalidFeatureMetaError, match="feat_transaction__context") as error:
        FeatureCatalog.from_manifest(Manifest.from_dict(f.manifest(
            *nodes(request_time_meta(**change)))))
    assert "\n" not in str(error.value)


def test_an_online_request_time_view_is_refused() -> None:
    meta = request_time_meta()
    meta["online"] = True
    assert any("remove online: true" in p for p in _problems(*nodes(meta)))


@pytest.mark.parametrize(("sql", "fragment"), [
    (SQL.replace("requests.amount * rates.usd_rate",
                 "avg(requests.amount) over (partition by requests.transaction_id)"),
     "window function AVG(requests.amount) OVER"),
    (SQL.replace("requests.amount * rates.usd_rate", "sum(requests.amount)"),
     "aggregate SUM(requests.amount): a request-time view computes each request row alone"),
    (SQL.replace('"db"."main_reference"."currency_rates"', '"db"."main"."transactions"'),
     'reads "db"."main"."transactions", which is neither the request input nor a seed'),
])
def test_sql_that_cannot_run_per_request_is_refused_with_the_reason(sql, fragment) -> None:
    problems = _problems(*nodes(sql=sql))
    assert any("compiled SQL: " in p and fragment in p for p in problems), problems


def test_reading_a_model_other_than_the_input_is_refused() -> None:
    problems = _problems(*nodes(depends=("model.proj.feat_user__profile",)))
    assert any("reads model.proj.feat_user__profile, which is neither the request input nor "
               "a seed" in p for p in problems), problems


def test_input_must_be_a_referenced_non_ephemeral_model_with_matching_columns() -> None:
    assert any("request_time.input: 'int_other' is not a model this view refs" in p
               for p in _problems(*nodes(request_time_meta(input="int_other"))))
    built = nodes()
    built[1]["config"]["materialized"] = "ephemeral"
    assert any("'int_requests' is ephemeral" in p for p in _problems(*built))
    meta = request_time_meta(features=[])
    assert any("column 'home_country_code' of the input model 'int_requests' is neither a "
               "request field nor a chained feature" in p for p in _problems(*nodes(meta)))
    meta = request_time_meta(fields={**request_time_meta()["request_time"]["fields"],
                                     "channel": "text"})
    assert any("request_time.fields.channel: not a column of the input model" in p
               for p in _problems(*nodes(meta)))


def test_chained_features_must_be_online_and_keyed_by_request_fields() -> None:
    built = nodes(request_time_meta(features=["feat_user__profile:home_country"]))
    built[1]["columns"]["home_country"] = built[1]["columns"].pop("home_country_code")
    assert any("request_time.features.0: feature view 'feat_user__profile' has no feature "
               "'home_country'" in p for p in _problems(*built))
    fields = {k: v for k, v in request_time_meta()["request_time"]["fields"].items()
              if k != "user_id"}
    built = nodes(request_time_meta(fields=fields))
    built[1]["columns"].pop("user_id")
    assert any("entity key(s) user_id are not request fields" in p for p in _problems(*built))


def test_a_parse_only_manifest_is_a_warning_not_an_error() -> None:
    built = nodes()
    built[3]["compiled_code"] = None
    report = validate_manifest(Manifest.from_dict(f.manifest(*built)))
    assert report.ok
    assert any("no compiled SQL" in str(p) for p in report.problems)


def test_sql_outside_the_compiled_subset_is_a_warning_naming_the_construct() -> None:
    sql = SQL.replace("requests.amount * rates.usd_rate", "sign(requests.amount)")
    problems = _problems(*nodes(sql=sql))
    assert len(problems) == 1 and problems[0].startswith("warning: ")
    assert "model 'feat_transaction__context': compiled SQL: runs on DuckDB (sign: " \
        "SIGN(requests.amount))" in problems[0]
