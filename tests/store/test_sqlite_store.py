"""The SQLite store: migrations, pragmas, atomic pages, upserts, quarantine, locks and clear errors."""

from __future__ import annotations

import logging
import sqlite3
import subprocess
import sys
import threading
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from loyalty_connector.adapter import Cursor, ReadRecord, Stream
from loyalty_connector.domain import (
    Customer,
    CustomerGroup,
    LineKind,
    Money,
    Order,
    OrderLine,
    OrderStatus,
    Refund,
)
from loyalty_connector.engine.results import IntentKind, LedgerIntent
from loyalty_connector.errors import ConflictError, StoreError
from loyalty_connector.store import (
    SYNC_SCOPE,
    CustomerEvaluation,
    PageWrite,
    Store,
    Window,
    default_store_path,
    open_store,
)
from loyalty_connector.store import pages as page_writes
from loyalty_connector.store.schema import SCHEMA_VERSION
from loyalty_connector.store.sqlite import SqliteStore

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=timezone.utc)
NOW = datetime(2025, 6, 1, tzinfo=timezone.utc)
SOURCE = "shop"


def customer(n: int, changed: datetime = T0, email: str | None = None) -> Customer:
    return Customer(
        source=SOURCE,
        external_id=str(n),
        email=email or f"buyer{n}@firma{n}.example",
        company=f"Firma {n} GmbH",
        created_at=T0 - timedelta(days=30),
        updated_at=changed,
    )


def order(
    n: int,
    customer_id: str | None,
    changed: datetime = T0,
    *,
    email: str = "guest@example.com",
    coupons: tuple[str, ...] = (),
    status: OrderStatus = OrderStatus.COMPLETE,
) -> Order:
    eur = Money.of("100.00", "EUR")
    zero = Money.zero("EUR")
    line = OrderLine(
        line_id=f"{n}-1",
        sku="PAPER-A4",
        kind=LineKind.PRODUCT,
        qty=Decimal(1),
        unit_price=eur,
        row_total=eur,
        discount=zero,
        tax=zero,
    )
    return Order(
        source=SOURCE,
        external_id=str(n),
        number=str(n),
        customer_id=customer_id,
        email=email,
        status=status,
        raw_status=status.value,
        currency="EUR",
        placed_at=changed,
        updated_at=changed,
        lines=(line,),
        subtotal=eur,
        discount=zero,
        shipping=zero,
        tax=zero,
        grand_total=eur,
        coupon_codes=coupons,
    )


def refund(n: int, order_id: str, changed: datetime = T0) -> Refund:
    return Refund(
        source=SOURCE,
        external_id=str(n),
        order_id=order_id,
        created_at=changed,
        updated_at=changed,
        amount=Money.of("10.00", "EUR"),
    )


def item(record: Customer | Order | Refund, tiebreak: int | None = None) -> ReadRecord:
    return ReadRecord(
        position=Cursor(record.updated_at, int(record.external_id) if tiebreak is None else tiebreak),
        external_id=record.external_id,
        record=record,
    )


def bad(external_id: str, changed: datetime, reason: str = "unknown status 'weird'") -> ReadRecord:
    return ReadRecord(
        position=Cursor(changed, int(external_id)),
        external_id=external_id,
        error=reason,
        raw='{"entity_id": ' + external_id + "}",
    )


def page(stream: Stream, items: list[ReadRecord], **kwargs: object) -> PageWrite:
    last = items[-1].position if items else None
    return PageWrite(
        source=SOURCE, stream=stream, scope=SYNC_SCOPE, items=items, cursor=last, at=NOW, **kwargs
    )  # type: ignore[arg-type]


def raw(store: SqliteStore) -> sqlite3.Connection:
    conn = sqlite3.connect(store.path)
    conn.row_factory = sqlite3.Row
    return conn


def count(store: SqliteStore, table: str) -> int:
    with raw(store) as conn:
        return conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]  # noqa: S608


def dirty(store: SqliteStore) -> dict[str, int]:
    with raw(store) as conn:
        return dict(conn.execute("SELECT customer_key, generation FROM dirty_customers").fetchall())


def test_a_new_store_is_migrated_to_the_current_schema_version(tmp_path):
    store = open_store(tmp_path / "fresh.db")
    store.close()
    conn = sqlite3.connect(tmp_path / "fresh.db")
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {
        "customers",
        "orders",
        "refunds",
        "order_coupons",
        "checkpoints",
        "backfill_windows",
        "quarantine",
        "ledger",
        "referral_codes",
        "runs",
        "locks",
        "dirty_customers",
        "customer_reviews",
    } <= tables


