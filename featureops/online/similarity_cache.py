"""Exact nearest-neighbour search for stores without a vector index (Redis).

The embeddings of a view version are loaded once into a float32 matrix of unit rows,
then each query is one matrix-vector product and a partial sort. The cache is keyed by
(view, feature, version, change counter): a publish or a push that changes the view
makes the next search load a new matrix, so results are never staler than the store; a
search that asks for no waiting (``fresh=False``, the feature server's) is answered from
the previous matrix while the new one loads on a background thread (seconds on a large
view). Only the first search of a view, with no previous matrix, always waits for the
load. Filters are equality tests on the view's scalar features, evaluated on columns
cached beside the matrix.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from featureops.online.encoding import RecordCodec
from featureops.online.layout import RecordLayout
from featureops.online.vectors import check_filters, filter_fields, vector_field

logger = logging.getLogger(__name__)


class _ScanningStore(Protocol):
    def generation(self, view: str) -> tuple[str, int] | None: ...
    def version_state(self, view: str, version: str, fresh: bool = False) -> Any: ...
    def scan_records(self, view: str, version: str) -> Any: ...


@dataclass
class _Matrix:
    key: tuple[str, str, str, int]
    layout: RecordLayout
    entity_keys: np.ndarray          # object array of canonical keys
    unit_rows: np.ndarray            # float32, shape (n, dim), each row of norm 1
    columns: dict[str, np.ndarray]   # filterable feature values (object arrays)
    masks: dict[tuple[str, Any], np.ndarray] = field(default_factory=dict)

    def mask(self, name: str, value: Any) -> np.ndarray:
        """Rows whose ``name`` equals ``value`` (cached: filters repeat)."""
        key = (name, value)
        cached = self.masks.get(key)
        if cached is None:
            cached = self.masks[key] = np.fromiter(
                (v == value and v is not None for v in self.columns[name]), dtype=bool,
                count=len(self.columns[name]))
        return cached


class MatrixCache:
    """One cached matrix per (view, feature), rebuilt when the view changes."""

    def __init__(self) -> None:
        self._matrices: dict[tuple[str, str], _Matrix] = {}
        self._loading: set[tuple[str, str]] = set()
        self._loader: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    def search(self, store: _ScanningStore, view: str, feature: str, vector: np.ndarray,
               k: int, filters: dict[str, Any] | None,
               fresh: bool = True) -> list[tuple[str, float]]:
        generation = store.generation(view)
        if generation is None:
            return []
        version, counter = generation
        layout = store.version_state(view, version).layout
        vector_field(layout, view, feature)
        checked = check_filters(layout, view, filters)
        matrix = self._matrix(store, view, feature, version, counter, layout, fresh)
        if not len(matrix.entity_keys):
            return []
        query = (vector / np.linalg.norm(vector)).astype(np.float32)
        distances = 1.0 - matrix.unit_rows @ query
        available = len(distances)
        if checked:
            mask = np.logical_and.reduce([matrix.mask(spec.name, value)
                                          for _, spec, value in checked])
            available = int(mask.sum())
            distances = np.where(mask, distances, np.inf)
        take = min(k, available)
        if take == 0:
            return []
        nearest = np.argpartition(distances, take - 1)[:take]
        nearest = nearest[np.argsort(distances[nearest], kind="stable")]
        return [(str(matrix.entity_keys[i]), float(distances[i])) for i in nearest]

    def _matrix(self, store: _ScanningStore, view: str, feature: str, version: str,
                counter: int, layout: RecordLayout, fresh: bool) -> _Matrix:
        key = (view, feature, version, counter)
        with self._lock:
            cached = self._matrices.get((view, feature))
            if cached is not None and cached.key == key:
                return cached
            if not fresh and cached is not None and cached.layout == layout:
                if (view, feature) not in self._loading:
                    self._loading.add((view, feature))
                    if self._loader is None:
                        self._loader = ThreadPoolExecutor(1, "featureops-similarity")
                    self._loader.submit(self._reload, store, layout, key)
                return cached  # the previous matrix, while the new one loads
        matrix = _load(store, view, feature, version, layout, key)
        with self._lock:
            self._matrices[(view, feature)] = matrix
        return matrix

    def _reload(self, store: _ScanningStore, layout: RecordLayout,
                key: tuple[str, str, str, int]) -> None:
        view, feature, version, _ = key
        try:
            matrix = _load(store, view, feature, version, layout, key)
            with self._lock:
                self._matrices[(view, feature)] = matrix
        except Exception as error:  # the previous matrix keeps serving; the next search retries
            logger.warning("similarity matrix of %s:%s not reloaded: %s", view, feature, error)
        finally:
            with self._lock:
                self._loading.discard((view, feature))


def _load(store: _ScanningStore, view: str, feature: str, version: str,
          layout: RecordLayout, key: tuple[str, str, str, int]) -> _Matrix:
    codec = RecordCodec(layout)
    index = layout.fields.index(layout.field(feature))
    filterable = [(layout.fields.index(f), f.name) for f in filter_fields(layout)]
    entity_keys, rows = [], []
    columns: dict[str, list[Any]] = {name: [] for _, name in filterable}
    for entity_key, record in store.scan_records(view, version):
        values = codec.decode(record)[1]
        if values[index] is None:
            continue
        entity_keys.append(entity_key)
        rows.append(values[index])
        for position, name in filterable:
            columns[name].append(values[position])
    dim = layout.field(feature).dim or (len(rows[0]) if rows else 0)
    matrix = np.asarray(rows, dtype=np.float32).reshape(len(rows), dim)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return _Matrix(key, layout, np.asarray(entity_keys, dtype=object), matrix / norms,
                   {name: np.asarray(values, dtype=object) for name, values in columns.items()})
