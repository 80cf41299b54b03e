"""Shared by the state tests: a small streaming view, random events (ties, nulls, several
users) and the oracle: DuckDB running windowed_aggregate's own frame.

The oracle adds a probe row with a null value at each as-of instant: the frame of that row
is exactly the window "as of" the instant, and a null changes no other row's aggregate."""

from __future__ import annotations

import random

import duckdb

from featureops.streaming.windows import StreamingView, WindowFeature

HOUR = 3_600_000_000
MACRO_SQL = {"count": "count", "sum": "fsum", "avg": "favg", "min": "min", "max": "max"}


def view(lateness: int = 0) -> StreamingView:
    windows = []
    for width, label in ((HOUR, "1h"), (24 * HOUR, "24h")):
        for agg in ("count", "sum", "avg", "min", "max"):
            windows.append(WindowFeature(f"amount_{agg}_{label}", agg, "amount", width,
                                         0 if agg == "sum" else None))
    windows.append(WindowFeature("units_max_1h", "max", "units", HOUR))
    return StreamingView("v", "inp", "src", ("user_id",), "event_at", lateness, tuple(windows))


def events(seed: int, n: int = 400):
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


def oracle(view: StreamingView, events, probes):
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
