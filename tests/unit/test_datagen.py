"""Tests for featureops.datagen: contract (schemas, keys, reference data), determinism,
the realistic shape downstream features rely on, and the skip-when-unchanged path."""

from __future__ import annotations

import csv
import hashlib
import json
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from featureops import datagen
from featureops.datagen import SCHEMAS, TABLES, generate

N = 20_000
SEEDS_DIR = Path(__file__).resolve().parents[2] / "seeds"
END = datagen.DEFAULT_END
START = END - timedelta(days=90)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _read_seed(name: str) -> list[dict[str, str]]:
    with (SEEDS_DIR / name).open(newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def raw_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("raw")
    generate(out, n_transactions=N, seed=42, progress=False)
    return out


@pytest.fixture(scope="module")
def tables(raw_dir: Path) -> dict[str, pa.Table]:
    return {t: pq.read_table(raw_dir / f"{t}.parquet") for t in TABLES}


@pytest.fixture(scope="module")
def con(raw_dir: Path) -> duckdb.DuckDBPyConnection:
    conn = duckdb.connect()
    for t in TABLES:
        conn.execute(f"CREATE VIEW {t} AS SELECT * FROM read_parquet('{raw_dir / t}.parquet')")
    return conn


def _one(con: duckdb.DuckDBPyConnection, sql: str) -> tuple:
    return con.execute(sql).fetchone()


# ---------------------------------------------------------------- contract
def test_schemas_are_exactly_as_specified(tables: dict[str, pa.Table]) -> None:
    for name, table in tables.items():
        assert table.schema.equals(SCHEMAS[name]), name
    # Spelled out once, so a change to SCHEMAS itself is a deliberate contract change.
    ts = pa.timestamp("us")
    assert tables["transactions"].schema.field("event_at").type == ts
    assert ts.tz is None
    assert tables["users"].schema.field("birth_year").type == pa.int32()
    assert tables["merchants"].schema.field("description_embedding").type == pa.list_(
        pa.float32())
    for name, id_col in [("users", "user_id"), ("merchants", "merchant_id"),
                         ("transactions", "transaction_id"), ("chargebacks", "chargeback_id")]:
        assert tables[name].schema.field(id_col).type == pa.int64()


def test_row_counts_near_requested_scale(raw_dir: Path, tables: dict[str, pa.Table]) -> None:
    assert abs(tables["transactions"].num_rows - N) / N < 0.05
    assert tables["users"].num_rows == N // 25
    assert tables["merchants"].num_rows == 200
    manifest = json.loads((raw_dir / "_manifest.json").read_text())
    assert manifest["row_counts"] == {t: tables[t].num_rows for t in TABLES}
    for t in TABLES:
        assert manifest["files"][t]["sha256"] == _sha(raw_dir / f"{t}.parquet")


def test_primary_and_foreign_keys(con: duckdb.DuckDBPyConnection) -> None:
    for table, key in [("users", "user_id"), ("merchants", "merchant_id"),
                       ("transactions", "transaction_id"), ("chargebacks", "chargeback_id")]:
        assert _one(con, f"SELECT count(*) = count(DISTINCT {key}) FROM {table}") == (True,)
    orphans = _one(con, """
        SELECT
          (SELECT count(*) FROM transactions t ANTI JOIN users u USING (user_id)),
          (SELECT count(*) FROM transactions t ANTI JOIN merchants m USING (merchant_id)),
          (SELECT count(*) FROM chargebacks c ANTI JOIN transactions t USING (transaction_id)),
          (SELECT count(*) - count(DISTINCT transaction_id) FROM chargebacks)""")
    assert orphans == (0, 0, 0, 0)
    # The acquirer-reported MCC is the merchant's (mis-coded or not).
    assert _one(con, """SELECT count(*) FROM transactions t JOIN merchants m USING (merchant_id)
                        WHERE t.merchant_category_code <> m.category_code""") == (0,)


def test_time_invariants(con: duckdb.DuckDBPyConnection, tables: dict[str, pa.Table]) -> None:
    tx = tables["transactions"]
    at = tx["event_at"].to_numpy().astype("datetime64[us]").astype(np.int64)
    ids = tx["transaction_id"].to_numpy()
    assert np.all(np.diff(at) >= 0), "transactions must be sorted by event_at"
    assert np.all(np.diff(ids) > 0), "then by transaction_id"
    lo, hi = pc.min_max(tx["event_at"]).values()
    assert lo.as_py() >= START and hi.as_py() < END
    assert _one(con, """SELECT count(*) FROM transactions t JOIN users u USING (user_id)
                        WHERE t.event_at < u.signup_at""") == (0,)
    assert _one(con, """SELECT count(*) FROM transactions t JOIN merchants m USING (merchant_id)
                        WHERE t.event_at < m.onboarded_at""") == (0,)
    assert _one(con, f"""SELECT count(*) FROM users WHERE updated_at < signup_at
                         OR updated_at > TIMESTAMP '{END}'""") == (0,)
    # Some users sign up and some merchants onboard during the period.
    assert _one(con, f"SELECT count(*) > 0 FROM users WHERE signup_at >= '{START}'") == (True,)


def test_chargebacks_arrive_2_to_60_days_later(con: duckdb.DuckDBPyConnection) -> None:
    lo, hi, median, late = _one(con, f"""
        SELECT min(d), max(d), median(d), count(*) FILTER (WHERE reported_at >= '{END}')
        FROM (SELECT c.reported_at, epoch(c.reported_at - t.event_at) / 86400 AS d
              FROM chargebacks c JOIN transactions t USING (transaction_id))""")
    assert lo >= 2 and hi <= 60
    assert 7 <= median <= 14
    assert late > 0, "labels of the last weeks must arrive after the period ends"
    assert _one(con, """SELECT count(*) FROM chargebacks c JOIN transactions t
                        USING (transaction_id)
                        WHERE c.amount > t.amount OR c.amount <= 0""") == (0,)


# ---------------------------------------------------------------- reference data
def test_seed_csvs_match_generator_constants() -> None:
    cats = _read_seed("merchant_categories.csv")
    assert list(cats[0]) == ["category_code", "category_name", "risk_tier"]
    assert [(r["category_code"], r["category_name"], r["risk_tier"]) for r in cats] == [
        (c.code, c.name, c.risk_tier) for c in datagen.CATEGORIES]
    assert all(len(r["category_code"]) == 4 and r["category_code"].isdigit() for r in cats)
    rates = _read_seed("currency_rates.csv")
    assert list(rates[0]) == ["currency", "usd_rate"]
    assert {r["currency"]: float(r["usd_rate"]) for r in rates} == datagen.CURRENCY_RATES
    assert datagen.CURRENCY_RATES["USD"] == 1.0
    countries = _read_seed("countries.csv")
    assert list(countries[0]) == ["country_code", "country_name", "region", "currency",
                                  "is_high_risk"]
    assert [(r["country_code"], r["country_name"], r["region"], r["currency"],
             r["is_high_risk"]) for r in countries] == [
        (c.code, c.name, c.region, c.currency, str(c.is_high_risk).lower())
        for c in datagen.COUNTRIES]
    assert {r["currency"] for r in countries} <= set(datagen.CURRENCY_RATES)


def test_data_uses_only_seeded_codes(tables: dict[str, pa.Table]) -> None:
    mccs = {r["category_code"] for r in _read_seed("merchant_categories.csv")}
    currencies = {r["currency"] for r in _read_seed("currency_rates.csv")}
    currency_of = {r["country_code"]: r["currency"] for r in _read_seed("countries.csv")}
    tx, m, u = tables["transactions"], tables["merchants"], tables["users"]
    assert set(pc.unique(m["category_code"]).to_pylist()) <= mccs
    assert set(pc.unique(tx["merchant_category_code"]).to_pylist()) <= mccs
    assert set(pc.unique(tx["currency"]).to_pylist()) <= currencies
    for col in (tx["country"], m["country"], u["home_country"]):
        assert set(pc.unique(col).to_pylist()) <= set(currency_of)
    pairs = pa.table({"c": tx["country"], "cur": tx["currency"]}).group_by(["c", "cur"]).aggregate(
        []).to_pylist()
    assert all(currency_of[p["c"]] == p["cur"] for p in pairs), "local currency of the country"
    assert set(pc.unique(tx["channel"]).to_pylist()) == {"chip", "contactless", "online", "atm"}
    assert set(pc.unique(tx["device_type"]).to_pylist()) == {"mobile", "desktop", "pos_terminal"}
    assert set(pc.unique(u["card_tier"]).to_pylist()) == {"standard", "gold", "platinum"}
    assert set(pc.unique(tables["chargebacks"]["reason_code"]).to_pylist()) <= set(
        datagen.REASON_CODES)


def test_amounts_and_devices_are_consistent(con: duckdb.DuckDBPyConnection) -> None:
    assert _one(con, """SELECT count(*) FROM transactions
                        WHERE amount <= 0 OR round(amount, 2) <> amount""") == (0,)
    assert _one(con, """SELECT count(*) FROM transactions WHERE channel IN ('chip', 'atm')
                        AND device_type <> 'pos_terminal'""") == (0,)
    assert _one(con, """SELECT count(*) FROM transactions
                        WHERE channel = 'online' AND device_type = 'pos_terminal'""") == (0,)
    assert _one(con, """SELECT count(*) FROM transactions
                        WHERE (channel = 'atm') <> (merchant_category_code = '6011')""") == (0,)
    assert _one(con, "SELECT count(*) FROM transactions WHERE device_id IS NULL") == (0,)


# ---------------------------------------------------------------- embeddings
def test_embeddings_are_unit_vectors_clustered_by_category(tables: dict[str, pa.Table]) -> None:
    m = tables["merchants"]
    lengths = pc.list_value_length(m["description_embedding"]).to_numpy()
    assert np.all(lengths == 16)
    emb = np.asarray(pc.list_flatten(m["description_embedding"]).to_numpy()).reshape(-1, 16)
    assert emb.dtype == np.float32
    assert np.allclose(np.linalg.norm(emb.astype(np.float64), axis=1), 1.0, atol=1e-5)
    codes = np.array(m["category_code"].to_pylist())
    # Nearest category centroid (by reported code) disagrees exactly for the mis-coded few.
    labels = sorted(set(codes))
    centroids = np.stack([emb[codes == c].mean(0) for c in labels])
    nearest = np.array(labels)[np.argmax(emb @ centroids.T, axis=1)]
    miscoded_share = np.mean(nearest != codes)
    assert 0 < miscoded_share <= 0.06
    same = emb[codes == labels[0]] @ emb[codes == labels[0]].T
    other = emb[codes == labels[0]] @ emb[codes != labels[0]].T
    assert same.mean() > other.mean() + 0.3


# ---------------------------------------------------------------- realistic shape
def test_same_second_collisions_exist(con: duckdb.DuckDBPyConnection) -> None:
    pairs, = _one(con, """SELECT count(*) FROM (SELECT user_id, event_at FROM transactions
                          GROUP BY ALL HAVING count(*) > 1)""")
    assert 5 <= pairs <= 0.005 * N


def test_users_transact_several_times_within_an_hour(con: duckdb.DuckDBPyConnection) -> None:
    share, = _one(con, """
        SELECT avg((n_1h > 1)::int) FROM (
          SELECT count(*) OVER (PARTITION BY user_id ORDER BY event_at
                                RANGE BETWEEN INTERVAL 1 HOUR PRECEDING AND CURRENT ROW) AS n_1h
          FROM transactions)""")
    assert 0.1 < share < 0.6


def test_activity_is_heavy_tailed_and_seasonal(con: duckdb.DuckDBPyConnection) -> None:
    p50, p99 = _one(con, """SELECT quantile_cont(n, 0.5), quantile_cont(n, 0.99)
                            FROM (SELECT count(*) AS n FROM transactions GROUP BY user_id)""")
    assert p99 > 6 * p50
    night, evening = _one(con, """SELECT count(*) FILTER (WHERE hour(event_at) = 3),
                                  count(*) FILTER (WHERE hour(event_at) = 18) FROM transactions""")
    assert evening > 5 * night
    foreign, = _one(con, """SELECT avg((t.country <> u.home_country)::int)
                            FROM transactions t JOIN users u USING (user_id)""")
    assert 0.03 < foreign < 0.2


def test_fraud_rate(tables: dict[str, pa.Table]) -> None:
    rate = tables["chargebacks"].num_rows / tables["transactions"].num_rows
    assert 0.01 <= rate <= 0.025


def test_fraud_is_learnable_from_simple_features(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("""
        CREATE OR REPLACE TEMP TABLE labelled AS
        SELECT t.*, c.transaction_id IS NOT NULL AS is_fraud,
               t.country <> u.home_country AS is_foreign,
               hour(t.event_at) < 6 AS is_night,
               mc.risk_tier,
               count(*) OVER (PARTITION BY t.user_id ORDER BY t.event_at
                              RANGE BETWEEN INTERVAL 1 HOUR PRECEDING AND CURRENT ROW) AS n_1h
        FROM transactions t JOIN users u USING (user_id)
        LEFT JOIN chargebacks c USING (transaction_id)
        JOIN read_csv('""" + str(SEEDS_DIR / "merchant_categories.csv") + """',
                      types={'category_code': 'VARCHAR'}) mc
          ON mc.category_code = t.merchant_category_code""")

    def lift(condition: str) -> float:
        yes, no = _one(con, f"""SELECT avg(is_fraud::int) FILTER (WHERE {condition}),
                                avg(is_fraud::int) FILTER (WHERE NOT ({condition}))
                                FROM labelled""")
        return yes / no

    assert lift("is_foreign") > 3
    assert lift("is_night") > 3
    assert lift("channel = 'online'") > 3
    assert lift("n_1h >= 3") > 1.5
    assert lift("risk_tier = 'high'") > 2


# ---------------------------------------------------------------- determinism
def test_same_seed_is_byte_identical_and_other_seed_differs(raw_dir: Path,
                                                           tmp_path: Path) -> None:
    again = generate(tmp_path / "again", n_transactions=N, seed=42, progress=False)
    for t in TABLES:
        assert _sha(again[t]) == _sha(raw_dir / f"{t}.parquet"), t
    assert ((tmp_path / "again" / "_manifest.json").read_bytes()
            == (raw_dir / "_manifest.json").read_bytes())
    other = generate(tmp_path / "other", n_transactions=N, seed=7, progress=False)
    for t in TABLES:
        assert _sha(other[t]) != _sha(raw_dir / f"{t}.parquet"), t


def test_chunked_generation_is_sorted_and_deterministic(tmp_path: Path) -> None:
    kwargs = {"n_transactions": 12_000, "seed": 3, "chunk_rows": 2_500, "progress": False}
    first = generate(tmp_path / "a", **kwargs)
    meta = pq.ParquetFile(first["transactions"]).metadata
    assert meta.num_row_groups >= 4  # one per time slice
    tx = pq.read_table(first["transactions"])
    at = tx["event_at"].to_numpy().astype(np.int64)
    assert np.all(np.diff(at) >= 0)
    assert tx["transaction_id"].to_pylist() == list(range(1, tx.num_rows + 1))
    cb_ids = set(pq.read_table(first["chargebacks"])["transaction_id"].to_pylist())
    assert cb_ids <= set(tx["transaction_id"].to_pylist())
    second = generate(tmp_path / "b", **kwargs)
    assert all(_sha(first[t]) == _sha(second[t]) for t in TABLES)


# ---------------------------------------------------------------- manifest / skip
def test_skip_when_unchanged(tmp_path: Path) -> None:
    out = tmp_path / "raw"
    kwargs = {"n_transactions": 3_000, "seed": 1, "progress": False}
    first = generate(out, **kwargs)
    assert not first.skipped
    stamp = {t: first[t].stat().st_mtime_ns for t in TABLES}

    again = generate(out, force=False, **kwargs)
    assert again.skipped
    assert again.row_counts == first.row_counts
    assert {t: again[t].stat().st_mtime_ns for t in TABLES} == stamp

    assert not generate(out, force=True, **kwargs).skipped  # force always rewrites
    assert not generate(out, force=False, n_transactions=3_000, seed=2,
                        progress=False).skipped  # different parameters
    assert generate(out, force=False, n_transactions=3_000, seed=2, progress=False).skipped

    (out / "users.parquet").write_bytes(b"corrupted")
    redone = generate(out, force=False, n_transactions=3_000, seed=2, progress=False)
    assert not redone.skipped
    assert pq.read_table(out / "users.parquet").num_rows == 120

    (out / "chargebacks.parquet").unlink()
    assert not generate(out, force=False, n_transactions=3_000, seed=2, progress=False).skipped
    assert not list(out.glob(".*.partial")), "no temporary files left behind"


def test_parameters_are_normalised_and_validated(tmp_path: Path) -> None:
    summary = generate(tmp_path / "r", n_transactions=2_000, end="2026-06-01T00:00:00",
                       days=10, progress=False)
    assert summary.parameters["end"] == "2026-06-01T00:00:00"
    assert summary.parameters["n_users"] == 80 and summary.parameters["n_merchants"] == 200
    at = pq.read_table(summary["transactions"])["event_at"]
    assert pc.min(at).as_py() >= datetime(2026, 5, 22)
    assert pc.max(at).as_py() < datetime(2026, 6, 1)
    with pytest.raises(ValueError, match="n_merchants"):
        generate(tmp_path / "x", n_transactions=2_000, n_merchants=10, progress=False)
    with pytest.raises(ValueError):
        generate(tmp_path / "x", n_transactions=0, progress=False)
