"""Replaying a realistic serving workload into the serving log, for demos and tests of the
training-serving skew monitors.

Every row of a requests model (by default, each card transaction) in a window becomes one
request for an exposure's features, served at the row's timestamp, as the online store
would have answered it then: the latest row of each online view at or before that instant,
with the server's statuses (present, not_found, outside_ttl beyond the view's ttl, stale
when the view's newest row is older than its SLA). Views that are not online are skipped,
as the server skips them. The responses are written by the server's own
``ServingLogWriter``, one file per replayed day, in the documented serving-log format.

An optional drift multiplies one numeric feature by a factor that grows linearly from 1 at
the start of the window to ``factor`` at its end: a gradual, true skew for the monitors.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pyarrow as pa
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from featureops.catalog import Feature, FeatureCatalog, FeatureView
from featureops.monitoring.errors import MonitoringError
from featureops.monitoring.serving_log import serving_log_dir
from featureops.monitoring.warehouse import MonitoringWarehouse, open_warehouse
from featureops.online.sdk import (
    NOT_FOUND,
    OUTSIDE_TTL,
    PRESENT,
    STALE,
    FeatureValue,
    OnlineFeatures,
)
from featureops.project import Project
from featureops.serving.log import ServingLogWriter

_DRIFT = re.compile(r"(?P<view>[A-Za-z_][A-Za-z0-9_]*):(?P<feature>[A-Za-z_][A-Za-z0-9_]*)"
                    r"=(?P<factor>[0-9]+(?:\.[0-9]+)?)")
_REQUEST_NAMESPACE = uuid.UUID("6f1c3e0a-58a4-4b63-9d3c-5d9f0c7e2a11")


@dataclass(frozen=True)
class DriftSpec:
    """Multiply ``view:feature`` by a factor growing from 1 to ``factor`` over the window."""

    view: str
    feature: str
    factor: float

    @classmethod
    def parse(cls, text: str) -> DriftSpec:
        match = _DRIFT.fullmatch(text.strip())
        if match is None:
            raise MonitoringError(
                f"--drift '{text}': write VIEW:FEATURE=FACTOR, e.g. "
                "feat_user__spend_windows:amount_usd_sum_7d=2.0")
        return cls(match["view"], match["feature"], float(match["factor"]))

    @property
    def ref(self) -> str:
        return f"{self.view}:{self.feature}"

    def multiplier(self, served_at: datetime, start: datetime, end: datetime) -> float:
        progress = (served_at - start) / (end - start)
        return 1.0 + (self.factor - 1.0) * min(max(progress, 0.0), 1.0)


@dataclass
class ReplaySummary:
    exposure: str
    start: datetime
    end: datetime
    requests: int = 0
    rows: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)
    drift: DriftSpec | None = None


@dataclass(frozen=True)
class _ViewLookup:
    view: FeatureView
    features: tuple[Feature, ...]


def replay_serving_traffic(project: Project, exposure: str, requests_model: str, *,
                           days: int = 7, end: datetime | None = None,
                           timestamp_column: str | None = None, sample_rate: float = 1.0,
                           drift: DriftSpec | None = None, seed: int = 42,
                           out_dir: Path | None = None, progress: bool = True) -> ReplaySummary:
    """Replay ``days`` of requests ending at ``end`` (default: the project's monitoring
    "now", var featureops_monitoring_now) into the serving log under ``out_dir`` (default:
    the directory the monitoring models read, :func:`serving_log_dir`)."""
    if days < 1:
        raise MonitoringError(f"--days must be at least 1, got {days}")
    if not 0.0 < sample_rate <= 1.0:
        raise MonitoringError(f"--sample-rate must be in (0, 1], got {sample_rate}")
    catalog = FeatureCatalog.from_manifest(project.manifest)
    lookups = _online_lookups(catalog, exposure)
    if drift is not None:
        _check_drift(lookups, drift)
    end = end or monitoring_now(project)
    start = end - timedelta(days=days)
    summary = ReplaySummary(exposure, start, end, drift=drift)
    entity_names = _entity_names(lookups)
    writer = ServingLogWriter(out_dir or serving_log_dir(project), flush_rows=10**9)
    with open_warehouse(project) as warehouse:
        if warehouse.adapter_type != "duckdb":
            raise MonitoringError("featureops replay reads the DuckDB warehouse; build the "
                                  "project on the default duckdb target first")
        requests = _requests(warehouse, requests_model, entity_names,
                             timestamp_column or _timestamp_of(project, requests_model),
                             start, end, sample_rate, seed)
        answers = [_answers(warehouse, lookup) for lookup in lookups]
    refs = [feature.ref for lookup in lookups for feature in lookup.features]
    served_at = requests.column("served_at").to_pylist()
    keys = list(zip(*(requests.column(name).to_pylist() for name in entity_names), strict=True))
    with _progress(progress) as bar:
        task = bar.add_task(f"replaying {exposure}", total=len(keys))
        current_day = None
        for index, (key, at) in enumerate(zip(keys, served_at, strict=True)):
            if current_day is not None and at.date() != current_day:
                _flush(writer, summary)
            current_day = at.date()
            values = [value for lookup, answer in zip(lookups, answers, strict=True)
                      for value in _served_values(lookup, answer, index, at, drift, start, end)]
            for value in values:
                summary.statuses[value.status] = summary.statuses.get(value.status, 0) + 1
            response = OnlineFeatures(refs, list(entity_names), [key], [values], exposure)
            request_id = uuid.uuid5(_REQUEST_NAMESPACE, f"{seed}:{exposure}:{index}").hex
            summary.rows += writer.append(response, request_id=request_id, served_at=at,
                                          service=exposure)
            summary.requests += 1
            bar.advance(task)
        _flush(writer, summary)
    return summary


def monitoring_now(project: Project) -> datetime:
    """The project's var featureops_monitoring_now, else the current UTC time (naive)."""
    configured = project.var("featureops_monitoring_now")
    if configured in (None, ""):
        return datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)
    try:
        return datetime.fromisoformat(str(configured).strip())
    except ValueError:
        raise MonitoringError(
            f"{project.project_dir / 'dbt_project.yml'}: var featureops_monitoring_now "
            f"'{configured}' is not a timestamp; use 'YYYY-MM-DD HH:MM:SS' (UTC)") from None


