"""Events of a stream source -> rows of a streaming view's input model, by dbt's own SQL.

The models between the dbt source and the input model (in the example
``stg_payments__transactions`` then ``int_transactions__enriched``, which joins the users
and the ``currency_rates`` seed) run over each batch of events in an in-process DuckDB
(featureops.engines.inprocess): every model on the path from the source is a view with its
compiled SQL, where the source's references read the batch instead; every other relation
they read (the lookups) is copied from the warehouse dbt built, and copied again when it
is rebuilt (featureops.request_time.lookups). The rows are then exactly those dbt would
build from the same raw rows.

What the path may do is what one batch can reproduce: each model computes a row from its
row alone, joining lookups. Window functions, aggregates, ``distinct``, grouping, set
operations, limits and reading the stream twice (a self-join) are refused at start, naming
the model. Filters and inner joins may drop an event: it is reported, never lost silently.
A join that turns one event into several rows (a duplicate lookup key) is reported the same
way: the stream counts each event once, by its id.

The input model must keep the source's event-id column under its name: it is how each
row is traced back to its event (checked per batch: a row whose id is not one of the
batch's is an error).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from featureops.engines.inprocess import ROWS, InProcessError, InProcessSession
from featureops.exceptions import FeatureopsError
from featureops.lineage.sql import dialect_for, parse_relation, relation_key
from featureops.manifest import Manifest, Node, Source
from featureops.request_time.executor import LookupSource
from featureops.streaming.sources import StreamSource
from featureops.streaming.state import EVENT_ID_COLUMN

#: Adapters whose compiled SQL the in-process DuckDB runs unchanged.
RUNNABLE_ADAPTERS = ("duckdb",)
# Clauses that make a select's rows depend on other rows of the batch.
_NOT_ROW_WISE = {"group": "a group by", "having": "a having clause", "qualify": "a qualify",
                 "limit": "a limit", "offset": "an offset", "distinct": "distinct"}


class TransformError(FeatureopsError):
    """The models between a stream source and an input model cannot run on a batch."""


@dataclass(frozen=True)
class ChainModel:
    """A model on the path from the stream source, with the SQL the session runs."""

    node: Node
    sql: str


@dataclass(frozen=True)
class Chain:
    """What turns a source's events into an input model's rows."""

    source: StreamSource
    input_model: Node
    models: tuple[ChainModel, ...]   # parents first; ephemeral ones are inlined by dbt
    lookups: tuple[Node | Source, ...]   # relations copied from the warehouse


def build_chain(manifest: Manifest, source: StreamSource, input_model: str) -> Chain:
    """The path from ``source`` to model ``input_model``, checked; errors name the model."""
    adapter = manifest.adapter_type or "duckdb"
    if adapter not in RUNNABLE_ADAPTERS:
        raise TransformError(f"{manifest.path}: compiled for {adapter}: featureops runs the "
                             "stream's models in DuckDB, so run the workers from a manifest "
                             "compiled for a DuckDB target")
    target = manifest.find_model(input_model)
    source_id = source.table.unique_id
    fed: dict[str, bool] = {}

    def is_fed(uid: str) -> bool:
        if uid == source_id:
            return True
        if uid not in fed:
            fed[uid] = False  # a cycle reads as not fed
            node = manifest.models.get(uid)
            fed[uid] = node is not None and any(is_fed(p) for p in node.depends_on)
        return fed[uid]

    if not is_fed(target.unique_id):
        raise TransformError(f"{_where(target)}: model '{target.name}' does not read stream "
                             f"source '{source.name}' ({source.table.source_name}."
                             f"{source.table.name}), so its events cannot become its rows")
    order: list[Node] = []
    _parents_first(manifest, target, is_fed, order, set())
    dialect = dialect_for(adapter)
    source_key = parse_relation(source.table.relation_name or "", dialect)
    stream_keys = {source_key} if source_key else set()
    stream_keys |= {k for k in (parse_relation(n.relation_name or "", dialect) for n in order)
                    if k is not None}
    models = [ChainModel(node, _stream_sql(node, dialect, source_key, stream_keys))
              for node in order]
    lookups = _lookups(manifest, order, source_id, is_fed, dialect)
    # dbt inlines ephemeral models into their children's compiled SQL: no view of their own
    models = [m for m in models if m.node.materialized != "ephemeral"]
    return Chain(source, target, tuple(models), tuple(lookups))


def _lookups(manifest: Manifest, order: list[Node], source_id: str, is_fed: Any,
             dialect: str | None) -> list[Node | Source]:
    """What the path's models read besides the stream: copied from the warehouse."""
    lookups: dict[str, Node | Source] = {}
    for node in order:
        for uid in node.depends_on:
            parent = manifest.get(uid)
            if uid == source_id or is_fed(uid) or not isinstance(parent, (Node, Source)):
                continue
            if isinstance(parent, Source):
                key = parse_relation(parent.relation_name or "", dialect)
                if key is not None and len(key) > 1:  # a file path is read in place
                    lookups[uid] = parent
                continue
            if parent.materialized == "ephemeral" or not parent.relation_name:
                raise TransformError(f"{_where(node)}: model '{node.name}' joins "
                                     f"'{parent.name}', which is ephemeral: the stream copies "
                                     "lookups from the warehouse, so make it a view or table")
            lookups[uid] = parent
    return list(lookups.values())


