"""Record validation: each kind of problem, strict and lenient modes, warn-severity tests,
and agreement with the `jsonschema` library on the exported JSON Schema for random records
(the library is the independent oracle)."""

from __future__ import annotations

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from featureops.contracts.jsonschema_export import json_schema
from featureops.contracts.rules import model_rules
from featureops.contracts.validation import LENIENT, STRICT, RecordValidator
from featureops.manifest import Manifest
from featureops.testing.manifests import ManifestBuilder

COLUMNS = {
    "user_id": {"data_type": "bigint", "constraints": [{"type": "not_null"}]},
    "event_at": {"data_type": "timestamp", "constraints": [{"type": "not_null"}]},
    "txn_count_7d": {"data_type": "integer"},
    "spend_7d": {"data_type": "double precision"},
    "tier": {"data_type": "text"},
    "country": {"data_type": "varchar(2)"},
    "is_foreign": {"data_type": "boolean"},
    "embedding": {"data_type": "real[4]"},
    "score": {"data_type": "double precision"},
    "legacy": {"data_type": "text"},
}


def view_manifest() -> Manifest:
    builder = ManifestBuilder("shop")
    builder.feature_view("feat_users", columns=COLUMNS, tests=False,
                         block={"producer": "payments-stream"})
    builder.test("accepted_range", "feat_users", column="txn_count_7d", namespace="featureops",
                 kwargs={"min_value": 0})
    builder.test("accepted_range", "feat_users", column="spend_7d", namespace="featureops",
                 kwargs={"min_value": 0, "max_value": 1000, "inclusive": False})
    builder.test("accepted_values", "feat_users", column="tier",
                 kwargs={"values": ["standard", "gold"]})
    builder.test("not_null", "feat_users", column="spend_7d")
    builder.test("accepted_range", "feat_users", column="score", namespace="featureops",
                 kwargs={"min_value": 0, "max_value": 1}, severity="WARN", name="score_warn")
    builder.test("accepted_values", "feat_users", column="legacy", kwargs={"values": ["x"]},
                 name="legacy_where")
    data = builder.build()
    data["nodes"]["test.shop.legacy_where"]["config"]["where"] = "event_at > '2026-01-01'"
    return Manifest.from_dict(data)


MANIFEST = view_manifest()
NODE = MANIFEST.find_model("feat_users")
RULES = model_rules(MANIFEST, NODE)
STRICT_VALIDATOR = RecordValidator(RULES, STRICT)
LENIENT_VALIDATOR = RecordValidator(RULES, LENIENT)
GOOD = {"user_id": 7, "event_at": "2026-11-01T10:00:00", "txn_count_7d": 3, "spend_7d": 12.5,
        "tier": "gold", "country": "FR", "is_foreign": False,
        "embedding": [0.1, 0.2, 0.3, 0.4], "score": 0.5, "legacy": "anything"}


def rules_of(outcome) -> set[tuple[str | None, str, str]]:
    return {(p.field, p.rule, p.level) for p in outcome.errors}


def test_good_record_is_accepted_and_converted() -> None:
    outcome = STRICT_VALIDATOR.validate(GOOD)
    assert outcome.accepted and not outcome.errors and not outcome.warnings
    assert outcome.row["event_at"].isoformat() == "2026-11-01T10:00:00"
    table = STRICT_VALIDATOR.to_arrow([outcome.row])
    assert table.column_names == list(COLUMNS)
    assert str(table.schema.field("embedding").type) == "fixed_size_list<item: float>[4]"
    assert str(table.schema.field("event_at").type) == "timestamp[us]"


@pytest.mark.parametrize("change,expected", [
    ({"user_id": "7"}, {("user_id", "wrong_type", "fatal")}),
    ({"user_id": True}, {("user_id", "wrong_type", "fatal")}),
    ({"user_id": 2 ** 63}, {("user_id", "out_of_type_range", "fatal")}),
    ({"user_id": None}, {("user_id", "null_key", "fatal")}),
    ({"event_at": "yesterday"}, {("event_at", "wrong_type", "fatal")}),
    ({"txn_count_7d": 2 ** 31}, {("txn_count_7d", "out_of_type_range", "fatal")}),
    ({"txn_count_7d": 1.5}, {("txn_count_7d", "wrong_type", "fatal")}),
    ({"txn_count_7d": -1}, {("txn_count_7d", "out_of_range", "contract")}),
    ({"spend_7d": 1000}, {("spend_7d", "out_of_range", "contract")}),  # exclusive bound
    ({"spend_7d": None}, {("spend_7d", "not_null", "contract")}),
    ({"tier": "platinum"}, {("tier", "not_accepted", "contract")}),
    ({"country": "FRA"}, {("country", "too_long", "contract")}),
    ({"is_foreign": "no"}, {("is_foreign", "wrong_type", "fatal")}),
    ({"embedding": [0.1, 0.2]}, {("embedding", "wrong_length", "fatal")}),
    ({"embedding": [0.1, 0.2, "x", 0.4]}, {("embedding", "wrong_type", "fatal")}),
    ({"extra_field": 1}, {("extra_field", "unknown_field", "contract")}),
])
def test_each_problem_is_named_and_classed(change: dict, expected: set) -> None:
    outcome = STRICT_VALIDATOR.validate({**GOOD, **change})
    assert not outcome.accepted
    assert rules_of(outcome) == expected


