"""The reward ledger as read: append-only entries, balances as sums, history and export rows.

Every reward the engine decides is written once as a :class:`LedgerEntry` under its idempotency key
(rule, kind, customer, source record); re-running a sync or a backfill finds the key taken and
writes nothing. Taking something back (refund, cancellation, expiry, redemption) is a new entry with
negative points, never an edit, so a customer's balance at any instant is a sum over the entries
effective by then, and the ledger is its own audit trail.

Only :mod:`loyalty_connector.store` talks SQL; the functions here take a
:class:`~loyalty_connector.store.Store`.
"""

from __future__ import annotations

__all__ = [
    "EXPORT_FIELDS",
    "LedgerEntry",
    "as_redemption",
    "balance",
    "export_rows",
    "history",
    "pending",
    "record_redemption",
    "redemption_key",
]

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from .engine.points import REDEMPTION_RULE_ID
from .engine.results import IntentKind, LedgerIntent, Redemption, intent_key

if TYPE_CHECKING:
    from .store import Store

EXPORT_FIELDS: tuple[str, ...] = (
    "id",
    "key",
    "kind",
    "rule_id",
    "source",
    "customer_key",
    "record",
    "points",
    "amount",
    "currency",
    "percent",
    "effective_at",
    "available_at",
    "expires_at",
    "reverses",
    "attributes",
    "reason",
    "recorded_at",
    "run_id",
)
"""Column order of :func:`export_rows` (the CSV header)."""

ExportValue = str | int | None


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One entry of the ledger: a :class:`~loyalty_connector.engine.results.LedgerIntent` once recorded.

    ``points`` are signed (negative for reversals, expiries and redemptions). Points count toward
    the balance from ``available_at`` (or ``effective_at`` when there is no holding period); before
    that they are pending.
    """

    id: int
    key: str
    kind: IntentKind
    rule_id: str
    source: str
    customer_key: str
    record: str
    points: int
    effective_at: datetime
    reason: str
    recorded_at: datetime
    amount: Decimal | None = None
    currency: str | None = None
    percent: Decimal | None = None
    available_at: datetime | None = None
    expires_at: datetime | None = None
    reverses: str | None = None
    attributes: tuple[tuple[str, str], ...] = ()
    run_id: int | None = None
    """The sync or backfill run that recorded the entry (``None`` for entries recorded by hand)."""

    def is_available(self, at: datetime) -> bool:
        """True when the entry's points count toward the balance at ``at``."""
        if self.effective_at > at:
            return False
        return self.available_at is None or self.available_at <= at

    def is_pending(self, at: datetime) -> bool:
        """True when the entry is in effect at ``at`` but its points are still held back."""
        return self.effective_at <= at and self.available_at is not None and self.available_at > at

    def attribute(self, name: str) -> str | None:
        for key, value in self.attributes:
            if key == name:
                return value
        return None


def balance(store: Store, source: str, customer_key: str, at: datetime) -> int:
    """Points the customer can spend at ``at``: the sum of every entry available by then."""
    available, _ = store.points_totals(source, customer_key, at)
    return available


def pending(store: Store, source: str, customer_key: str, at: datetime) -> int:
    """Points earned but still in their holding period at ``at``."""
    _, held = store.points_totals(source, customer_key, at)
    return held


def history(
    store: Store,
    source: str | None = None,
    customer_key: str | None = None,
    *,
    kinds: Collection[IntentKind] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int | None = None,
) -> list[LedgerEntry]:
    """Entries in ``effective_at`` order (then recording order), filtered as given; ``until`` excluded."""
    return store.ledger_entries(source, customer_key, kinds=kinds, since=since, until=until, limit=limit)


def _text(value: datetime | Decimal | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def export_rows(entries: Iterable[LedgerEntry]) -> list[dict[str, ExportValue]]:
    """One flat row per entry for CSV or JSON: Decimals and timestamps as exact strings, never floats.

    ``attributes`` becomes ``name=value`` pairs joined by ``;`` so a CSV cell stays one cell.
    """
    rows: list[dict[str, ExportValue]] = []
    for entry in entries:
        rows.append(
            {
                "id": entry.id,
                "key": entry.key,
                "kind": entry.kind.value,
                "rule_id": entry.rule_id,
                "source": entry.source,
                "customer_key": entry.customer_key,
                "record": entry.record,
                "points": entry.points,
                "amount": _text(entry.amount),
                "currency": entry.currency,
                "percent": _text(entry.percent),
                "effective_at": _text(entry.effective_at),
                "available_at": _text(entry.available_at),
                "expires_at": _text(entry.expires_at),
                "reverses": entry.reverses,
                "attributes": ";".join(f"{k}={v}" for k, v in entry.attributes),
                "reason": entry.reason,
                "recorded_at": _text(entry.recorded_at),
                "run_id": entry.run_id,
            }
        )
    return rows


_REDEMPTION_PREFIX = "redemption:"


def redemption_key(source: str, customer_key: str, reference: str) -> str:
    """The idempotency key of a redemption: the key the engine gives the same redemption."""
    return intent_key(
        REDEMPTION_RULE_ID, IntentKind.REDEMPTION, source, customer_key, _REDEMPTION_PREFIX + reference
    )


def as_redemption(entry: LedgerEntry) -> Redemption:
    """A redemption entry read back as the engine's input fact.

    The engine replays redemptions over FIFO point batches (for expiries) and emits each as a
    ledger intent keyed by its reference; the entry already holds that key, so the re-emission is
    a no-op and the redemption is counted once.
    """
    return Redemption(
        key=entry.record.removeprefix(_REDEMPTION_PREFIX),
        points=abs(entry.points),
        at=entry.effective_at,
        reason=entry.reason,
        attributes=entry.attributes,
    )


def record_redemption(
    store: Store,
    source: str,
    customer_key: str,
    points: int,
    at: datetime,
    *,
    reference: str,
    reason: str = "points redeemed",
) -> bool:
    """Record that the customer spent ``points`` (a positive number) at ``at``; False if already recorded.

    ``reference`` identifies the redemption in the shop or the operator's books (an order number, a
    ticket), so recording it twice is a no-op. A redemption larger than the balance available at
    ``at`` is refused. The customer is marked for re-evaluation, so the next sync consumes the
    oldest points first (FIFO) and computes expiries on what is left.
    """
    if points <= 0:
        raise ValueError("redeemed points must be a positive number")
    key = redemption_key(source, customer_key, reference)
    if store.ledger_entries(source, customer_key, kinds=[IntentKind.REDEMPTION], keys=[key]):
        return False
    available = balance(store, source, customer_key, at)
    if points > available:
        raise ValueError(
            f"cannot redeem {points} points for customer {customer_key} of {source}: "
            f"only {available} are available at {at.isoformat()}"
        )
    intent = LedgerIntent(
        key=key,
        kind=IntentKind.REDEMPTION,
        rule_id=REDEMPTION_RULE_ID,
        source=source,
        customer_key=customer_key,
        record=_REDEMPTION_PREFIX + reference,
        effective_at=at,
        reason=reason,
        points=-points,
    )
    return store.record_intents(source, [intent], at=at) == 1
