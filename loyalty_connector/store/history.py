"""Loading customers' whole histories for evaluation, a batch of customer keys at a time.

A history is the customer record (if synced), every order of the key, every refund of those
orders and every redemption in the ledger. Loaded with four queries per batch, not per customer,
so evaluating a backfill of thousands of customers stays a handful of round trips.
"""

from __future__ import annotations

__all__ = ["load_histories"]

import sqlite3
from collections.abc import Sequence

from ..domain import Customer, Order, Refund
from ..engine.results import IntentKind, Redemption
from ..ledger import as_redemption
from . import StoredHistory
from .pages import GUEST_PREFIX
from .rows import chunks, ledger_entry


def load_histories(conn: sqlite3.Connection, source: str, keys: Sequence[str]) -> dict[str, StoredHistory]:
    """The stored history of each key (inside the caller's read transaction, so all of one snapshot)."""
    customers: dict[str, Customer] = {}
    orders: dict[str, list[Order]] = {key: [] for key in keys}
    refunds: dict[str, list[Refund]] = {key: [] for key in keys}
    redemptions: dict[str, list[Redemption]] = {key: [] for key in keys}
    for part in chunks(keys):
        marks = ",".join("?" * len(part))
        params = (source, *part)
        for key, data in conn.execute(
            f"SELECT customer_key, data FROM customers WHERE source = ? AND customer_key IN ({marks})",  # noqa: S608
            params,
        ):
            customers[key] = Customer.model_validate_json(data)
        for key, data in conn.execute(
            f"SELECT customer_key, data FROM orders WHERE source = ? AND customer_key IN ({marks}) "  # noqa: S608
            "ORDER BY placed_at, external_id",
            params,
        ):
            orders[key].append(Order.model_validate_json(data))
        for key, data in conn.execute(
            "SELECT o.customer_key, r.data FROM refunds r "  # noqa: S608 - placeholders only
            "JOIN orders o ON o.source = r.source AND o.external_id = r.order_id "
            f"WHERE r.source = ? AND o.customer_key IN ({marks}) "
            "ORDER BY r.created_at, r.external_id",
            params,
        ):
            refunds[key].append(Refund.model_validate_json(data))
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
