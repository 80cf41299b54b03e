"""Lateness in log order (featureops.streaming.state), in SQLite and in Redis: an event is
too late only when an applied event earlier in the log is newer than it by more than the
allowed lateness (or it is below the pruning floor), whatever order workers apply batches
in. Checked against a brute-force judge of that rule over every event applied before,
and the served windows against DuckDB running the macro's frame over the counted events."""

from __future__ import annotations

import random

import pyarrow as pa
import pytest

from featureops.streaming.state import LOG_POSITION_COLUMN
from tests.unit.streaming.state_oracle import HOUR, events, view
from tests.unit.streaming.test_state_stores import (
    check_served,
    open_state,
    redis_config,
    rows,
    serve,
    sqlite_config,
)

LATENESS = 5 * 60_000_000
VIEW = view(LATENESS)
W_MAX = VIEW.widths_micros[0]


@pytest.fixture(params=["sqlite", "redis"])
def state(request, tmp_path):
    config = (sqlite_config if request.param == "sqlite" else redis_config)(tmp_path)
    state = open_state(config, tmp_path)
    yield state
    if config.type == "redis":
        keys = list(state.client.scan_iter(match=f"{config.key_prefix}:*", count=10_000))
        if keys:
            state.client.delete(*keys)
    state.close()


def logged(batch) -> pa.Table:
    """Event rows of (position, id, event) as the worker hands them over (with positions
    beyond 2^53, as Redis entry ids give them)."""
    table = rows([(i, e) for _, i, e in batch])
    return table.append_column(LOG_POSITION_COLUMN, pa.array(
        [(1 << 60) + p for p, _, _ in batch], pa.int64()))


def _serve_all(state, counted: dict) -> dict:
    as_of = max(e[1] for e in counted.values()) + 1
    users = sorted({e[0] for e in counted.values()})
    return {(u, as_of): v for u, v in serve(state, users, as_of).items()}