def _online_lookups(catalog: FeatureCatalog, exposure: str) -> list[_ViewLookup]:
    resolved = catalog.resolve_service(exposure)
    lookups = [_ViewLookup(catalog.view(name), tuple(features))
               for name, features in resolved.items() if catalog.view(name).spec.online]
    if not lookups:
        raise MonitoringError(f"exposure '{exposure}' reads no online feature view: nothing "
                              "would be served")
    return lookups


def _check_drift(lookups: Sequence[_ViewLookup], drift: DriftSpec) -> None:
    for lookup in lookups:
        for feature in lookup.features:
            if feature.ref == drift.ref:
                if not _is_numeric(feature.data_type):
                    raise MonitoringError(f"--drift {drift.ref}: the feature is "
                                          f"{feature.data_type}, not a number")
                return
    served = ", ".join(f.ref for lookup in lookups for f in lookup.features)
    raise MonitoringError(f"--drift {drift.ref}: not a served feature of this exposure "
                          f"(served: {served})")


_NUMERIC_TYPE = re.compile(
    r"(u?(tiny|small|big|huge)?int(eger)?[0-9]*|double|float[0-9]*|real|decimal|numeric)\b")


def _is_numeric(data_type: str | None) -> bool:
    return _NUMERIC_TYPE.match((data_type or "").lower()) is not None


def _entity_names(lookups: Sequence[_ViewLookup]) -> tuple[str, ...]:
    """Entity keys in first-use order, as the server orders them."""
    return tuple(dict.fromkeys(key for lookup in lookups for key in lookup.view.entities))


def _timestamp_of(project: Project, model_name: str) -> str:
    for node in project.manifest.models.values():
        if node.name == model_name:
            block = node.meta.get("featureops")
            if isinstance(block, dict) and isinstance(block.get("timestamp"), str):
                return block["timestamp"]
    return "event_at"


