"""The feature views built by dbt, checked row by row against an independent pandas/numpy
computation from the raw Parquet and seed CSVs (no dbt model or macro involved)."""

from __future__ import annotations

import math

import duckdb
import numpy as np
import pandas as pd
import pytest

from tests.conftest import REPO_ROOT, BuiltProject

SPEND_WINDOWS = {"1h": pd.Timedelta(hours=1), "24h": pd.Timedelta(hours=24),
                 "7d": pd.Timedelta(days=7), "30d": pd.Timedelta(days=30)}


def _warehouse_table(build: BuiltProject, name: str) -> pd.DataFrame:
    with duckdb.connect(str(build.duckdb_path), read_only=True) as conn:
        return conn.execute(f"select * from main.{name}").df()


@pytest.fixture(scope="module")
def transactions_usd(duckdb_build: BuiltProject) -> pd.DataFrame:
    raw = duckdb_build.raw_dir
    transactions = pd.read_parquet(raw / "transactions.parquet")
    rates = pd.read_csv(REPO_ROOT / "seeds" / "currency_rates.csv")
    merged = transactions.merge(rates, on="currency", how="inner", validate="many_to_one")
    assert len(merged) == len(transactions), "every currency has a rate"
    merged["amount_usd"] = merged["amount"] * merged["usd_rate"]
    return merged.sort_values(["user_id", "event_at"]).reset_index(drop=True)


def spend_windows_oracle(transactions: pd.DataFrame) -> pd.DataFrame:
    """For each (user, distinct event time t): aggregates over that user's transactions
    with t - w <= time < t, by brute-force masking."""
    rows = []
    for user_id, group in transactions.groupby("user_id", sort=True):
        times = group["event_at"].to_numpy()
        amounts = group["amount_usd"].to_numpy()
        for event_at in np.unique(times):
            row = {"user_id": user_id, "event_at": pd.Timestamp(event_at)}
            for name, width in SPEND_WINDOWS.items():
                mask = (times >= event_at - width.to_timedelta64()) & (times < event_at)
                chosen = amounts[mask]
                row[f"transaction_count_{name}"] = int(mask.sum())
                row[f"amount_usd_sum_{name}"] = float(math.fsum(chosen))
                row[f"amount_usd_avg_{name}"] = (
                    float(math.fsum(chosen) / len(chosen)) if len(chosen) else np.nan)
                row[f"amount_usd_max_{name}"] = float(chosen.max()) if len(chosen) else np.nan
            rows.append(row)
    return pd.DataFrame(rows)


def _assert_frames_match(actual: pd.DataFrame, expected: pd.DataFrame, keys: list[str],
                         rtol: float = 1e-12) -> None:
    assert len(actual) == len(expected), (len(actual), len(expected))
    merged = expected.merge(actual, on=keys, how="outer", suffixes=("_expected", "_actual"),
                            indicator=True)
    unmatched = merged[merged["_merge"] != "both"]
    assert unmatched.empty, f"rows present on one side only:\n{unmatched[keys].head()}"
    for column in expected.columns:
        if column in keys:
            continue
        want = merged[f"{column}_expected"]
        got = merged[f"{column}_actual"]
        if pd.api.types.is_float_dtype(want) or pd.api.types.is_float_dtype(got):
            want_f, got_f = want.astype(float).to_numpy(), got.astype(float).to_numpy()
            assert np.array_equal(np.isnan(want_f), np.isnan(got_f)), f"{column}: null mismatch"
            ok = ~np.isnan(want_f)
            np.testing.assert_allclose(got_f[ok], want_f[ok], rtol=rtol, atol=1e-9,
                                       err_msg=column)
        else:
            mismatched = merged[want.to_numpy() != got.to_numpy()]
            shown = mismatched[[*keys, f"{column}_expected", f"{column}_actual"]].head()
            assert mismatched.empty, f"{column} differs:\n{shown}"


def test_spend_windows_match_brute_force(duckdb_build: BuiltProject,
                                         transactions_usd: pd.DataFrame) -> None:
    actual = _warehouse_table(duckdb_build, "feat_user__spend_windows")
    expected = spend_windows_oracle(transactions_usd)
    # The data really exercises the edges: ties at one instant, non-empty 1h windows.
    assert transactions_usd.duplicated(["user_id", "event_at"]).any()
    assert (expected["transaction_count_1h"] > 0).sum() > 100
    _assert_frames_match(actual, expected, keys=["user_id", "event_at"])