def test_reopening_a_store_keeps_its_data_and_does_not_migrate_again(tmp_path):
    path = tmp_path / "loyalty.db"
    first = SqliteStore(path)
    first.apply_page(page(Stream.CUSTOMERS, [item(customer(1))]))
    first.close()
    second = SqliteStore(path)
    assert [c.external_id for c in second.records(SOURCE, Stream.CUSTOMERS)] == ["1"]
    second.close()
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_a_store_from_a_newer_version_is_refused_with_a_clear_error(tmp_path):
    path = tmp_path / "future.db"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(StoreError, match="newer than this loyalty-connector"):
        SqliteStore(path)


def test_the_store_runs_in_wal_mode_with_foreign_keys_enforced(store):
    with raw(store) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn = store._conn()
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("INSERT INTO order_coupons (source, order_id, code_key) VALUES ('x', 'missing', 'C')")


def test_each_thread_gets_its_own_connection(store):
    seen = []
    thread = threading.Thread(target=lambda: seen.append(store._conn()))
    thread.start()
    thread.join()
    assert seen[0] is not store._conn()


def test_default_store_path_is_next_to_the_programme_file(tmp_path):
    assert (
        default_store_path(tmp_path / "conf" / "loyalty.yaml") == (tmp_path / "conf" / "loyalty.db").resolve()
    )


def test_customer_groups_are_upserted_per_source_and_never_forgotten(store):
    first = [
        CustomerGroup(source=SOURCE, external_id="1", code="General"),
        CustomerGroup(source=SOURCE, external_id="4", code="wholesale", name="Wholesale"),
    ]
    store.record_groups(SOURCE, first, at=T0)
    store.record_groups(
        SOURCE, [CustomerGroup(source=SOURCE, external_id="4", code="wholesale", name="Großhandel")], at=T0
    )
    assert store.customer_groups(SOURCE) == [
        first[0],
        CustomerGroup(source=SOURCE, external_id="4", code="wholesale", name="Großhandel"),
    ]
    assert store.customer_groups("another-shop") == []


def test_customers_are_found_by_email_trimmed_and_case_insensitively_within_their_source(store):
    shared = "Einkauf@Kontor.example"
    store.apply_page(
        page(
            Stream.CUSTOMERS,
            [
                item(customer(1, email=shared)),
                item(customer(2, email="einkauf@kontor.example ")),
                item(customer(3)),
            ],
        )
    )
    assert store.customer_keys_by_email(SOURCE, "  EINKAUF@kontor.example") == ["1", "2"]
    assert store.customer_keys_by_email(SOURCE, "buyer3@firma3.example") == ["3"]
    assert store.customer_keys_by_email(SOURCE, "nobody@kontor.example") == []
    assert store.customer_keys_by_email("another-shop", shared) == []


def test_upsert_skips_records_whose_change_timestamp_is_unchanged_or_older(store):
    first = store.apply_page(page(Stream.ORDERS, [item(order(10, "1")), item(order(11, "2"))]))
    assert (first.inserted, first.updated, first.unchanged) == (2, 0, 0)
    again = store.apply_page(page(Stream.ORDERS, [item(order(10, "1")), item(order(11, "2"))]))
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 2)
    newer = order(10, "1", T0 + timedelta(hours=1), status=OrderStatus.CANCELED)
    assert store.apply_page(page(Stream.ORDERS, [item(newer)])).updated == 1
    stale = store.apply_page(page(Stream.ORDERS, [item(order(10, "1", T0 - timedelta(hours=1)))]))
    assert stale.unchanged == 1
    stored = {o.external_id: o for o in store.records(SOURCE, Stream.ORDERS)}
    assert stored["10"].status is OrderStatus.CANCELED
    assert stored["10"] == newer


def test_only_changed_records_mark_their_customers_dirty(store):
    store.apply_page(page(Stream.ORDERS, [item(order(10, "1"))]))
    assert dirty(store) == {"1": 1}
    store.apply_page(page(Stream.ORDERS, [item(order(10, "1"))]))
    assert dirty(store) == {"1": 1}, "an unchanged re-read must not renew the mark"
    store.apply_page(page(Stream.ORDERS, [item(order(10, "1", T0 + timedelta(minutes=1)))]))
    assert dirty(store) == {"1": 2}


