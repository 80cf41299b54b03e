"""Stream sources and the path of models from a source to an input model, on hand-made
manifests: the declaration's errors name the YAML file; SQL a batch of events cannot
reproduce is refused naming the model; the source's references are rewritten to the
batch, and a small chain runs in process with its lookup."""

from __future__ import annotations

import pyarrow as pa
import pytest

from featureops.manifest import Manifest
from featureops.streaming.sources import StreamSourceError, stream_source, stream_sources
from featureops.streaming.transform import EventTransform, TransformError, build_chain
from tests.factories import column, manifest, model

STREAM = {"name": "payments_events", "subject": "payments.events", "event_id": "event_id",
          "event_time": "event_at", "entities": ["user_id"]}
SOURCE_ID = "source.proj.raw.events"


def _source(stream=STREAM, columns=None, name="events") -> dict:
    cols = columns if columns is not None else [
        column("event_id"), column("user_id"), column("amount", "double"),
        column("event_at", "timestamp")]
    return {"unique_id": f"source.proj.raw.{name}", "name": name, "source_name": "raw",
            "resource_type": "source", "package_name": "proj",
            "original_file_path": "models/staging/_raw__sources.yml",
            "columns": {c["name"]: c for c in cols}, "relation_name": f'"db"."raw"."{name}"',
            "database": "db", "schema": "raw",
            "config": {"meta": {} if stream is None else {"featureops": {"stream": stream}}}}


def _model(name: str, sql: str, depends_on: list[str], materialized: str = "view") -> dict:
    node = model(name, columns=[])
    node["compiled_code"] = sql
    node["depends_on"] = {"nodes": depends_on, "macros": []}
    node["config"]["materialized"] = materialized
    node["database"], node["schema"] = "db", "main"
    node["original_file_path"] = f"models/{name}.sql"
    return node


def _seed() -> dict:
    node = model("rates", columns=[])
    node.update(unique_id="seed.proj.rates", resource_type="seed",
                relation_name='"db"."main"."rates"', database="db", schema="main")
    return node


STG = 'select cast(event_id as bigint) as event_id, user_id, amount, event_at ' \
      'from "db"."raw"."events"'
INT = 'with e as (select * from "db"."main"."stg") select e.event_id, e.user_id, ' \
      'e.event_at, e.amount * r.rate as amount_usd from e inner join "db"."main"."rates" r ' \
      'on e.user_id = r.user_id where e.amount > 0'


def _manifest(*nodes: dict, sources: tuple[dict, ...] = ()) -> Manifest:
    data = manifest(*nodes)
    data["sources"] = {s["unique_id"]: s for s in (sources or (_source(),))}
    return Manifest.from_dict(data)


def _chain(stg: str = STG, int_sql: str = INT, **kwargs):
    found = _manifest(_model("stg", stg, [SOURCE_ID]), _seed(),
                      _model("int", int_sql, ["model.proj.stg", "seed.proj.rates"]), **kwargs)
    return build_chain(found, stream_source(found, "payments_events"), "int")


def test_declaration_is_read_with_required_columns():
    source = stream_source(_manifest(), "payments_events")
    assert (source.subject, source.required) == ("payments.events",
                                                 ("event_id", "event_at", "user_id"))


@pytest.mark.parametrize(("change", "message"), [
    ({"subject": "a.*"}, "meta.featureops.stream.subject: 'a.*' is not a subject"),
    ({"event_time": "when"}, "meta.featureops.stream.event_time: 'when' is not a documented"),
    ({"entities": ["card"]}, "meta.featureops.stream.entities.0: 'card' is not a documented"),
    ({"typo": 1}, "meta.featureops.stream.typo: unknown key"),
])
def test_declaration_errors_name_the_file_and_field(change, message):
    with pytest.raises(StreamSourceError) as error:
        stream_sources(_manifest(sources=(_source({**STREAM, **change}),)))
    assert str(error.value).startswith(
        "models/staging/_raw__sources.yml: source 'raw.events': ")
    assert message in str(error.value)


