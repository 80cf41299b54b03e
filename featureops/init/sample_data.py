"""The starter's sample data: a small shop's orders and the returns reported so far, over
the days before "now", so that ttl, freshness and the monitoring windows of a fresh
project see recent data. The same seed and now give the same rows."""

from __future__ import annotations

import csv
import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
CHANNELS = ("web", "app")
#: Orders per day of customer 1, a regular.
REGULAR_RATE = 1.0


@dataclass(frozen=True)
class Order:
    order_id: int
    customer_id: int
    ordered_at: datetime
    amount: float
    channel: str


@dataclass(frozen=True)
class Return:
    order_id: int
    returned_at: datetime


@dataclass(frozen=True)
class SampleData:
    orders: list[Order]
    returns: list[Return]


@dataclass(frozen=True)
class _Customer:
    customer_id: int
    orders_per_day: float
    typical_amount: float
    return_rate: float
    app_share: float


def generate_sample_data(now: datetime, seed: int = 42, customers: int = 400,
                         days: int = 60) -> SampleData:
    """Orders of ``customers`` customers over the ``days`` before ``now`` (naive UTC, whole
    seconds), each a Poisson process at the customer's own rate, and the returns reported
    before ``now``. Stationary: the monitors of a fresh project find nothing to report."""
    rng = random.Random(seed)
    end = now.replace(microsecond=0)
    start = end - timedelta(days=days)
    placed: list[tuple[datetime, int, float, str]] = []
    profiles = [_customer(rng, customer_id) for customer_id in range(1, customers + 1)]
    for customer in profiles:
        times = _order_times(rng, customer, start, end)
        for ordered_at in times:
            amount = round(customer.typical_amount * rng.lognormvariate(0.0, 0.4), 2)
            channel = CHANNELS[1] if rng.random() < customer.app_share else CHANNELS[0]
            placed.append((ordered_at, customer.customer_id, amount, channel))
    placed.sort(key=lambda row: (row[0], row[1]))
    orders = [Order(1001 + index, customer_id, ordered_at, amount, channel)
              for index, (ordered_at, customer_id, amount, channel) in enumerate(placed)]
    by_id = {customer.customer_id: customer for customer in profiles}
    returns = []
    for order in orders:
        customer = by_id[order.customer_id]
        # Larger orders than usual come back more often; a return is reported days later
        # and only those reported by now are known.
        chance = min(0.9, customer.return_rate * order.amount / customer.typical_amount)
        if rng.random() < chance:
            returned_at = order.ordered_at + timedelta(seconds=rng.randint(86_400, 20 * 86_400))
            if returned_at < end:
                returns.append(Return(order.order_id, returned_at))
    returns.sort(key=lambda item: (item.returned_at, item.order_id))
    return SampleData(orders, returns)


def _customer(rng: random.Random, customer_id: int) -> _Customer:
    # Customer 1 orders about daily, so the README's lookup example finds fresh features.
    rate = rng.uniform(0.1, 0.6)
    return _Customer(customer_id, orders_per_day=REGULAR_RATE if customer_id == 1 else rate,
                     typical_amount=round(rng.lognormvariate(3.5, 0.5), 2),
                     return_rate=rng.uniform(0.02, 0.25), app_share=rng.random())


def _order_times(rng: random.Random, customer: _Customer, start: datetime,
                 end: datetime) -> list[datetime]:
    """A Poisson process of orders in [start, end), whole seconds."""
    span = int((end - start).total_seconds())
    times, offset = [], 0.0
    while True:
        offset += rng.expovariate(customer.orders_per_day) * 86_400
        if offset >= span:
            break
        times.append(start + timedelta(seconds=int(offset)))
    return times


def write_seeds(data: SampleData, seeds_dir: Path) -> list[Path]:
    """raw_orders.csv and raw_returns.csv in ``seeds_dir``."""
    orders_path, returns_path = seeds_dir / "raw_orders.csv", seeds_dir / "raw_returns.csv"
    _write_csv(orders_path, ("order_id", "customer_id", "ordered_at", "amount", "channel"),
               ((o.order_id, o.customer_id, o.ordered_at.strftime(TIME_FORMAT),
                 f"{o.amount:.2f}", o.channel) for o in data.orders))
    _write_csv(returns_path, ("order_id", "returned_at"),
               ((r.order_id, r.returned_at.strftime(TIME_FORMAT)) for r in data.returns))
    return [orders_path, returns_path]


def _write_csv(path: Path, header: tuple[str, ...], rows: Iterable[tuple[object, ...]]
               ) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
