"""Load the raw Parquet tables into Postgres (which cannot read Parquet itself).

Each ``<name>.parquet`` in the raw directory becomes table ``<schema>.<name>``. Loading
never exposes a half-loaded table: rows are COPYed into ``<name>__loading`` in their own
transaction, and only then swapped in, in a second, short transaction. When dbt views
already depend on the old table (so it cannot be dropped), the swap instead replaces its
contents in one transaction, which keeps those views valid.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from featureops._optional import require

__all__ = ["load_into_postgres", "pg_column_type", "quote_ident"]

_IDENT = re.compile(r"[a-z_][a-z0-9_]*")
_MAX_IDENT = 63  # NAMEDATALEN - 1; longer names would be silently truncated by Postgres
_LOADING_SUFFIX = "__loading"
_CSV_OPTIONS = pacsv.WriteOptions(include_header=False, batch_size=16_384)


def quote_ident(name: str) -> str:
    """Validate a lower-case SQL identifier and double-quote it."""
    if not isinstance(name, str) or not _IDENT.fullmatch(name) or len(name) > _MAX_IDENT:
        raise ValueError(
            f"invalid identifier {name!r}: use [a-z_][a-z0-9_]*, at most {_MAX_IDENT} chars")
    return f'"{name}"'


def pg_column_type(arrow_type: pa.DataType) -> str:
    """The Postgres type a raw Arrow column is stored as."""
    if pa.types.is_list(arrow_type) or pa.types.is_large_list(arrow_type):
        return pg_column_type(arrow_type.value_type) + "[]"
    if pa.types.is_timestamp(arrow_type):
        # Raw timestamps are naive UTC by contract; a tz-aware one would be a new contract.
        if arrow_type.tz is not None:
            raise TypeError(f"tz-aware timestamps are not supported: {arrow_type}")
        return "timestamp"
    simple = {
        pa.int64(): "bigint", pa.int32(): "integer", pa.int16(): "smallint",
        pa.float64(): "double precision", pa.float32(): "real", pa.bool_(): "boolean",
        pa.string(): "text", pa.large_string(): "text", pa.date32(): "date",
    }
    if arrow_type in simple:
        return simple[arrow_type]
    raise TypeError(f"no Postgres mapping for Arrow type {arrow_type}")


def load_into_postgres(
    raw_dir: str | os.PathLike[str],
    dsn: str | Mapping[str, Any],
    schema: str = "raw",
    progress: bool = True,
    *,
    tables: list[str] | None = None,
    batch_rows: int = 200_000,
) -> dict[str, int]:
    """COPY every ``*.parquet`` of ``raw_dir`` (or just ``tables``) into ``schema``.

    ``dsn`` is a libpq connection string/URI or a dict of ``psycopg2.connect`` keywords.
    Returns the number of rows loaded per table.
    """
    psycopg2 = require("psycopg2", extra="postgres")

    raw = Path(raw_dir)
    names = tables if tables is not None else sorted(p.stem for p in raw.glob("*.parquet"))
    if not names:
        raise FileNotFoundError(f"no Parquet files in {raw}")
    quote_ident(schema)
    for name in names:
        quote_ident(name + _LOADING_SUFFIX)  # the longest name we will create

    conn = (psycopg2.connect(**{"application_name": "featureops-rawload", **dsn})
            if isinstance(dsn, Mapping) else psycopg2.connect(dsn))
    loaded: dict[str, int] = {}
    try:
        with _progress(progress) as bar:
            for name in names:
                loaded[name] = _load_table(conn, raw / f"{name}.parquet", schema, name,
                                           batch_rows, bar)
    finally:
        conn.close()
    return loaded


def _progress(enabled: bool) -> Progress:
    return Progress(
        TextColumn("[progress.description]{task.description}"), BarColumn(),
        MofNCompleteColumn(), TextColumn("rows"), TimeElapsedColumn(),
        console=Console(stderr=True), disable=not enabled)


def _load_table(conn: Any, path: Path, schema: str, name: str, batch_rows: int,
                bar: Progress) -> int:
    parquet = pq.ParquetFile(path)
    arrow_schema = parquet.schema_arrow
    target = f"{quote_ident(schema)}.{quote_ident(name)}"
    loading = f"{quote_ident(schema)}.{quote_ident(name + _LOADING_SUFFIX)}"
    columns = ", ".join(f"{quote_ident(f.name)} {pg_column_type(f.type)}" for f in arrow_schema)
    column_list = ", ".join(quote_ident(f.name) for f in arrow_schema)
    copy_sql = f"COPY {loading} ({column_list}) FROM STDIN WITH (FORMAT csv)"
    task = bar.add_task(f"{schema}.{name}", total=parquet.metadata.num_rows)
    rows = 0
    try:
        with conn.cursor() as cur:
            cur.execute(f"CREATE SCHEMA IF NOT EXISTS {quote_ident(schema)}")
            cur.execute(f"DROP TABLE IF EXISTS {loading}")
            cur.execute(f"CREATE TABLE {loading} ({columns})")
            for batch in parquet.iter_batches(batch_size=batch_rows):
                cur.copy_expert(copy_sql, io.BytesIO(_batch_to_csv(batch)))
                rows += batch.num_rows
                bar.advance(task, batch.num_rows)
        conn.commit()
    except BaseException:
        conn.rollback()  # the loading table was created in this transaction: it is gone too
        raise
    _swap(conn, schema, name, target, loading)
    return rows


def _swap(conn: Any, schema: str, name: str, target: str, loading: str) -> None:
    """Make the loaded table visible atomically."""
    errors = require("psycopg2.errors", extra="postgres")

    rename = f"ALTER TABLE {loading} RENAME TO {quote_ident(name)}"
    try:
        with conn.cursor() as cur:
            cur.execute(f"DROP TABLE IF EXISTS {target}")
            cur.execute(rename)
        conn.commit()
    except errors.DependentObjectsStillExist:
        conn.rollback()
        # Views (e.g. dbt staging models) reference the old table by OID, so replace its
        # contents instead; this fails loudly if the columns changed.
        try:
            with conn.cursor() as cur:
                cur.execute(f"TRUNCATE {target}")
                cur.execute(f"INSERT INTO {target} SELECT * FROM {loading}")
                cur.execute(f"DROP TABLE {loading}")
            conn.commit()
        except BaseException:
            conn.rollback()
            _drop_quietly(conn, loading)
            raise
    except BaseException:
        conn.rollback()
        _drop_quietly(conn, loading)
        raise
    # Fresh statistics, so the first dbt run does not plan against an empty table.
    old_autocommit = conn.autocommit
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(f"ANALYZE {target}")
    finally:
        conn.autocommit = old_autocommit


def _drop_quietly(conn: Any, loading: str) -> None:
    try:
        with conn.cursor() as cur:
            cur.execute(f"DROP TABLE IF EXISTS {loading}")
        conn.commit()
    except Exception:  # best effort: the original error is the one worth reporting
        conn.rollback()


def _batch_to_csv(batch: pa.RecordBatch) -> bytes:
    """Arrow batch -> Postgres CSV (NULL = unquoted empty; strings are always quoted)."""
    columns = [_array_literal(col) if pa.types.is_list(col.type) else col
               for col in batch.columns]
    sink = io.BytesIO()
    pacsv.write_csv(pa.RecordBatch.from_arrays(columns, names=batch.schema.names), sink,
                    _CSV_OPTIONS)
    return sink.getvalue()


def _array_literal(col: pa.Array) -> pa.Array:
    """list<number> -> Postgres array literal text such as ``{0.1,-0.25}``.

    Arrow prints floats with the shortest round-trip representation, so ``real[]``
    receives the exact float32 values.
    """
    if pc.list_flatten(col).null_count:
        # binary_join would turn the whole row into NULL; refuse rather than lose data.
        raise ValueError("NULL elements inside list columns are not supported")
    as_text = pc.cast(col, pa.list_(pa.string()))
    return pc.binary_join_element_wise("{", pc.binary_join(as_text, ","), "}", "")

