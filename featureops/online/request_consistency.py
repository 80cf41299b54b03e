"""``featureops consistency`` for request-time views: does the SQL featureops runs per
request return the rows dbt built?

A sample of the input model's rows (each the request of one key, chosen by a hash of the
keys and the seed as for stored views) goes through the serving path: the SDK's
request-time plan checks and coerces the request fields and the view's executor computes
the answer. Each answer is compared with the view's dbt-built row of the same key: every
feature and the timestamp (floats within 1e-9, nulls equal nulls), and a key whose row
dbt's SQL filtered out must come back ``not_found``.

Chained features are sent as the input model holds them, not as the online store serves
them: that checks the SQL on the inputs dbt used. What the store serves for them is
reported beside it (``ChainedAvailability``): a value it does not serve (outside its
view's ttl, never materialized) or serves differently makes the served feature differ from
the trained one. That is a property of the data and the store, not of the SQL, and the
stored view's own check covers the store; it is reported, not failed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from featureops.catalog import FeatureCatalog, FeatureView
from featureops.engines.base import quote_identifier as quote
from featureops.exceptions import FeatureopsError
from featureops.online.base import OnlineStore
from featureops.online.consistency import Mismatch, ViewConsistency, equal
from featureops.online.encoding import to_utc
from featureops.online.sdk import NOT_FOUND, PRESENT, OnlineFeatureClient
from featureops.online.warehouse import Warehouse
from featureops.project import Project
from featureops.request_time.rules import RUNNABLE_ADAPTERS, input_node

#: Served and dbt-built floats may differ by this much (absolute and relative).
FLOAT_TOLERANCE = 1e-9
#: Request rows per call (the feature server's own limit is 1,000 entities).
BATCH = 500


@dataclass
class ChainedAvailability:
    """What the online store serves for one chained feature, over the sampled requests."""

    feature: str  # view:feature
    rows: int = 0
    served_equal: int = 0
    served_different: int = 0
    not_served: dict[str, int] = field(default_factory=dict)  # status -> rows
    problem: str = ""


def request_time_views(catalog: FeatureCatalog, select: tuple[str, ...] | list[str] = ()
                       ) -> list[FeatureView]:
    """The request-time views among ``select`` (all of them when nothing is selected)."""
    names = select or list(catalog.views)
    return [view for view in map(catalog.view, names) if view.spec.request_time is not None]


class RequestTimeChecks:
    """The request-time views to check, each planned by the SDK as serving plans it (its
    executor opened) or with the one-line reason it cannot run."""

    def __init__(self, project: Project, catalog: FeatureCatalog, store: OnlineStore,
                 views: list[FeatureView]) -> None:
        self.views = views
        self.client = OnlineFeatureClient(project, store=store, catalog=catalog)
        self.skipped = _skip_reason(catalog) if views else ""
        self.plans: dict[str, Any] = {}
        for view in views if not self.skipped else ():
            try:
                self.plans[view.name] = self.client.plan([view.name], None)
            except FeatureopsError as error:
                self.plans[view.name] = f"cannot run: {error}"

    def run(self, warehouse: Warehouse, sample: int, seed: int) -> list[ViewConsistency]:
        checked = []
        for view in self.views:
            result = ViewConsistency(view.name, None, None, kind="request_time",
                                     skipped=self.skipped)
            plan = self.plans.get(view.name)
            if isinstance(plan, str):
                result.problem = plan
            elif plan is not None:
                _check(result, view, plan, self.client, warehouse, sample, seed)
            checked.append(result)
        return checked

    def close(self) -> None:
        """Close the executors (never the store: the caller owns it)."""
        for plan in self.plans.values():
            if not isinstance(plan, str):
                for planned in plan.request.views:
                    planned.executor.close()


def _skip_reason(catalog: FeatureCatalog) -> str:
    """Why request-time views cannot be checked with this manifest ('' when they can)."""
    adapter = catalog.manifest.adapter_type or "duckdb"
    if adapter in RUNNABLE_ADAPTERS:
        return ""
    return (f"manifest compiled for {adapter}: request-time SQL runs in DuckDB, serve and "
            "check it with a manifest compiled for a DuckDB target")


def _check(result: ViewConsistency, view: FeatureView, plan: Any,
           client: OnlineFeatureClient, warehouse: Warehouse, sample: int, seed: int) -> None:
    spec = view.spec.request_time
    assert spec is not None
    source = input_node(view.model, view.spec, client.catalog.manifest)
    if source is None or not source.relation_name:
        result.problem = f"input model '{spec.input}' is not in the manifest"
        return
    inputs, built = _read(view, source.relation_name, warehouse, sample, seed)
    result.sampled = inputs.num_rows
    rows = inputs.to_pylist()
    by_key: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in built.to_pylist():
        key = tuple(row[k] for k in view.entities)
        if key in by_key:
            result.problem = (f"key {dict(zip(view.entities, key, strict=True))} has several "
                              f"rows in '{view.name}': a request-time view has one per key")
            return
        by_key[key] = row
    (planned,) = plan.request.views
    for start in range(0, len(rows), BATCH):
        chunk = rows[start:start + BATCH]
        try:
            columns = _serve(plan, spec, chunk)
        except FeatureopsError as error:
            result.problem = f"input model '{spec.input}' as a request: {error}"
            return
        for i, row in enumerate(chunk):
            entity = {k: row[k] for k in view.entities}
            result.mismatches.extend(_compare(view, planned.features, entity,
                                              by_key.get(tuple(entity.values())), columns, i))
    result.chained = [_availability(client, source_name, feature, rows)
                      for source_name, feature in spec.chained]


def _compare(view: FeatureView, features: tuple[str, ...], entity: dict[str, Any],
             built: dict[str, Any] | None, columns: list[Any], i: int) -> list[Mismatch]:
    """Request ``i``'s answer against the view's dbt-built row of its key (None: none)."""
    status = columns[0].statuses[i]  # a view's columns share statuses and timestamps
    if built is None or status != PRESENT:
        if (built is None) == (status == NOT_FOUND):
            return []
        return [Mismatch(view.name, entity, "<record>", status,
                         "not built" if built is None else "present")]
    found = []
    built_at = to_utc(built[view.timestamp])
    if columns[0].event_at[i] != built_at:
        found.append(Mismatch(view.name, entity, "<timestamp>", columns[0].event_at[i],
                              built_at))
    for name, column in zip(features, columns, strict=True):
        if not equal(column.values[i], built[name], FLOAT_TOLERANCE):
            found.append(Mismatch(view.name, entity, name, column.values[i], built[name]))
    return found


def _read(view: FeatureView, input_relation: str, warehouse: Warehouse, sample: int,
          seed: int) -> tuple[pa.Table, pa.Table]:
    """The sampled input rows, and the view's dbt-built rows of the same keys."""
    spec = view.spec.request_time
    assert spec is not None
    columns = [*spec.fields, *(feature for _, feature in spec.chained)]
    sampled = warehouse.sample_query(
        view, f"select {', '.join(map(quote, columns))} from {input_relation}", sample, seed)
    inputs = warehouse.read_table(sampled, view)
    keys = ", ".join(map(quote, view.entities))
    on = " and ".join(f"built.{quote(k)} = requests.{quote(k)}" for k in view.entities)
    wanted = ", ".join(f"built.{quote(c)}" for c in (
        *view.entities, view.timestamp, *(f.name for f in view.features)))
    built = warehouse.read_table(
        f"select {wanted} from {warehouse.relation(view)} as built inner join "
        f"(select {keys} from ({sampled}) as sampled) as requests on {on}", view)
    return inputs, built


