"""Which feature views stream, and their windows, read from the dbt declaration.

A feature view with ``meta.featureops.streaming`` is kept up to date from a stream source.
Its windows are not declared a second time: they are read from the view's compiled SQL,
where each ``featureops.windowed_aggregate`` call is a window function over the exact frame
the macro writes (``range between <w> preceding and current row exclude group``). The
query must have the macro's shape and nothing the stream could not reproduce: one select
over one ref'd model (the *input model*, reached through ``select *`` CTEs, no filter, join
or grouping), projecting the entity keys, the event time and windowed aggregates of plain
columns (optionally wrapped in ``coalesce(.., <literal>)`` or a cast), then passed through
to the model's output by ``select [distinct] * from`` CTEs. Anything else is an error that
names the model, never a silently different stream.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from featureops.catalog import FeatureCatalog, FeatureView
from featureops.exceptions import FeatureopsError
from featureops.lineage.sql import dialect_for, parse_relation, relation_key
from featureops.manifest import Manifest, Node

#: Aggregates of featureops.windowed_aggregate, by the SQL function each engine compiles
#: them to (DuckDB's compensated fsum/favg are the macro's sum/avg there).
AGGREGATES = {"count": "count", "sum": "sum", "fsum": "sum", "avg": "avg", "favg": "avg",
              "min": "min", "max": "max"}
_UNIT_MICROS = {"second": 1_000_000, "minute": 60_000_000, "hour": 3_600_000_000,
                "day": 86_400_000_000, "week": 604_800_000_000}
_INTERVAL = re.compile(r"\s*([0-9]+)\s+([a-z]+?)s?\s*", re.IGNORECASE)
# Select clauses that would make the stream's rows differ from the input model's.
_FORBIDDEN_CLAUSES = ("joins", "where", "group", "having", "qualify", "limit", "order")
_WITH = "with_" if "with_" in exp.Select.arg_types else "with"


class StreamingDeclarationError(FeatureopsError):
    """A view marked for streaming cannot be streamed as declared (message names it)."""


@dataclass(frozen=True)
class WindowFeature:
    """One windowed_aggregate column: ``aggregate(column)`` over ``[t - width, t)``."""

    name: str            # the view's column
    aggregate: str       # count | sum | avg | min | max
    column: str          # the input model's column it aggregates
    width_micros: int
    #: Value of an empty window when the SQL wraps the call in coalesce(.., literal);
    #: None otherwise (count is 0, the others null, as the macro returns them).
    empty_value: float | int | None = None


@dataclass(frozen=True)
class StreamingView:
    """A feature view whose windows are also maintained from a stream source."""

    name: str                 # feature view (dbt model) name
    input_model: str          # the model its windows read (e.g. int_transactions__enriched)
    source: str               # stream source name it is fed from (declared by the view)
    entity_columns: tuple[str, ...]   # windowed_aggregate's partition-by
    event_time_column: str    # its order-by
    allowed_lateness_micros: int
    windows: tuple[WindowFeature, ...]

    @property
    def input_columns(self) -> tuple[str, ...]:
        """Input-model columns the state needs from each event row."""
        seen = dict.fromkeys((*self.entity_columns, self.event_time_column,
                              *(w.column for w in self.windows)))
        return tuple(seen)

    @property
    def widths_micros(self) -> tuple[int, ...]:
        """The distinct window widths, longest first."""
        return tuple(sorted({w.width_micros for w in self.windows}, reverse=True))


def streaming_views(manifest: Manifest, catalog: FeatureCatalog) -> list[StreamingView]:
    """Every view with ``meta.featureops.streaming``, parsed and validated, by name."""
    return [streaming_view(manifest, view)
            for name, view in sorted(catalog.views.items())
            if view.spec.streaming is not None]


#: Engines whose builds stream nothing: the workers run DuckDB-compiled SQL only
#: (featureops.streaming.transform), and Spark's window frames are not the form parsed
#: here, so the streaming views of a Spark build are served and materialized as batch views.
BATCH_ONLY_ADAPTERS = ("spark",)


def batch_only(manifest: Manifest) -> bool:
    """Whether the manifest's streaming views are batch views on its engine."""
    return manifest.adapter_type in BATCH_ONLY_ADAPTERS


