"""Backfill: windows with their own checkpoints, resuming only the gaps, parallel workers, dry runs."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone

import pytest
from sync_fakes import NOW, SECRET, SOURCE, FakeAdapter, FakeShop, FixedClock, program, snapshot

from loyalty_connector.adapter import Cursor, Stream
from loyalty_connector.errors import ConflictError, ShopUnavailableError
from loyalty_connector.http import RequestBudget
from loyalty_connector.store import SYNC_SCOPE, PageWrite, Window
from loyalty_connector.store.sqlite import SqliteStore
from loyalty_connector.sync import Backfill, SyncRunner, plan_windows
from loyalty_connector.sync.backfill import gaps

SINCE = datetime(2023, 12, 1, tzinfo=timezone.utc)
UNTIL = datetime(2025, 7, 1, tzinfo=timezone.utc)
DAY = timedelta(days=1)


def at(day: int) -> datetime:
    return SINCE + day * DAY


def backfill(store, shop, engine, *, adapters=None, **kwargs):
    def factory(budget):
        adapter = FakeAdapter(shop, budget)
        if adapters is not None:
            adapters.append(adapter)
        return adapter

    kwargs.setdefault("window", timedelta(days=60))
    return Backfill(
        store,
        factory,
        program(),
        since=SINCE,
        until=UNTIL,
        evaluator=engine,
        referral_secret=SECRET,
        clock=FixedClock(NOW),
        **kwargs,
    )


def test_gaps_are_what_finished_windows_leave_uncovered():
    span = Window(at(0), at(100))
    finished = [
        Window(at(10), at(20)),
        Window(at(20), at(30)),
        Window(at(50), at(60)),
        Window(at(95), at(120)),
    ]
    assert gaps(span, finished) == [Window(at(0), at(10)), Window(at(30), at(50)), Window(at(60), at(95))]
    assert gaps(span, []) == [span]
    assert gaps(span, [Window(at(-5), at(200))]) == []


def test_windows_are_cut_on_a_grid_so_a_rerun_cuts_the_same_ones():
    span = Window(at(0), at(100))
    assert plan_windows(span, [], 30 * DAY) == [
        Window(at(0), at(30)),
        Window(at(30), at(60)),
        Window(at(60), at(90)),
        Window(at(90), at(100)),
    ]
    assert plan_windows(span, [Window(at(30), at(60))], 30 * DAY) == [
        Window(at(0), at(30)),
        Window(at(60), at(90)),
        Window(at(90), at(100)),
    ]
    assert plan_windows(span, [Window(at(0), at(45))], 30 * DAY) == [
        Window(at(45), at(60)),
        Window(at(60), at(90)),
        Window(at(90), at(100)),
    ]


def test_a_backfill_reads_every_window_of_every_stream_and_records_them_finished(store, engine):
    shop = FakeShop.generated(seed=11)
    report = backfill(store, shop, engine).run()
    assert report.windows_total == report.windows_done == 3 * 10
    assert report.windows_skipped == 0
    assert {r.external_id: r for r in store.records(SOURCE, Stream.ORDERS)} == shop.records(Stream.ORDERS)
    assert report.quarantined == 1
    assert report.ledger_entries_added > 0
    windows = store.finished_windows(SOURCE, Stream.ORDERS, report.backfill_id)
    assert windows[0].since == SINCE
    assert windows[-1].until == UNTIL
    assert all(read_until is not None for _, _, read_until in shop.reads)
    [run] = store.runs(SOURCE)
    assert (run.kind, run.status) == ("backfill", "ok")


def test_a_crashed_backfill_reruns_only_the_gaps_and_ends_as_an_uninterrupted_one(tmp_path, store, engine):
    reference = SqliteStore(tmp_path / "reference.db")
    backfill(reference, FakeShop.generated(seed=11), engine).run()
    shop = FakeShop.generated(seed=11)
    shop.fail_on_read = 40
    with pytest.raises(ShopUnavailableError):
        backfill(store, shop, engine, workers=1).run()  # one reader: the failing read is the last one
    assert store.runs(SOURCE)[0].status == "failed"
    assert store.lock_of(SOURCE) is None
    done_before = {
        (stream, window)
        for stream in Stream
        for window in store.finished_windows(SOURCE, stream, backfill(store, shop, engine).backfill_id)
    }
    assert done_before
    crashed_read = shop.reads[-1]
    shop.reads.clear()
    shop.fail_on_read = None
    report = backfill(store, shop, engine, workers=1).run()
    assert report.windows_skipped == len(done_before)
    assert report.windows_total == 30 - len(done_before)
    for stream, _cursor, until in shop.reads:
        assert all(not (stream is s and w.until == until) for s, w in done_before), (
            "a finished window was read"
        )
    assert shop.reads[0] == crashed_read, "the half-done window resumes from its checkpoint"
    assert snapshot(store.path) == snapshot(reference.path)
    reference.close()


def test_backfilling_the_same_span_again_changes_nothing(store, engine):
    shop = FakeShop.generated(seed=12)
    backfill(store, shop, engine).run()
    before = snapshot(store.path)
    again = backfill(store, shop, engine, restart=True).run()
    assert again.windows_total == 30
    assert again.totals.inserted == again.totals.updated == 0
    assert again.ledger_entries_added == 0
    assert snapshot(store.path) == before
    rerun = backfill(store, shop, engine).run()
    assert (rerun.windows_total, rerun.windows_skipped) == (0, 30)


def test_two_workers_give_the_same_store_as_one(tmp_path, engine):
    one = SqliteStore(tmp_path / "one.db")
    two = SqliteStore(tmp_path / "two.db")
    backfill(one, FakeShop.generated(seed=13), engine, workers=1).run()
    adapters: list[FakeAdapter] = []
    budget = RequestBudget(rate=1_000_000, burst=1000)
    report = backfill(
        two, FakeShop.generated(seed=13), engine, workers=2, budget=budget, adapters=adapters
    ).run()
    assert report.windows_done == 30
    assert snapshot(one.path) == snapshot(two.path)
    assert len(adapters) == 2
    assert all(a.budget is budget for a in adapters), "every worker draws on the one shared budget"
    assert all(a.closed for a in adapters)
    one.close()
    two.close()


def test_a_dry_run_reads_and_counts_but_writes_nothing(store, engine):
    shop = FakeShop.generated(seed=14)
    report = backfill(store, shop, engine, dry_run=True).run()
    assert report.dry_run
    assert report.run_id is None
    assert report.totals.read == sum(len(rows) for rows in shop.rows.values())
    assert report.totals.inserted == report.totals.read - report.quarantined
    assert report.ledger_entries_added == 0
    conn = sqlite3.connect(store.path)
    tables = [
        "customers",
        "orders",
        "refunds",
        "ledger",
        "checkpoints",
        "backfill_windows",
        "runs",
        "quarantine",
    ]
    counts = {table: conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] for table in tables}  # noqa: S608
    assert counts == dict.fromkeys(tables, 0)


def test_progress_counts_windows_up_to_the_total(store, engine):
    events = []
    backfill(store, FakeShop.generated(seed=15), engine, on_progress=events.append).run()
    assert events[-1].windows_done == events[-1].windows_total == 30
    done = [e.records_done for e in events]
    assert done == sorted(done)
    assert all(e.source == SOURCE for e in events)


def test_a_backfill_conflicts_with_a_running_sync_of_the_same_source(store, engine):
    store.begin_run("sync", SOURCE, NOW)
    shop = FakeShop.generated(seed=16)
    with pytest.raises(ConflictError, match="another sync of source fake"):
        backfill(store, shop, engine).run()
    assert shop.reads == []


def test_handover_lets_the_next_sync_continue_where_the_backfill_ended(store, engine):
    shop = FakeShop.generated(5)
    backfill(store, shop, engine, handover=True).run()
    for stream in (Stream.CUSTOMERS, Stream.ORDERS, Stream.REFUNDS):
        assert store.checkpoint(SOURCE, stream, SYNC_SCOPE) == Cursor.at(UNTIL)
    report = SyncRunner(
        store, FakeAdapter(shop), program(), evaluator=engine, referral_secret=SECRET, clock=FixedClock(NOW)
    ).run()
    assert report.totals.read == 0


def test_handover_never_moves_a_sync_checkpoint_backwards(store, engine):
    shop = FakeShop.generated(5)
    ahead = Cursor.at(UNTIL + 30 * DAY)
    store.apply_page(PageWrite(SOURCE, Stream.ORDERS, SYNC_SCOPE, (), ahead, NOW))
    backfill(store, shop, engine, handover=True).run()
    assert store.checkpoint(SOURCE, Stream.ORDERS, SYNC_SCOPE) == ahead


def test_without_handover_sync_checkpoints_are_left_alone(store, engine):
    backfill(store, FakeShop.generated(5), engine).run()
    assert store.checkpoint(SOURCE, Stream.ORDERS, SYNC_SCOPE) is None
