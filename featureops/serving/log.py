"""The serving log: a sample of served feature values, as Parquet files that monitoring
reads as a dbt source (training-serving skew).

One file per flush, ``serving_log_<UTC yyyymmddTHHMMSS>_<uuid8>.parquet``, written under a
temporary name and renamed, so readers never see a partial file. Long format, one row per
(request, entity, feature), with exactly the columns of ``SCHEMA`` (see docs/serving.md).
"""

from __future__ import annotations

import itertools
import logging
import os
import threading
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from featureops.files import replacing
from featureops.online.encoding import datetime_to_micros
from featureops.online.sdk import OnlineColumns, OnlineFeatures

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


def entity_keys_json(names: list[str], rows: list[tuple[Any, ...]]) -> list[str]:
    """``entity_key_json`` of every row; one integer key, the common case, by formatting."""
    if len(names) == 1 and all(type(row[0]) is int for row in rows):
        prefix = "{" + orjson.dumps(names[0]).decode() + ":"
        return [f"{prefix}{row[0]}}}" for row in rows]
    return [entity_key_json(names, row) for row in rows]


def new_log_file(directory: Path) -> Path:
    """A new file name in the serving log (readers glob ``serving_log_*.parquet``)."""
    directory.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
    return directory / f"serving_log_{stamp}_{uuid.uuid4().hex[:8]}.parquet"


class ServingLogWriter:
    """Buffers sampled responses and writes them as Parquet files.

    Thread-safe. Rows are flushed when ``flush_rows`` are buffered, by ``flush()``, and by
    ``close()``; a server's writer process also calls ``flush()`` periodically. Buffered
    rows become Arrow record batches every ``batch_rows`` rows (compact while they wait).
    """

    def __init__(self, directory: Path, flush_rows: int = 50_000,
                 batch_rows: int = 256, pause: Callable[[], None] | None = None) -> None:
        self.directory = directory
        self.flush_rows = flush_rows
        self.batch_rows = batch_rows
        # called between columns: the serving log's process gives way there
        self._pause = pause or _no_pause
        self._columns: dict[str, list[Any]] = _empty_columns()
        self._batches: list[pa.RecordBatch] = []
        self._buffered = 0
        self._refs: dict[tuple[str, ...], tuple[list[str], list[str]]] = {}
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self.files_written: list[Path] = []

    def append(self, response: OnlineFeatures, *, request_id: str | None = None,
               served_at: datetime | None = None, service: str | None = None) -> int:
        """Add every (entity, feature) of one response; return the number of rows."""
        return self.append_columns(response.to_columns(), request_id=request_id,
                                   served_at=served_at, service=service)

    def append_columns(self, answer: OnlineColumns, *, request_id: str | None = None,
                       served_at: datetime | None = None, service: str | None = None) -> int:
        """``append`` for an answer in columns (the server's form): rows go feature by
        feature, each column extended whole; values become Arrow arrays in batches."""
        request_id = request_id or next_request_id()
        served = datetime_to_micros(served_at or datetime.now(timezone.utc))
        service = service if service is not None else answer.service
        views, features = self._split_refs(answer.feature_refs)
        entities = len(answer.entity_rows)
        count = entities * len(answer.columns)
        keys = entity_keys_json(answer.entity_names, answer.entity_rows)
        nones = [None] * entities
        rows: dict[str, list[Any]] = _empty_columns()
        for view, feature, column in zip(views, features, answer.columns, strict=True):
            self._pause()
            if len(column.values) != entities:
                raise ValueError(f"column {view}:{feature} has {len(column.values)} values "
                                 f"for {entities} entities")
            numbers, texts = _split_column(column.kind, column.values, nones)
            rows["value_double"].extend(numbers)
            rows["value_text"].extend(texts)
            rows["status"].extend(column.statuses)
            rows["event_at"].extend(column.event_micros)  # integers: cheap to convert
            rows["feature_view"].extend([view] * entities)
            rows["feature"].extend([feature] * entities)
            rows["entity_key"].extend(keys)
        rows["request_id"] = [request_id] * count
        rows["served_at"] = [served] * count
        rows["service"] = [service] * count
        with self._lock:
            for name, values in rows.items():
                self._columns[name].extend(values)
            self._buffered += count
            if len(self._columns["request_id"]) >= self.batch_rows:
                self._seal()
            buffered = self._buffered
        if buffered >= self.flush_rows:
            self.flush()
        return count

    def _split_refs(self, refs: list[str]) -> tuple[list[str], list[str]]:
        key = tuple(refs)
        split = self._refs.get(key)
        if split is None:
            pairs = [ref.split(":", 1) for ref in refs]
            split = self._refs[key] = ([view for view, _ in pairs],
                                       [feature for _, feature in pairs])
        return split

    def _seal(self) -> None:
        """Turn the buffered lists into one record batch (caller holds the lock)."""
        columns, self._columns = self._columns, _empty_columns()
        if columns["request_id"]:
            arrays = []
            for field in SCHEMA:
                self._pause()
                arrays.append(_arrow(columns[field.name], field.type))
            self._batches.append(pa.RecordBatch.from_arrays(arrays, schema=SCHEMA))

    def flush(self) -> Path | None:
        """Write the buffered rows as one file (atomically); None when there were none."""
        with self._flush_lock:
            with self._lock:
                self._seal()
                batches, self._batches, self._buffered = self._batches, [], 0
            if not batches:
                return None
            table = pa.Table.from_batches(batches, schema=SCHEMA)
            final = new_log_file(self.directory)
            with replacing(final) as partial:
                pq.write_table(table, partial)
            self.files_written.append(final)
            return final

    def close(self) -> None:
        self.flush()


_NUMBERS = (bool, int, float)  # logged as value_double (booleans as 0/1)
_NUMBER_KINDS = frozenset({"int", "float", "bool"})
_VALUELESS_KINDS = frozenset({"timestamp", "date", "vector"})  # neither double nor text
_process_prefix = os.urandom(8).hex()
_request_numbers = itertools.count()


def next_request_id() -> str:
    """A request id unique across processes (a random prefix per process, then a
    counter): 32 hex digits like a UUID, without a system call per request."""
    return f"{_process_prefix}{next(_request_numbers):016x}"


def _split_column(kind: str | None, values: list[Any], nones: list[None]
                  ) -> tuple[list[Any], list[Any]]:
    """(value_double, value_text) of one feature column: whole lists by stored kind; value
    by value when the kind is unknown or JSON."""
    if kind in _NUMBER_KINDS:
        return values, nones
    if kind == "string":
        return nones, values
    if kind in _VALUELESS_KINDS:
        return nones, nones
    return ([float(v) if isinstance(v, _NUMBERS) else None for v in values],
            [v if isinstance(v, str) else None for v in values])


def _arrow(values: list[Any], kind: pa.DataType) -> pa.Array:
    if pa.types.is_timestamp(kind):  # held as microseconds: a cast, no datetime objects
        return pa.array(values, type=pa.int64()).cast(kind)
    try:
        return pa.array(values, type=kind)
    except pa.ArrowInvalid:
        if kind != pa.float64():
            raise
        # integers beyond 2**53 are not converted implicitly: round them as float() does
        return pa.array([None if v is None else float(v) for v in values], type=kind)


def _no_pause() -> None:
    return None


def _empty_columns() -> dict[str, list[Any]]:
    return {name: [] for name in SCHEMA.names}


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
