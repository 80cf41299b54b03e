"""Records and keys round-trip exactly; the oracle is Arrow's own to_pylist()."""

from __future__ import annotations

from datetime import date, datetime, timezone

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from featureops.online.encoding import (
    EntityKeyError,
    RecordCodec,
    coerce_key,
    decode_key,
    encode_key,
    encode_key_columns,
)
from featureops.online.layout import UnsupportedTypeError, layout_from_schema

ints = st.one_of(st.none(), st.integers(-(2**63), 2**63 - 1))
floats = st.one_of(st.none(), st.floats(allow_nan=False))
texts = st.one_of(st.none(), st.text(max_size=20))
bools = st.one_of(st.none(), st.booleans())
stamps = st.one_of(st.none(), st.datetimes(min_value=datetime(1900, 1, 1),
                                           max_value=datetime(2200, 1, 1)))
days = st.one_of(st.none(), st.dates(min_value=date(1900, 1, 1)))
vectors = st.one_of(st.none(), st.lists(st.floats(-1e6, 1e6, width=32), min_size=0, max_size=5))
row = st.tuples(ints, floats, texts, bools, stamps, days, vectors, texts)


def _table(rows: list[tuple]) -> pa.Table:
    columns = list(zip(*rows, strict=True)) if rows else [[]] * 8
    return pa.table({
        "event_at": pa.array([datetime(2026, 1, 1, 0, 0, i % 60) for i in range(len(rows))],
                             pa.timestamp("us")),
        "an_int": pa.array(columns[0], pa.int64()),
        "a_float": pa.array(columns[1], pa.float64()),
        "a_text": pa.array(columns[2], pa.string()),
        "a_bool": pa.array(columns[3], pa.bool_()),
        "a_time": pa.array(columns[4], pa.timestamp("us")),
        "a_date": pa.array(columns[5], pa.date32()),
        "a_vector": pa.array(columns[6], pa.list_(pa.float32())),
        "another_text": pa.array(columns[7], pa.large_string()),
    })


def _expected(value: object) -> object:
    if isinstance(value, datetime):
        return value.replace(tzinfo=timezone.utc)
    return value


@settings(max_examples=60, deadline=None)
@given(st.lists(row, min_size=1, max_size=30))
def test_records_round_trip_every_kind_with_nulls(rows: list[tuple]) -> None:
    table = _table(rows)
    features = tuple(table.schema.names[1:])
    layout = layout_from_schema(table.schema, (), features)
    codec = RecordCodec(layout)
    keys = pa.array([str(i) for i in range(len(rows))])
    batch = codec.encode(table, "event_at", keys)
    assert len(batch) == len(rows)
    for i, record in enumerate(batch.values.to_pylist()):
        event_micros, values = codec.decode(record)
        assert event_micros == int(datetime(2026, 1, 1, 0, 0, i % 60,
                                            tzinfo=timezone.utc).timestamp()) * 1_000_000
        oracle = table.slice(i, 1).to_pylist()[0]
        assert values == [_expected(oracle[name]) for name in features]


def test_float16_vectors_are_half_the_size_and_close() -> None:
    vectors = np.random.default_rng(1).normal(size=(10, 16)).astype(np.float32)
    table = pa.table({"event_at": pa.array([datetime(2026, 1, 1)] * 10, pa.timestamp("us")),
                      "e": pa.FixedSizeListArray.from_arrays(pa.array(vectors.ravel()), 16)})
    sizes = {}
    for dtype in ("float32", "float16"):
        layout = layout_from_schema(table.schema, (), ("e",), vector_dtype=dtype)
        codec = RecordCodec(layout)
        batch = codec.encode(table, "event_at", pa.array([str(i) for i in range(10)]))
        sizes[dtype] = len(batch.values[0].as_py())
        decoded = np.array([codec.decode(r)[1][0] for r in batch.values.to_pylist()])
        assert np.allclose(decoded, vectors, rtol=1e-3, atol=1e-3)
    assert sizes["float32"] - sizes["float16"] == 16 * 2


def test_uint64_beyond_int64_is_refused_not_wrapped() -> None:
    table = pa.table({"event_at": pa.array([datetime(2026, 1, 1)], pa.timestamp("us")),
                      "n": pa.array([2**64 - 1], pa.uint64())})
    codec = RecordCodec(layout_from_schema(table.schema, (), ("n",)))
    with pytest.raises(pa.ArrowInvalid):
        codec.encode(table, "event_at", pa.array(["1"]))