def _parents_first(manifest: Manifest, node: Node, is_fed: Any, order: list[Node],
                   seen: set[str]) -> None:
    seen.add(node.unique_id)
    for uid in node.depends_on:
        parent = manifest.models.get(uid)
        if parent is not None and uid not in seen and is_fed(uid):
            _parents_first(manifest, parent, is_fed, order, seen)
    order.append(node)


def _where(node: Node) -> str:
    return node.original_file_path or node.unique_id


def _stream_sql(node: Node, dialect: str | None, source_key: tuple[str, ...] | None,
                stream_keys: set[tuple[str, ...]]) -> str:
    """The model's compiled SQL with the source read from the batch; refuse what is not
    row-wise."""
    def fail(message: str) -> TransformError:
        return TransformError(f"{_where(node)}: model '{node.name}' cannot run on a batch of "
                              f"stream events: {message}")

    if node.language != "sql" or not node.compiled_code:
        raise fail("the manifest has no compiled SQL for it (run `dbt compile` or `dbt build`)")
    try:
        statements = [s for s in sqlglot.parse(node.compiled_code, read=dialect)
                      if s is not None]
    except SqlglotError as error:
        raise fail(f"sqlglot cannot parse it: {str(error).splitlines()[0]}") from None
    if len(statements) != 1 or not isinstance(statements[0], exp.Query):
        raise fail("its compiled SQL must be one query")
    query = statements[0]
    problem = _row_wise_problem(query, stream_keys, dialect)
    if problem:
        raise fail(problem)
    if source_key is None:
        return node.compiled_code
    reads_source = False
    for table in list(query.find_all(exp.Table)):
        if table.name and _matches(relation_key(table), source_key):
            alias = table.alias or table.name
            table.replace(exp.Table(this=exp.to_identifier(ROWS),
                                    alias=exp.TableAlias(this=exp.to_identifier(alias))))
            reads_source = True
    # Models downstream of the source's own model read views, so their text runs unchanged.
    return query.sql(dialect="duckdb") if reads_source else node.compiled_code


def _matches(key: tuple[str, ...], source_key: tuple[str, ...]) -> bool:
    """A reference to the source: its relation name, or (DuckDB external sources) the
    configured file path made absolute by the project's macro."""
    if key == source_key or key[-len(source_key):] == source_key:
        return True
    return len(key) == len(source_key) == 1 and key[0].endswith("/" + source_key[0])


def _row_wise_problem(query: exp.Expression, stream_keys: set[tuple[str, ...]],
                      dialect: str | None) -> str | None:
    window = query.find(exp.Window)
    if window is not None:
        return f"window function `{_short(window, dialect)}` needs rows of other events"
    aggregate = query.find(exp.AggFunc)
    if aggregate is not None:
        return f"aggregate `{_short(aggregate, dialect)}` needs rows of other events"
    if query.find(getattr(exp, "SetOperation", exp.Union)) is not None:
        return "a set operation (union, except, intersect) mixes in rows from elsewhere"
    for select in query.find_all(exp.Select):
        for clause, words in _NOT_ROW_WISE.items():
            if select.args.get(clause):
                return f"{words} makes a row depend on other rows of the batch"
    # Each relation fed by the stream (and each CTE that reads one) is read once: twice
    # would join the batch with itself, which a batch cannot reproduce.
    ctes = {cte.alias_or_name.lower(): cte for cte in query.find_all(exp.CTE)}
    streamy: set[str] = set()
    changed = True
    while changed:
        changed = False
        for name, cte in ctes.items():
            if name not in streamy and any(_reads(t, stream_keys, streamy)
                                           for t in cte.this.find_all(exp.Table)):
                streamy.add(name)
                changed = True
    counts = Counter(_stream_name(t, stream_keys, streamy)
                     for t in query.find_all(exp.Table))
    counts.pop(None, None)
    twice = [name for name, count in counts.items() if count > 1]
    if twice:
        return f"it reads '{twice[0]}' (rows fed by the stream) more than once"
    return None


