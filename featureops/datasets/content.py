"""Content hashes of a training set's rows, independent of file name, row groups and row
order (docs/reproducibility.md, "Content hash").

Each row is encoded canonically, value by value, in DuckDB; the row's SHA-256 is taken
over that encoding; the content hash is the SHA-256 of the column names and types followed
by every row hash in sorted order (a multiset of rows: duplicates count). Canonical values:

- null: ``N``; every non-null value is tagged by its kind, so a null never equals a value;
- integers of any width: decimal text (``i42``); decimals: their text at the column's scale;
- floats: the shortest text that reads back as the same double (``f0.1``); a FLOAT is
  widened to DOUBLE first; every NaN is ``fnan``, -0.0 is 0.0;
- timestamps: the instant as microseconds since the epoch (nanoseconds for TIMESTAMP_NS),
  so a time-zone-aware column and its UTC rendering encode alike; dates: ISO text;
- booleans: ``b1``/``b0``; text: its characters; anything else: DuckDB's text of it.

Every encoded value is length-prefixed, so no two rows encode alike by accident of
separators. The column types are part of the hash (in the header), not of the values.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from featureops.engines.base import quote_identifier, sql_string

#: Header of the hashed stream: a change of the encoding changes every hash.
ENCODING = "featureops-dataset-rows-v1"
_INTEGER_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT",
                  "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT")
_FLOAT_TYPES = ("FLOAT", "DOUBLE")
#: DuckDB types read as numbers (decimals too: ``is_numeric``).
NUMERIC_TYPES = _INTEGER_TYPES + _FLOAT_TYPES


def is_numeric(type_name: str) -> bool:
    kind = type_name.upper()
    return kind in NUMERIC_TYPES or kind.startswith("DECIMAL")


@dataclass(frozen=True)
class Column:
    """A column of a training-set file as DuckDB reads it."""

    name: str
    type: str


def file_relation(path: str) -> str:
    return f"read_parquet({sql_string(path)})"


def columns_of(conn: Any, relation: str) -> list[Column]:
    rows = conn.execute(f"describe select * from {relation}").fetchall()
    return [Column(name, type_) for name, type_, *_ in rows]


def value_encoding(column: Column, alias: str | None = None) -> str:
    """SQL for the canonical text of one column's value (see the module docstring)."""
    ref = (f"{alias}." if alias else "") + quote_identifier(column.name)
    kind = column.type.upper()
    if kind in _INTEGER_TYPES:
        value = f"'i' || cast({ref} as varchar)"
    elif kind in _FLOAT_TYPES:
        double = f"cast({ref} as double)"
        # A NaN with its sign bit set reads '-nan' (and isnan() says false on it).
        value = (f"case when {double} = 0 then 'f0.0' "
                 f"else 'f' || replace(cast({double} as varchar), '-nan', 'nan') end")
    elif kind == "TIMESTAMP_NS":
        value = f"'t' || cast(epoch_ns({ref}) as varchar)"
    elif kind.startswith("TIMESTAMP"):
        value = f"'t' || cast(epoch_us({ref}) as varchar)"
    elif kind == "BOOLEAN":
        value = f"case when {ref} then 'b1' when not {ref} then 'b0' end"
    elif kind == "DATE":
        value = f"'D' || strftime({ref}, '%Y-%m-%d')"
    elif kind == "VARCHAR":
        value = f"'s' || {ref}"
    else:  # decimals, lists, structs, blobs, intervals: DuckDB's text
        value = f"'x' || cast({ref} as varchar)"
    return f"coalesce(cast(length({value}) as varchar) || ':' || {value}, 'N')"


def row_hash(columns: Sequence[Column], alias: str | None = None) -> str:
    """SQL for the SHA-256 (hex) of one row's canonical encoding over ``columns``."""
    if not columns:
        return "sha256('')"
    return "sha256(concat(" + ", ".join(value_encoding(c, alias) for c in columns) + "))"


def schema_header(columns: Sequence[Column]) -> str:
    return ENCODING + "\n" + "".join(f"{c.name}\t{c.type}\n" for c in columns)


@dataclass(frozen=True)
class RowHashes:
    """The hashes of one file: every column, and the spine's columns alone."""

    content_hash: str
    spine_hash: str
    rows: int


def hash_rows(conn: Any, relation: str, spine_columns: Sequence[str]) -> RowHashes:
    """Content and spine hashes of ``relation`` (``spine_columns``: its spine's columns)."""
    columns = columns_of(conn, relation)
    by_name = {c.name: c for c in columns}
    spine = [by_name[name] for name in spine_columns if name in by_name]
    conn.execute(f"create or replace temporary table __fo_row_hashes as select "
                 f"{row_hash(columns)} as content_row, {row_hash(spine)} as spine_row "
                 f"from {relation}")
    try:
        content, rows = _sorted_digest(conn, "content_row", schema_header(columns))
        spine_digest, _ = _sorted_digest(conn, "spine_row", schema_header(spine))
    finally:
        conn.execute("drop table if exists __fo_row_hashes")
    return RowHashes(content, spine_digest, rows)


def _sorted_digest(conn: Any, column: str, header: str) -> tuple[str, int]:
    """SHA-256 of the header and the column's row hashes in sorted order, streamed."""
    digest = hashlib.sha256(header.encode("utf-8"))
    rows = 0
    reader = conn.sql(f"select {column} from __fo_row_hashes order by {column}"
                      ).to_arrow_reader(262_144)
    for batch in reader:
        values = batch.column(0).to_pylist()
        digest.update("".join(values).encode("ascii"))
        rows += len(values)
    return "sha256:" + digest.hexdigest(), rows