def test_merchant_risk_windows_match_brute_force(duckdb_build: BuiltProject,
                                                 transactions_usd: pd.DataFrame) -> None:
    raw = duckdb_build.raw_dir
    chargebacks = pd.read_parquet(raw / "chargebacks.parquet")
    first_report = chargebacks.groupby("transaction_id")["reported_at"].min()
    txns = transactions_usd.assign(
        reported_at=transactions_usd["transaction_id"].map(first_report))
    first_day = txns["event_at"].dt.floor("D").min()
    last_day = txns["event_at"].dt.floor("D").max() + pd.Timedelta(days=1)
    rows = []
    for merchant_id, group in txns.groupby("merchant_id", sort=True):
        times = group["event_at"].to_numpy()
        amounts = group["amount_usd"].to_numpy()
        reported = group["reported_at"].to_numpy()
        start = max(group["event_at"].min().floor("D"), first_day)
        for as_of in pd.date_range(start, last_day, freq="D"):
            as_of64 = as_of.to_datetime64()
            row = {"merchant_id": merchant_id, "event_at": as_of}
            for name, days in (("7d", 7), ("30d", 30)):
                mask = (times >= as_of64 - np.timedelta64(days, "D")) & (times < as_of64)
                row[f"transaction_count_{name}"] = int(mask.sum())
                row[f"amount_usd_sum_{name}"] = float(math.fsum(amounts[mask]))
            in_30d = (times >= as_of64 - np.timedelta64(30, "D")) & (times < as_of64)
            known = in_30d & ~pd.isna(reported) & (reported < as_of64)
            row["chargeback_count_30d"] = int(known.sum())
            row["chargeback_rate_30d"] = (known.sum() / in_30d.sum()) if in_30d.sum() else np.nan
            rows.append(row)
    expected = pd.DataFrame(rows)
    actual = _warehouse_table(duckdb_build, "feat_merchant__risk_windows")
    # Label delay matters on this data: some chargebacks are in the window but unknown.
    assert (expected["chargeback_count_30d"] > 0).any()
    _assert_frames_match(actual, expected, keys=["merchant_id", "event_at"], rtol=1e-9)


def test_cyclical_encodings_match_numpy(duckdb_build: BuiltProject) -> None:
    actual = _warehouse_table(duckdb_build, "feat_transaction__context").set_index(
        "transaction_id").sort_index()
    hours = actual["event_at"].dt.hour.to_numpy()
    iso_days = actual["event_at"].dt.day_of_week.to_numpy() + 1  # pandas Monday=0
    np.testing.assert_allclose(actual["hour_of_day_sin"], np.sin(2 * np.pi * hours / 24),
                               atol=1e-12)
    np.testing.assert_allclose(actual["hour_of_day_cos"], np.cos(2 * np.pi * hours / 24),
                               atol=1e-12)
    np.testing.assert_allclose(actual["day_of_week_sin"], np.sin(2 * np.pi * iso_days / 7),
                               atol=1e-12)
    np.testing.assert_allclose(actual["day_of_week_cos"], np.cos(2 * np.pi * iso_days / 7),
                               atol=1e-12)
    assert (actual["is_night"] == (hours < 6)).all()


def test_category_similarity_matches_numpy(duckdb_build: BuiltProject) -> None:
    merchants = pd.read_parquet(duckdb_build.raw_dir / "merchants.parquet")
    vectors = np.stack(merchants["description_embedding"].to_numpy()).astype(np.float64)
    centroids = {code: vectors[(merchants["category_code"] == code).to_numpy()].mean(axis=0)
                 for code in merchants["category_code"].unique()}
    expected = [
        float(v @ centroids[c] / (np.linalg.norm(v) * np.linalg.norm(centroids[c])))
        for v, c in zip(vectors, merchants["category_code"], strict=True)
    ]
    actual = _warehouse_table(duckdb_build, "feat_merchant__profile").set_index("merchant_id")
    got = actual.loc[merchants["merchant_id"], "category_similarity"].to_numpy()
    # Centroids are stored as float32 (real[16]), so agreement is to float32 precision.
    np.testing.assert_allclose(got, expected, atol=1e-6)
    # Mis-coded merchants stand out: the least typical are far below the median.
    assert np.quantile(got, 0.01) < np.median(got) - 0.3
