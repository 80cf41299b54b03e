"""Row and distribution comparison of two training-set files, in DuckDB over the files.

Rows are matched by their key (the spine's entity columns and prediction time; a key that
repeats is matched occurrence by occurrence, in row-hash order): a key on one side only is
a row added or removed, a matched pair whose values differ is a changed row, and each
column counts the pairs it differs in. Values are compared by their canonical encoding
(featureops.datasets.content), so -0.0 and 0.0 or two NaNs are not a change.

Distributions are compared with the monitoring package's own macro
(``featureops.distribution_comparison``: PSI over the first file's quantile bins, means),
rendered for DuckDB: the same formula as the drift and skew monitors (ADR 0052).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from featureops.datasets.content import (
    Column,
    columns_of,
    file_relation,
    is_numeric,
    row_hash,
    value_encoding,
)
from featureops.engines.base import quote_identifier, sql_string

#: Keys listed per kind of change (the counts are always complete).
SAMPLE_KEYS = 5


def compare_rows(conn: Any, path_a: str, path_b: str, keys: Sequence[str]) -> dict[str, Any]:
    """Counts of rows unchanged, added, removed and changed, per-column change counts and a
    few keys of each, over the columns both files have."""
    columns_a = columns_of(conn, file_relation(path_a))
    names_b = {c.name for c in columns_of(conn, file_relation(path_b))}
    common = [c for c in columns_a if c.name in names_b]
    key_columns = [c for c in common if c.name in keys] or common
    for side, path in (("a", path_a), ("b", path_b)):
        encodings = ", ".join(f"{value_encoding(c)} as __e{i}" for i, c in enumerate(common))
        key = "concat(" + ", ".join(value_encoding(c) for c in key_columns) + ")"
        conn.execute(
            f"create or replace temporary table __fo_rows_{side} as "
            f"select *, row_number() over (partition by __key order by __hash) as __occ "
            f"from (select {key} as __key, {row_hash(common)} as __hash, {encodings}, "
            + ", ".join(quote_identifier(c.name) for c in key_columns)
            + f" from {file_relation(path)})")
    differs = ", ".join(f"count(*) filter (where a.__hash <> b.__hash and a.__e{i} <> b.__e{i})"
                        for i in range(len(common)))
    join = ("from __fo_rows_a as a full outer join __fo_rows_b as b "
            "on a.__key = b.__key and a.__occ = b.__occ")
    counts = conn.execute(
        "select count(*) filter (where a.__hash = b.__hash), "
        "count(*) filter (where a.__key is null), count(*) filter (where b.__key is null), "
        f"count(*) filter (where a.__hash <> b.__hash), {differs} {join}").fetchone()
    unchanged, added, removed, changed = counts[:4]
    changed_columns = {c.name: n for c, n in zip(common, counts[4:], strict=True) if n}

    def sample(condition: str, side: str) -> list[dict[str, Any]]:
        names = ", ".join(f"{side}.{quote_identifier(c.name)}" for c in key_columns)
        rows = conn.execute(f"select {names} {join} where {condition} order by {names} "
                            f"limit {SAMPLE_KEYS}").fetchall()
        return [dict(zip([c.name for c in key_columns], map(_plain, row), strict=True))
                for row in rows]

    changed_samples = []
    for key in sample("a.__hash <> b.__hash", "a"):
        where = " and ".join(f"a.{quote_identifier(k)} is not distinct from {_literal(v)}"
                             for k, v in key.items())
        flags = conn.execute(
            "select " + ", ".join(f"a.__e{i} <> b.__e{i}" for i in range(len(common)))
            + f" {join} where a.__hash <> b.__hash and {where} limit 1").fetchone()
        changed_samples.append({"key": key, "columns": [
            c.name for c, flag in zip(common, flags, strict=True) if flag]})
    samples = {"added": sample("a.__key is null", "b"),
               "removed": sample("b.__key is null", "a"), "changed": changed_samples}
    conn.execute("drop table if exists __fo_rows_a")
    conn.execute("drop table if exists __fo_rows_b")
    return {"key_columns": [c.name for c in key_columns], "unchanged": unchanged,
            "added": added, "removed": removed, "changed": changed,
            "changed_columns": changed_columns, "samples": samples}


def compare_distributions(conn: Any, renderer: Any, path_a: str, path_b: str,
                          features: Sequence[str]) -> list[dict[str, Any]]:
    """Per feature both files have: PSI (monitoring's definition), counts and means."""
    kinds = {}
    for path in (path_a, path_b):
        for column in columns_of(conn, file_relation(path)):
            if column.name in features:
                kinds.setdefault(column.name, set()).add(_kind(column))
    wanted = [name for name in features if len(kinds.get(name, ())) == 1
              and None not in kinds[name]]
    if not wanted:
        return []
    for side, path in (("a", path_a), ("b", path_b)):
        parts = [f"select {sql_string(name)} as feature, "
                 + (f"cast({quote_identifier(name)} as double) as numeric_value, "
                    "cast(null as varchar) as category_value"
                    if kinds[name] == {"numeric"} else
                    f"cast(null as double) as numeric_value, "
                    f"cast({quote_identifier(name)} as varchar) as category_value")
                 + f" from {file_relation(path)}" for name in wanted]
        conn.execute(f"create or replace temporary table __fo_values_{side} as "
                     + " union all ".join(parts))
    sql = renderer.render("distribution_comparison", "__fo_values_a", "__fo_values_b",
                          ["feature"], [])
    result = conn.execute(f"select feature, distribution_kind, psi, reference_count, "
                          f"current_count, reference_mean, current_mean from ({sql}) "
                          f"as comparison").fetchall()
    conn.execute("drop table if exists __fo_values_a")
    conn.execute("drop table if exists __fo_values_b")
    order = {name: i for i, name in enumerate(wanted)}
    return [{"feature": row[0], "kind": row[1], "psi": row[2], "a_count": int(row[3]),
             "b_count": int(row[4]), "a_mean": row[5], "b_mean": row[6]}
            for row in sorted(result, key=lambda row: order[row[0]])]


def _kind(column: Column) -> str | None:
    if is_numeric(column.type):
        return "numeric"
    if column.type.upper() in ("VARCHAR", "BOOLEAN"):
        return "categorical"
    return None


def _plain(value: Any) -> Any:
    return value if isinstance(value, (int, float, str, bool, type(None))) else str(value)


def _literal(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return sql_string(str(value))
