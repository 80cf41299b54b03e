"""Measurements advise takes from the warehouse, run_results.json, the sla history and the
serving log. Each returns its number or raises FeatureopsError with the reason, which the
caller records as ``unknown``."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from featureops.advise.settings import AdviseConfigError
from featureops.catalog import FeatureCatalog, FeatureView
from featureops.engines.base import quote_identifier

WINDOWED_AGGREGATE = "macro.featureops.windowed_aggregate"


def stream_capability(view: FeatureView) -> tuple[bool, str]:
    """Whether the view's features come from featureops.windowed_aggregate (the windows a
    stream can maintain), with the evidence from the manifest."""
    if WINDOWED_AGGREGATE in view.model.depends_on_macros:
        return True, f"its SQL calls {WINDOWED_AGGREGATE} (depends_on.macros)"
    code = view.model.raw_code or ""
    if "windowed_aggregate(" in code:
        return True, "its SQL calls windowed_aggregate"
    return False, "its SQL does not use featureops.windowed_aggregate"


def trained_on(catalog: FeatureCatalog, view: FeatureView) -> tuple[str, ...]:
    """Training sets that dbt builds from the view's rows."""
    return tuple(sorted(name for name, training in catalog.training_sets.items()
                        if view.model.unique_id in training.model.depends_on))


def read_run_results(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AdviseConfigError(f"{path} does not exist (run dbt build)") from None
    except (OSError, json.JSONDecodeError) as error:
        raise AdviseConfigError(f"cannot read {path}: {error}") from None
    if not isinstance(data, dict) or not isinstance(data.get("results"), list):
        raise AdviseConfigError(f"{path}: not a dbt run_results.json (no results list)")
    return data


def build_seconds(run_results: Mapping[str, Any], view: FeatureView) -> float:
    """End-to-end time of the dbt invocation that built the view (a refresh reruns its
    whole DAG, not the view alone)."""
    built = any(isinstance(r, dict) and r.get("unique_id") == view.model.unique_id
                and r.get("status") == "success" for r in run_results["results"])
    if not built:
        raise AdviseConfigError("run_results.json holds no successful build of this view")
    return _elapsed(run_results)


def _elapsed(run_results: Mapping[str, Any]) -> float:
    elapsed = run_results.get("elapsed_time")
    if not isinstance(elapsed, (int, float)) or elapsed < 0:
        raise AdviseConfigError("run_results.json has no elapsed_time")
    return float(elapsed)


def invocation_timings(run_results: Mapping[str, Any], top: int = 3
                       ) -> tuple[float, tuple[tuple[str, float], ...]]:
    """(elapsed seconds, the ``top`` slowest models by execution time)."""
    models = [(str(r.get("unique_id", "")).rsplit(".", 1)[-1], float(r["execution_time"]))
              for r in run_results["results"] if isinstance(r, dict)
              and str(r.get("unique_id", "")).startswith("model.")
              and isinstance(r.get("execution_time"), (int, float))]
    models.sort(key=lambda item: (-item[1], item[0]))
    return _elapsed(run_results), tuple(models[:top])


def freshness_violations(history: list[dict[str, Any]], view: str) -> int:
    """Freshness violations the sla history recorded for the view."""
    return sum(1 for entry in history if entry.get("kind") == "violation"
               and entry.get("view") == view
               and str(entry.get("sla", "")).startswith("freshness"))


def row_profile(engine: Any, view: FeatureView, window: timedelta, late_after: timedelta
                ) -> tuple[float, float | None]:
    """(new rows per second over the ``window`` before the newest timestamp, share of
    those rows whose created_timestamp is more than ``late_after`` after the timestamp;
    None when the view declares no created_timestamp)."""
    relation = view.model.relation_name
    if not relation:
        raise AdviseConfigError(f"model '{view.model.name}' has no relation in the manifest")
    stamp = quote_identifier(view.timestamp)
    bounds = engine.to_arrow(f"select min({stamp}) as oldest, max({stamp}) as newest "
                             f"from {relation}").to_pylist()[0]
    oldest, newest = bounds["oldest"], bounds["newest"]
    if newest is None:
        raise AdviseConfigError("the warehouse table holds no rows")
    start = max(_naive(newest) - window, _naive(oldest))
    span = (_naive(newest) - start).total_seconds()
    if span <= 0:
        raise AdviseConfigError("every row has the same timestamp: no rate to measure")
    created = view.spec.created_timestamp
    late = "null" if created is None else (
        f"sum(case when {quote_identifier(created)} > {stamp} + interval "
        f"'{int(late_after.total_seconds())} seconds' then 1 else 0 end)")
    counts = engine.to_arrow(
        f"select count(*) as n, {late} as late from {relation} "
        f"where {stamp} > cast('{start.isoformat(sep=' ')}' as timestamp)").to_pylist()[0]
    rows = int(counts["n"])
    share = None if created is None or rows == 0 else int(counts["late"] or 0) / rows
    return rows / span, share


def _naive(moment: datetime) -> datetime:
    """UTC without tzinfo (DuckDB returns naive, Postgres timestamptz aware)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment


def database_bytes(engine: Any) -> int:
    """Bytes the warehouse database takes (DuckDB's blocks in use, Postgres's database)."""
    from featureops.engines.duckdb_engine import DuckDBEngine
    from featureops.engines.postgres_engine import PostgresEngine

    if isinstance(engine, DuckDBEngine):
        rows = engine.to_arrow("select total_blocks * block_size as bytes from "
                               "pragma_database_size()").to_pylist()
        return int(sum(r["bytes"] or 0 for r in rows))
    if isinstance(engine, PostgresEngine):
        return int(engine.to_arrow("select pg_database_size(current_database()) as bytes")
                   .column("bytes")[0].as_py())
    raise AdviseConfigError(f"no size measurement for {engine.describe()}")


def served_ages(log_dir: Path) -> dict[str, float]:
    """Per view, the 95th percentile of served_at - event_at of the values the server
    returned (one per request and entity), from the serving log's Parquet files."""
    import duckdb

    files = sorted(log_dir.glob("serving_log_*.parquet"))
    if not files:
        raise AdviseConfigError(f"no serving log in {log_dir}")
    conn = duckdb.connect()
    try:
        rows = conn.execute(
            "select feature_view, quantile_cont(epoch(served_at) - epoch(event_at), 0.95) "
            "from (select distinct request_id, feature_view, entity_key, served_at, event_at "
            "from read_parquet(?) where status = 'present' and event_at is not null) "
            "group by 1", [[str(f) for f in files]]).fetchall()
    except duckdb.Error as error:
        raise AdviseConfigError(f"cannot read the serving log in {log_dir}: "
                                f"{str(error).splitlines()[0]}") from None
    finally:
        conn.close()
    return {view: float(age) for view, age in rows}
