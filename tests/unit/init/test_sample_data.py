"""The starter's sample data: repeatable for one seed and "now", recent, and consistent
(returns of real orders, reported after them and before now)."""

from __future__ import annotations

import csv
from datetime import datetime, timedelta
from pathlib import Path

from featureops.init.sample_data import TIME_FORMAT, generate_sample_data, write_seeds

NOW = datetime(2031, 5, 17, 9, 30, 12)


def _seed_files(tmp_path: Path, name: str, seed: int) -> list[bytes]:
    return [path.read_bytes()
            for path in write_seeds(generate_sample_data(NOW, seed=seed), tmp_path / name)]


def test_same_seed_and_now_give_the_same_files(tmp_path: Path) -> None:
    first, again = _seed_files(tmp_path, "a", 7), _seed_files(tmp_path, "b", 7)
    assert first == again
    assert _seed_files(tmp_path, "c", 8) != first


def test_orders_cover_the_days_before_now() -> None:
    data = generate_sample_data(NOW, seed=3, customers=400, days=60)
    times = [order.ordered_at for order in data.orders]
    assert min(times) >= NOW - timedelta(days=60) and max(times) < NOW
    # recent data: ttl and freshness windows of a fresh project are not empty
    assert max(times) > NOW - timedelta(hours=1)
    assert sum(t >= NOW - timedelta(days=7) for t in times) > 500
    # ids follow time, every customer id is in range, the rate is what the profiles say
    assert [order.order_id for order in data.orders] == list(range(1001, 1001 + len(times)))
    assert times == sorted(times)
    assert {order.customer_id for order in data.orders} <= set(range(1, 401))
    assert 400 * 0.35 * 60 * 0.9 < len(times) < 400 * 0.35 * 60 * 1.1
    assert {order.channel for order in data.orders} == {"web", "app"}
    assert all(order.amount > 0 for order in data.orders)
    regular = [t for order, t in zip(data.orders, times, strict=True) if order.customer_id == 1]
    assert max(regular) > NOW - timedelta(days=3)


def test_returns_are_of_real_orders_and_already_reported() -> None:
    data = generate_sample_data(NOW, seed=11)
    placed = {order.order_id: order.ordered_at for order in data.orders}
    assert 0.05 * len(placed) < len(data.returns) < 0.3 * len(placed)
    assert len({item.order_id for item in data.returns}) == len(data.returns)
    for item in data.returns:
        assert placed[item.order_id] + timedelta(days=1) <= item.returned_at < NOW


def test_csv_files_read_back(tmp_path: Path) -> None:
    data = generate_sample_data(NOW, seed=5)
    orders_path, returns_path = write_seeds(data, tmp_path)
    with orders_path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["order_id", "customer_id", "ordered_at", "amount", "channel"]
    assert len(rows) == len(data.orders)
    first = data.orders[0]
    assert rows[0] == {"order_id": str(first.order_id), "customer_id": str(first.customer_id),
                       "ordered_at": first.ordered_at.strftime(TIME_FORMAT),
                       "amount": f"{first.amount:.2f}", "channel": first.channel}
    assert returns_path.read_text(encoding="utf-8").splitlines()[0] == "order_id,returned_at"
