"""What committing one page does inside its transaction: upsert, quarantine, dirty marks, checkpoint.

Each function takes the connection of an open transaction; :class:`~.sqlite.SqliteStore` opens and
commits it around :func:`write_page`, so everything here lands together or not at all.

Upserts skip a record whose stored change timestamp is the same or newer: a look-back re-read
writes nothing, and an older version read late by a parallel window never overwrites a newer one.
Only records that really changed mark customers dirty — the customer itself, an order's customer
(and its previous one if the order moved), a refund's order's customer, and the referrer of any of
them whose referral code their orders used.
"""

from __future__ import annotations

__all__ = ["GUEST_PREFIX", "classify", "mark_dirty", "write_checkpoint", "write_page"]

import sqlite3
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from ..adapter import Cursor, ReadRecord, Record, Stream
from ..domain import Customer, Order, Refund
from . import PageWrite, RecordCounts
from .rows import TABLES, chunks, insert_rows, ts

GUEST_PREFIX = "guest:"
"""Customer keys of guests (see :func:`loyalty_connector.domain.guest_key`): never evaluated."""


@dataclass(frozen=True)
class _Stored:
    changed_at: str
    customer_key: str | None


@dataclass(frozen=True)
class _Plan:
    inserts: list[ReadRecord]
    updates: list[ReadRecord]
    unchanged: int
    bad: list[ReadRecord]
    previous_keys: set[str]
    """Customer keys that updated orders belonged to before this page."""


def _stored(conn: sqlite3.Connection, source: str, stream: Stream, ids: Sequence[str]) -> dict[str, _Stored]:
    table = TABLES[stream]
    key_column = "customer_key" if stream is Stream.ORDERS else "NULL"
    found: dict[str, _Stored] = {}
    for part in chunks(ids):
        marks = ",".join("?" * len(part))
        rows = conn.execute(
            f"SELECT external_id, changed_at, {key_column} FROM {table} "  # noqa: S608 - fixed names
            f"WHERE source = ? AND external_id IN ({marks})",
            (source, *part),
        )
        for external_id, changed_at, customer_key in rows:
            found[external_id] = _Stored(changed_at, customer_key)
    return found


def _plan(conn: sqlite3.Connection, source: str, stream: Stream, items: Sequence[ReadRecord]) -> _Plan:
    latest: dict[str, ReadRecord] = {}
    bad: list[ReadRecord] = []
    for item in items:
        if item.record is None:
            bad.append(item)
        elif item.external_id not in latest or latest[item.external_id].position < item.position:
            latest[item.external_id] = item
    stored = _stored(conn, source, stream, list(latest))
    inserts: list[ReadRecord] = []
    updates: list[ReadRecord] = []
    unchanged = 0
    previous: set[str] = set()
    for external_id, item in latest.items():
        before = stored.get(external_id)
        if before is None:
            inserts.append(item)
        elif ts(item.position.changed_at) > before.changed_at:
            updates.append(item)
            if before.customer_key is not None:
                previous.add(before.customer_key)
        else:
            unchanged += 1
    unchanged += len(items) - len(bad) - len(latest)
    return _Plan(inserts, updates, unchanged, bad, previous)


def classify(
    conn: sqlite3.Connection, source: str, stream: Stream, items: Sequence[ReadRecord]
) -> RecordCounts:
    """Counts of what :func:`write_page` would do, without writing."""
    plan = _plan(conn, source, stream, items)
    return RecordCounts(
        read=len(items),
        inserted=len(plan.inserts),
        updated=len(plan.updates),
        unchanged=plan.unchanged,
        quarantined=len(plan.bad),
        pages=1,
    )


def _row(source: str, item: ReadRecord, at: str) -> tuple[str | None, ...]:
    record = item.record
    changed = ts(item.position.changed_at)
    data = record.model_dump_json() if record is not None else ""
    if isinstance(record, Customer):
        return (source, item.external_id, record.key, record.email_normalized, record.group_id,
                ts(record.created_at), changed, data, at)  # fmt: skip
    if isinstance(record, Order):
        return (source, item.external_id, record.customer_key, record.email.strip().lower(),
                ts(record.placed_at), changed, record.status.value, data, at)  # fmt: skip
    if isinstance(record, Refund):
        return (source, item.external_id, record.order_id, ts(record.created_at), changed, data, at)
    raise TypeError(f"not a record: {type(record).__name__}")


