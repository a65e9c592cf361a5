"""Evaluation batches are capped by stored orders as well as by customers, with the same ledger."""

from __future__ import annotations

from datetime import timedelta

from sync_fakes import NOW, SECRET, T0, FakeAdapter, FakeShop, FixedClock, customer, order, program, snapshot

from loyalty_connector.adapter import Cursor, Stream
from loyalty_connector.engine.customer import CustomerEvaluator
from loyalty_connector.store import SYNC_SCOPE, PageWrite
from loyalty_connector.store.sqlite import SqliteStore
from loyalty_connector.sync import SyncRunner

ORDERS_OF = {1: 1, 2: 30, 3: 2, 4: 2, 5: 2, 6: 45, 7: 1, 8: 3}
"""Customer number -> orders: two heavy customers among light ones, like a Pareto shop."""


def skewed_shop() -> FakeShop:
    shop = FakeShop()
    number = 100
    for n, count in ORDERS_OF.items():
        shop.put(customer(n, T0 + timedelta(minutes=n)))
        for k in range(count):
            number += 1
            changed = T0 + timedelta(hours=1, minutes=number)
            shop.put(order(number, str(n), changed, placed=T0 + timedelta(days=k)))
    return shop


class RecordingStore(SqliteStore):
    """Remembers how many orders each batch of histories loaded for evaluation."""

    def __init__(self, path) -> None:
        super().__init__(path)
        self.batches: list[list[int]] = []

    def histories(self, source, customer_keys):
        found = super().histories(source, customer_keys)
        self.batches.append([len(history.orders) for history in found.values()])
        return found


def sync(store: SqliteStore, **limits: int) -> None:
    SyncRunner(
        store,
        FakeAdapter(skewed_shop()),
        program(),
        evaluator=CustomerEvaluator(program()),
        referral_secret=SECRET,
        clock=FixedClock(NOW),
        **limits,
    ).run()


def test_due_customers_come_with_their_stored_order_counts(tmp_path):
    store = SqliteStore(tmp_path / "loyalty.db")
    shop = skewed_shop()
    for stream in (Stream.CUSTOMERS, Stream.ORDERS):
        page = shop.read(stream, Cursor.at(T0 - timedelta(days=1)), 1000, None)
        store.apply_page(PageWrite("fake", stream, SYNC_SCOPE, page.items, page.last_position, NOW))
    due = store.due_customers("fake", NOW, after="", limit=100)
    assert {d.customer_key: d.orders for d in due} == {str(n): count for n, count in ORDERS_OF.items()}
    store.close()


def test_a_batch_holds_no_more_orders_than_the_cap_past_its_first_customer(tmp_path):
    store = RecordingStore(tmp_path / "capped.db")
    sync(store, evaluation_batch=100, evaluation_orders=10)
    main = store.batches  # no referrals in this shop: one histories() call per batch
    assert sorted(n for batch in main for n in batch) == sorted(ORDERS_OF.values()), "everyone once"
    for batch in main:
        assert sum(batch) <= 10 or len(batch) == 1, batch
    assert [45] in main, "a customer heavier than the cap is evaluated alone"
    store.close()


def test_capping_batches_by_orders_changes_nothing_in_the_store(tmp_path):
    capped = SqliteStore(tmp_path / "capped.db")
    sync(capped, evaluation_batch=100, evaluation_orders=3)
    whole = SqliteStore(tmp_path / "whole.db")
    sync(whole, evaluation_batch=100, evaluation_orders=1_000_000)
    assert snapshot(capped.path)["ledger"], "the comparison must cover a real ledger"
    assert snapshot(capped.path) == snapshot(whole.path)
    capped.close()
    whole.close()
