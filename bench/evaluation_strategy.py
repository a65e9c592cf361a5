"""Evaluation-strategy benchmark: ratios measured in one run, on a seeded synthetic shop held in memory.

1. Evaluating touched customers once at the end versus after every page (what the sync design
   avoids): wall time ratio, customer evaluations, and how many ledger entries the partial
   histories of per-page evaluation add that a whole-history evaluation never would.
2. ``workers=4`` versus ``workers=1`` against a shop with a fixed latency per request, sharing one
   request budget: the speed-up parallel windows give while staying within the budget.

Run: ``.venv/bin/python bench/evaluation_strategy.py [--orders 2000] [--customers 150] [--latency-ms 10]
[--json]``. With ``--json`` its ``ratio`` is our time (evaluation once at the end) divided by the
baseline's (evaluation after every page). ``bench/backfill.py`` measures a backfill over HTTP.
"""

from __future__ import annotations

import argparse
import bisect
import json
import sqlite3
import tempfile
import time
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from loyalty_connector.adapter import Capabilities, Cursor, Page, ReadRecord, Record, Stream
from loyalty_connector.domain import CustomerGroup
from loyalty_connector.engine.customer import CustomerEvaluator
from loyalty_connector.http import RequestBudget
from loyalty_connector.program import Program, parse_program
from loyalty_connector.store.sqlite import SqliteStore
from loyalty_connector.sync import Backfill, ProgressEvent, evaluate_dirty
from loyalty_connector.synthetic import generate_history

SOURCE = "bench"
SINCE = datetime(2023, 12, 1, tzinfo=timezone.utc)
UNTIL = datetime(2026, 12, 1, tzinfo=timezone.utc)
NOW = datetime(2026, 12, 1, tzinfo=timezone.utc)
SECRET = b"bench-referral-secret"
PROGRAM = """
name: Benchmark programme
currency: EUR
timezone: Europe/Berlin
foreign_currency: exclude
points:
  earn: [{id: spend, rate: 1, pending_days: 14}]
  bonuses: [{id: first-order, points: 100}]
  expiry_days: 365
levels:
  levels:
    - {id: bronze, name: Bronze, customer_group: Bronze, min_orders: 1}
    - {id: silver, name: Silver, customer_group: Silver, min_spend: 20000, min_orders: 3}
    - {id: gold, name: Gold, customer_group: Gold, min_spend: 60000, min_orders: 6}
coupons:
  birthday: {id: birthday, discount: {percent: 5}}
  next_purchase: [{id: thanks, discount: {amount: 10}, valid_days: 60, min_subtotal: 500}]
"""


class MemoryShop:
    """A read-only shop in memory: each stream sorted by keyset position, read with bisect."""

    def __init__(self, records: dict[Stream, Sequence[Record]], latency: float) -> None:
        self.latency = latency
        self.rows: dict[Stream, list[tuple[Cursor, Record]]] = {}
        for stream, items in records.items():
            self.rows[stream] = sorted(
                ((Cursor(r.updated_at, int(r.external_id)), r) for r in items), key=lambda row: row[0]
            )
        self.keys = {stream: [position for position, _ in rows] for stream, rows in self.rows.items()}
        self.requests = 0


class MemoryAdapter:
    """The ShopAdapter protocol over a :class:`MemoryShop`, with a fixed latency per request."""

    def __init__(self, shop: MemoryShop, budget: RequestBudget | None) -> None:
        self.shop = shop
        self.budget = budget
        self.source = SOURCE

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities(max_page_size=100)

    def read(self, stream: Stream, cursor: Cursor, limit: int, *, until: datetime | None = None) -> Page:
        if self.budget is not None:
            self.budget.acquire()
        if self.shop.latency:
            time.sleep(self.shop.latency)  # a benchmark simulating the network, not a test
        self.shop.requests += 1
        start = bisect.bisect_right(self.shop.keys[stream], cursor)
        rows = self.shop.rows[stream][start : start + limit]
        if until is not None:
            rows = [row for row in rows if row[0].changed_at < until]
        items = tuple(ReadRecord(position, record.external_id, record) for position, record in rows)
        return Page(items=items, has_more=len(items) == limit)

    def read_groups(self) -> list[CustomerGroup]:
        return [CustomerGroup(source=SOURCE, external_id=str(n), code=f"G{n}") for n in range(4)]

    def read_managed(self, kinds: Any) -> list[Any]:
        return []

    def write_managed(self, changes: Any) -> list[Any]:
        return []

    def close(self) -> None:
        return None