def _reads(table: exp.Table, stream_keys: set[tuple[str, ...]], streamy: set[str]) -> bool:
    return _stream_name(table, stream_keys, streamy) is not None


def _stream_name(table: exp.Table, stream_keys: set[tuple[str, ...]],
                 streamy: set[str]) -> str | None:
    if not table.name:
        return None
    key = relation_key(table)
    if len(key) == 1 and key[0] in streamy:
        return key[0]
    if any(_matches(key, stream) for stream in stream_keys):
        return ".".join(key)
    return None


def _short(node: exp.Expression, dialect: str | None) -> str:
    text = " ".join(node.sql(dialect=dialect).split())
    return text if len(text) <= 80 else text[:77] + "..."


@dataclass(frozen=True)
class Transformed:
    """The input model's rows of a batch (with ``__event_id``), and the events that gave
    no row or several."""

    rows: pa.Table
    dropped: tuple[str, ...]      # event ids the models filtered out (a filter, inner join)
    fanned_out: tuple[str, ...]   # event ids that became several rows (not counted)


class EventTransform:
    """Runs one chain over batches of validated events; thread-safe (calls serialised)."""

    def __init__(self, chain: Chain, lookups: LookupSource, event_schema: pa.Schema) -> None:
        self.chain = chain
        self.name = chain.input_model.name
        self._lookups = lookups
        self._lock = threading.Lock()
        self._session = InProcessSession()
        self._lookup_names = [n.relation_name for n in chain.lookups if n.relation_name]
        for node in (*chain.lookups, *(m.node for m in chain.models)):
            self._session.ensure_schema(node.database, node.schema)
        self._session.copy_tables(self._lookups.load(self._lookup_names))
        self._session.set_rows(event_schema.empty_table())
        for model in chain.models:
            self._session.create_view(model.node.relation_name or "", model.sql,
                                      f"model '{model.node.name}' (stream source "
                                      f"'{chain.source.name}')")
        self._select = f"select * from {chain.input_model.relation_name}"
        columns = self._run(event_schema.empty_table()).column_names
        self.event_id = chain.source.event_id
        if self.event_id not in columns:
            raise TransformError(
                f"{_where(chain.input_model)}: model '{self.name}' has no column "
                f"'{self.event_id}', the event id of stream source '{chain.source.name}': "
                "the stream traces each row to its event by it, so keep it under that name")

    def _run(self, events: pa.Table) -> pa.Table:
        self._session.set_rows(events)
        return self._session.query(self._select, f"model '{self.name}' over stream events")

    def rows(self, events: pa.Table, event_ids: Sequence[str]) -> Transformed:
        """The input model's rows computed from ``events`` (the source's columns, one row
        per event, ids unique) plus ``__event_id``."""
        with self._lock:
            if self._lookups.changed():
                # dbt holding the warehouse mid-build: keep the previous copy, retry later
                with suppress(FeatureopsError):
                    self._session.copy_tables(self._lookups.load(self._lookup_names))
            try:
                rows = self._run(events)
            except InProcessError as error:
                raise TransformError(str(error)) from None
        ids = [None if v is None else str(v) for v in rows.column(self.event_id).to_pylist()]
        expected = set(event_ids)
        strangers = [i for i in ids if i not in expected]
        if strangers:
            raise TransformError(
                f"{_where(self.chain.input_model)}: model '{self.name}' gives a row whose "
                f"'{self.event_id}' ({strangers[0]!r}) is not the id of an event of the batch: "
                "the column must carry the source's event id unchanged")
        counts = Counter(ids)
        fanned = tuple(i for i, n in counts.items() if n > 1)
        if fanned:
            keep = pa.array([counts[i] == 1 for i in ids], type=pa.bool_())
            rows, ids = rows.filter(keep), [i for i in ids if counts[i] == 1]
        rows = rows.append_column(EVENT_ID_COLUMN, pa.array(ids, type=pa.string()))
        dropped = tuple(i for i in event_ids if i not in counts)
        return Transformed(rows, dropped, fanned)

    def close(self) -> None:
        self._session.close()

