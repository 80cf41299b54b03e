"""``featureops sla``: are the feature views keeping their service levels?

Per feature view with an ``sla:`` block (docs/sla.md):

* ``freshness_warehouse``: age of the newest feature timestamp in the warehouse table,
  against ``sla.freshness``;
* ``freshness_online``: the same in the online store (the live version's newest feature
  timestamp), for views served online;
* ``completeness``: rows of the latest dbt build of the view against the build before it
  (``run_results.json`` identifies builds; row counts come from ``rows_affected`` when the
  adapter reports it, else from the table), below ``min_completeness`` is a violation;
* ``availability``: share of the feature server's lookups (``/features``, ``/similar``)
  that did not fail with a 5xx, from its Prometheus ``/metrics`` (a URL or a saved file),
  below ``min_availability`` is a violation. The server answers for every online view, so
  the ratio is reported on each.

A measurement that cannot be taken (no warehouse, store down, no metrics, first build) is
``unknown``, with the reason; it is reported, not counted as a violation. A violation is
*critical* unless the view is ``experimental`` or ``deprecated``. Each violation and each
newly seen build is appended, with a timestamp, to the history file (JSON lines).
Thresholds and the history path: ``vars.featureops.sla`` in dbt_project.yml or ``sla:`` in
featureops.yml.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from featureops.catalog import FeatureCatalog, FeatureView
from featureops.durations import format_duration
from featureops.exceptions import FeatureopsError
from featureops.project import Project
from featureops.settings import load_settings

OK, VIOLATED, UNKNOWN = "ok", "violated", "unknown"
SERVING_ENDPOINTS = ("/features", "/similar")
REQUESTS_METRIC = "featureops_requests_total"


class SlaConfigError(FeatureopsError):
    """The sla settings, the metrics or run_results cannot be read."""


class SlaSettings(BaseModel):
    """``vars.featureops.sla`` (or ``sla:`` in featureops.yml)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min_completeness: float = Field(default=0.9, gt=0, le=1,
                                    description="Rows of a build / rows of the build before.")
    min_availability: float = Field(default=0.999, gt=0, le=1,
                                    description="Non-5xx share of the server's lookups.")
    history: str = Field(default="data/sla/history.jsonl",
                         description="JSON lines of violations and builds seen.")


def load_sla_settings(project: Project) -> SlaSettings:
    """The project's sla settings, or a one-line error naming the file and field."""
    return load_settings(project, "sla", SlaSettings, SlaConfigError)


@dataclass(frozen=True)
class SlaResult:
    view: str
    sla: str
    status: str
    observed: str
    threshold: str
    critical: bool
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class SlaReport:
    checked_at: datetime
    results: list[SlaResult] = field(default_factory=list)

    @property
    def violations(self) -> list[SlaResult]:
        return [r for r in self.results if r.status == VIOLATED]

    @property
    def critical_violations(self) -> list[SlaResult]:
        return [r for r in self.violations if r.critical]

    def to_dict(self) -> dict[str, Any]:
        return {"checked_at": self.checked_at.isoformat(), "ok": not self.critical_violations,
                "results": [r.to_dict() for r in self.results]}


@dataclass(frozen=True)
class Build:
    """One dbt build of a view, as the history records it."""

    view: str
    invocation_id: str
    rows: int
    built_at: str


# --- sources of measurements (injected, so each can be absent or faked) ----------------------

#: view -> newest feature timestamp in the warehouse (raises FeatureopsError if unreadable).
NewestInWarehouse = Callable[[FeatureView], datetime | None]
#: view -> newest feature timestamp in the online store.
NewestOnline = Callable[[FeatureView], datetime | None]
#: view -> rows in the warehouse table.
RowCount = Callable[[FeatureView], int]


@dataclass
class Sources:
    """Where measurements come from; a None source makes its SLA ``unknown``."""

    newest_in_warehouse: NewestInWarehouse | None = None
    row_count: RowCount | None = None
    newest_online: NewestOnline | None = None
    run_results: Mapping[str, Any] | None = None
    metrics_text: str | None = None
    unavailable: dict[str, str] = field(default_factory=dict)  # source -> why
    opened: list[Any] = field(default_factory=list)  # connections to close

    def close(self) -> None:
        for resource in self.opened:
            resource.close()
        self.opened.clear()