def test_guest_orders_mark_nobody_and_refunds_mark_their_orders_customer(store):
    store.apply_page(
        page(Stream.ORDERS, [item(order(10, None, email="Walk.In@Example.com")), item(order(11, "7"))])
    )
    assert dirty(store) == {"7": 1}
    store.apply_page(page(Stream.REFUNDS, [item(refund(5, "11", T0 + timedelta(days=1)))]))
    assert dirty(store) == {"7": 2}
    with raw(store) as conn:
        keys = {row[0] for row in conn.execute("SELECT customer_key FROM orders")}
    assert keys == {"guest:walk.in@example.com", "7"}


def test_an_order_moved_to_another_customer_marks_both(store):
    store.apply_page(page(Stream.ORDERS, [item(order(10, None, email="a@b.example"))]))
    store.apply_page(page(Stream.ORDERS, [item(order(10, "3", T0 + timedelta(hours=1)))]))
    assert set(dirty(store)) == {"3"}, "guests are never marked"
    store.apply_page(page(Stream.ORDERS, [item(order(10, "4", T0 + timedelta(hours=2)))]))
    assert set(dirty(store)) == {"3", "4"}


def test_a_referees_order_marks_the_owner_of_the_code_case_insensitively(store):
    store.apply_page(page(Stream.CUSTOMERS, [item(customer(1))], referral_codes={"1": "REF-ABC123XYZ"}))
    store.apply_evaluations(SOURCE, [CustomerEvaluation("1", 1, (), None, None)], at=NOW, run_id=None)
    assert dirty(store) == {}
    store.apply_page(
        page(Stream.ORDERS, [item(order(20, None, email="new@client.example", coupons=("ref-abc123xyz",)))])
    )
    assert set(dirty(store)) == {"1"}
    assert store.referee_keys(SOURCE, ["REF-ABC123XYZ"]) == {"REF-ABC123XYZ": ("guest:new@client.example",)}


def test_a_failure_between_records_and_cursor_commits_nothing(store, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("crash before the cursor is written")

    monkeypatch.setattr(page_writes, "write_checkpoint", boom)
    with pytest.raises(RuntimeError):
        store.apply_page(page(Stream.ORDERS, [item(order(10, "1")), bad("11", T0)]))
    assert count(store, "orders") == 0
    assert count(store, "quarantine") == 0
    assert dirty(store) == {}
    assert store.checkpoint(SOURCE, Stream.ORDERS, SYNC_SCOPE) is None


def test_checkpoints_never_move_backwards(store):
    later = order(10, "1", T0 + timedelta(hours=2))
    store.apply_page(page(Stream.ORDERS, [item(later)]))
    store.apply_page(page(Stream.ORDERS, [item(order(9, "1"))]))
    assert store.checkpoint(SOURCE, Stream.ORDERS, SYNC_SCOPE) == Cursor(later.updated_at, 10)


def test_quarantine_counts_attempts_and_a_readable_version_resolves_it(store):
    assert store.apply_page(page(Stream.ORDERS, [bad("11", T0)])).quarantined == 1
    store.apply_page(page(Stream.ORDERS, [bad("11", T0, "still weird")]))
    [held] = store.quarantined(SOURCE)
    assert (held.external_id, held.attempts, held.reason, held.raw) == (
        "11",
        2,
        "still weird",
        '{"entity_id": 11}',
    )
    assert held.position == Cursor(T0, 11)
    fixed = store.apply_page(page(Stream.ORDERS, [item(order(11, "1", T0 + timedelta(minutes=5)))]))
    assert fixed.resolved == 1
    assert store.quarantined(SOURCE) == []
    [resolved] = store.quarantined(SOURCE, include_resolved=True)
    assert resolved.resolved_at == NOW


def test_quarantine_retry_rewinds_the_sync_checkpoint_to_just_before_the_record(store):
    store.apply_page(page(Stream.ORDERS, [item(order(9, "1")), bad("11", T0 + timedelta(hours=1))]))
    store.apply_page(page(Stream.ORDERS, [item(order(12, "1", T0 + timedelta(hours=5)))]))
    rewound = store.retry_quarantined(SOURCE, at=NOW)
    assert rewound == {Stream.ORDERS: Cursor(T0 + timedelta(hours=1), 10)}
    assert store.checkpoint(SOURCE, Stream.ORDERS, SYNC_SCOPE) == Cursor(T0 + timedelta(hours=1), 10)
    [held] = store.quarantined(SOURCE)
    assert held.retry_requested_at == NOW


def test_a_second_run_of_the_same_source_conflicts_at_once(store):
    run_id = store.begin_run("sync", SOURCE, NOW)
    with pytest.raises(ConflictError, match=r"another sync of source shop is running \(pid \d+") as caught:
        store.begin_run("backfill", SOURCE, NOW)
    assert "remove a stale lock" in str(caught.value)
    assert store.begin_run("sync", "other-shop", NOW) > run_id
    store.end_run(run_id, status="ok", at=NOW, counts={"read": 1})
    assert store.lock_of(SOURCE) is None
    store.begin_run("sync", SOURCE, NOW)


def test_a_stale_lock_of_a_dead_process_on_this_host_is_taken_over_with_a_warning(store, caplog):
    run_id = store.begin_run("sync", SOURCE, NOW)
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, check=True
    )
    with raw(store) as conn:
        conn.execute("UPDATE locks SET pid = ?", (int(dead.stdout),))
    with caplog.at_level(logging.WARNING):
        store.begin_run("sync", SOURCE, NOW + timedelta(minutes=1))
    assert "stale lock" in caplog.text
    assert [r.status for r in store.runs(SOURCE) if r.id == run_id] == ["interrupted"]


