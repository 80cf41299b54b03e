"""Preprocessing parameters fitted in SQL: DuckDB over the training-set file.

Per spec'd column: the fill value (``mean``: avg; ``median``: the linear-interpolated
median, pandas' and numpy's; ``mode``: the most frequent value, the smallest on ties; or
a literal), then, over the filled column, the transform's parameters: ``standardize``
mean and population standard deviation (scikit-learn's StandardScaler; 0 becomes 1),
``minmax`` minimum and maximum, ``bucketize`` the distinct quantiles at i/buckets
(boundaries; np.quantile's linear interpolation), ``vocabulary`` the values by frequency
then value (at most ``max_size``), any other value getting the out-of-vocabulary index.
"""

from __future__ import annotations

from typing import Any

from featureops.bundles.errors import BundleError
from featureops.bundles.spec import FILL_STATISTICS, FeatureStep, PreprocessingSpec
from featureops.datasets.content import file_relation, is_numeric
from featureops.engines.base import quote_identifier, sql_string

_CATEGORICAL = ("VARCHAR", "BOOLEAN")


def fit(conn: Any, path: str, types: dict[str, str], spec: PreprocessingSpec
        ) -> dict[str, dict[str, Any]]:
    """Parameters per spec'd column, in the spec's order."""
    relation = file_relation(path)
    out = {}
    for column, step in spec.features.items():
        if column not in types:
            raise BundleError(f"preprocessing: '{column}' is not a column of the training set "
                              f"{path}")
        out[column] = _fit_column(conn, relation, column, types[column].upper(), step)
    return out


def _fit_column(conn: Any, relation: str, column: str, kind: str,
                step: FeatureStep) -> dict[str, Any]:
    numeric = is_numeric(kind)
    needs_numbers = step.transform in ("standardize", "minmax", "bucketize") or step.fill in (
        "mean", "median")
    if needs_numbers and not numeric:
        raise BundleError(f"preprocessing: '{column}' is {kind}; "
                          f"{step.transform or step.fill} needs a numeric column")
    if step.transform == "vocabulary" and kind not in _CATEGORICAL:
        raise BundleError(f"preprocessing: '{column}' is {kind}; vocabulary needs a text or "
                          "boolean column")
    ref = quote_identifier(column)
    params: dict[str, Any] = {"type": kind, "fill": None, "fill_statistic": None,
                              "transform": step.transform}
    if step.fill is not None:
        params["fill"], params["fill_statistic"] = _fill(conn, relation, ref, step.fill, kind)
    value = ref if params["fill"] is None else f"coalesce({ref}, {_literal(params['fill'])})"
    source = f"(select {value} as v from {relation})"
    if step.transform == "standardize":
        mean, std = conn.execute(f"select avg(v), stddev_pop(v) from {source}").fetchone()
        params.update(mean=mean, std=std if std else 1.0)
    elif step.transform == "minmax":
        low, high = conn.execute(f"select min(v)::double, max(v)::double from {source}"
                                 ).fetchone()
        params.update(min=low, max=high)
    elif step.transform == "bucketize":
        steps = ", ".join(str(i / step.buckets) for i in range(1, step.buckets))
        edges = conn.execute(f"select quantile_cont(v, [{steps}]) from {source}").fetchone()[0]
        params.update(buckets=step.buckets,
                      boundaries=sorted(set(edges)) if edges else [])
    elif step.transform == "vocabulary":
        limit = f"limit {step.max_size}" if step.max_size else ""
        rows = conn.execute(f"select cast(v as varchar) from {source} where v is not null "
                            f"group by v order by count(*) desc, cast(v as varchar) {limit}"
                            ).fetchall()
        params["vocabulary"] = [row[0] for row in rows]
    return params


def _fill(conn: Any, relation: str, ref: str, fill: Any, kind: str) -> tuple[Any, str | None]:
    if fill not in FILL_STATISTICS:
        if kind == "BOOLEAN" and not isinstance(fill, bool):
            raise BundleError(f"preprocessing: fill {fill!r} is not a boolean for {ref}")
        return fill, None
    query = {"mean": f"avg({ref})", "median": f"quantile_cont({ref}, 0.5)",
             "mode": f"mode({ref})"}[fill]
    if fill == "mode":  # mode() is arbitrary on ties: the smallest of the most frequent
        query = (f"(select {ref} from {relation} where {ref} is not null group by {ref} "
                 f"order by count(*) desc, {ref} limit 1)")
        return conn.execute(f"select {query}").fetchone()[0], fill
    return conn.execute(f"select {query} from {relation}").fetchone()[0], fill


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(float(value)) if isinstance(value, float) else str(value)
    return sql_string(str(value))