def evaluate(catalog: FeatureCatalog, sources: Sources, settings: SlaSettings, *,
             now: datetime, history: SlaHistory | None = None,
             views: Iterable[str] | None = None) -> SlaReport:
    """Measure every SLA of the selected views (default: every view with an sla block)."""
    report = SlaReport(now)
    chosen = [catalog.view(name) for name in views] if views else [
        v for v in catalog.views.values() if v.spec.sla is not None]
    availability = _availability(sources)
    builds = _builds(chosen, sources, now)
    for view in chosen:
        critical = view.spec.status not in ("experimental", "deprecated")
        add = _adder(report, view.name, critical)
        if view.spec.sla is None:
            add("sla", UNKNOWN, "-", "-", "the view declares no sla block")
            continue
        freshness = view.spec.sla.freshness_delta
        if freshness is not None:
            _freshness(add, "freshness_warehouse", sources.newest_in_warehouse, view, now,
                       freshness, sources.unavailable.get("warehouse"))
            if view.spec.online:
                _freshness(add, "freshness_online", sources.newest_online, view, now,
                           freshness, sources.unavailable.get("online store"))
        _completeness(add, view, builds.get(view.name), history, settings.min_completeness,
                      sources.unavailable.get("run_results"))
        if view.spec.online:
            _report_availability(add, availability, settings.min_availability)
    if history is not None:
        history.record(report, builds.values())
    return report


def _adder(report: SlaReport, view: str, critical: bool) -> Callable[..., None]:
    def add(sla: str, status: str, observed: str, threshold: str, detail: str = "") -> None:
        report.results.append(SlaResult(view, sla, status, observed, threshold, critical,
                                        detail))
    return add


def _freshness(add: Callable[..., None], sla: str, newest: Callable[..., Any] | None,
               view: FeatureView, now: datetime, limit: timedelta, why: str | None) -> None:
    threshold = f"<= {format_duration(limit)}"
    if newest is None:
        add(sla, UNKNOWN, "-", threshold, why or "not measured")
        return
    try:
        latest = newest(view)
    except FeatureopsError as error:
        add(sla, UNKNOWN, "-", threshold, str(error))
        return
    if latest is None:
        where = "online store" if sla == "freshness_online" else "warehouse table"
        add(sla, VIOLATED, "no rows", threshold, f"the {where} holds no feature rows")
        return
    latest = latest if latest.tzinfo else latest.replace(tzinfo=timezone.utc)
    age = now - latest
    status = OK if age <= limit else VIOLATED
    add(sla, status, _age(age), threshold, f"newest {view.timestamp} {latest.isoformat()}")


def _age(age: timedelta) -> str:
    seconds = int(age.total_seconds())
    if seconds < 0:
        return f"-{_age(-age)}"
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes = rest // 60
    parts = [f"{days}d"] * bool(days) + [f"{hours}h"] * bool(hours) + [f"{minutes}m"]
    return "".join(parts[:2]) if days or hours else f"{minutes}m{rest % 60}s"


def _builds(views: list[FeatureView], sources: Sources, now: datetime) -> dict[str, Build]:
    """The build of each view that run_results.json describes, with its row count."""
    results = sources.run_results
    if not results:
        return {}
    invocation = str((results.get("metadata") or {}).get("invocation_id") or "")
    by_id = {r.get("unique_id"): r for r in results.get("results") or ()
             if isinstance(r, dict)}
    out: dict[str, Build] = {}
    for view in views:
        entry = by_id.get(view.model.unique_id)
        if not entry or entry.get("status") != "success" or not invocation:
            continue
        rows = (entry.get("adapter_response") or {}).get("rows_affected")
        if not isinstance(rows, int) or rows < 0:
            if sources.row_count is None:
                continue
            try:
                rows = sources.row_count(view)
            except FeatureopsError:
                continue
        built_at = _completed_at(entry) or now.isoformat()
        out[view.name] = Build(view.name, invocation, rows, built_at)
    return out


