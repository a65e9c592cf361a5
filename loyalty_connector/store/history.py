"""Loading customers' whole histories for evaluation, a batch of customer keys at a time.

A history is the customer record (if synced), every order of the key, every refund of those
orders and every redemption in the ledger. Loaded with four queries per batch, not per customer,
so evaluating a backfill of thousands of customers stays a handful of round trips. Records are
rebuilt from the store's own JSON without validating them again (:mod:`.decode`).
"""

from __future__ import annotations

__all__ = ["collector_paused", "load_histories"]

import gc
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from ..domain import Customer, Order, Refund
from ..engine.results import IntentKind, Redemption
from ..ledger import as_redemption
from . import StoredHistory
from .decode import RecordDecoder
from .pages import GUEST_PREFIX
from .rows import chunks, ledger_entry


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a batch of histories is built (and used).

    A batch is tens of thousands of new objects that all stay alive, and none is part of a cycle, so
    the collections their allocation triggers only traverse them again and again (a quarter of the
    load time, and as much again while the engine evaluates them); reference counting frees them as
    usual. The collector is resumed only if it was on, so pauses nest: evaluation pauses it for a
    whole batch, loading, evaluating and writing, and resumes it once the batch is released.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def load_histories(conn: sqlite3.Connection, source: str, keys: Sequence[str]) -> dict[str, StoredHistory]:
    """The stored history of each key (inside the caller's read transaction, so all of one snapshot)."""
    with collector_paused():
        return _load(conn, source, keys)


def _load(conn: sqlite3.Connection, source: str, keys: Sequence[str]) -> dict[str, StoredHistory]:
    customers: dict[str, Customer] = {}
    orders: dict[str, list[Order]] = {key: [] for key in keys}
    refunds: dict[str, list[Refund]] = {key: [] for key in keys}
    redemptions: dict[str, list[Redemption]] = {key: [] for key in keys}
    decode = RecordDecoder()
    for part in chunks(keys):
        marks = ",".join("?" * len(part))
        params = (source, *part)
        for key, data in conn.execute(
            f"SELECT customer_key, data FROM customers WHERE source = ? AND customer_key IN ({marks})",  # noqa: S608
            params,
        ):
            customers[key] = decode.customer(data)
        for key, data in conn.execute(
            # in the index's order (key first): no sort of the large rows, and each key's orders come
            # by placed_at then external id, all its list needs
            f"SELECT customer_key, data FROM orders WHERE source = ? AND customer_key IN ({marks}) "  # noqa: S608
            "ORDER BY customer_key, placed_at, external_id",
            params,
        ):
            orders[key].append(decode.order(data))
        for key, data in conn.execute(
            # from the customers' orders to their refunds (CROSS JOIN keeps that order), not from
            # every refund of the shop
            "SELECT o.customer_key, r.data FROM orders o "  # noqa: S608 - placeholders only
            "CROSS JOIN refunds r ON r.source = o.source AND r.order_id = o.external_id "
            f"WHERE o.source = ? AND o.customer_key IN ({marks}) "
            "ORDER BY r.created_at, r.external_id",
            params,
        ):
            refunds[key].append(decode.refund(data))
        for row in conn.execute(
            f"SELECT * FROM ledger WHERE source = ? AND kind = ? AND customer_key IN ({marks}) "  # noqa: S608
            "ORDER BY effective_at, id",
            (source, IntentKind.REDEMPTION.value, *part),
        ):
            redemptions[row["customer_key"]].append(as_redemption(ledger_entry(row)))
    histories: dict[str, StoredHistory] = {}
    for key in keys:
        customer = customers.get(key)
        if customer is not None:
            email: str | None = customer.email_normalized
        elif key.startswith(GUEST_PREFIX):
            email = key[len(GUEST_PREFIX) :]
        else:
            email = orders[key][-1].email.strip().lower() if orders[key] else None
        histories[key] = StoredHistory(
            customer_key=key,
            customer=customer,
            email=email,
            orders=tuple(orders[key]),
            refunds=tuple(refunds[key]),
            redemptions=tuple(redemptions[key]),
        )
    return histories