_COLUMNS: dict[Stream, tuple[str, ...]] = {
    Stream.CUSTOMERS: ("source", "external_id", "customer_key", "email", "group_id", "created_at",
                       "changed_at", "data", "synced_at"),
    Stream.ORDERS: ("source", "external_id", "customer_key", "email", "placed_at", "changed_at", "status",
                    "data", "synced_at"),
    Stream.REFUNDS: ("source", "external_id", "order_id", "created_at", "changed_at", "data", "synced_at"),
}  # fmt: skip


def _upsert(conn: sqlite3.Connection, source: str, stream: Stream, items: list[ReadRecord], at: str) -> None:
    if not items:
        return
    table = TABLES[stream]
    columns = _COLUMNS[stream]
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns[2:])
    insert_rows(
        conn,
        f"INSERT INTO {table} ({', '.join(columns)})",
        [_row(source, item, at) for item in items],
        f"ON CONFLICT (source, external_id) DO UPDATE SET {updates} "
        f"WHERE excluded.changed_at > {table}.changed_at",
    )


def _coupons(conn: sqlite3.Connection, source: str, orders: list[Order]) -> None:
    for part in chunks([order.external_id for order in orders]):
        conn.execute(
            f"DELETE FROM order_coupons WHERE source = ? AND order_id IN ({','.join('?' * len(part))})",  # noqa: S608
            (source, *part),
        )
    insert_rows(
        conn,
        "INSERT OR IGNORE INTO order_coupons (source, order_id, code_key)",
        sorted(
            {
                (source, order.external_id, code.strip().upper())
                for order in orders
                for code in order.coupon_codes
                if code.strip()
            }
        ),
    )


def _quarantine(conn: sqlite3.Connection, page: PageWrite, bad: list[ReadRecord], at: str) -> None:
    conn.executemany(
        "INSERT INTO quarantine (source, stream, external_id, reason, raw, changed_at, tiebreak, first_seen, "
        "last_seen, attempts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1) "
        "ON CONFLICT (source, stream, external_id) DO UPDATE SET reason = excluded.reason, "
        "raw = excluded.raw, changed_at = excluded.changed_at, tiebreak = excluded.tiebreak, "
        "last_seen = excluded.last_seen, attempts = quarantine.attempts + 1, "
        "retry_requested_at = NULL, resolved_at = NULL",
        [
            (page.source, page.stream.value, item.external_id,
             item.error or "the adapter returned neither a record nor an error", item.raw,
             ts(item.position.changed_at), item.position.tiebreak, at, at)
            for item in bad
        ],
    )  # fmt: skip


def _resolve(conn: sqlite3.Connection, page: PageWrite, good: Sequence[ReadRecord], at: str) -> int:
    """Mark resolved the open quarantine entries of which a readable version (as new or newer) arrived."""
    open_since: dict[str, str] = {}
    for part in chunks([item.external_id for item in good]):
        rows = conn.execute(
            "SELECT external_id, changed_at FROM quarantine WHERE source = ? AND stream = ? "  # noqa: S608
            f"AND resolved_at IS NULL AND external_id IN ({','.join('?' * len(part))})",
            (page.source, page.stream.value, *part),
        )
        open_since.update(rows)
    if not open_since:
        return 0
    cursor = conn.executemany(
        "UPDATE quarantine SET resolved_at = ?, retry_requested_at = NULL "
        "WHERE source = ? AND stream = ? AND external_id = ? AND resolved_at IS NULL AND changed_at <= ?",
        [
            (at, page.source, page.stream.value, item.external_id, ts(item.position.changed_at))
            for item in good
            if item.external_id in open_since
        ],
    )
    return max(cursor.rowcount, 0)


def _refund_owners(conn: sqlite3.Connection, source: str, order_ids: Sequence[str]) -> set[str]:
    owners: set[str] = set()
    for part in chunks(order_ids):
        marks = ",".join("?" * len(part))
        rows = conn.execute(
            f"SELECT customer_key FROM orders WHERE source = ? AND external_id IN ({marks})",  # noqa: S608
            (source, *part),
        )
        owners.update(key for (key,) in rows)
    return owners


