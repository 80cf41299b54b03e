"""Turning Arrow batches of a view into encoded records, and overlapping that work with
the writes: a producer thread reads and encodes the next batch (DuckDB, numpy and Arrow
release the GIL) while the caller writes the current one."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from typing import Any

import pyarrow as pa

from featureops.exceptions import FeatureopsError
from featureops.online.encoding import EncodedBatch, RecordCodec, encode_key_columns
from featureops.online.layout import RecordLayout

_DONE = object()


class RecordsError(FeatureopsError):
    """Rows cannot be written: null keys or timestamps, missing columns."""


def encode_batch(batch: pa.RecordBatch | pa.Table, layout: RecordLayout, codec: RecordCodec,
                 timestamp: str, where: str) -> EncodedBatch:
    """Encode one batch; keys and the feature timestamp must be non-null."""
    missing = [c for c in (*layout.key_names, timestamp, *layout.feature_names)
               if c not in batch.schema.names]
    if missing:
        raise RecordsError(f"{where}: missing column(s) {', '.join(missing)}")
    for column in (*layout.key_names, timestamp):
        if batch.column(column).null_count:
            raise RecordsError(f"{where}: column '{column}' has nulls; entity keys and the "
                               "feature timestamp must be set on every row")
    keys = encode_key_columns([batch.column(k) for k in layout.key_names],
                              [kind for _, kind in layout.keys])
    return codec.encode(batch, timestamp, keys)


def encoded(batches: Iterable[pa.RecordBatch], layout: RecordLayout, timestamp: str,
            where: str) -> Iterator[EncodedBatch]:
    codec = RecordCodec(layout)
    for batch in batches:
        yield encode_batch(batch, layout, codec, timestamp, where)


def prefetch(items: Iterable[Any], depth: int = 2) -> Iterator[Any]:
    """Iterate ``items`` in a background thread, ``depth`` items ahead; exceptions are
    re-raised in the caller, and the producer stops when the caller stops."""
    slots: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                if not _put(slots, (item, None), stop):
                    return
            _put(slots, (_DONE, None), stop)
        except BaseException as error:  # handed to the consumer, which re-raises it
            _put(slots, (_DONE, error), stop)

    worker = threading.Thread(target=produce, name="featureops-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            item, error = slots.get()
            if error is not None:
                raise error
            if item is _DONE:
                return
            yield item
    finally:
        stop.set()
        worker.join(timeout=5)


def _put(slots: queue.Queue[Any], value: Any, stop: threading.Event) -> bool:
    while not stop.is_set():
        try:
            slots.put(value, timeout=0.1)
            return True
        except queue.Full:
            continue
    return False