def test_a_log_earlier_batch_applied_after_a_later_one_counts(state) -> None:
    """The SIGKILLed worker's case: its batch comes back after newer ones were applied;
    the old rule (newest event applied, minus the lateness) called it too late."""
    timeline = sorted(events(1, 600), key=lambda e: e[1])
    # within the longest window (older events would be below the pruning floor)
    timeline = [e for e in timeline if e[1] < timeline[0][1] + W_MAX // 2][:120]
    log = [(p, f"e{p}", e) for p, e in enumerate(timeline)]
    assert len(log) == 120
    earlier, later = log[:60], log[60:]
    assert later[-1][2][1] - earlier[0][2][1] > 10 * LATENESS
    first = state.apply(VIEW, logged(later))
    assert (first.applied, first.too_late) == (60, 0)
    result = state.apply(VIEW, logged(earlier))
    assert (result.applied, result.duplicates, result.too_late) == (60, 0, 0)
    check_served(_serve_all(state, {i: e for _, i, e in log}), [e for _, _, e in log])


def test_newer_than_lateness_earlier_in_the_log_is_too_late(state) -> None:
    base = 1_700_000_000_000_000
    new = (0, "new", (1, base + HOUR, 5.0, 1))
    old = (1, "old", (1, base, 7.0, 1))          # after `new` in the log, an hour older
    within = (2, "within", (1, base + HOUR - LATENESS, 3.0, 1))
    # one batch listing them out of log order: judged in log order all the same
    result = state.apply(VIEW, logged([within, old, new]))
    assert (result.applied, result.too_late_ids) == (2, ("old",))
    # a copy of `old` published again later in the log: still too late
    again = state.apply(VIEW, logged([(3, "old", old[2])]))
    assert again.too_late_ids == ("old",)


def test_an_earlier_event_not_applied_yet_does_not_decide(state) -> None:
    """Lenient, not wrong: windows are computed from the stored events, so counting an
    event whose log-earlier, much newer neighbour comes later only adds what dbt adds."""
    base = 1_700_000_000_000_000
    old = (5, "old", (1, base, 7.0, 1))
    assert state.apply(VIEW, logged([old])).applied == 1
    assert state.apply(VIEW, logged([(4, "new", (1, base + HOUR, 5.0, 1))])).applied == 1


def test_below_the_floor_too_late_whatever_the_log_position(state) -> None:
    """Events older than the watermark minus the lateness and the longest window are
    pruned; one there is too late even first in the log, and a pruned event coming back
    (a redelivery) is too late rather than counted twice."""
    base = 1_700_000_000_000_000
    old = (10, "old", (1, base, 7.0, 1))
    assert state.apply(VIEW, logged([old])).applied == 1
    newer = (20, "newer", (1, base + W_MAX + LATENESS + HOUR, 5.0, 1))
    assert state.apply(VIEW, logged([newer])).applied == 1   # prunes `old`
    again = state.apply(VIEW, logged([old]))
    assert (again.applied, again.duplicates, again.too_late_ids) == (0, 0, ("old",))
    floor = newer[2][1] - LATENESS - W_MAX
    first = state.apply(VIEW, logged([(0, "first", (2, floor - 1, 1.0, 1))]))
    assert first.too_late_ids == ("first",)
    edge = (1, "edge", (2, floor, 1.0, 1))  # at the floor: kept
    assert state.apply(VIEW, logged([edge])).applied == 1
    as_of = newer[2][1] + 1
    served = {(u, as_of): v for u, v in serve(state, [1, 2], as_of).items()}
    check_served(served, [newer[2], edge[2]])


def _judge(applied: dict, watermark, batch) -> tuple[set, set]:
    """The rule by brute force: (counted ids, too-late ids) of a batch, given every
    applied (and not pruned) id -> (position, time) and the watermark before it."""
    floor = None if watermark is None else watermark - LATENESS - W_MAX
    seen = dict(applied)
    counted, late = set(), set()
    for position, event_id, event in sorted(batch, key=lambda x: x[0]):
        t = event[1]
        if event_id in seen:
            continue  # a duplicate
        if (floor is not None and t < floor) or any(
                p < position and t < u - LATENESS for p, u in seen.values()):
            late.add(event_id)
        else:
            seen[event_id] = (position, t)
            counted.add(event_id)
    return counted, late


@pytest.mark.parametrize("seed", [21, 22])
def test_workers_applying_in_any_order_match_the_rule(state, seed: int) -> None:
    rng = random.Random(seed)
    timeline = sorted(events(seed, 500), key=lambda e: e[1])
    # the log: arrival shuffled within the lateness, 4% arriving an hour late, 5% of the
    # events published again a little later
    order = sorted(range(len(timeline)), key=lambda i: timeline[i][1] + (
        HOUR if rng.random() < 0.04 else rng.randrange(0, LATENESS)))
    for i in rng.sample(order, 25):
        order.insert(min(len(order), order.index(i) + rng.randint(1, 30)), i)
    log = [(p, f"e{i}", timeline[i]) for p, i in enumerate(order)]
    batches = [log[s:s + 20] for s in range(0, len(log), 20)]
    # workers: each batch applied up to 3 batches out of place, 10% of them again later
    # (a dead worker's, redelivered)
    plan = sorted(range(len(batches)), key=lambda b: b + rng.uniform(0, 3))
    for b in rng.sample(range(len(batches)), len(batches) // 10):
        plan.insert(min(len(plan), plan.index(b) + rng.randint(1, 6)), b)
    applied: dict[str, tuple[int, int]] = {}
    counted: dict[str, tuple] = {}
    watermark, late_total = None, 0
    for step, b in enumerate(plan):
        fresh_ids, late = _judge(applied, watermark, batches[b])
        result = state.apply(VIEW, logged(batches[b]))
        assert set(result.too_late_ids) == late
        fresh = {i: e for _, i, e in batches[b] if i in fresh_ids}
        assert result.applied == len(fresh)
        for position, event_id, event in batches[b]:
            if event_id in fresh:
                applied.setdefault(event_id, (position, event[1]))
                counted[event_id] = event
        late_total += len(late)
        watermark = max([watermark or 0, *(e[1] for e in fresh.values())])
        horizon = watermark - LATENESS - W_MAX  # pruned: forgotten, and too late from now
        applied = {i: v for i, v in applied.items() if v[1] >= horizon}
        if step % 10 == 9 or step == len(plan) - 1:
            # as of now: log-earlier events may still come and count (lenient), so the
            # windows are compared with the events counted so far
            check_served(_serve_all(state, counted), list(counted.values()))
    assert late_total > 0, "the plan must include events too late in log order"