def test_layout_names_unsupported_columns() -> None:
    schema = pa.schema([("k", pa.float64()), ("f", pa.binary())])
    with pytest.raises(UnsupportedTypeError, match="entity key 'k'"):
        layout_from_schema(schema, ("k",), ())
    with pytest.raises(UnsupportedTypeError, match="column 'f'"):
        layout_from_schema(pa.schema([("f", pa.binary())]), (), ("f",))
    with pytest.raises(UnsupportedTypeError, match="missing from the warehouse"):
        layout_from_schema(schema, (), ("absent",))


key_parts = st.lists(st.one_of(st.integers(-(2**63), 2**63 - 1),
                               st.text(alphabet="ab|\\:x", max_size=6)), min_size=1, max_size=3)


@settings(max_examples=200, deadline=None)
@given(key_parts)
def test_keys_are_canonical_and_invertible(parts: list) -> None:
    kinds = ["int" if isinstance(p, int) else "string" for p in parts]
    canonical = encode_key(parts)
    assert decode_key(canonical, kinds) == tuple(parts)
    columns = [pa.array([p], pa.int64() if k == "int" else pa.string())
               for p, k in zip(parts, kinds, strict=True)]
    assert encode_key_columns(columns, kinds).to_pylist() == [canonical]


def test_composite_keys_with_separators_do_not_collide() -> None:
    assert encode_key(["a|b", "c"]) != encode_key(["a", "b|c"])


@pytest.mark.parametrize(("kind", "value", "coerced"), [
    ("int", 42, 42), ("int", "42", 42), ("int", 42.0, 42), ("int", " 7 ", 7),
    ("string", "u1", "u1"), ("string", 5, "5"),
])
def test_key_coercion(kind: str, value: object, coerced: object) -> None:
    assert coerce_key("k", kind, value) == coerced


@pytest.mark.parametrize(("kind", "value"), [("int", True), ("int", "4x"), ("int", 1.5),
                                              ("int", None), ("string", None),
                                              ("string", 1.5), ("string", [1])])
def test_bad_keys_are_refused_with_the_key_name(kind: str, value: object) -> None:
    with pytest.raises(EntityKeyError, match="entity key 'k'"):
        coerce_key("k", kind, value)


fixed_row = st.tuples(ints, floats, bools, stamps, days)


@settings(max_examples=60, deadline=None)
@given(st.lists(fixed_row, min_size=0, max_size=40), st.booleans())
def test_decode_columns_equals_record_by_record_decoding(rows: list[tuple],
                                                         with_text: bool) -> None:
    """The oracle is decode() of each record: NumPy decoding of fixed-width layouts (8
    records or more) and the fallback (fewer, or a variable-width field) agree with it."""
    table = pa.table({
        "event_at": pa.array([datetime(2026, 1, 1, 0, 0, i % 60) for i in range(len(rows))],
                             pa.timestamp("us")),
        "an_int": pa.array([r[0] for r in rows], pa.int64()),
        "a_float": pa.array([r[1] for r in rows], pa.float64()),
        "a_bool": pa.array([r[2] for r in rows], pa.bool_()),
        "a_time": pa.array([r[3] for r in rows], pa.timestamp("us")),
        "a_date": pa.array([r[4] for r in rows], pa.date32()),
        **({"a_text": pa.array([str(r[0]) for r in rows], pa.string())} if with_text else {}),
    })
    features = tuple(table.schema.names[1:])
    codec = RecordCodec(layout_from_schema(table.schema, (), features))
    records = codec.encode(table, "event_at", pa.array([str(i) for i in range(len(rows))]))
    records = records.values.to_pylist()
    micros, columns = codec.decode_columns(records)
    oracle = [codec.decode(record) for record in records]
    assert micros == [event for event, _ in oracle]
    assert columns == [[values[i] for _, values in oracle] for i in range(len(features))]
    for column, spec in zip(columns, codec.layout.fields, strict=True):
        kinds = {type(v) for v in column if v is not None}
        assert kinds <= {{"int": int, "float": float, "bool": bool, "timestamp": datetime,
                          "date": date, "string": str}[spec.kind]}
