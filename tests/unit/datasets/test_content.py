"""Content hashes (featureops.datasets.content) against a pure-Python oracle of the
documented encoding, and the invariances they promise: file name, row groups and row order
do not matter; every value, null, type and duplicate does."""

from __future__ import annotations

import hashlib
import math
import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from featureops.datasets.content import ENCODING, file_relation, hash_rows


def encode(value, kind: str) -> str:
    """The documented canonical text of one value (docs/reproducibility.md)."""
    if value is None:
        return "N"
    if kind == "int":
        text = f"i{value}"
    elif kind == "float":
        text = "fnan" if math.isnan(value) else ("f0.0" if value == 0 else f"f{value!r}")
    elif kind == "timestamp":
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        delta = aware - datetime(1970, 1, 1, tzinfo=UTC)
        text = f"t{(delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds}"
    elif kind == "bool":
        text = "b1" if value else "b0"
    elif kind == "date":
        text = f"D{value.isoformat()}"
    else:
        text = f"s{value}"
    return f"{len(text)}:{text}"


def oracle(table: pa.Table, kinds: dict[str, str], types: dict[str, str],
           columns: list[str]) -> str:
    rows = table.select(columns).to_pylist()
    hashes = sorted(hashlib.sha256("".join(encode(row[c], kinds[c]) for c in columns)
                                   .encode()).hexdigest() for row in rows)
    header = ENCODING + "\n" + "".join(f"{c}\t{types[c]}\n" for c in columns)
    return "sha256:" + hashlib.sha256((header + "".join(hashes)).encode()).hexdigest()


KINDS = {"id": "int", "at": "timestamp", "amount": "float", "tier": "text", "flag": "bool",
         "day": "date"}
TYPES = {"id": "BIGINT", "at": "TIMESTAMP", "amount": "DOUBLE", "tier": "VARCHAR",
         "flag": "BOOLEAN", "day": "DATE"}


def sample(n: int = 500, seed: int = 3) -> pa.Table:
    rng = random.Random(seed)
    base = datetime(2026, 3, 29)
    floats = [0.1, -0.0, 1e300 * 10, 1e-7, 2.5, float("nan"), 1.2345678901234568e17]
    return pa.table({
        "id": pa.array([rng.randrange(50) for _ in range(n)], pa.int64()),
        "at": pa.array([base + timedelta(microseconds=rng.randrange(10**12)) for _ in range(n)],
                       pa.timestamp("us")),
        "amount": pa.array([None if i % 11 == 0 else rng.choice(floats + [rng.random()])
                            for i in range(n)], pa.float64()),
        "tier": pa.array([None if i % 7 == 0 else rng.choice(["gold", "", "N", "1:x"])
                          for i in range(n)]),
        "flag": pa.array([None if i % 5 == 0 else rng.random() < 0.5 for i in range(n)]),
        "day": pa.array([date(2026, 1, 1) + timedelta(days=rng.randrange(400))
                         for _ in range(n)]),
    })


def hashes(path: Path, spine: list[str] = ("id", "at")):
    with duckdb.connect() as conn:
        return hash_rows(conn, file_relation(str(path)), list(spine))


def write(table: pa.Table, path: Path, **kwargs) -> Path:
    pq.write_table(table, path, **kwargs)
    return path


def test_hashes_match_the_documented_encoding(tmp_path) -> None:
    table = sample()
    result = hashes(write(table, tmp_path / "a.parquet"))
    assert result.rows == table.num_rows
    assert result.content_hash == oracle(table, KINDS, TYPES, list(KINDS))
    assert result.spine_hash == oracle(table, KINDS, TYPES, ["id", "at"])


def test_file_name_row_groups_and_order_do_not_matter(tmp_path) -> None:
    table = sample()
    first = hashes(write(table, tmp_path / "a.parquet"))
    order = list(range(table.num_rows))
    random.Random(1).shuffle(order)
    shuffled = write(table.take(order), tmp_path / "other name.parquet", row_group_size=37)
    assert hashes(shuffled) == first


@pytest.mark.parametrize("change", ["value", "null", "duplicate", "type", "negative_zero"])
def test_every_value_null_type_and_duplicate_counts(tmp_path, change) -> None:
    table = sample(50)
    first = hashes(write(table, tmp_path / "a.parquet"))
    rows = table.to_pylist()
    schema = table.schema
    if change == "value":
        rows[7]["amount"] = (rows[7]["amount"] or 0) + 1e-12
    elif change == "null":
        rows[1]["tier"] = None if rows[1]["tier"] is not None else ""
    elif change == "duplicate":
        rows.append(dict(rows[0]))
    elif change == "type":
        schema = schema.set(0, pa.field("id", pa.int32()))
    elif change == "negative_zero":
        rows[3]["amount"] = -0.0 if rows[3]["amount"] == 0 else 0.0
    changed = hashes(write(pa.Table.from_pylist(rows, schema), tmp_path / "b.parquet"))
    if change == "negative_zero" and first.content_hash == changed.content_hash:
        return  # -0.0 and 0.0 encode alike: the row was already a zero of either sign
    assert changed.content_hash != first.content_hash
    # The spine's hash sees only the spine's columns.
    assert (changed.spine_hash != first.spine_hash) == (change in ("duplicate", "type"))


def test_negative_zero_and_nan_payloads_encode_alike(tmp_path) -> None:
    plain = pa.table({"x": pa.array([0.0, float("nan")])})
    other = pa.table({"x": pa.array([-0.0, -float("nan")])})
    assert (hashes(write(plain, tmp_path / "a.parquet"), ["x"])
            == hashes(write(other, tmp_path / "b.parquet"), ["x"]))


def test_time_zone_aware_instants_hash_as_instants(tmp_path) -> None:
    """Two renderings of the same instants in different zones are the same content."""
    instants = [datetime(2026, 3, 29, 1, 30, tzinfo=UTC) + timedelta(hours=h) for h in range(4)]
    utc = pa.table({"at": pa.array(instants, pa.timestamp("us", tz="UTC"))})
    paris = pa.table({"at": pa.array(instants, pa.timestamp("us", tz="Europe/Paris"))})
    assert (hashes(write(utc, tmp_path / "a.parquet"), ["at"])
            == hashes(write(paris, tmp_path / "b.parquet"), ["at"]))
