"""Preprocessing fitted in SQL (featureops.bundles.fit) against pandas/NumPy formulas
(scikit-learn's definitions: population std, min-max, np.quantile boundaries, vocabulary by
frequency), and applied identically to a DataFrame and to one vector at a time."""

from __future__ import annotations

import math
import random

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from featureops.bundles.bundle import (
    Bundle,
    BundleFeature,
    bundle_id,
    read_bundle,
    write_bundle,
)
from featureops.bundles.errors import BundleError
from featureops.bundles.fit import fit
from featureops.bundles.preprocess import apply
from featureops.bundles.spec import PreprocessingSpec

SPEC = PreprocessingSpec.model_validate({"features": {
    "spend": {"fill": "median", "transform": "standardize"},
    "limit": {"fill": 0, "transform": "minmax"},
    "rate": {"transform": "bucketize", "buckets": 5},
    "tier": {"fill": "mode", "transform": "vocabulary", "max_size": 3},
    "flag": {"transform": "vocabulary"},
    "count": {"fill": "mean"},
}})


@pytest.fixture
def frame() -> pd.DataFrame:
    rng = random.Random(5)
    n = 400
    return pd.DataFrame({
        "spend": [None if i % 9 == 0 else rng.lognormvariate(3, 1) for i in range(n)],
        "limit": [None if i % 13 == 0 else rng.choice([500.0, 1000.0, 2500.0]) for i in range(n)],
        "rate": [rng.random() ** 2 for _ in range(n)],
        "tier": [None if i % 7 == 0 else rng.choice(["gold", "gold", "silver", "basic", "x"])
                 for i in range(n)],
        "flag": [None if i % 11 == 0 else rng.random() < 0.3 for i in range(n)],
        "count": pd.array([None if i % 5 == 0 else rng.randrange(10) for i in range(n)],
                          dtype="Int64"),
    })


def fitted(frame: pd.DataFrame, tmp_path) -> dict:
    path = tmp_path / "train.parquet"
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path)
    with duckdb.connect() as conn:
        types = {name: type_ for name, type_, *_ in
                 conn.execute(f"describe select * from read_parquet('{path}')").fetchall()}
        return fit(conn, str(path), types, SPEC)


def test_parameters_match_pandas(frame, tmp_path) -> None:
    params = fitted(frame, tmp_path)
    spend = frame["spend"].fillna(frame["spend"].median())
    assert params["spend"]["fill"] == pytest.approx(frame["spend"].median(), rel=1e-12)
    assert params["spend"]["mean"] == pytest.approx(spend.mean(), rel=1e-12)
    assert params["spend"]["std"] == pytest.approx(spend.std(ddof=0), rel=1e-12)
    limit = frame["limit"].fillna(0)
    assert (params["limit"]["min"], params["limit"]["max"]) == (limit.min(), limit.max())
    edges = np.unique(np.quantile(frame["rate"], [i / 5 for i in range(1, 5)]))
    assert params["rate"]["boundaries"] == pytest.approx(list(edges), rel=1e-12)
    counts = frame["tier"].value_counts()
    mode = sorted(counts[counts == counts.max()].index)[0]
    assert params["tier"]["fill"] == mode
    tiers = frame["tier"].fillna(mode).value_counts()
    expected = sorted(tiers.index, key=lambda v: (-tiers[v], v))[:3]
    assert params["tier"]["vocabulary"] == expected
    assert params["flag"]["vocabulary"] == ["false", "true"]
    assert params["count"]["fill"] == pytest.approx(frame["count"].mean(), rel=1e-12)


def bundle_of(params: dict, frame: pd.DataFrame) -> Bundle:
    features = [BundleFeature(c, f"view:{c}", "view", "T", "sha256:0") for c in frame.columns]
    return Bundle(bundle_id(features, "ds-test", params), "model", "ds-test", features,
                  params, "now")


def oracle(frame: pd.DataFrame, params: dict) -> pd.DataFrame:
    """The transforms written with NumPy, column at a time."""
    out = {}
    spend = frame["spend"].fillna(params["spend"]["fill"]).to_numpy(float)
    out["spend"] = (spend - params["spend"]["mean"]) / params["spend"]["std"]
    limit = frame["limit"].fillna(0).to_numpy(float)
    out["limit"] = (limit - limit.min()) / (limit.max() - limit.min())
    out["rate"] = np.digitize(frame["rate"].to_numpy(float), params["rate"]["boundaries"])
    vocabulary = params["tier"]["vocabulary"]
    out["tier"] = [vocabulary.index(v) if v in vocabulary else len(vocabulary)
                   for v in frame["tier"].fillna(params["tier"]["fill"])]
    out["flag"] = [2 if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v))
                   else int(bool(v)) for v in frame["flag"].astype(object)]
    out["count"] = frame["count"].astype(float).fillna(params["count"]["fill"]).to_list()
    return pd.DataFrame(out)


def test_frames_and_vectors_get_identical_numbers(frame, tmp_path) -> None:
    bundle = bundle_of(fitted(frame, tmp_path), frame)
    write_bundle(bundle, tmp_path / "bundle")
    bundle = read_bundle(tmp_path / "bundle")  # the way a model server loads it
    result = apply(bundle, frame)
    expected = oracle(frame, bundle.preprocessing)
    assert list(result.columns) == list(frame.columns)
    for column in frame.columns:
        assert [float(v) for v in result[column]] == pytest.approx(
            [float(v) for v in expected[column]], rel=1e-12, abs=1e-12), column
    for index, row in frame.iterrows():
        vector = {f"view__{k}": (None if v is None or v is pd.NA or
                                 (isinstance(v, float) and math.isnan(v)) else v)
                  for k, v in row.items()}
        assert apply(bundle, vector) == result.loc[index].to_dict()  # exactly equal


def test_bad_spec_and_data_are_one_line_errors(frame, tmp_path) -> None:
    params = fitted(frame, tmp_path)
    bundle = bundle_of(params, frame)
    with pytest.raises(BundleError, match="no feature 'view:spend'"):
        apply(bundle, {"view__limit": 1.0})
    with pytest.raises(BundleError, match="no column 'rate'"):
        apply(bundle, frame.drop(columns=["rate"]))
    path = tmp_path / "t.parquet"
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path)
    bad = PreprocessingSpec.model_validate({"features": {"tier": {"transform": "standardize"}}})
    with duckdb.connect() as conn, pytest.raises(BundleError, match="'tier' is VARCHAR"):
        fit(conn, str(path), {"tier": "VARCHAR"}, bad)
    write_bundle(bundle, tmp_path / "b")
    text = (tmp_path / "b" / "bundle.json").read_text().replace('"fill": 0', '"fill": 1')
    (tmp_path / "b" / "bundle.json").write_text(text)
    with pytest.raises(BundleError, match="edited"):
        read_bundle(tmp_path / "b")