def _completed_at(entry: Mapping[str, Any]) -> str | None:
    for step in entry.get("timing") or ():
        if isinstance(step, dict) and step.get("name") == "execute" and step.get("completed_at"):
            return str(step["completed_at"])
    return None


def _completeness(add: Callable[..., None], view: FeatureView, build: Build | None,
                  history: SlaHistory | None, minimum: float, why: str | None) -> None:
    threshold = f">= {minimum:.0%} of the previous build"
    if build is None:
        add("completeness", UNKNOWN, "-", threshold,
            why or "run_results.json does not describe a successful build of this view")
        return
    previous = history.previous_build(view.name, build.invocation_id) if history else None
    if previous is None:
        add("completeness", UNKNOWN, f"{build.rows:,} rows", threshold,
            "first build seen: nothing to compare with yet")
        return
    if previous.rows == 0:
        ratio = 1.0 if build.rows == 0 else float("inf")
    else:
        ratio = build.rows / previous.rows
    status = OK if ratio >= minimum else VIOLATED
    add("completeness", status, f"{ratio:.1%}", threshold,
        f"{build.rows:,} rows vs {previous.rows:,} in build {previous.invocation_id[:8]}")


def _availability(sources: Sources) -> tuple[str, str, float | None, str]:
    """(status, observed, ratio, detail) of the server's lookup availability."""
    if sources.metrics_text is None:
        return UNKNOWN, "-", None, sources.unavailable.get("metrics", "no --metrics given")
    good = total = 0.0
    for endpoint, code, value in _request_samples(sources.metrics_text):
        if endpoint in SERVING_ENDPOINTS:
            total += value
            if not code.startswith("5"):
                good += value
    if total == 0:
        return UNKNOWN, "no lookups", None, "the server has answered no lookup yet"
    ratio = good / total
    return OK, f"{ratio:.3%}", ratio, f"{int(total - good):,} of {int(total):,} lookups failed"


def _report_availability(add: Callable[..., None], measured: tuple[str, str, float | None, str],
                         minimum: float) -> None:
    status, observed, ratio, detail = measured
    if ratio is not None:
        status = OK if ratio >= minimum else VIOLATED
    add("availability", status, observed, f">= {minimum:.3%}", detail)


def _request_samples(text: str) -> Iterable[tuple[str, str, float]]:
    from prometheus_client.parser import text_string_to_metric_families

    try:
        families = list(text_string_to_metric_families(text))
    except (ValueError, TypeError) as error:
        raise SlaConfigError(f"the metrics are not Prometheus text: {error}") from None
    for family in families:
        for sample in family.samples:
            if sample.name == REQUESTS_METRIC:
                yield (sample.labels.get("endpoint", ""), sample.labels.get("code", ""),
                       float(sample.value))


