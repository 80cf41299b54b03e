"""Window values computed from the batch edge and the stream's events equal what DuckDB
computes with windowed_aggregate's own frame (``range between w preceding and current
row exclude group``) at the same instants, for any split of the events between the layers.

The oracle adds a probe row with a null value at each as-of instant: the frame of that row
is exactly the window "as of" the instant, and a null changes no other row's aggregate."""

from __future__ import annotations

import random

import duckdb
import pytest

from featureops.streaming.merge import EntityEvents, aggregate, merged_values
from featureops.streaming.windows import StreamingView, WindowFeature

HOUR = 3_600_000_000
MACRO_SQL = {"count": "count", "sum": "fsum", "avg": "favg", "min": "min", "max": "max"}


def _view(lateness: int = 0) -> StreamingView:
    windows = []
    for width, label in ((HOUR, "1h"), (24 * HOUR, "24h")):
        for agg in ("count", "sum", "avg", "min", "max"):
            windows.append(WindowFeature(f"amount_{agg}_{label}", agg, "amount", width,
                                         0 if agg == "sum" else None))
    windows.append(WindowFeature("units_max_1h", "max", "units", HOUR))
    return StreamingView("v", "inp", "src", ("user_id",), "event_at", lateness, tuple(windows))


def _events(seed: int, n: int = 400):
    rng = random.Random(seed)
    base = 1_700_000_000_000_000
    events = []
    for i in range(n):
        t = base + rng.randrange(0, 48 * HOUR)
        if i % 7 == 0 and events:  # ties: same instant as an earlier event
            t = events[-1][1]
        amount = None if i % 23 == 0 else round(rng.uniform(0.01, 900.0), rng.choice([2, 7]))
        events.append((rng.randrange(1, 6), t, amount, rng.randrange(0, 50)))
    return events


def _oracle(view: StreamingView, events, probes):
    """{(user, as_of): {feature: value}} from DuckDB running the macro's frame."""
    con = duckdb.connect()
    con.execute("create table e (user_id bigint, t bigint, amount double, units bigint, "
                "probe boolean)")
    rows = [(u, t, a, n, False) for u, t, a, n in events]
    rows += [(u, t, None, None, True) for u, t in probes]
    con.executemany("insert into e values (?, ?, ?, ?, ?)", rows)
    columns = ", ".join(
        f"{MACRO_SQL[w.aggregate]}({w.column}) over (partition by user_id order by "
        f"make_timestamp(t) range between interval '{w.width_micros // HOUR} hours' "
        f"preceding and current row exclude group) as {w.name}" for w in view.windows)
    result = con.execute(f"select user_id, t, probe, {columns} from e").fetchall()
    names = [w.name for w in view.windows]
    out = {}
    for user, t, probe, *values in result:
        if probe:
            out[(user, t)] = {
                name: (w.empty_value if value is None and w.empty_value is not None else value)
                for name, w, value in zip(names, view.windows, values, strict=True)}
    return out


def _layer(events, user, keep) -> EntityEvents:
    layer = EntityEvents()
    for u, t, amount, units in events:
        if u == user and keep(t):
            layer.add(t, {"amount": amount, "units": units})
    return layer


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_merged_windows_equal_the_macro_frame_at_every_instant(seed: int) -> None:
    view = _view()
    events = _events(seed)
    times = sorted(t for _, t, _, _ in events)
    boundary = times[len(times) // 2]
    rng = random.Random(seed)
    # as-of instants after the boundary: event instants (ties excluded), +-1 us, and
    # instants exactly one window after an event (the event leaves the window there)
    probes = set()
    for user, t, _, _ in rng.sample(events, 120):
        for at in (t, t + 1, t - 1, t + HOUR, t + HOUR + 1, t + 24 * HOUR):
            if at >= boundary:
                probes.add((user, at))
    expected = _oracle(view, events, sorted(probes))
    for user, at in sorted(probes):
        # the edge holds events below the boundary and also some above it (the warehouse
        # may hold more than the boundary covers); the stream also some below (redelivered
        # history): each is counted by one layer only
        edge = _layer(events, user, lambda t: t < boundary + 5 * HOUR)
        stream = _layer(events, user, lambda t: t >= boundary - 5 * HOUR)
        got = merged_values(view, at, edge, boundary, stream)
        for name, value in expected[(user, at)].items():
            if name.startswith("amount_avg") and value is not None:
                assert got[name] == pytest.approx(value, rel=1e-12, abs=1e-9), (user, at, name)
            else:
                assert got[name] == value, (user, at, name, got[name], value)


def test_stream_only_and_edge_only() -> None:
    view = _view()
    events = _events(9, 200)
    user, at = events[-1][0], max(t for _, t, _, _ in events) + 1
    expected = _oracle(view, events, [(user, at)])[(user, at)]
    everything = _layer(events, user, lambda t: True)
    assert merged_values(view, at, None, None, everything) == pytest.approx(expected)
    assert merged_values(view, at, everything, at + 1, None) == pytest.approx(expected)
    assert merged_values(view, at, everything, at + 1, EntityEvents()) == \
        pytest.approx(expected)


def test_empty_windows_and_coalesce() -> None:
    view = _view()
    values = merged_values(view, 10 * HOUR, None, None, None)
    assert values["amount_count_1h"] == 0
    assert values["amount_sum_1h"] == 0 and isinstance(values["amount_sum_1h"], float)
    assert values["amount_avg_1h"] is None and values["amount_max_24h"] is None


def test_aggregate_types() -> None:
    assert aggregate("max", [3, 7]) == 7 and isinstance(aggregate("max", [3, 7]), int)
    assert aggregate("sum", [1, 2]) == 3.0 and isinstance(aggregate("sum", [1, 2]), float)
    assert aggregate("sum", [0.1] * 10) == 1.0  # correctly rounded, not 0.9999999999999999
    assert aggregate("avg", [1, 2]) == 1.5
    with pytest.raises(ValueError, match="median"):
        aggregate("median", [1])