def _requests(warehouse: MonitoringWarehouse, model_name: str, entity_names: Sequence[str],
              timestamp_column: str, start: datetime, end: datetime, sample_rate: float,
              seed: int) -> pa.Table:
    relation = warehouse.relation(model_name)
    columns = set(warehouse.query(f"select * from {relation} limit 0").column_names)
    missing = [name for name in (*entity_names, timestamp_column) if name not in columns]
    if missing:
        raise MonitoringError(
            f"requests model '{model_name}' lacks column(s) {', '.join(missing)}: it needs "
            f"the entity keys ({', '.join(entity_names)}) and a timestamp column "
            "(--timestamp-column)")
    keys = ", ".join(_quote(name) for name in entity_names)
    sample = (f" and hash({keys}, {_quote(timestamp_column)}, {int(seed)}) % 1000000 "
              f"< {int(sample_rate * 1_000_000)}" if sample_rate < 1.0 else "")
    requests = warehouse.query(
        f"select {keys}, cast({_quote(timestamp_column)} as timestamp) as served_at "
        f"from {relation} where {_quote(timestamp_column)} >= {_literal(start)} "
        f"and {_quote(timestamp_column)} < {_literal(end)}{sample} "
        f"order by served_at, {keys}")
    if requests.num_rows == 0:
        raise MonitoringError(f"requests model '{model_name}' has no rows between {start} and "
                              f"{end}; choose --end and --days within its data")
    warehouse.register("featureops_replay_requests", requests.append_column(
        "request_index", pa.array(range(requests.num_rows), pa.int64())))
    return requests


def _answers(warehouse: MonitoringWarehouse, lookup: _ViewLookup) -> dict[str, list[Any]]:
    """Per request (in request order): the view's latest row at or before the request and
    the view's newest timestamp at that instant."""
    view = lookup.view
    relation = warehouse.relation(view.model.name)
    timestamp = _quote(view.timestamp)
    on_keys = " and ".join(f"requests.{_quote(key)} = feature_rows.{_quote(key)}"
                           for key in view.entities)
    features = ", ".join(f"feature_rows.{_quote(f.name)} as {_quote('value__' + f.name)}"
                         for f in lookup.features)
    table = warehouse.query(f"""
        select requests.request_index, feature_rows.{timestamp} as feature_event_at,
            newest.newest_at, {features}
        from featureops_replay_requests as requests
        asof left join {relation} as feature_rows
            on {on_keys} and requests.served_at >= feature_rows.{timestamp}
        asof left join (select distinct {timestamp} as newest_at from {relation}) as newest
            on requests.served_at >= newest.newest_at
        order by requests.request_index""")
    return {name: table.column(name).to_pylist() for name in table.column_names}


def _served_values(lookup: _ViewLookup, answer: dict[str, list[Any]], index: int,
                   served_at: datetime, drift: DriftSpec | None, start: datetime,
                   end: datetime) -> list[FeatureValue]:
    """The server's answer for one view of one request: values with status and timestamp."""
    spec = lookup.view.spec
    event_at = answer["feature_event_at"][index]
    if event_at is None:
        return [FeatureValue(None, None, NOT_FOUND)] * len(lookup.features)
    if spec.ttl_delta is not None and served_at - event_at > spec.ttl_delta:
        return [FeatureValue(None, event_at, OUTSIDE_TTL)] * len(lookup.features)
    freshness = spec.sla.freshness_delta if spec.sla else None
    status = STALE if freshness is not None and served_at - answer["newest_at"][index] > freshness \
        else PRESENT
    values = []
    for feature in lookup.features:
        value = answer["value__" + feature.name][index]
        if drift is not None and feature.ref == drift.ref and value is not None:
            value = value * drift.multiplier(served_at, start, end)
        values.append(FeatureValue(value, event_at, status))
    return values


def _flush(writer: ServingLogWriter, summary: ReplaySummary) -> None:
    written = writer.flush()
    if written is not None:
        summary.files.append(written)


def _progress(enabled: bool) -> Progress:
    return Progress(TextColumn("[progress.description]{task.description}"), BarColumn(),
                    MofNCompleteColumn(), TextColumn("requests"), TimeElapsedColumn(),
                    console=Console(stderr=True), disable=not enabled)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(value: datetime) -> str:
    return f"cast('{value:%Y-%m-%d %H:%M:%S}' as timestamp)"
