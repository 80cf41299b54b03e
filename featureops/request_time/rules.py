"""What a request-time view's SQL may do: transform one request row at a time, joining only
small lookups. ``featureops validate`` reports every breach; the executor refuses to start
on the first.

Checked against the manifest: the declared input is a non-ephemeral model the view refs;
every other relation it reads is a seed; the input model's documented columns are exactly
the request fields plus the chained features. Checked in the compiled SQL (sqlglot): no
window functions and no aggregates (a request carries no history to compute them over),
and no relation outside those nodes.
"""

from __future__ import annotations

from collections.abc import Iterator

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from featureops.catalog import FeatureCatalog, FeatureView
from featureops.exceptions import FeatureopsError
from featureops.lineage.sql import dialect_for, parse_relation, relation_key
from featureops.manifest import Manifest, Node
from featureops.spec import FeatureViewSpec

#: Adapters whose compiled SQL the in-process DuckDB runs unchanged.
RUNNABLE_ADAPTERS = ("duckdb",)

Finding = tuple[str, str, str]  # severity, field, message


def input_node(node: Node, spec: FeatureViewSpec, manifest: Manifest) -> Node | None:
    """The model the request rows stand for, when the view refs it."""
    assert spec.request_time is not None
    for uid in node.depends_on:
        parent = manifest.models.get(uid)
        if parent is not None and parent.name == spec.request_time.input:
            return parent
    return None


def lookup_nodes(node: Node, manifest: Manifest) -> list[Node]:
    """The seeds a request-time view joins."""
    return [manifest.seeds[uid] for uid in node.depends_on if uid in manifest.seeds]


def request_time_problems(node: Node, spec: FeatureViewSpec,
                          manifest: Manifest) -> Iterator[Finding]:
    """Every reason ``node`` cannot run at request time (empty when it can)."""
    rt = spec.request_time
    if rt is None:
        return
    source = input_node(node, spec, manifest)
    if source is None:
        yield ("error", "meta.featureops.request_time.input",
               f"'{rt.input}' is not a model this view refs (ref('{rt.input}') in its SQL)")
    elif source.materialized == "ephemeral":
        yield ("error", "meta.featureops.request_time.input",
               f"'{rt.input}' is ephemeral: dbt inlines its SQL, so request rows cannot "
               "stand for it; materialize it as a view")
    else:
        yield from _column_problems(source, spec)
    for uid in node.depends_on:
        if uid in manifest.seeds or (source is not None and uid == source.unique_id):
            continue
        yield ("error", "meta.featureops.request_time",
               f"the SQL reads {uid}, which is neither the request input nor a seed: a "
               "request-time view may only join small lookups (seeds)")
    if node.compiled_code is None:
        yield ("warning", "meta.featureops.request_time",
               "no compiled SQL in this manifest (dbt parse only): run dbt compile or build "
               "to check the SQL")
        return
    if (manifest.adapter_type or "duckdb") not in RUNNABLE_ADAPTERS:
        yield ("warning", "meta.featureops.request_time",
               f"compiled for {manifest.adapter_type}: featureops runs request-time SQL in "
               "DuckDB, so serve from a manifest compiled for a DuckDB target")
        return
    allowed = [n.relation_name for n in [source, *lookup_nodes(node, manifest)]
               if n is not None and n.relation_name]
    problems = sql_problems(node.compiled_code, allowed, manifest.adapter_type)
    for message in problems:
        yield ("error", "compiled SQL", message)
    if not problems and source is not None:
        reason = evaluator_refusal(node, spec, manifest, source)
        if reason:
            yield ("warning", "compiled SQL",
                   f"runs on DuckDB ({reason}): about 2 ms per request instead of the "
                   "compiled evaluator's tens of microseconds (docs/request-time.md)")


