"""``featureops advise``: gather what can be measured, run the rules, keep the result.

Every source is optional: one that cannot be opened or read is listed in ``inputs`` with
the reason, and the numbers it would have given are ``unknown`` in the recommendations."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from featureops.advise import measure, rules
from featureops.advise.facts import StoreFacts, ViewFacts, ViewSize, WarehouseFacts
from featureops.advise.recommendation import Recommendation
from featureops.advise.serving_load import ServingLoad, measure_load
from featureops.advise.settings import AdviseSettings
from featureops.catalog import FeatureCatalog, FeatureView
from featureops.exceptions import FeatureopsError
from featureops.project import Project

#: Version of the JSON document (docs/advise.md); bumped on any incompatible change.
SCHEMA_VERSION = 1


@dataclass
class Options:
    """Where the measurements come from (None: the project's default)."""

    warehouse: str | None = None  # a DuckDB file instead of the profile target's
    run_results: str | None = None
    metrics_url: str | None = None
    metrics_seconds: float = 10.0
    history: str | None = None
    serving_log: str | None = None
    online: bool = True


@dataclass
class Advice:
    inputs: dict[str, dict[str, Any]]
    thresholds: AdviseSettings
    architecture: list[Recommendation]
    online_store: Recommendation
    warehouse_engine: Recommendation

    @property
    def recommendations(self) -> list[Recommendation]:
        return [*self.architecture, self.online_store, self.warehouse_engine]

    def to_dict(self) -> dict[str, Any]:
        return {"schema_version": SCHEMA_VERSION, "inputs": self.inputs,
                "thresholds": self.thresholds.to_dict(),
                "architecture": [r.to_dict() for r in self.architecture],
                "online_store": self.online_store.to_dict(),
                "warehouse_engine": self.warehouse_engine.to_dict()}


@dataclass
class _Sources:
    """What was opened, and why the rest was not."""

    inputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    engine: Any = None
    store: Any = None
    run_results: dict[str, Any] | None = None
    history: list[dict[str, Any]] | None = None
    served: dict[str, float] | None = None
    load: ServingLoad | None = None

    def available(self, name: str, detail: str) -> None:
        self.inputs[name] = {"available": True, "detail": detail}

    def missing(self, name: str, why: str) -> None:
        self.inputs[name] = {"available": False, "detail": why}

    def why(self, name: str) -> str:
        return f"{name}: {self.inputs[name]['detail']}"

    def close(self) -> None:
        for resource in (self.engine, self.store):
            if resource is not None:
                resource.close()


def advise(project: Project, catalog: FeatureCatalog, settings: AdviseSettings,
           options: Options, views: Sequence[str] = ()) -> Advice:
    """Recommendations for the selected views (default every view) and the project."""
    chosen = [catalog.view(name) for name in views] if views else sorted(
        catalog.views.values(), key=lambda v: v.name)
    sources = _open(project, catalog, options)
    try:
        architecture = [rules.architecture(_view_facts(catalog, view, sources, settings),
                                           settings) for view in chosen]
        online = sorted(v.name for v in catalog.views.values() if v.spec.online)
        facts = _store_facts(online, sources, _redis_prefix(catalog))
        store = rules.online_store(_with_stream_writes(facts, catalog, sources, settings),
                                   settings)
        warehouse = rules.warehouse_engine(_warehouse_facts(project, sources), settings)
    finally:
        sources.close()
    return Advice(sources.inputs, settings, architecture, store, warehouse)


def _open(project: Project, catalog: FeatureCatalog, options: Options) -> _Sources:
    sources = _Sources()
    _open_warehouse(sources, project, catalog, options.warehouse)
    results = Path(options.run_results) if options.run_results else \
        project.manifest_path.parent / "run_results.json"
    _attempt(sources, "run_results", lambda: measure.read_run_results(results),
             "run_results", str(results))
    if options.online:
        from featureops.online.config import open_online_store

        _attempt(sources, "online_store", lambda: open_online_store(project), "store", None)
        if sources.store is not None:
            sources.inputs["online_store"]["detail"] = sources.store.describe()
    else:
        sources.missing("online_store", "--no-online given")
    _open_history(sources, project, options.history)
    _open_serving_log(sources, project, options.serving_log)
    if options.metrics_url:
        _attempt(sources, "serving_metrics",
                 lambda: measure_load(options.metrics_url, options.metrics_seconds), "load",
                 f"{options.metrics_url}, two scrapes {options.metrics_seconds:g} s apart")
    else:
        sources.missing("serving_metrics", "no --metrics-url given")
    return sources


def _attempt(sources: _Sources, name: str, action: Any, attribute: str,
             detail: str | None) -> None:
    """Run ``action``; keep its result on ``sources`` or record why it failed."""
    try:
        setattr(sources, attribute, action())
    except FeatureopsError as error:
        sources.missing(name, str(error))
        return
    sources.available(name, detail or "")


def _open_warehouse(sources: _Sources, project: Project, catalog: FeatureCatalog,
                    explicit: str | None) -> None:
    from featureops.engines import open_engine

    databases = sorted({v.model.database for v in catalog.views.values() if v.model.database})
    _attempt(sources, "warehouse", lambda: open_engine(
        project, warehouse=explicit, database=databases[0] if databases else None),
        "engine", None)
    if sources.engine is not None:
        sources.inputs["warehouse"]["detail"] = sources.engine.describe()


def _open_history(sources: _Sources, project: Project, explicit: str | None) -> None:
    from featureops.sla import SlaHistory, load_sla_settings

    path = Path(explicit or load_sla_settings(project).history)
    path = path if path.is_absolute() else project.project_dir / path
    if not path.is_file():
        sources.missing("sla_history", f"{path} does not exist (featureops sla writes it)")
        return
    _attempt(sources, "sla_history", lambda: SlaHistory(path).entries(), "history", str(path))


def _open_serving_log(sources: _Sources, project: Project, explicit: str | None) -> None:
    from featureops.serving.log import log_dir
    from featureops.serving.settings import load_serving_settings

    directory = Path(explicit) if explicit else log_dir(
        project.project_dir, load_serving_settings(project).log_dir)
    _attempt(sources, "serving_log", lambda: measure.served_ages(directory), "served",
             str(directory))


# --- facts -------------------------------------------------------------------------------


def _view_facts(catalog: FeatureCatalog, view: FeatureView, sources: _Sources,
                settings: AdviseSettings) -> ViewFacts:
    unknown: dict[str, str] = {}
    spec = view.spec
    can_stream, evidence = measure.stream_capability(view)
    rate = late = build = violations = age = None
    if spec.request_time is None and spec.sla is not None:
        rate, late = _row_profile(view, sources, settings, unknown)
        build = _measured(unknown, "build_seconds", sources, "run_results",
                          lambda: measure.build_seconds(sources.run_results, view))
        violations = _measured(unknown, "freshness_violations", sources, "sla_history",
                               lambda: measure.freshness_violations(sources.history,
                                                                    view.name))
        if spec.online:
            age = _measured(unknown, "served_age_p95_seconds", sources, "serving_log",
                            lambda: _served_age(sources.served, view.name))
    return ViewFacts(
        view=view.name, online=spec.online, request_time=spec.request_time is not None,
        sla_seconds=_seconds(spec.sla.freshness_delta if spec.sla else None),
        ttl_seconds=_seconds(spec.ttl_delta), can_stream=can_stream,
        stream_evidence=evidence, streaming_declared=spec.streaming is not None,
        trained_on=measure.trained_on(catalog, view), rows_per_second=rate, late_share=late,
        build_seconds=build, freshness_violations=violations, served_age_p95_seconds=age,
        unknown=unknown)


def _row_profile(view: FeatureView, sources: _Sources, settings: AdviseSettings,
                 unknown: dict[str, str]) -> tuple[float | None, float | None]:
    late_after = (view.spec.streaming.allowed_lateness_delta
                  if view.spec.streaming and view.spec.streaming.allowed_lateness
                  else settings.delta("late_after"))
    profile = _measured(unknown, "rows_per_second", sources, "warehouse",
                        lambda: measure.row_profile(sources.engine, view,
                                                    settings.delta("event_rate_window"),
                                                    late_after))
    if profile is None:
        unknown["late_share"] = unknown["rows_per_second"]
        return None, None
    if profile[1] is None:
        unknown["late_share"] = ("the view declares no created_timestamp: arrival times "
                                 "are not in the warehouse")
    return profile


def _served_age(served: dict[str, float] | None, view: str) -> float:
    if not served or view not in served:
        raise FeatureopsError("the serving log holds no value of this view")
    return served[view]


def _measured(unknown: dict[str, str], name: str, sources: _Sources, source: str,
              action: Any) -> Any:
    """``action()``, or None with the reason in ``unknown``."""
    if not sources.inputs[source]["available"]:
        unknown[name] = sources.why(source)
        return None
    try:
        return action()
    except FeatureopsError as error:
        unknown[name] = str(error)
        return None


def _seconds(delta: Any) -> float | None:
    return None if delta is None else delta.total_seconds()


def _redis_prefix(catalog: FeatureCatalog) -> str:
    """The default key prefix of the project in Redis (a Redis store is measured with its
    own keys; this only sizes the key names of a projection from SQLite)."""
    return f"featureops:{catalog.manifest.project_name}"


def _store_facts(online: Iterable[str], sources: _Sources, redis_prefix: str) -> StoreFacts:
    from featureops.advise.store_sizes import measure_sizes

    views = list(online)
    if sources.store is None:
        sizes = [ViewSize(v, None, None, None, sources.why("online_store")) for v in views]
    else:
        sizes = measure_sizes(sources.store, views, redis_prefix)
    kind = None if sources.store is None else sources.store.config.type
    if sources.load is None:
        why = sources.why("serving_metrics")
        return StoreFacts(kind, tuple(sizes),
                          unknown={"read_qps": why, "write_qps": why, "latency": why})
    load = sources.load
    return StoreFacts(kind, tuple(sizes), read_qps=load.read_qps, write_qps=load.write_qps,
                      latency_p50_seconds=load.latency_p50_seconds,
                      latency_p99_seconds=load.latency_p99_seconds, unknown=dict(load.unknown))


def _with_stream_writes(facts: StoreFacts, catalog: FeatureCatalog, sources: _Sources,
                        settings: AdviseSettings) -> StoreFacts:
    """The store's facts with the stream workers' writes: each event of an online streaming
    view is one write, so their rate is the views' row rate in the warehouse."""
    streaming = sorted((v for v in catalog.views.values()
                        if v.spec.online and v.spec.streaming is not None),
                       key=lambda v: v.name)
    if not streaming:
        return facts
    unknown = dict(facts.unknown)
    total = 0.0
    for view in streaming:
        why: dict[str, str] = {}
        rate, _ = _row_profile(view, sources, settings, why)
        if rate is None:
            unknown["stream_write_qps"] = (f"{view.name}: "
                                           + why.get("rows_per_second", "not measured"))
            return replace(facts, unknown=unknown)
        total += rate
    return replace(facts, stream_write_qps=total)


def _warehouse_facts(project: Project, sources: _Sources) -> WarehouseFacts:
    unknown: dict[str, str] = {}
    size = _measured(unknown, "database_bytes", sources, "warehouse",
                     lambda: measure.database_bytes(sources.engine))
    timings = _measured(unknown, "build_seconds", sources, "run_results",
                        lambda: measure.invocation_timings(sources.run_results))
    elapsed, slowest = timings if timings else (None, ())
    return WarehouseFacts(project.manifest.adapter_type or None, size, elapsed, slowest,
                          unknown)