class SlaHistory:
    """The JSON-lines history: violations (``kind: violation``) and builds seen
    (``kind: build``), each with the time it was recorded."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def entries(self) -> list[dict[str, Any]]:
        if not self.path.is_file():
            return []
        out = []
        with self.path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    out.append(json.loads(line))
                except json.JSONDecodeError:
                    raise SlaConfigError(f"{self.path}:{number}: not a JSON line; the history "
                                         "file is corrupted") from None
        return out

    def previous_build(self, view: str, invocation_id: str) -> Build | None:
        """The latest recorded build of ``view`` from another dbt invocation."""
        for entry in reversed(self.entries()):
            if (entry.get("kind") == "build" and entry.get("view") == view
                    and entry.get("invocation_id") != invocation_id):
                return Build(view, entry["invocation_id"], int(entry["rows"]),
                             str(entry.get("built_at")))
        return None

    def record(self, report: SlaReport, builds: Iterable[Build]) -> None:
        seen = {(e.get("view"), e.get("invocation_id")) for e in self.entries()
                if e.get("kind") == "build"}
        stamp = report.checked_at.isoformat()
        lines = [{"kind": "build", "recorded_at": stamp, **asdict(b)} for b in builds
                 if (b.view, b.invocation_id) not in seen]
        lines += [{"kind": "violation", "recorded_at": stamp, **r.to_dict()}
                  for r in report.violations]
        if not lines:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write("".join(json.dumps(line) + "\n" for line in lines))
            handle.flush()
            os.fsync(handle.fileno())


# --- wiring the sources to a project ----------------------------------------------------------


def collect_sources(project: Project, catalog: FeatureCatalog, *,
                    warehouse: str | None = None, metrics: str | None = None,
                    run_results: str | None = None, online: bool = True) -> Sources:
    """Open what can be opened; record why the rest cannot, as ``unknown`` reasons."""
    sources = Sources()
    _attach_warehouse(sources, project, catalog, warehouse)
    if online:
        _attach_online(sources, project)
    results_path = Path(run_results) if run_results else \
        project.manifest_path.parent / "run_results.json"
    try:
        sources.run_results = json.loads(results_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        sources.unavailable["run_results"] = f"{results_path} does not exist (run dbt build)"
    except (OSError, json.JSONDecodeError) as error:
        raise SlaConfigError(f"cannot read {results_path}: {error}") from None
    if metrics:
        sources.metrics_text = _read_metrics(metrics)
    return sources


def _attach_warehouse(sources: Sources, project: Project, catalog: FeatureCatalog,
                      explicit: str | None) -> None:
    try:
        warehouse = _open_warehouse(project, catalog, explicit)
    except FeatureopsError as error:
        sources.unavailable["warehouse"] = str(error)
        return
    sources.opened.append(warehouse)

    def scalar(view: FeatureView, expression: str) -> Any:
        relation = view.model.relation_name
        if not relation:
            raise SlaConfigError(f"model '{view.model.name}' has no relation in the manifest")
        table = warehouse.to_arrow(f"select {expression} as value from {relation}")
        return table.column("value")[0].as_py()

    sources.newest_in_warehouse = lambda view: scalar(
        view, f"max({warehouse.quote(view.timestamp)})")
    sources.row_count = lambda view: int(scalar(view, "count(*)"))


def _open_warehouse(project: Project, catalog: FeatureCatalog, explicit: str | None) -> Any:
    """The selected dbt target's warehouse (``explicit``: a DuckDB file instead)."""
    from featureops.engines import open_engine

    databases = {v.model.database for v in catalog.views.values() if v.model.database}
    return open_engine(project, warehouse=explicit, database=next(iter(databases), None))


def _attach_online(sources: Sources, project: Project) -> None:
    from featureops.online.config import open_online_store

    try:
        store = open_online_store(project)
    except FeatureopsError as error:
        sources.unavailable["online store"] = str(error)
        return
    sources.opened.append(store)

    def newest(view: FeatureView) -> datetime | None:
        state = store.live_state(view.name)
        if state is None:
            raise SlaConfigError(f"'{view.name}' was never materialized to {store.describe()}")
        return state.max_event_at

    sources.newest_online = newest


#: Seconds to connect and to wait for each read of the server's /metrics.
METRICS_TIMEOUT = 5.0


def _read_metrics(location: str) -> str:
    if location.startswith(("http://", "https://")):
        return fetch_metrics(location)
    try:
        return Path(location).read_text(encoding="utf-8")
    except OSError as error:
        raise SlaConfigError(f"cannot read metrics file {location}: {error.strerror}") from None


def fetch_metrics(url: str) -> str:
    """GET a feature server's Prometheus text with the standard library (an HTTP client
    package would be one more dependency for one request)."""
    from urllib.error import HTTPError, URLError
    from urllib.request import Request, urlopen

    request = Request(url, headers={"Accept": "text/plain"})
    token = os.environ.get("FEATUREOPS_SERVE_TOKEN", "").split(",")[0].strip()
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urlopen(request, timeout=METRICS_TIMEOUT) as response:
            if response.status != 200:
                raise SlaConfigError(f"cannot read metrics from {url}: HTTP {response.status}")
            return response.read().decode("utf-8")
    except HTTPError as error:
        raise SlaConfigError(f"cannot read metrics from {url}: HTTP {error.code} "
                             f"{error.reason}") from None
    except URLError as error:
        raise SlaConfigError(f"cannot read metrics from {url}: {error.reason}") from None
    except (OSError, UnicodeDecodeError, ValueError) as error:  # timeouts, resets, bad URLs
        raise SlaConfigError(f"cannot read metrics from {url}: {error}") from None