def evaluator_refusal(node: Node, spec: FeatureViewSpec, manifest: Manifest,
                      source: Node) -> str | None:
    """Why the compiled evaluator would refuse the view's SQL, judged from the manifest
    (types it does not document are taken as fitting; serving checks them, and the values,
    against DuckDB), or None. None too when the seeds' columns are undocumented."""
    from featureops.request_time.compiled import CompiledView
    from featureops.request_time.expressions import Unsupported
    from featureops.request_time.inputs import arrow_type
    from featureops.request_time.semantics import ANY, arrow_sql_type

    def kind(data_type: str | None) -> str:
        arrow = arrow_type(data_type)
        return ANY if arrow is None else arrow_sql_type(arrow)

    rt = spec.request_time
    assert rt is not None and node.compiled_code is not None
    columns = [(name, field) for name, field in rt.fields.items()]
    for view, feature in rt.chained:
        stored = next((m for m in manifest.models.values() if m.name == view), None)
        column = stored.columns.get(feature) if stored is not None else None
        columns.append((feature, kind(column.data_type if column is not None else None)))
    lookups = {}
    for seed in lookup_nodes(node, manifest):
        key = parse_relation(seed.relation_name or "", "duckdb")
        if key is None or not seed.columns:
            return None
        types = (seed._raw.get("config") or {}).get("column_types") or {}
        lookups[key] = (seed.relation_name or "", [
            (name, kind(types.get(name) or column.data_type))
            for name, column in seed.columns.items()])
    input_key = parse_relation(source.relation_name or "", "duckdb")
    if input_key is None:
        return None
    try:
        CompiledView(node.compiled_code, input_key, columns, lookups)
    except Unsupported as why:
        return str(why)
    return None


def chained_problems(view: FeatureView, catalog: FeatureCatalog) -> Iterator[tuple[str, str]]:
    """A chained feature must be an online stored feature whose entity keys the request
    sends (it is looked up by them)."""
    rt = view.spec.request_time
    if rt is None:
        return
    for index, (source, feature) in enumerate(rt.chained):
        field = f"meta.featureops.request_time.features.{index}"
        try:
            stored = catalog.view(source)
            stored.feature(feature)
        except FeatureopsError as error:
            yield field, str(error)
            continue
        if stored.spec.request_time is not None or not stored.spec.online:
            yield field, f"'{source}' is not an online stored view (chained features are read "\
                         "from the online store)"
        missing = [key for key in stored.entities if key not in rt.fields]
        if missing:
            yield field, (f"its entity key(s) {', '.join(missing)} are not request fields: "
                          "the stored feature could not be looked up")


def _column_problems(source: Node, spec: FeatureViewSpec) -> Iterator[Finding]:
    assert spec.request_time is not None
    if not source.columns:
        return  # undocumented: the executor's binder reports a missing column
    sent = {*spec.request_time.fields, *(f for _, f in spec.request_time.chained)}
    for name in spec.request_time.fields:
        if name not in source.columns:
            yield ("error", f"meta.featureops.request_time.fields.{name}",
                   f"not a column of the input model '{source.name}'")
    for name in source.columns:
        if name not in sent:
            yield ("error", "meta.featureops.request_time.fields",
                   f"column '{name}' of the input model '{source.name}' is neither a request "
                   "field nor a chained feature: it would be missing at request time")


def sql_problems(sql: str, allowed_relations: list[str], adapter_type: str | None) -> list[str]:
    """Why ``sql`` cannot run over request rows: window functions, aggregates, relations
    other than ``allowed_relations``."""
    dialect = dialect_for(adapter_type)
    try:
        statements = [s for s in sqlglot.parse(sql, read=dialect) if s is not None]
    except SqlglotError as error:
        return [f"sqlglot cannot parse it: {str(error).splitlines()[0]}"]
    if len(statements) != 1 or not isinstance(statements[0], exp.Query):
        return ["it must be a single SELECT query"]
    query = statements[0]
    problems = []
    window = query.find(exp.Window)
    if window is not None:
        problems.append(f"window function {_short(window)}: a request row carries no "
                        "history to compute it over")
    aggregate = query.find(exp.AggFunc)
    if aggregate is not None:
        problems.append(f"aggregate {_short(aggregate)}: a request-time view computes each "
                        "request row alone, never over history")
    allowed = {parse_relation(name, dialect) for name in allowed_relations}
    ctes = {cte.alias_or_name.lower() for cte in query.find_all(exp.CTE)}
    for table in query.find_all(exp.Table):
        key = relation_key(table)
        if not table.name or (len(key) == 1 and key[0] in ctes) or key in allowed:
            continue
        problems.append(f"reads {table.sql(dialect=dialect)}, which is neither the request "
                        "input nor a seed lookup")
    return problems


def _short(node: exp.Expression) -> str:
    text = node.sql()
    return text if len(text) <= 60 else text[:57] + "..."