def _serve(plan: Any, spec: Any, rows: list[dict[str, Any]]) -> list[Any]:
    """The request-time view's feature columns for ``rows``, through the serving path."""
    request = plan.request
    entities = {name: [row[name] for row in rows] for name in spec.fields}
    _, columns, _ = request.split(entities, plan.entity_names)
    chained = {(source, feature): [row[feature] for row in rows]
               for source, feature in spec.chained}
    (answer,) = request.compute(columns, chained).values()
    return answer


def _availability(client: OnlineFeatureClient, source: str, feature: str,
                  rows: list[dict[str, Any]]) -> ChainedAvailability:
    """What the store serves of ``source:feature`` for the keys of ``rows``, as of its live
    version's end time (as the stored views are checked), against the input rows' value."""
    found = ChainedAvailability(f"{source}:{feature}", rows=len(rows))
    stored = client.catalog.view(source)
    live = client.store.live_state(source)
    if live is None or live.end_time is None:
        found.problem = "not materialized: the store serves none of it"
        found.not_served = {NOT_FOUND: len(rows)}
        return found
    keys = list(dict.fromkeys(tuple(row[k] for k in stored.entities) for row in rows))
    answer = client.get_online_features(
        features=[found.feature], as_of=live.end_time,
        entities={k: [key[i] for key in keys] for i, k in enumerate(stored.entities)})
    served = {key: answer.row(i)[found.feature] for i, key in enumerate(keys)}
    for row in rows:
        value = served[tuple(row[k] for k in stored.entities)]
        if value.status != PRESENT:
            found.not_served[value.status] = found.not_served.get(value.status, 0) + 1
        elif equal(value.value, row[feature], 0.0):
            found.served_equal += 1
        else:
            found.served_different += 1
    return found
