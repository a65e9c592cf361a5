"""Incremental sync: keyset pages committed with their cursor, look-back, evaluation of touched customers."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from sync_fakes import (
    NOW,
    SECRET,
    SOURCE,
    T0,
    CountingEvaluator,
    FakeAdapter,
    FakeShop,
    code_of,
    customer,
    order,
    program,
    refund,
    snapshot,
)

from loyalty_connector.adapter import Cursor, Stream
from loyalty_connector.domain import OrderStatus
from loyalty_connector.engine.results import IntentKind
from loyalty_connector.errors import ConflictError, PagingError
from loyalty_connector.ledger import balance, history, pending, record_redemption
from loyalty_connector.store import SYNC_SCOPE
from loyalty_connector.sync import SyncRunner, retry_quarantined
from loyalty_connector.sync.runner import describe_failure


def runner(store, shop, clock, evaluator=None, **kwargs):
    return SyncRunner(
        store,
        FakeAdapter(shop),
        program(),
        evaluator=evaluator or CountingEvaluator(),
        referral_secret=SECRET,
        clock=clock,
        **kwargs,
    )


def stored(store, stream):
    return {record.external_id: record for record in store.records(SOURCE, stream)}


def test_first_sync_stores_every_record_and_checkpoints_the_last_position(store, shop, clock):
    for n in range(1, 4):
        shop.put(customer(n, T0 + timedelta(minutes=n)))
        shop.put(order(100 + n, str(n), T0 + timedelta(hours=n)))
    report = runner(store, shop, clock).run()
    assert report.streams[Stream.CUSTOMERS].inserted == 3
    assert report.streams[Stream.ORDERS].inserted == 3
    assert report.customers_evaluated == 3
    assert report.ledger_entries_added == 3
    assert stored(store, Stream.ORDERS) == shop.records(Stream.ORDERS)
    assert store.checkpoint(SOURCE, Stream.ORDERS, SYNC_SCOPE) == Cursor(T0 + timedelta(hours=3), 103)
    assert store.checkpoint(SOURCE, Stream.REFUNDS, SYNC_SCOPE) is None
    assert store.customer_groups(SOURCE) == list(shop.groups), "the groups read for evaluation are kept"
    [run] = store.runs(SOURCE)
    assert (run.kind, run.status, run.counts["ledger_entries_added"]) == ("sync", "ok", 3)
    assert store.lock_of(SOURCE) is None


def test_syncing_twice_rereads_only_the_look_back_and_changes_nothing(store, shop, clock, engine):
    shop = FakeShop.generated(seed=3)
    runner(store, shop, clock, engine).run()
    before = snapshot(store.path)
    shop.reads.clear()
    report = runner(store, shop, clock, engine).run()
    assert snapshot(store.path) == before
    assert report.ledger_entries_added == 0
    assert report.customers_evaluated == 0
    assert report.totals.inserted == report.totals.updated == 0
    assert report.totals.unchanged == report.totals.read - report.totals.quarantined
    newest = max(row.position.changed_at for row in shop.rows[Stream.ORDERS].values())
    first_order_read = next(cursor for stream, cursor, _ in shop.reads if stream is Stream.ORDERS)
    assert first_order_read == Cursor.at(newest - timedelta(minutes=5))


def test_a_row_committed_late_inside_the_look_back_is_caught(store, shop, clock):
    shop.put(order(1, "1", T0 + timedelta(minutes=10)))
    runner(store, shop, clock).run()
    shop.put(order(2, "1", T0 + timedelta(minutes=7)))
    report = runner(store, shop, clock).run()
    assert report.streams[Stream.ORDERS].inserted == 1
    assert report.streams[Stream.ORDERS].unchanged == 1
    assert set(stored(store, Stream.ORDERS)) == {"1", "2"}
    assert store.checkpoint(SOURCE, Stream.ORDERS, SYNC_SCOPE) == Cursor(T0 + timedelta(minutes=10), 1)


def test_more_records_sharing_one_timestamp_than_fit_in_a_page_are_all_read_once(store, shop, clock):
    for n in range(1, 24):
        shop.put(order(n, str(n % 4), T0))
    report = runner(store, shop, clock, page_size=5).run()
    assert report.streams[Stream.ORDERS].read == 23
    assert report.streams[Stream.ORDERS].pages == 5
    assert len(stored(store, Stream.ORDERS)) == 23
    order_reads = [cursor for stream, cursor, _ in shop.reads if stream is Stream.ORDERS]
    assert order_reads[1:] == [Cursor(T0, n) for n in (5, 10, 15, 20)]


def test_records_changed_during_a_sync_are_neither_lost_nor_duplicated(store, clock, engine):
    shop = FakeShop.generated(seed=5)
    touched: dict[str, int] = {}

    def mutate(shop: FakeShop, number: int) -> None:
        ids = sorted(shop.rows[Stream.ORDERS], key=lambda i: shop.rows[Stream.ORDERS][i].position)
        target = ids[(number * 7) % len(ids)]
        if number % 3 or shop.rows[Stream.ORDERS][target].record is None:
            return
        at = NOW - timedelta(days=1) + timedelta(minutes=number)
        shop.touch(Stream.ORDERS, target, at, status=OrderStatus.CANCELED)
        touched[target] = number

    shop.after_read = mutate
    runner(store, shop, clock, engine).run()
    shop.after_read = None
    last_order_read = max(n for n, (stream, _, _) in enumerate(shop.reads, 1) if stream is Stream.ORDERS)
    during = {target for target, number in touched.items() if number < last_order_read}
    assert len(during) >= 5
    late = set(touched) - during
    in_store = stored(store, Stream.ORDERS)
    in_shop = shop.records(Stream.ORDERS)
    assert {k: v for k, v in in_store.items() if k not in late} == {
        k: v for k, v in in_shop.items() if k not in late
    }
    assert all(in_store[target].status is OrderStatus.CANCELED for target in during)
    keys = [entry.key for entry in history(store, SOURCE)]
    assert len(keys) == len(set(keys))
    runner(store, shop, clock, engine).run()
    assert stored(store, Stream.ORDERS) == shop.records(Stream.ORDERS)


def test_a_page_out_of_keyset_order_stops_the_run_and_commits_nothing_of_it(store, shop, clock):
    for n in range(1, 6):
        shop.put(order(n, "1", T0 + timedelta(minutes=n)))
    shop.misbehave = "reorder"
    with pytest.raises(PagingError, match="out of keyset order"):
        runner(store, shop, clock).run()
    assert stored(store, Stream.ORDERS) == {}
    assert store.checkpoint(SOURCE, Stream.ORDERS, SYNC_SCOPE) is None
    [run] = store.runs(SOURCE)
    assert run.status == "failed"
    assert "out of keyset order" in run.error
    assert store.lock_of(SOURCE) is None


def test_a_full_page_that_does_not_move_the_cursor_stops_instead_of_looping(store, shop, clock):
    shop.misbehave = "stuck"
    with pytest.raises(PagingError, match="cursor cannot move"):
        runner(store, shop, clock).run()
    assert len(shop.reads) == 1


def test_an_unreadable_record_is_quarantined_and_the_run_goes_on(store, shop, clock):
    shop.put(order(1, "1", T0))
    shop.put_bad(Stream.ORDERS, "2", T0 + timedelta(minutes=1), "unknown state 'limbo'")
    shop.put(order(3, "1", T0 + timedelta(minutes=2)))
    report = runner(store, shop, clock).run()
    assert report.quarantined == 1
    assert set(stored(store, Stream.ORDERS)) == {"1", "3"}
    [held] = store.quarantined(SOURCE)
    assert (held.stream, held.external_id, held.reason) == (Stream.ORDERS, "2", "unknown state 'limbo'")
    assert held.raw is not None
    assert store.runs(SOURCE)[0].counts["streams"]["orders"]["quarantined"] == 1


def test_retry_rereads_a_quarantined_record_once_the_mapping_can_read_it(store, shop, clock):
    shop.put_bad(Stream.ORDERS, "2", T0)
    for n in range(3, 9):
        shop.put(order(n, "1", T0 + timedelta(hours=n)))
    runner(store, shop, clock).run()
    assert [q.external_id for q in store.quarantined(SOURCE)] == ["2"]
    shop.put(order(2, "1", T0))  # the adapter was fixed: same record, same position, now readable
    assert runner(store, shop, clock).run().quarantined == 0
    assert [q.external_id for q in store.quarantined(SOURCE)] == ["2"], "beyond the look-back: not re-read"
    assert retry_quarantined(store, SOURCE, at=NOW) == {Stream.ORDERS: Cursor(T0, 1)}
    report = runner(store, shop, clock).run()
    assert report.streams[Stream.ORDERS].resolved == 1
    assert report.streams[Stream.ORDERS].inserted == 1
    assert report.streams[Stream.ORDERS].unchanged == 6
    assert store.quarantined(SOURCE) == []
    assert "2" in stored(store, Stream.ORDERS)


def test_a_second_concurrent_run_fails_at_once_with_a_conflict(store, shop, clock):
    shop.put(order(1, "1", T0))
    store.begin_run("backfill", SOURCE, NOW)
    with pytest.raises(ConflictError, match=f"another backfill of source {SOURCE} is running"):
        runner(store, shop, clock).run()
    assert shop.reads == []


def test_each_touched_customer_is_evaluated_once_per_run_however_many_pages_touched_it(store, shop, clock):
    evaluator = CountingEvaluator()
    shop.put(customer(1))
    for n in range(1, 30):
        shop.put(order(n, "1", T0 + timedelta(minutes=n)))
    shop.put(order(99, None, T0))
    report = runner(store, shop, clock, evaluator, page_size=4).run()
    assert report.streams[Stream.ORDERS].pages == 8
    assert evaluator.calls == ["1"], "guests are never evaluated"
    runner(store, shop, clock, evaluator).run()
    assert evaluator.calls == ["1"], "nothing changed and nothing is due"


def test_refunds_and_cancellations_are_recorded_as_reversal_entries(store, shop, clock, engine):
    shop.put(customer(1))
    shop.put(order(10, "1", T0, amount="300.00"))
    shop.put(order(11, "1", T0 + timedelta(days=1), amount="100.00"))
    runner(store, shop, clock, engine).run()
    earned = balance(store, SOURCE, "1", NOW)
    assert earned == 300 + 100 + 100  # spend points plus the first-order bonus
    shop.put(refund(5, "10", T0 + timedelta(days=20), amount="150.00"))
    shop.touch(Stream.ORDERS, "11", T0 + timedelta(days=21), status=OrderStatus.CANCELED)
    report = runner(store, shop, clock, engine).run()
    reversals = history(store, SOURCE, "1", kinds=[IntentKind.REVERSAL])
    assert {entry.record for entry in reversals} == {"refund:5", "order:11"}
    assert all(entry.points < 0 and entry.reverses for entry in reversals)
    assert report.ledger_entries_added == len(reversals)
    assert balance(store, SOURCE, "1", NOW) == earned - 150 - 100


def test_customers_due_for_review_are_re_evaluated_without_any_shop_change(store, shop, clock, engine):
    shop.put(customer(1))
    shop.put(order(10, "1", T0, amount="300.00"))
    clock.now = T0 + timedelta(days=1)
    runner(store, shop, clock, engine).run()
    assert pending(store, SOURCE, "1", clock.now) == 300, "spend points are pending for 14 days"
    assert balance(store, SOURCE, "1", clock.now) == 100, "the first-order bonus is not"
    [(next_review,)] = sqlite3.connect(store.path).execute("SELECT next_review_at FROM customer_reviews")
    assert next_review == (T0 + timedelta(days=14)).isoformat(timespec="microseconds"), (
        "when the points unlock"
    )
    clock.now = T0 + timedelta(days=500)
    report = runner(store, shop, clock, engine).run()
    assert report.totals.inserted == report.totals.updated == 0
    assert report.customers_evaluated == 1
    assert history(store, SOURCE, "1", kinds=[IntentKind.EXPIRY])
    assert balance(store, SOURCE, "1", clock.now) == 0


def test_a_referees_order_makes_the_referrer_earn_in_the_same_run(store, shop, clock, engine):
    shop.put(customer(1))
    shop.put(order(10, "1", T0 - timedelta(days=100)))
    runner(store, shop, clock, engine).run()
    shop.put(customer(2, T0, company="Andere AG", email="info@andere.example", vat_id="DE999999999"))
    shop.put(order(20, "2", T0, coupons=(code_of("1").lower(),)))
    runner(store, shop, clock, engine).run()
    rewards = history(store, SOURCE, "1", kinds=[IntentKind.REFERRAL_REWARD])
    assert [entry.points for entry in rewards] == [500]


def test_a_referral_reward_is_paid_at_payout_without_any_shop_change(store, shop, clock, engine):
    shop.put(customer(1))
    shop.put(order(10, "1", T0 - timedelta(days=100)))
    shop.put(order(20, None, NOW - timedelta(days=1), email="chef@neukunde.example", coupons=(code_of("1"),)))
    runner(store, shop, clock, engine).run()
    assert history(store, SOURCE, "1", kinds=[IntentKind.REFERRAL_REWARD]) == []
    clock.now = NOW + timedelta(days=14)
    report = runner(store, shop, clock, engine).run()
    assert report.totals.inserted == report.totals.updated == 0
    rewards = history(store, SOURCE, "1", kinds=[IntentKind.REFERRAL_REWARD])
    assert [entry.points for entry in rewards] == [500]


def test_one_customer_failing_evaluation_does_not_stop_the_others(store, shop, clock):
    evaluator = CountingEvaluator(fail_for=frozenset({"2"}))
    for n in (1, 2, 3):
        shop.put(order(n, str(n), T0))
        shop.put(customer(n))
    report = runner(store, shop, clock, evaluator).run()
    assert report.evaluation.failed == ("2",)
    assert {entry.customer_key for entry in history(store, SOURCE)} == {"1", "3"}
    evaluator.fail_for = frozenset()
    assert runner(store, shop, clock, evaluator).run().customers_evaluated == 1


def test_referees_are_found_by_their_orders_coupon_codes(store, shop, clock):
    evaluator = CountingEvaluator()
    shop.put(customer(1))
    shop.put(order(20, None, T0, email="Boss@NewClient.example", coupons=(code_of("1").lower(),)))
    shop.put(order(21, "3", T0, coupons=(code_of("1"),)))
    shop.put(customer(3, email="einkauf@drei.example"))
    runner(store, shop, clock, evaluator).run()
    assert evaluator.referees["1"] == ("boss@newclient.example", "einkauf@drei.example")
    assert store.referral_codes(SOURCE, ["1", "3"]) == {"1": code_of("1"), "3": code_of("3")}


def test_progress_is_reported_after_every_page(store, shop, clock):
    events = []
    for n in range(1, 10):
        shop.put(order(n, "1", T0 + timedelta(minutes=n)))
    runner(store, shop, clock, page_size=4, on_progress=events.append).run()
    reads = [e for e in events if e.phase == "read"]
    assert [e.records_done for e in reads] == [4, 8, 9]
    assert events[-1].phase == "evaluate"
    assert events[-1].windows_done == events[-1].windows_total == 3


def test_a_recorded_redemption_is_counted_once_when_the_engine_replays_it(store, shop, clock, engine):
    shop.put(customer(1))
    shop.put(order(10, "1", T0 - timedelta(days=60), amount="300.00"))
    runner(store, shop, clock, engine).run()
    assert balance(store, SOURCE, "1", NOW) == 400
    assert record_redemption(store, SOURCE, "1", 250, NOW - timedelta(days=1), reference="R-1")
    report = runner(store, shop, clock, engine).run()
    assert report.customers_evaluated == 1, "recording a redemption marks the customer"
    assert len(history(store, SOURCE, "1", kinds=[IntentKind.REDEMPTION])) == 1
    assert balance(store, SOURCE, "1", NOW) == 150


def test_the_referral_secret_is_never_written_to_the_store(store, shop, clock, engine):
    shop.put(customer(1))
    shop.put(order(10, "1", T0))
    runner(store, shop, clock, engine).run()
    store.close()
    files = [Path(store.path), Path(store.path + "-wal")]
    assert all(SECRET not in path.read_bytes() for path in files if path.exists())


def test_a_failure_is_recorded_under_its_nearest_public_class_name():
    class _Refused(ConflictError):
        pass

    status, error = describe_failure(_Refused("the shop refused the token\nsecond line"))
    assert (status, error) == ("failed", "ConflictError: the shop refused the token")
    assert describe_failure(KeyboardInterrupt())[0] == "interrupted"
