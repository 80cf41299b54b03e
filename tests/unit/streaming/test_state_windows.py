"""A streaming view's windows are read from its compiled SQL (what windowed_aggregate
wrote), and whatever the stream could not reproduce is a one-line error naming the model."""

from __future__ import annotations

import pytest

from featureops.catalog import FeatureCatalog, InvalidFeatureMetaError
from featureops.manifest import Manifest
from featureops.streaming.windows import (
    StreamingDeclarationError,
    WindowFeature,
    streaming_views,
)
from tests import factories as f


def _frame(width: str, partition: str = "user_id") -> str:
    return (f"partition by {partition} order by event_at range between interval '{width}' "
            "preceding and current row exclude group")


# As dbt-duckdb compiles feat_user__spend_windows (import CTE, windows, distinct, final).
SQL = f"""with transactions as (select * from "db"."main"."int_tx"),
windowed as (
    select user_id, event_at,
        count(amount_usd) over ({_frame('1 hours')}) as n_1h,
        coalesce(fsum(amount_usd) over ({_frame('1 hours')}), 0) as sum_1h,
        favg(amount_usd) over ({_frame('90 minutes')}) as avg_90m,
        max(amount_usd) over ({_frame('2 days')}) as max_2d,
        min(units) over ({_frame('1 weeks')}) as min_units_1w
    from transactions
),
deduplicated as (select distinct * from windowed)
select * from deduplicated"""
# As dbt-postgres compiles it: result casts around the window functions.
POSTGRES_SQL = f"""with t as (select * from "db"."main"."int_tx")
select user_id, event_at,
    cast(count(amount_usd) over ({_frame('1 hours')}) as bigint) as n_1h,
    coalesce(cast(sum(amount_usd) over ({_frame('30 seconds')}) as double precision), 0)
        as sum_30s
from t"""
STREAMING = {"source": "payments_transactions", "allowed_lateness": "5m"}


def _manifest(sql: str = SQL, streaming: dict | None = STREAMING, online: bool = True,
              input_columns=("user_id", "event_at", "amount_usd", "units"),
              adapter: str = "duckdb") -> tuple[Manifest, FeatureCatalog]:
    source = f.model("int_tx", columns=[f.column(c) for c in input_columns])
    source["config"]["materialized"] = "view"
    meta = {**f.VALID_VIEW_META, "online": online}
    if streaming is not None:
        meta["streaming"] = streaming
    view = f.model("feat_user__spend", meta=meta)
    view["depends_on"]["nodes"] = [source["unique_id"]]
    view["compiled_code"] = sql
    raw = f.manifest(source, view)
    raw["metadata"]["adapter_type"] = adapter
    manifest = Manifest.from_dict(raw)
    return manifest, FeatureCatalog.from_manifest(manifest)


def test_windows_from_the_compiled_sql() -> None:
    (view,) = streaming_views(*_manifest())
    hour = 3_600_000_000
    assert (view.name, view.input_model, view.source) == (
        "feat_user__spend", "int_tx", "payments_transactions")
    assert (view.entity_columns, view.event_time_column) == (("user_id",), "event_at")
    assert view.allowed_lateness_micros == 5 * 60_000_000
    assert view.windows == (
        WindowFeature("n_1h", "count", "amount_usd", hour),
        WindowFeature("sum_1h", "sum", "amount_usd", hour, 0),
        WindowFeature("avg_90m", "avg", "amount_usd", 90 * 60_000_000),
        WindowFeature("max_2d", "max", "amount_usd", 48 * hour),
        WindowFeature("min_units_1w", "min", "units", 7 * 24 * hour))
    assert view.input_columns == ("user_id", "event_at", "amount_usd", "units")
    assert view.widths_micros[0] == 7 * 24 * hour


def test_postgres_casts() -> None:
    (view,) = streaming_views(*_manifest(POSTGRES_SQL, adapter="postgres"))
    assert [(w.name, w.aggregate, w.width_micros, w.empty_value) for w in view.windows] == [
        ("n_1h", "count", 3_600_000_000, None), ("sum_30s", "sum", 30_000_000, 0)]


def test_views_without_streaming_are_left_out() -> None:
    assert streaming_views(*_manifest(streaming=None)) == []


def test_streaming_needs_online() -> None:
    with pytest.raises(InvalidFeatureMetaError, match="online: true"):
        _manifest(online=False)


@pytest.mark.parametrize(("sql", "message"), [
    (SQL.replace("from transactions\n", "from transactions where amount_usd > 0\n"),
     "has a where clause"),
    (SQL.replace("select * from \"db\"", "select user_id from \"db\""),
     "must be `select \\* from"),
    (SQL.replace("count(amount_usd) over", "count(distinct amount_usd) over"),
     "one plain column"),
    (SQL.replace("max(amount_usd)", "max(amount_usd * 2)"), "one plain column"),
    (SQL.replace("max(amount_usd) over", "median(amount_usd) over"), "'median' is not one"),
    (SQL.replace("'2 days' preceding and current row exclude group",
                 "'2 days' preceding and current row"), "not windowed_aggregate's frame"),
    (SQL.replace("interval '1 weeks'", "interval '1 months'"), "window width"),
    (SQL.replace("partition by user_id order by event_at range between interval '2 days'",
                 "partition by units order by event_at range between interval '2 days'"),
     "share one partition-by"),
    (SQL.replace("select user_id, event_at,", "select user_id, event_at, units,"),
     "column 'units' is neither"),
    (SQL.replace('"db"."main"."int_tx"', '"db"."main"."other"'), "'db.main.other'"),
    (SQL.replace("select * from deduplicated", "select user_id from deduplicated"),
     "must be `select \\* from"),
    ("select 1; select 2", "one select statement"),
])
def test_shapes_the_stream_cannot_reproduce(sql: str, message: str) -> None:
    with pytest.raises(StreamingDeclarationError, match=message) as error:
        streaming_views(*_manifest(sql))
    assert str(error.value).startswith(
        "models/features/feat_user__spend.sql: feature view 'feat_user__spend' cannot stream")
    assert "\n" not in str(error.value)


def test_entities_must_be_the_partition() -> None:
    sql = SQL.replace("partition by user_id", "partition by units").replace(
        "select user_id, event_at,", "select units, event_at,")
    with pytest.raises(StreamingDeclarationError, match="partition by units, its entities"):
        streaming_views(*_manifest(sql))


def test_aggregated_column_must_exist_in_the_input_model() -> None:
    with pytest.raises(StreamingDeclarationError, match="'units', which model 'int_tx'"):
        streaming_views(*_manifest(input_columns=("user_id", "event_at", "amount_usd")))


def test_no_compiled_sql() -> None:
    manifest, catalog = _manifest()
    node = catalog.views["feat_user__spend"].model
    object.__setattr__(node, "compiled_code", None)
    with pytest.raises(StreamingDeclarationError, match="run `dbt compile`"):
        streaming_views(manifest, catalog)