def test_untyped_columns_and_clashing_subjects_are_refused():
    untyped = _source(columns=[column("event_id"), column("user_id"),
                               column("event_at", "timestamp"), column("note", None)])
    with pytest.raises(StreamSourceError, match="column\\(s\\) note declare no data_type"):
        stream_sources(_manifest(sources=(untyped,)))
    other = _source({**STREAM, "name": "other"}, name="others")
    with pytest.raises(StreamSourceError, match="clashes with"):
        stream_sources(_manifest(sources=(_source(), other)))
    with pytest.raises(StreamSourceError, match="no stream source 'nope' \\(declared: "
                                                "payments_events\\)"):
        stream_source(_manifest(), "nope")


def test_chain_rewrites_the_source_reference_and_keeps_lookups():
    chain = _chain()
    assert [m.node.name for m in chain.models] == ["stg", "int"]
    assert [n.name for n in chain.lookups] == ["rates"]
    assert '"db"."raw"."events"' not in chain.models[0].sql
    assert "__featureops_rows" in chain.models[0].sql
    assert chain.models[1].sql == INT  # downstream of the source's model: text unchanged


@pytest.mark.parametrize(("stg", "int_sql", "refusal"), [
    (STG, INT.replace("e.amount * r.rate", "sum(e.amount) over (partition by e.user_id)"),
     "model 'int' cannot run on a batch of stream events: window function"),
    (STG, 'select user_id, count(*) as n from "db"."main"."stg" group by 1',
     "model 'int' cannot run on a batch of stream events: aggregate `COUNT(*)`"),
    (STG.replace("select ", "select distinct "), INT, "model 'stg' cannot run on a batch of "
     "stream events: distinct makes a row depend on other rows"),
    (STG, 'select a.* from "db"."main"."stg" a join "db"."main"."stg" b on a.user_id = '
     'b.user_id', "reads 'db.main.stg' (rows fed by the stream) more than once"),
    (STG, 'with x as (select * from "db"."main"."stg") select * from x union all '
     'select * from x', "a set operation"),
])
def test_what_a_batch_cannot_reproduce_is_refused(stg, int_sql, refusal):
    with pytest.raises(TransformError) as error:
        _chain(stg, int_sql)
    assert str(error.value).startswith("models/")
    assert refusal in str(error.value)


def test_a_model_not_fed_by_the_source_is_refused():
    found = _manifest(_model("stg", STG, [SOURCE_ID]), _seed(),
                      _model("other", 'select * from "db"."main"."rates"', ["seed.proj.rates"]))
    with pytest.raises(TransformError, match="model 'other' does not read stream source "
                                             "'payments_events'"):
        build_chain(found, stream_source(found, "payments_events"), "other")


class _Lookups:
    def __init__(self, tables):
        self.tables = tables

    def load(self, names):
        return {name: self.tables[name] for name in names}

    def changed(self):
        return False


SCHEMA = pa.schema([("event_id", pa.int64()), ("user_id", pa.int64()),
                    ("amount", pa.float64()), ("event_at", pa.timestamp("us"))])


def _transform(int_sql: str = INT) -> EventTransform:
    rates = pa.table({"user_id": [1, 2, 3, 3], "rate": [2.0, 0.5, 1.0, 1.0]})
    return EventTransform(_chain(int_sql=int_sql), _Lookups({'"db"."main"."rates"': rates}),
                          SCHEMA)


def test_a_batch_runs_through_the_chain_and_reports_what_gave_no_row():
    transform = _transform()
    events = pa.table({"event_id": [10, 11, 12, 13, 14], "user_id": [1, 2, 9, 1, 3],
                       "amount": [5.0, 8.0, 1.0, -1.0, 4.0],
                       "event_at": pa.array([0, 1, 2, 3, 4], pa.timestamp("us"))},
                      schema=SCHEMA)
    result = transform.rows(events, ["10", "11", "12", "13", "14"])
    assert result.rows.to_pydict() == {
        "event_id": [10, 11], "user_id": [1, 2],
        "event_at": events.column("event_at").to_pylist()[:2], "amount_usd": [10.0, 4.0],
        "__event_id": ["10", "11"]}
    assert result.dropped == ("12", "13")     # no rate for user 9; the where drops 13
    assert result.fanned_out == ("14",)       # user 3 has two rates: not counted
    transform.close()


def test_an_input_model_without_the_event_id_is_refused():
    with pytest.raises(TransformError, match="model 'int' has no column 'event_id', the "
                                             "event id of stream source 'payments_events'"):
        _transform(INT.replace("select e.event_id, ", "select "))
