"""Turning spooled responses into one serving-log Parquet file in a single DuckDB query.

The writer process (``featureops.serving.log_process``) appends the frames it receives to
a spool file, one JSON line per response: ``{"s": served_at microseconds, "k": kinds,
"e": entity key columns, "b": the response body exactly as the client received it}``.
At each flush this module unnests every spooled response into the long format of
``featureops.serving.log.SCHEMA`` and writes it, in C++, with no Python per response or
per value: about a third of the CPU of building the rows in Python for a one-entity
response (docs/benchmarks.md), which is CPU the server does not have to share.

The rows equal what ``ServingLogWriter.append_columns`` makes of the same answer (the unit
tests compare the two): value_double for numeric kinds (booleans as 0/1), value_text for
strings, neither for timestamps, dates and vectors, and by JSON type when the kind is
unknown; the entity key as canonical JSON (sorted names, no spaces).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from featureops.files import replacing

_COLUMNS = ("{s: 'BIGINT', k: 'VARCHAR', e: 'INTEGER', b: 'STRUCT(request_id VARCHAR, "
            "metadata STRUCT(feature_names VARCHAR[], service VARCHAR), results STRUCT("
            "\"values\" JSON[], statuses VARCHAR[], event_timestamps VARCHAR[])[])'}")

# one entity column (the common case) formats its key directly; several are sorted by name
_ENTITY_KEYS = """
    case when e = 1
         then list_transform(b.results[1]."values",
                             lambda v: '{' || to_json(b.metadata.feature_names[1]) || ':'
                                       || v::varchar || '}')
         else list_transform(range(1, len(b.results[1]."values") + 1), lambda r:
                  '{' || array_to_string(list_transform(
                      list_sort(list_transform(range(1, e + 1), lambda i:
                          [b.metadata.feature_names[i], b.results[i]."values"[r]::varchar])),
                      lambda pair: to_json(pair[1]) || ':' || pair[2]), ',') || '}')
    end"""

_NUMERIC_JSON = "('UBIGINT', 'BIGINT', 'DOUBLE', 'BOOLEAN')"

_ROWS = f"""
with frames as (
    select s, k, e, b, {_ENTITY_KEYS} as entity_keys
    from read_json(?, format = 'newline_delimited', columns = {_COLUMNS})
),
feature_columns as (
    select s, e, b.request_id, b.metadata.service, entity_keys, result,
           split_part(name, ':', 1) as feature_view,
           substr(name, strpos(name, ':') + 1) as feature,
           k[position - e] as letter
    from (select s, k, e, b, entity_keys, unnest(b.results) as result,
                 unnest(b.metadata.feature_names) as name,
                 unnest(range(1, len(b.results) + 1)) as position
          from frames)
    where position > e
),
cells as (
    select request_id, s, service, feature_view, feature, letter,
           unnest(entity_keys) as entity_key, unnest(result."values") as v,
           unnest(result.statuses) as status, unnest(result.event_timestamps) as stamp
    from feature_columns
)
select
    request_id,
    make_timestamp(s) as served_at,
    service,
    feature_view,
    feature,
    entity_key,
    case when letter = 'n'
         then coalesce(try_cast(v as double), try_cast(v as boolean)::integer::double)
         when letter in ('j', '?') and json_type(v) in {_NUMERIC_JSON}
         then coalesce(try_cast(v as double), try_cast(v as boolean)::integer::double)
    end as value_double,
    case when letter = 's' then v ->> '$'
         when letter in ('j', '?') and json_type(v) = 'VARCHAR' then v ->> '$'
    end as value_text,
    status,
    make_timestamp(epoch_us(stamp::timestamptz)) as event_at
from cells
"""

# frames whose kinds, names and result columns disagree: the SQL would log them wrongly
_MISMATCHED = f"""
select count(*) from read_json(?, format = 'newline_delimited', columns = {_COLUMNS})
where len(k) <> len(b.metadata.feature_names) - e
   or len(b.results) <> len(b.metadata.feature_names)
   or len(list_distinct(list_transform(b.results, lambda r: len(r."values")))) > 1
   or len(list_distinct(list_transform(b.results, lambda r: len(r.statuses)))) > 1
   or len(list_distinct(list_transform(b.results, lambda r: len(r.event_timestamps)))) > 1
   or len(b.results[1]."values") <> len(b.results[1].statuses)
   or len(b.results[1]."values") <> len(b.results[1].event_timestamps)
"""


class BulkConversionError(Exception):
    """The spool holds a line the query cannot log (the caller logs it line by line)."""


class SpoolConverter:
    """One DuckDB session (one thread, no extension downloads) reused for every flush."""

    def __init__(self) -> None:
        import duckdb

        self._duckdb = duckdb
        self._conn = duckdb.connect(config={"threads": 1,
                                            "autoinstall_known_extensions": False,
                                            "autoload_known_extensions": False})
        self._conn.execute("set TimeZone = 'UTC'")

    def write(self, spool: Path, target: Path) -> int:
        """Write the rows of every response in ``spool`` to ``target`` (atomically);
        the number of rows. Raises BulkConversionError for a spool it cannot log."""
        path = str(spool)
        try:
            mismatched = self._scalar(_MISMATCHED, path)
            if mismatched:
                raise BulkConversionError(f"{mismatched} response(s) whose kinds, feature "
                                          "names and result columns do not match")
            with replacing(target) as partial:
                rows = self._scalar(
                    f"copy ({_ROWS}) to {_quoted(str(partial))} (format parquet)", path)
            return int(rows)
        except self._duckdb.Error as error:
            raise BulkConversionError(str(error).splitlines()[0]) from None

    def _scalar(self, sql: str, path: str) -> Any:
        found = self._conn.execute(sql, [path]).fetchone()
        return 0 if found is None else found[0]

    def close(self) -> None:
        self._conn.close()


def _quoted(text: str) -> str:
    """A string literal (COPY's target cannot be a parameter)."""
    return "'" + text.replace("'", "''") + "'"