def test_missing_key_and_missing_optional_values() -> None:
    record = {k: v for k, v in GOOD.items() if k not in ("user_id", "tier", "country")}
    outcome = STRICT_VALIDATOR.validate(record)
    assert rules_of(outcome) == {("user_id", "missing_key", "fatal")}
    without_optional = {k: v for k, v in GOOD.items() if k not in ("tier", "country")}
    outcome = STRICT_VALIDATOR.validate(without_optional)
    assert outcome.accepted and outcome.row["tier"] is None


def test_not_an_object() -> None:
    outcome = STRICT_VALIDATOR.validate([1, 2])
    assert rules_of(outcome) == {(None, "not_an_object", "fatal")}


def test_lenient_accepts_contract_problems_with_warnings_but_never_fatal_ones() -> None:
    bent = {**GOOD, "tier": "platinum", "txn_count_7d": -1, "extra_field": 1}
    outcome = LENIENT_VALIDATOR.validate(bent)
    assert outcome.accepted and not outcome.errors
    assert {p.rule for p in outcome.warnings} == {"not_accepted", "out_of_range",
                                                   "unknown_field"}
    assert "extra_field" not in outcome.row
    broken = LENIENT_VALIDATOR.validate({**GOOD, "user_id": "seven"})
    assert not broken.accepted


def test_warn_severity_test_warns_in_strict_mode_too() -> None:
    outcome = STRICT_VALIDATOR.validate({**GOOD, "score": 3.0})
    assert outcome.accepted
    assert [(p.field, p.rule, p.level) for p in outcome.warnings] == [
        ("score", "out_of_range", "warning")]


def test_test_with_where_filter_is_skipped() -> None:
    assert STRICT_VALIDATOR.validate({**GOOD, "legacy": "not x"}).accepted
    assert any("legacy_where" in reason for reason in RULES.skipped)


def test_timestamp_offsets_are_converted_to_utc() -> None:
    outcome = STRICT_VALIDATOR.validate({**GOOD, "event_at": "2026-11-01T12:00:00+02:00"})
    assert outcome.row["event_at"].isoformat() == "2026-11-01T10:00:00"
    outcome = STRICT_VALIDATOR.validate({**GOOD, "event_at": "2026-11-01 10:00:00Z"})
    assert outcome.row["event_at"].isoformat() == "2026-11-01T10:00:00"


SCHEMA = json_schema(MANIFEST, NODE)
ORACLE = jsonschema.Draft202012Validator(SCHEMA)

# Per column: valid values, and values of every invalid kind (some only invalid through a
# test: ranges, accepted values, lengths). Timestamps are well-formed strings or
# non-strings, since jsonschema does not assert `format`. A record is a valid one with up
# to three fields replaced, removed or added, so both verdicts occur often.
VALID = {
    "user_id": st.integers(-2 ** 63, 2 ** 63 - 1),
    "event_at": st.datetimes().map(lambda d: d.isoformat()),
    "txn_count_7d": st.one_of(st.integers(0, 2 ** 31 - 1), st.none()),
    "spend_7d": st.floats(0, 999.9, exclude_min=True),
    "tier": st.one_of(st.sampled_from(["standard", "gold"]), st.none()),
    "country": st.one_of(st.text(max_size=2), st.none()),
    "is_foreign": st.one_of(st.booleans(), st.none()),
    "embedding": st.one_of(st.lists(st.floats(-1, 1), min_size=4, max_size=4), st.none()),
    "score": st.one_of(st.floats(-1, 2, allow_nan=False), st.none()),
    "legacy": st.one_of(st.text(max_size=2), st.none()),
}
INVALID = {
    "user_id": st.one_of(st.integers(2 ** 63, 2 ** 64), st.none(), st.text(max_size=3),
                         st.booleans(), st.floats(0.1, 0.9)),
    "event_at": st.one_of(st.none(), st.integers()),
    "txn_count_7d": st.one_of(st.integers(2 ** 31, 2 ** 40), st.integers(-10, -1),
                              st.floats(0.1, 0.9), st.text(max_size=2)),
    "spend_7d": st.one_of(st.floats(1000, 2000), st.integers(-5, 0), st.none(),
                          st.booleans()),
    "tier": st.one_of(st.just("platinum"), st.integers()),
    "country": st.text(min_size=3, max_size=5),
    "is_foreign": st.integers(0, 1),
    "embedding": st.one_of(st.lists(st.floats(-1, 1), min_size=3, max_size=3),
                           st.lists(st.text(max_size=1), min_size=4, max_size=4)),
    "extra": st.integers(),
}


@st.composite
def records(draw: st.DrawFn) -> dict:
    record = draw(st.fixed_dictionaries(VALID))
    for column in draw(st.lists(st.sampled_from(sorted(INVALID)), max_size=3, unique=True)):
        if draw(st.booleans()) and column not in ("extra",):
            record.pop(column, None)
        else:
            record[column] = draw(INVALID[column])
    return record


RECORDS = records()


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(RECORDS)
def test_strict_verdict_agrees_with_jsonschema_on_the_exported_schema(record: dict) -> None:
    ours = STRICT_VALIDATOR.validate(record).accepted
    theirs = ORACLE.is_valid(record)
    assert ours == theirs, (record, [e.message for e in ORACLE.iter_errors(record)],
                            STRICT_VALIDATOR.validate(record).errors)