def _backfill(
    path: Path, shop: MemoryShop, program: Program, *, workers: int = 1, per_page: bool = False
) -> tuple[float, float, int, list[tuple[str, int]]]:
    """One backfill into a fresh store: (seconds, seconds reading, customer evaluations, ledger)."""
    store = SqliteStore(path)
    evaluator = CustomerEvaluator(program)
    evaluations = 0
    reading = 0.0

    class Counting:
        def evaluate(self, *args: Any, **kwargs: Any) -> Any:
            nonlocal evaluations
            evaluations += 1
            return evaluator.evaluate(*args, **kwargs)

    counting = Counting()

    def after_page(event: ProgressEvent) -> None:
        nonlocal reading
        reading = event.elapsed_seconds
        if per_page:
            evaluate_dirty(store, program, SOURCE, evaluator=counting, now=NOW, referral_secret=SECRET)

    budget = RequestBudget(rate=1000.0, burst=workers)
    began = time.perf_counter()
    Backfill(
        store,
        lambda shared: MemoryAdapter(shop, shared),
        program,
        since=SINCE,
        until=UNTIL,
        window=timedelta(days=90),
        workers=workers,
        budget=budget,
        evaluator=counting,
        referral_secret=SECRET,
        clock=lambda: NOW,
        on_progress=after_page,
    ).run()
    seconds = time.perf_counter() - began
    store.close()
    entries = sqlite3.connect(path).execute("SELECT key, points FROM ledger ORDER BY key").fetchall()
    return seconds, reading, evaluations, entries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--customers", type=int, default=150)
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--latency-ms", type=float, default=10.0)
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    args = parser.parse_args()
    history = generate_history(
        seed=7, customers=args.customers, orders=args.orders, source=SOURCE,
        start=datetime(2024, 1, 1, tzinfo=timezone.utc), end=datetime(2026, 11, 1, tzinfo=timezone.utc),
    )  # fmt: skip
    records: dict[Stream, Sequence[Record]] = {
        Stream.CUSTOMERS: history.customers,
        Stream.ORDERS: history.orders,
        Stream.REFUNDS: history.refunds,
    }
    program = parse_program(PROGRAM)
    total = sum(len(items) for items in records.values())
    latency = args.latency_ms / 1000
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        at_end = _backfill(folder / "end.db", MemoryShop(records, 0.0), program)
        per_page = _backfill(folder / "page.db", MemoryShop(records, 0.0), program, per_page=True)
        one = _backfill(folder / "one.db", MemoryShop(records, latency), program, workers=1)
        four = _backfill(folder / "four.db", MemoryShop(records, latency), program, workers=4)
    spurious = len(set(per_page[3]) - set(at_end[3]))
    if args.json:
        print(json.dumps({
            "ratio": round(at_end[0] / per_page[0], 3),
            "records": total,
            "records_per_second": round(total / at_end[0], 1),
            "per_page_time_ratio": round(per_page[0] / at_end[0], 3),
            "per_page_evaluations_ratio": round(per_page[2] / max(at_end[2], 1), 3),
            "per_page_spurious_entries": spurious,
            "workers_4_reading_speedup": round(one[1] / four[1], 3),
            "workers_4_total_speedup": round(one[0] / four[0], 3),
            "identical_ledgers": one[3] == four[3],
        }))  # fmt: skip
        return
    print(f"synthetic shop: {len(history.customers)} customers, {len(history.orders)} orders, "
          f"{len(history.refunds)} refunds ({total} records)")  # fmt: skip
    print("\n1. evaluation once at the end vs after every page (no latency)")
    print(f"   at the end:      {at_end[0]:7.2f} s  {at_end[2]:6d} customer evaluations  "
          f"{len(at_end[3]):6d} ledger entries  {total / at_end[0]:8.0f} records/s")  # fmt: skip
    print(f"   after each page: {per_page[0]:7.2f} s  {per_page[2]:6d} customer evaluations  "
          f"{len(per_page[3]):6d} ledger entries")  # fmt: skip
    print(f"   time ratio per-page / at-end: {per_page[0] / at_end[0]:.1f}x; "
          f"evaluations ratio: {per_page[2] / max(at_end[2], 1):.1f}x; "
          f"entries only partial histories produced: {spurious}")  # fmt: skip
    print(f"\n2. parallel windows with {args.latency_ms:g} ms per request (shared budget of 1000 req/s)")
    print(f"   reading:  workers=1 {one[1]:6.2f} s   workers=4 {four[1]:6.2f} s   "
          f"speed-up {one[1] / four[1]:.1f}x")  # fmt: skip
    print(f"   in total: workers=1 {one[0]:6.2f} s   workers=4 {four[0]:6.2f} s   "
          f"speed-up {one[0] / four[0]:.1f}x (evaluation runs once, after reading)")  # fmt: skip
    print(f"   identical ledgers with 1 and 4 workers: {one[3] == four[3]} ({len(one[3])} entries)")


if __name__ == "__main__":
    main()
