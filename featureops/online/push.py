"""Pushing records into the live version of a view (the stream path used by
``featureops push`` and ``POST /push/{view}``): a newer feature timestamp wins, an equal
one is a no-op, and every call is atomic."""

from __future__ import annotations

import pyarrow as pa

from featureops.catalog import FeatureView
from featureops.online.base import OnlineStore
from featureops.online.config import open_online_store
from featureops.online.encoding import RecordCodec
from featureops.online.layout import RecordLayout, kind_of, layout_from_schema
from featureops.online.pipeline import RecordsError, encode_batch
from featureops.project import Project


def push_records(project: Project, view: FeatureView, table: pa.Table,
                 store: OnlineStore | None = None) -> int:
    """Upsert ``table`` (entity keys, the view's timestamp column and every feature) into
    the live version of ``view``; return how many records were newer than the stored ones.
    Columns beyond those are ignored."""
    own_store = store is None
    store = store or open_online_store(project)
    try:
        where = f"push to '{view.name}'"
        features = tuple(f.name for f in view.features)
        missing = [c for c in (*view.entities, view.timestamp, *features)
                   if c not in table.schema.names]
        if missing:
            raise RecordsError(f"{where}: the records lack column(s) {', '.join(missing)}")
        live = store.live_state(view.name)
        layout = (_fit(live.layout, table.schema, where) if live else
                  layout_from_schema(table.schema, view.entities, features,
                                     vector_dtype=store.config.embedding_dtype,
                                     where=f"{where}: "))
        if table.num_rows == 0:
            return 0
        batch = encode_batch(table, layout, RecordCodec(layout), view.timestamp, where)
        return store.upsert(view.name, layout, [batch], pushed=True)
    finally:
        if own_store:
            store.close()


def _fit(layout: RecordLayout, schema: pa.Schema, where: str) -> RecordLayout:
    """Check the records against the live layout (int32 fits an int, any float list fits
    a vector); the live layout is the one written."""
    for name, kind in layout.keys:
        _check_kind(schema, name, kind, where)
    for spec in layout.fields:
        _check_kind(schema, spec.name, spec.kind, where)
        arrow_type = schema.field(spec.name).type
        if spec.dim and pa.types.is_fixed_size_list(arrow_type) and (
                arrow_type.list_size != spec.dim):
            raise RecordsError(f"{where}: '{spec.name}' has {arrow_type.list_size} elements, "
                               f"the view stores {spec.dim}")
    return layout


def _check_kind(schema: pa.Schema, name: str, kind: str, where: str) -> None:
    arrow_type = schema.field(name).type
    if pa.types.is_null(arrow_type):
        return
    actual = kind_of(arrow_type)
    compatible = actual == kind or (kind == "float" and actual == "int")
    if not compatible:
        raise RecordsError(f"{where}: column '{name}' is {arrow_type} ({actual}); the view "
                           f"stores {kind}")
