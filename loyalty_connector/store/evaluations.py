"""The evaluation side of the store: who to evaluate, their referral links, and writing the outcome.

Writing an outcome is one transaction per batch: ledger entries inserted with
``ON CONFLICT (key) DO NOTHING`` (so re-evaluating never awards twice; the keys the batch's
customers already have are left out before their rows are even built), the customers' referral
codes and next review times, and the removal of exactly the dirty marks that were evaluated — a
mark whose generation moved on (a page committed meanwhile touched the customer) stays.
"""

from __future__ import annotations

__all__ = ["due_customers", "insert_intents", "referee_keys", "referral_codes", "write_evaluations"]

import sqlite3
from collections.abc import Collection, Sequence
from datetime import datetime

from ..engine.results import LedgerIntent
from . import CustomerEvaluation, DueCustomer
from .rows import LEDGER_COLUMNS, chunks, insert_rows, ledger_rows, ts, ts_or_none


def due_customers(
    conn: sqlite3.Connection, source: str, now: datetime, after: str, limit: int
) -> list[DueCustomer]:
    """Dirty customers and those whose review is due by ``now``, keys after ``after``, in key order,
    each with the number of orders stored under its key."""
    rows = conn.execute(
        "SELECT due.customer_key, due.generation, (SELECT COUNT(*) FROM orders o"
        " WHERE o.source = ? AND o.customer_key = due.customer_key) FROM ("
        " SELECT customer_key, MAX(generation) AS generation FROM ("
        # each side only up to the limit, in key order along its primary key: a batch reads about
        # ``limit`` marks, not every mark after ``after`` (which made a backfill's batches quadratic)
        "  SELECT * FROM (SELECT customer_key, generation FROM dirty_customers"
        "   WHERE source = ? AND customer_key > ? ORDER BY customer_key LIMIT ?)"
        "  UNION ALL"
        "  SELECT * FROM (SELECT customer_key, NULL FROM customer_reviews"
        "   WHERE source = ? AND customer_key > ? AND next_review_at <= ? ORDER BY customer_key LIMIT ?)"
        " ) GROUP BY customer_key ORDER BY customer_key LIMIT ?"
        ") AS due ORDER BY due.customer_key",
        (source, source, after, limit, source, after, ts(now), limit, limit),
    ).fetchall()
    return [DueCustomer(row[0], row[1], row[2]) for row in rows]


def referral_codes(conn: sqlite3.Connection, source: str, customer_keys: Sequence[str]) -> dict[str, str]:
    codes: dict[str, str] = {}
    for part in chunks(customer_keys):
        marks = ",".join("?" * len(part))
        rows = conn.execute(
            "SELECT customer_key, code FROM referral_codes "  # noqa: S608 - placeholders only
            f"WHERE source = ? AND customer_key IN ({marks})",
            (source, *part),
        )
        codes.update((row[0], row[1]) for row in rows)
    return codes


def referee_keys(conn: sqlite3.Connection, source: str, codes: Collection[str]) -> dict[str, tuple[str, ...]]:
    """Code (as given) -> keys of customers and guests whose orders used it, compared case-insensitively."""
    by_key = {code.strip().upper(): code for code in codes}
    found: dict[str, set[str]] = {}
    for part in chunks(sorted(by_key)):
        marks = ",".join("?" * len(part))
        rows = conn.execute(
            "SELECT DISTINCT oc.code_key, o.customer_key FROM order_coupons oc "  # noqa: S608
            "JOIN orders o ON o.source = oc.source AND o.external_id = oc.order_id "
            f"WHERE oc.source = ? AND oc.code_key IN ({marks})",
            (source, *part),
        )
        for code_key, customer_key in rows:
            found.setdefault(by_key[code_key], set()).add(customer_key)
    return {code: tuple(sorted(keys)) for code, keys in found.items()}


def insert_intents(
    conn: sqlite3.Connection, intents: Sequence[LedgerIntent], at: datetime, run_id: int | None
) -> int:
    """Insert the intents whose key is new; return how many were."""
    if not intents:
        return 0
    return insert_rows(
        conn,
        f"INSERT INTO ledger ({LEDGER_COLUMNS})",
        ledger_rows(intents, at, run_id),
        "ON CONFLICT (key) DO NOTHING",
    )


def _known_keys(conn: sqlite3.Connection, source: str, customer_keys: Sequence[str]) -> set[str]:
    """The ledger keys already recorded for these customers.

    Re-evaluating a customer (every sync that touches them) yields their whole history's intents
    again, nearly all of them recorded already: leaving those out before their rows are built costs
    one index range per batch instead of a row and a conflicting insert each. ``ON CONFLICT DO
    NOTHING`` still guards whatever this misses (a key recorded under another customer).
    """
    known: set[str] = set()
    for part in chunks(customer_keys):
        marks = ",".join("?" * len(part))
        known.update(
            row[0]
            for row in conn.execute(
                f"SELECT key FROM ledger WHERE source = ? AND customer_key IN ({marks})",  # noqa: S608
                (source, *part),
            )
        )
    return known


def write_evaluations(
    conn: sqlite3.Connection,
    source: str,
    evaluations: Sequence[CustomerEvaluation],
    at: datetime,
    run_id: int | None,
) -> int:
    """Everything one batch of evaluations changes; return the number of ledger entries added."""
    stamp = ts(at)
    known = _known_keys(conn, source, [e.customer_key for e in evaluations if e.intents])
    added = insert_intents(
        conn, [i for e in evaluations for i in e.intents if i.key not in known], at, run_id
    )
    insert_rows(
        conn,
        "INSERT INTO referral_codes (source, customer_key, code, code_key, created_at)",
        [
            (source, e.customer_key, e.referral_code, e.referral_code.strip().upper(), stamp)
            for e in evaluations
            if e.referral_code
        ],
        "ON CONFLICT (source, customer_key) DO UPDATE SET "
        "code = excluded.code, code_key = excluded.code_key WHERE code_key != excluded.code_key",
    )
    insert_rows(
        conn,
        "INSERT INTO customer_reviews (source, customer_key, evaluated_at, next_review_at)",
        [(source, e.customer_key, stamp, ts_or_none(e.next_review_at)) for e in evaluations],
        "ON CONFLICT (source, customer_key) DO UPDATE SET "
        "evaluated_at = excluded.evaluated_at, next_review_at = excluded.next_review_at",
    )
    conn.executemany(
        "DELETE FROM dirty_customers WHERE source = ? AND customer_key = ? AND generation = ?",
        [(source, e.customer_key, e.generation) for e in evaluations if e.generation is not None],
    )
    return added