def test_break_lock_removes_a_lock_held_by_anyone(store):
    store.begin_run("backfill", SOURCE, NOW)
    held = store.break_lock(SOURCE)
    assert held is not None
    assert held.kind == "backfill"
    store.begin_run("sync", SOURCE, NOW)


def test_runs_are_recorded_with_counts_status_and_duration(store):
    run_id = store.begin_run("sync", SOURCE, NOW)
    store.end_run(
        run_id,
        status="failed",
        at=NOW + timedelta(seconds=3),
        counts={"x": 1},
        error="boom",
        duration_seconds=3.0,
    )
    [run] = store.runs(SOURCE)
    assert (run.kind, run.status, run.counts, run.error, run.duration_seconds) == (
        "sync",
        "failed",
        {"x": 1},
        "boom",
        3.0,
    )


def test_a_corrupt_file_is_a_one_line_store_error(tmp_path):
    path = tmp_path / "loyalty.db"
    path.write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(StoreError, match="corrupt or not a loyalty-connector database") as caught:
        SqliteStore(path)
    assert "\n" not in str(caught.value)


def test_a_missing_directory_is_a_store_error(tmp_path):
    with pytest.raises(StoreError, match="cannot open"):
        SqliteStore(tmp_path / "nope" / "loyalty.db")


def test_a_full_disk_is_a_one_line_store_error_and_nothing_is_half_written(store):
    store.apply_page(page(Stream.CUSTOMERS, [item(customer(1))]))
    conn = store._conn()
    conn.execute(f"PRAGMA max_page_count = {conn.execute('PRAGMA page_count').fetchone()[0]}")
    big = [item(order(n, str(n))) for n in range(100, 400)]
    with pytest.raises(StoreError, match="no space left") as caught:
        store.apply_page(page(Stream.ORDERS, big))
    assert "\n" not in str(caught.value)
    assert count(store, "orders") == 0
    assert store.checkpoint(SOURCE, Stream.ORDERS, SYNC_SCOPE) is None


def test_the_sqlite_store_satisfies_the_store_protocol(store):
    assert isinstance(store, Store)


def test_a_store_locked_too_long_by_another_writer_fails_cleanly(tmp_path):
    store = SqliteStore(tmp_path / "loyalty.db", busy_timeout=0.05)
    other = sqlite3.connect(store.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StoreError, match="stayed locked by another process"):
            store.apply_page(page(Stream.CUSTOMERS, [item(customer(1))]))
    finally:
        other.execute("ROLLBACK")
    assert count(store, "customers") == 0
    store.close()


def intent(key: str, points: int, **kwargs: object) -> LedgerIntent:
    return LedgerIntent(
        key=key,
        kind=kwargs.pop("kind", IntentKind.EARN),
        rule_id="spend",
        source=SOURCE,
        customer_key="1",
        record=f"order:{key}",
        effective_at=T0,
        reason="test",
        points=points,
        **kwargs,
    )  # type: ignore[arg-type]