def _referrers(conn: sqlite3.Connection, source: str, keys: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for part in chunks(keys):
        marks = ",".join("?" * len(part))
        # CROSS JOIN keeps this join order: from the customers' orders (index only), not from every
        # coupon ever used in the shop, which the planner would otherwise pick and which grows with history
        rows = conn.execute(
            "SELECT DISTINCT rc.customer_key FROM orders o "  # noqa: S608 - placeholders only
            "CROSS JOIN order_coupons oc ON oc.source = o.source AND oc.order_id = o.external_id "
            "CROSS JOIN referral_codes rc ON rc.source = oc.source AND rc.code_key = oc.code_key "
            f"WHERE o.source = ? AND o.customer_key IN ({marks})",
            (source, *part),
        )
        found.update(key for (key,) in rows)
    return found


def mark_dirty(conn: sqlite3.Connection, source: str, keys: Collection[str], at: str) -> None:
    """Mark customers (and the referrers of any of them) for evaluation; guests are skipped."""
    everyone = set(keys) | _referrers(conn, source, sorted(keys))
    insert_rows(
        conn,
        "INSERT INTO dirty_customers (source, customer_key, generation, marked_at)",
        [(source, key, 1, at) for key in sorted(everyone) if not key.startswith(GUEST_PREFIX)],
        "ON CONFLICT (source, customer_key) DO UPDATE SET generation = dirty_customers.generation + 1, "
        "marked_at = excluded.marked_at",
    )


def write_checkpoint(
    conn: sqlite3.Connection,
    source: str,
    stream: Stream,
    scope: str,
    cursor: Cursor,
    at: str,
    run_id: int | None,
) -> None:
    """Move a checkpoint forward to ``cursor``; a position at or before the stored one changes nothing."""
    conn.execute(
        "INSERT INTO checkpoints (source, stream, scope, changed_at, tiebreak, updated_at, run_id) "
        "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (source, stream, scope) DO UPDATE SET "
        "changed_at = excluded.changed_at, tiebreak = excluded.tiebreak, updated_at = excluded.updated_at, "
        "run_id = excluded.run_id "
        "WHERE (excluded.changed_at, excluded.tiebreak) > (checkpoints.changed_at, checkpoints.tiebreak)",
        (source, stream.value, scope, ts(cursor.changed_at), cursor.tiebreak, at, run_id),
    )


def _touched(
    conn: sqlite3.Connection, page: PageWrite, written: list[Record], previous: set[str]
) -> set[str]:
    keys = set(previous)
    refunds: list[str] = []
    for record in written:
        if isinstance(record, Customer):
            keys.add(record.key)
        elif isinstance(record, Order):
            keys.add(record.customer_key)
        elif isinstance(record, Refund):
            refunds.append(record.order_id)
    return keys | _refund_owners(conn, page.source, sorted(set(refunds)))


def write_page(conn: sqlite3.Connection, page: PageWrite) -> RecordCounts:
    """Everything one page changes, inside the caller's transaction."""
    at = ts(page.at)
    plan = _plan(conn, page.source, page.stream, page.items)
    changed = plan.inserts + plan.updates
    _upsert(conn, page.source, page.stream, changed, at)
    written = [item.record for item in changed if item.record is not None]
    if page.stream is Stream.ORDERS:
        _coupons(conn, page.source, [r for r in written if isinstance(r, Order)])
    if page.referral_codes:
        insert_rows(
            conn,
            "INSERT INTO referral_codes (source, customer_key, code, code_key, created_at)",
            [(page.source, key, code, code.strip().upper(), at) for key, code in page.referral_codes.items()],
            "ON CONFLICT DO NOTHING",
        )
    _quarantine(conn, page, plan.bad, at)
    good = [item for item in page.items if item.record is not None]
    resolved = _resolve(conn, page, good, at) if good else 0
    mark_dirty(conn, page.source, _touched(conn, page, written, plan.previous_keys), at)
    if page.cursor is not None:
        write_checkpoint(conn, page.source, page.stream, page.scope, page.cursor, at, page.run_id)
    return RecordCounts(
        read=len(page.items),
        inserted=len(plan.inserts),
        updated=len(plan.updates),
        unchanged=plan.unchanged,
        quarantined=len(plan.bad),
        resolved=resolved,
        pages=1,
    )
