"""Request-time views in an online lookup (featureops.online.sdk): the request fields are
split from the entity keys and checked against the declared inputs, chained stored features
are read in the same store call as the other views, and each view's SQL runs over the
request rows. A plan is built once per feature list (the SDK caches it); per call it only
coerces values and runs each view's executor over them (the compiled evaluator, or the
prepared SQL text in DuckDB: executor.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from featureops.catalog import Feature, FeatureCatalog, FeatureView
from featureops.online.encoding import datetime_to_micros, to_utc
from featureops.online.layout import Kind, kind_of
from featureops.online.sdk import NOT_FOUND, PRESENT, FeatureColumn, OnlineRequestError
from featureops.request_time.errors import RequestFieldError
from featureops.request_time.executor import RequestTimeExecutor
from featureops.request_time.inputs import arrow_type, coerce_column, request_table


@dataclass(frozen=True)
class RequestView:
    """One request-time view of a plan: what to compute and with what."""

    view: FeatureView
    features: tuple[str, ...]
    kinds: tuple[Kind | None, ...]
    chained: tuple[tuple[str, str, pa.DataType | None], ...]  # view, feature, type
    executor: RequestTimeExecutor

    @property
    def name(self) -> str:
        return self.view.name


class RequestPlan:
    """The request-time part of a lookup plan."""

    def __init__(self, views: Sequence[RequestView], fields: Mapping[str, str],
                 required: set[str]) -> None:
        self.views = tuple(views)
        self.fields = dict(fields)
        self.required = required
        self.entity_names = tuple(dict.fromkeys(k for v in views for k in v.view.entities))

    @classmethod
    def build(cls, chosen: Sequence[tuple[FeatureView, Sequence[Feature]]],
              catalog: FeatureCatalog,
              executor_for: Callable[[FeatureView, pa.Schema], RequestTimeExecutor]
              ) -> RequestPlan:
        fields: dict[str, str] = {}
        required: set[str] = set()
        views = []
        for view, features in chosen:
            spec = view.spec.request_time
            assert spec is not None
            for name, kind in spec.fields.items():
                if fields.setdefault(name, kind) != kind:
                    raise OnlineRequestError(f"request field '{name}' is {fields[name]} in one "
                                             f"requested view and {kind} in '{view.name}'")
            required.update((*view.entities, view.timestamp))
            chained = []
            for source, feature in spec.chained:
                stored = catalog.view(source)
                required.update(stored.entities)
                chained.append((source, feature, arrow_type(stored.feature(feature).data_type)))
            schema = request_table(spec.fields, {n: [] for n in spec.fields},
                                   {f: (t or pa.null(), []) for _, f, t in chained}).schema
            kinds = tuple(_kind(view, f.name) for f in features)
            views.append(RequestView(view, tuple(f.name for f in features), kinds,
                                     tuple(chained), executor_for(view, schema)))
        return cls(views, fields, required)

    def chained_reads(self) -> dict[str, list[str]]:
        """Stored features the views chain, by view (read beside the plan's own views)."""
        reads: dict[str, list[str]] = {}
        for view in self.views:
            for source, feature, _ in view.chained:
                bucket = reads.setdefault(source, [])
                if feature not in bucket:
                    bucket.append(feature)
        return reads

    def sends_fields(self, entities: Any, key_names: Sequence[str]) -> bool:
        """Whether the request carries any request field beyond the entity keys."""
        return isinstance(entities, Mapping) and any(
            name in self.fields and name not in key_names for name in entities)

    def split(self, entities: Any, key_names: Sequence[str]
              ) -> tuple[dict[str, Any], dict[str, list[Any]], int]:
        """(entity keys of stored views, coerced request fields, row count)."""
        if not isinstance(entities, Mapping) or not entities:
            raise OnlineRequestError("entities must be a mapping of entity key or request field "
                                     "to a list of values")
        unknown = [str(n) for n in entities if n not in self.fields and n not in key_names]
        if unknown:
            raise OnlineRequestError(
                f"request field(s) {', '.join(unknown)} are neither entity keys nor declared in "
                f"meta.featureops.request_time of {self._view_names()} (declared: "
                f"{', '.join(self.fields)})")
        missing = [n for n in self.fields if n not in entities]
        if missing:
            raise OnlineRequestError(
                f"request lacks field(s) {', '.join(missing)} declared in "
                f"meta.featureops.request_time of {self._view_names()}")
        try:
            columns = {name: coerce_column(name, kind, entities[name], name in self.required)
                       for name, kind in self.fields.items()}
        except RequestFieldError as error:
            raise OnlineRequestError(str(error)) from None
        lengths = {len(c) for c in columns.values()}
        lengths.update(len(entities[n]) for n in key_names if n in entities
                       and isinstance(entities[n], Sequence))
        if len(lengths) != 1:
            raise OnlineRequestError("every entity key and request field list must have the "
                                     f"same length, got lengths {sorted(lengths)}")
        count = lengths.pop()
        if count == 0:
            raise OnlineRequestError("entities: give at least one entity")
        keys = {n: entities[n] for n in key_names if n in entities}
        return keys, columns, count

    def compute(self, columns: Mapping[str, list[Any]],
                chained: Mapping[tuple[str, str], list[Any]],
                inline: bool = False) -> dict[str, list[FeatureColumn]]:
        """Each view's feature columns for the request rows, by view name. ``inline``: on
        the serving loop, compiled evaluators only (``NotInline`` otherwise)."""
        answer = {}
        for plan in self.views:
            view = plan.view
            spec = view.spec.request_time
            assert spec is not None
            keys = list(zip(*(columns[k] for k in view.entities), strict=True))
            if len(set(keys)) != len(keys):
                raise OnlineRequestError(f"request rows repeat a key of '{view.name}' "
                                         f"({', '.join(view.entities)}): send each once")
            inputs = {name: columns[name] for name in spec.fields}
            inputs.update((feature, chained[(source, feature)])
                          for source, feature, _ in plan.chained)
            out = plan.executor.run_columns(inputs, inline=inline)
            found = {key: i for i, key in enumerate(
                zip(*(out[k] for k in view.entities), strict=True))}
            positions = [found.get(key, -1) for key in keys]
            stamps = out[view.timestamp]
            events = [None if p < 0 else to_utc(stamps[p]) for p in positions]
            micros = [None if e is None else datetime_to_micros(e) for e in events]
            statuses = [NOT_FOUND if p < 0 else PRESENT for p in positions]
            answer[view.name] = [
                FeatureColumn([None if p < 0 else out[name][p] for p in positions],
                              events, statuses, kind, micros)
                for name, kind in zip(plan.features, plan.kinds, strict=True)]
        return answer

    def _view_names(self) -> str:
        return ", ".join(f"'{v.name}'" for v in self.views)


def _kind(view: FeatureView, feature: str) -> Kind | None:
    data_type = arrow_type(view.feature(feature).data_type)
    return None if data_type is None else kind_of(data_type)
