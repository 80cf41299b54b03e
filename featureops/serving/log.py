"""The serving log: a sample of served feature values, as Parquet files that monitoring
reads as a dbt source (training-serving skew).

One file per flush, ``serving_log_<UTC yyyymmddTHHMMSS>_<uuid8>.parquet``, written under a
temporary name and renamed, so readers never see a partial file. Long format, one row per
(request, entity, feature), with exactly the columns of ``SCHEMA`` (see docs/serving.md).
"""

from __future__ import annotations

import logging
import os
import random
import threading
import uuid
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from featureops.files import replacing
from featureops.online.sdk import OnlineFeatures

LOG_DIR_ENV = "FEATUREOPS_SERVING_LOG_DIR"
DEFAULT_LOG_DIR = "data/serving_log"

SCHEMA = pa.schema([
    ("request_id", pa.string()),
    ("served_at", pa.timestamp("us")),
    ("service", pa.string()),
    ("feature_view", pa.string()),
    ("feature", pa.string()),
    ("entity_key", pa.string()),
    ("value_double", pa.float64()),
    ("value_text", pa.string()),
    ("status", pa.string()),
    ("event_at", pa.timestamp("us")),
])

logger = logging.getLogger(__name__)


def log_dir(project_dir: Path, configured: str | None = None) -> Path:
    """``FEATUREOPS_SERVING_LOG_DIR``, else the configured directory, else the default;
    relative paths are under the project."""
    path = Path(os.environ.get(LOG_DIR_ENV) or configured or DEFAULT_LOG_DIR)
    return path if path.is_absolute() else project_dir / path


def entity_key_json(names: list[str], values: tuple[Any, ...]) -> str:
    """Canonical JSON of an entity key: sorted keys, no spaces (``{"user_id":42}``)."""
    return orjson.dumps(dict(zip(names, values, strict=True)),
                        option=orjson.OPT_SORT_KEYS).decode()


def _naive_utc(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is None:
        return value
    return value.astimezone(timezone.utc).replace(tzinfo=None)


class ServingLogWriter:
    """Buffers sampled responses and writes them as Parquet files.

    Thread-safe. Rows are flushed when ``flush_rows`` are buffered, by ``flush()``, and by
    ``close()``; a server also calls ``flush()`` periodically.
    """

    def __init__(self, directory: Path, sample_rate: float = 1.0, flush_rows: int = 50_000,
                 seed: int | None = None) -> None:
        if not 0.0 <= sample_rate <= 1.0:
            raise ValueError(f"sample rate must be within [0, 1], got {sample_rate}")
        self.directory = directory
        self.sample_rate = sample_rate
        self.flush_rows = flush_rows
        self._random = random.Random(seed)
        self._columns: dict[str, list[Any]] = {name: [] for name in SCHEMA.names}
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self.files_written: list[Path] = []

    def sampled(self) -> bool:
        """Whether to log the next response (the sample is per request)."""
        return self.sample_rate >= 1.0 or self._random.random() < self.sample_rate

    def append(self, response: OnlineFeatures, *, request_id: str | None = None,
               served_at: datetime | None = None, service: str | None = None) -> int:
        """Add every (entity, feature) of one response; return the number of rows."""
        request_id = request_id or uuid.uuid4().hex
        served = _naive_utc(served_at or datetime.now(timezone.utc))
        service = service if service is not None else response.service
        views_features = [ref.split(":", 1) for ref in response.feature_refs]
        rows: dict[str, list[Any]] = {name: [] for name in SCHEMA.names}
        for entity, values in zip(response.entity_rows, response.values, strict=True):
            key = entity_key_json(response.entity_names, entity)
            for (view, feature), value in zip(views_features, values, strict=True):
                number, text = _split_value(value.value)
                rows["request_id"].append(request_id)
                rows["served_at"].append(served)
                rows["service"].append(service)
                rows["feature_view"].append(view)
                rows["feature"].append(feature)
                rows["entity_key"].append(key)
                rows["value_double"].append(number)
                rows["value_text"].append(text)
                rows["status"].append(value.status)
                rows["event_at"].append(_naive_utc(value.event_at))
        with self._lock:
            for name, column in rows.items():
                self._columns[name].extend(column)
            buffered = len(self._columns["request_id"])
        if buffered >= self.flush_rows:
            self.flush()
        return len(rows["request_id"])

    def flush(self) -> Path | None:
        """Write the buffered rows as one file (atomically); None when there were none."""
        with self._flush_lock:
            with self._lock:
                columns = self._columns
                if not columns["request_id"]:
                    return None
                self._columns = {name: [] for name in SCHEMA.names}
            table = pa.table({name: pa.array(columns[name], type=SCHEMA.field(name).type)
                              for name in SCHEMA.names}, schema=SCHEMA)
            self.directory.mkdir(parents=True, exist_ok=True)
            stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
            final = self.directory / f"serving_log_{stamp}_{uuid.uuid4().hex[:8]}.parquet"
            with replacing(final) as partial:
                pq.write_table(table, partial)
            self.files_written.append(final)
            return final

    def close(self) -> None:
        self.flush()


def _split_value(value: Any) -> tuple[float | None, str | None]:
    """(value_double, value_text): numbers and booleans as double, strings as text."""
    if isinstance(value, bool):
        return float(value), None
    if isinstance(value, (int, float)):
        return float(value), None
    if isinstance(value, str):
        return None, value
    return None, None


def append_served(responses: OnlineFeatures | Iterable[OnlineFeatures], *,
                  project_dir: Path | None = None, directory: Path | None = None,
                  served_at: datetime | None = None,
                  service: str | None = None) -> Path | None:
    """Append served responses to the serving log now, as one file (each response gets
    its own request id), for replays and batch jobs that serve outside the HTTP server.
    To give each request its own ``served_at``, use ``ServingLogWriter.append`` per
    response and ``close()`` at the end. Returns the file written (None if no rows)."""
    target = directory or log_dir(project_dir or Path.cwd())
    writer = ServingLogWriter(target)
    batch = [responses] if isinstance(responses, OnlineFeatures) else responses
    for response in batch:
        writer.append(response, served_at=served_at, service=service)
    return writer.flush()