def streaming_view(manifest: Manifest, view: FeatureView) -> StreamingView:
    """One streaming view; raise StreamingDeclarationError naming the model."""
    if view.spec.streaming is None:
        raise StreamingDeclarationError(
            f"feature view '{view.name}' is not marked for streaming "
            "(meta.featureops.streaming)")
    return _Parser(manifest, view).parse()


class _Parser:
    def __init__(self, manifest: Manifest, view: FeatureView) -> None:
        self.manifest = manifest
        self.view = view
        self.node = view.model
        self.dialect = dialect_for(manifest.adapter_type)

    def fail(self, message: str) -> StreamingDeclarationError:
        where = self.node.original_file_path or self.node.unique_id
        return StreamingDeclarationError(
            f"{where}: feature view '{self.view.name}' cannot stream: {message}")

    def parse(self) -> StreamingView:
        if self.node.language != "sql" or not self.node.compiled_code:
            raise self.fail("the manifest has no compiled SQL for it (run `dbt compile` or "
                            "`dbt build` first)")
        try:
            statements = [s for s in sqlglot.parse(self.node.compiled_code, read=self.dialect)
                          if s is not None]
        except SqlglotError as error:
            raise self.fail(f"its compiled SQL cannot be parsed: "
                            f"{str(error).splitlines()[0]}") from None
        if len(statements) != 1 or not isinstance(statements[0], exp.Select):
            raise self.fail("its compiled SQL must be one select statement")
        query = statements[0]
        ctes = {cte.alias_or_name.lower(): cte.this for cte in query.find_all(exp.CTE)}
        windowed = self._windowed_select(query, ctes)
        input_model = self._input_model(windowed, ctes)
        windows, partition, order = self._windows(windowed)
        self._check_keys(windowed, partition, order)
        self._check_input_columns(input_model, windows)
        spec = self.view.spec.streaming
        assert spec is not None
        return StreamingView(
            name=self.view.name, input_model=input_model.name, source=spec.source,
            entity_columns=partition, event_time_column=order,
            allowed_lateness_micros=int(spec.allowed_lateness_delta.total_seconds())
            * 1_000_000,
            windows=tuple(windows))

    # --- query shape ------------------------------------------------------------------

    def _windowed_select(self, query: exp.Select, ctes: dict[str, exp.Expression]
                         ) -> exp.Select:
        """Follow ``select [distinct] * from cte`` from the output to the windows."""
        current: exp.Expression = query
        for _ in range(len(ctes) + 1):
            if not isinstance(current, exp.Select):
                raise self.fail("the query between its windows and its output must be "
                                "selects (no union)")
            if any(_own_windows(current)):
                return current
            name = self._star_source(current, allow_distinct=True)
            if name not in ctes:
                raise self.fail(f"its output comes from '{name}' without a windowed_aggregate "
                                "column")
            current = ctes[name]
        raise self.fail("its CTEs refer to each other in a cycle")

    def _star_source(self, select: exp.Select, allow_distinct: bool) -> str:
        """The one relation ``select * from X`` reads, or an error."""
        if (len(select.expressions) != 1 or not isinstance(select.expressions[0], exp.Star)
                or (select.args.get("distinct") and not allow_distinct)):
            raise self.fail("the selects between the input model, the windows and the output "
                            "must be `select * from ...` (found "
                            f"`{_short(select.sql(self.dialect))}`)")
        return self._single_source(select)

    def _single_source(self, select: exp.Select) -> str:
        for clause in _FORBIDDEN_CLAUSES:
            if select.args.get(clause):
                raise self.fail(f"`{_short(select.sql(self.dialect))}` has a {clause} clause; "
                                "the stream sees every input row, so the windows' select "
                                "and the CTEs it reads may not filter, join or group")
        source = select.args.get("from") or select.args.get("from_")
        table = source.this if source is not None else None
        if not isinstance(table, exp.Table) or not table.name:
            raise self.fail(f"`{_short(select.sql(self.dialect))}` must read one relation")
        if len(table.parts) > 1:
            return "\0" + ".".join(relation_key(table))  # a warehouse relation, not a CTE
        return table.name.lower()

    def _input_model(self, windowed: exp.Select, ctes: dict[str, exp.Expression]) -> Node:
        name = self._single_source(windowed)
        for _ in range(len(ctes) + 1):
            if name not in ctes:
                break
            cte = ctes[name]
            if not isinstance(cte, exp.Select):
                raise self.fail(f"CTE '{name}' must be a select")
            name = self._star_source(cte, allow_distinct=False)
        key = tuple(name.lstrip("\0").split("."))
        for unique_id in self.node.depends_on:
            parent = self.manifest.get(unique_id)
            if not isinstance(parent, Node) or not parent.relation_name:
                continue
            parent_key = parse_relation(parent.relation_name, self.dialect)
            if parent_key is not None and parent_key[-len(key):] == key[-len(parent_key):]:
                if parent.resource_type != "model":
                    raise self.fail(f"its windows read {parent.resource_type} "
                                    f"'{parent.name}'; they must read a model")
                return parent
        raise self.fail(f"its windows read '{name.lstrip(chr(0))}', which is not a model it "
                        "refs")

    # --- windows ----------------------------------------------------------------------

    def _windows(self, select: exp.Select
                 ) -> tuple[list[WindowFeature], tuple[str, ...], str]:
        windows: list[WindowFeature] = []
        frames: set[tuple[tuple[str, ...], str]] = set()
        for projection in select.expressions:
            name = projection.alias_or_name
            body = projection.this if isinstance(projection, exp.Alias) else projection
            if not any(_own_windows(body)):
                continue
            window, empty = self._unwrap(name, body)
            aggregate, column = self._aggregate(name, window.this)
            partition, order, width = self._frame(name, window)
            frames.add((partition, order))
            windows.append(WindowFeature(name=name, aggregate=aggregate, column=column,
                                         width_micros=width, empty_value=empty))
        if len(frames) != 1:
            raise self.fail("its windows must share one partition-by and order-by "
                            f"(found {len(frames)})")
        (partition, order), = frames
        return windows, partition, order

    def _unwrap(self, name: str, body: exp.Expression) -> tuple[exp.Window, float | int | None]:
        empty: float | int | None = None
        if isinstance(body, exp.Coalesce):
            rest = body.expressions
            if len(rest) != 1 or not isinstance(rest[0], exp.Literal) or rest[0].is_string:
                raise self.fail(f"column '{name}': coalesce must have one numeric literal "
                                "after the windowed_aggregate")
            text = rest[0].this
            empty = int(text) if re.fullmatch(r"-?[0-9]+", text) else float(text)
            body = body.this
        if isinstance(body, exp.Cast):
            body = body.this
        if not isinstance(body, exp.Window):
            raise self.fail(f"column '{name}' must be a featureops.windowed_aggregate call, "
                            "optionally in coalesce(.., <number>) (found "
                            f"`{_short(body.sql(self.dialect))}`)")
        return body, empty

    def _aggregate(self, name: str, call: exp.Expression) -> tuple[str, str]:
        function = (call.name if isinstance(call, exp.Anonymous) else call.key).lower()
        if function not in AGGREGATES:
            raise self.fail(f"column '{name}': aggregate '{function}' is not one of "
                            "windowed_aggregate's (count, sum, avg, min, max)")
        arguments = [call.this] if not isinstance(call, exp.Anonymous) else call.expressions
        if call.args.get("distinct") or len(arguments) != 1 or \
                not isinstance(arguments[0], exp.Column):
            raise self.fail(f"column '{name}': the windowed_aggregate expression must be one "
                            "plain column of the input model")
        return AGGREGATES[function], arguments[0].name

    def _frame(self, name: str, window: exp.Window) -> tuple[tuple[str, ...], str, int]:
        spec = window.args.get("spec")
        order = window.args.get("order")
        partition = window.args.get("partition_by") or []
        ordered = order.expressions if order is not None else []
        if (spec is None or str(spec.args.get("kind", "")).lower() != "range"
                or str(spec.args.get("start_side", "")).lower() != "preceding"
                or str(spec.args.get("end", "")).upper() != "CURRENT ROW"
                or str(spec.args.get("exclude", "")).upper() != "GROUP"
                or len(ordered) != 1 or ordered[0].args.get("desc")
                or not isinstance(ordered[0].this, exp.Column)
                or not partition or not all(isinstance(p, exp.Column) for p in partition)):
            raise self.fail(f"column '{name}': its window is not windowed_aggregate's frame "
                            "(partition by columns, order by one column, range between "
                            "<interval> preceding and current row exclude group)")
        width = _interval_micros(spec.args.get("start"))
        if width is None:
            raise self.fail(f"column '{name}': window width "
                            f"`{_short(spec.args['start'].sql(self.dialect))}` is not "
                            "'<n> seconds|minutes|hours|days|weeks'")
        return tuple(p.name for p in partition), ordered[0].this.name, width

    # --- keys and columns ---------------------------------------------------------------

    def _check_keys(self, select: exp.Select, partition: tuple[str, ...], order: str) -> None:
        spec = self.view.spec
        if sorted(partition) != sorted(spec.entities):
            raise self.fail(f"its windows partition by {', '.join(partition)}, its entities "
                            f"are {', '.join(spec.entities)}: they must be the same columns")
        if order != spec.timestamp:
            raise self.fail(f"its windows order by '{order}', its timestamp is "
                            f"'{spec.timestamp}': they must be the same column")
        for projection in select.expressions:
            if any(_own_windows(projection)):
                continue
            name = projection.alias_or_name
            body = projection.this if isinstance(projection, exp.Alias) else projection
            if not (isinstance(body, exp.Column) and body.name == name
                    and name in (*partition, order)):
                raise self.fail(f"column '{name}' is neither an entity key, the timestamp nor a "
                                "windowed_aggregate; the stream could not compute it")

    def _check_input_columns(self, input_model: Node, windows: Iterable[WindowFeature]) -> None:
        if not input_model.columns:
            return  # undocumented input model: the event rows are checked when applied
        for window in windows:
            if window.column not in input_model.columns:
                raise self.fail(f"column '{window.name}' aggregates '{window.column}', which "
                                f"model '{input_model.name}' does not declare")


def _own_windows(node: exp.Expression) -> Iterable[exp.Window]:
    """Window functions in this select's projections (not in nested queries)."""
    expressions = node.expressions if isinstance(node, exp.Select) else [node]
    for expression in expressions:
        for found in expression.find_all(exp.Window):
            if found.find_ancestor(exp.Select, exp.Subquery) in (None, node) or \
                    not isinstance(node, exp.Select):
                yield found


def _interval_micros(node: exp.Expression | None) -> int | None:
    if not isinstance(node, exp.Interval):
        return None
    unit = node.args.get("unit")
    text = f"{node.this.name} {unit.name if unit is not None else ''}"
    match = _INTERVAL.fullmatch(text)
    if match is None or match.group(2).lower() not in _UNIT_MICROS:
        return None
    micros = int(match.group(1)) * _UNIT_MICROS[match.group(2).lower()]
    return micros or None


def _short(sql: str, limit: int = 120) -> str:
    text = " ".join(sql.split())
    return text if len(text) <= limit else text[:limit - 3] + "..."