def test_evaluations_insert_each_ledger_key_once_and_keep_decimals_as_text(store):
    coupon = intent(
        "c1", 0, kind=IntentKind.COUPON, amount=Decimal("12.50"), currency="EUR", percent=Decimal("5")
    )
    first = CustomerEvaluation("1", None, (intent("e1", 10), coupon), "REF-1", T0 + timedelta(days=30))
    assert store.apply_evaluations(SOURCE, [first], at=NOW, run_id=None) == 2
    assert store.apply_evaluations(SOURCE, [first], at=NOW, run_id=None) == 0
    with raw(store) as conn:
        row = conn.execute("SELECT amount, typeof(amount), percent FROM ledger WHERE key = 'c1'").fetchone()
        review = conn.execute("SELECT next_review_at FROM customer_reviews").fetchone()[0]
    assert tuple(row) == ("12.50", "text", "5")
    assert review == "2025-03-31T09:00:00.000000+00:00"
    [entry] = store.ledger_entries(SOURCE, "1", kinds=[IntentKind.COUPON])
    assert entry.amount == Decimal("12.50")
    assert store.referral_codes(SOURCE, ["1"]) == {"1": "REF-1"}


def test_a_mark_renewed_during_evaluation_survives_clearing(store):
    store.apply_page(page(Stream.ORDERS, [item(order(10, "1"))]))
    [due] = store.due_customers(SOURCE, NOW, after="", limit=10)
    store.apply_page(page(Stream.ORDERS, [item(order(11, "1"))]))
    store.apply_evaluations(
        SOURCE, [CustomerEvaluation("1", due.generation, (), None, None)], at=NOW, run_id=None
    )
    assert dirty(store) == {"1": 2}


def test_customers_due_for_review_are_listed_with_the_dirty_ones(store):
    store.apply_evaluations(
        SOURCE,
        [
            CustomerEvaluation("5", None, (), None, NOW - timedelta(minutes=1)),
            CustomerEvaluation("6", None, (), None, NOW + timedelta(minutes=1)),
        ],
        at=NOW,
        run_id=None,
    )
    store.apply_page(page(Stream.ORDERS, [item(order(10, "1"))]))
    due = store.due_customers(SOURCE, NOW, after="", limit=10)
    assert [(d.customer_key, d.generation) for d in due] == [("1", 1), ("5", None)]
    assert [d.customer_key for d in store.due_customers(SOURCE, NOW, after="1", limit=10)] == ["5"]


def test_histories_hold_orders_refunds_and_redemptions_of_each_key(store):
    store.apply_page(page(Stream.CUSTOMERS, [item(customer(1))]))
    store.apply_page(
        page(Stream.ORDERS, [item(order(10, "1")), item(order(11, "1", T0 + timedelta(days=1)))])
    )
    store.apply_page(page(Stream.REFUNDS, [item(refund(3, "11", T0 + timedelta(days=2)))]))
    store.record_intents(
        SOURCE, [intent("points/redemption/shop/1/redemption:R1", -5, kind=IntentKind.REDEMPTION)], at=NOW
    )
    histories = store.histories(SOURCE, ["1", "guest:x@y.example"])
    mine = histories["1"]
    assert mine.customer == customer(1)
    assert [o.external_id for o in mine.orders] == ["10", "11"]
    assert [r.external_id for r in mine.refunds] == ["3"]
    assert [(r.points, r.at) for r in mine.redemptions] == [(5, T0)]
    guest = histories["guest:x@y.example"]
    assert (guest.customer, guest.email, guest.orders) == (None, "x@y.example", ())


def test_finished_windows_are_listed_and_their_checkpoint_dropped(store):
    window = Window(T0, T0 + timedelta(days=30))
    scope = "backfill:b1:w"
    store.apply_page(PageWrite(SOURCE, Stream.ORDERS, scope, [item(order(10, "1"))], Cursor(T0, 10), NOW))
    assert store.checkpoint(SOURCE, Stream.ORDERS, scope) == Cursor(T0, 10)
    store.finish_window(SOURCE, Stream.ORDERS, "b1", window, scope=scope, records=1, at=NOW, run_id=None)
    assert store.finished_windows(SOURCE, Stream.ORDERS, "b1") == [window]
    assert store.checkpoint(SOURCE, Stream.ORDERS, scope) is None
    store.reset_backfill(SOURCE, "b1")
    assert store.finished_windows(SOURCE, Stream.ORDERS, "b1") == []
