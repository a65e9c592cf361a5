"""One customer key's purchases as the KPIs read them: counted orders, net revenue, level held.

:func:`customer_facts` reduces a customer's stored orders and refunds to :class:`Purchase` items as of
a report's end (later orders and refunds are not seen), each with its net revenue in programme
currency and the level held just before it (from the ledger's LEVEL entries, :func:`level_changes`).
"""

from __future__ import annotations

__all__ = [
    "COUNTED_STATUSES",
    "NO_LEVEL",
    "CustomerFacts",
    "LevelChange",
    "OrderHistory",
    "Purchase",
    "customer_facts",
    "level_changes",
    "order_revenue",
]

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from ..domain import Customer, Order, OrderStatus, Refund, normalize_email, quantize
from ..engine.conditions import convert_amount, order_in_program_currency
from ..engine.results import IntentKind
from ..ledger import LedgerEntry
from ..program import Program

COUNTED_STATUSES: frozenset[OrderStatus] = frozenset(
    {OrderStatus.PENDING, OrderStatus.PROCESSING, OrderStatus.COMPLETE, OrderStatus.CLOSED}
)
"""Order statuses that count as a purchase: every status but ``canceled``."""
NO_LEVEL = "none"
"""The level key of customers who hold no level (and of guests)."""

_ZERO = Decimal(0)
_GUEST_PREFIX = "guest:"


class OrderHistory(Protocol):
    """One customer key's stored records: what :func:`customer_facts` reads."""

    @property
    def source(self) -> str: ...
    @property
    def customer_key(self) -> str: ...
    @property
    def customer(self) -> Customer | None: ...
    @property
    def orders(self) -> Sequence[Order]: ...
    @property
    def refunds(self) -> Sequence[Refund]: ...


LevelChange = tuple[datetime, str]
"""(when, level id held from then on — :data:`NO_LEVEL` for none), from the ledger's LEVEL entries."""


def level_changes(entries: Iterable[LedgerEntry]) -> dict[tuple[str, str], tuple[LevelChange, ...]]:
    """Per (source, customer key): the held level's changes in time order, from LEVEL ledger entries."""
    found: dict[tuple[str, str], list[tuple[datetime, int, str]]] = defaultdict(list)
    for entry in entries:
        if entry.kind is IntentKind.LEVEL:
            to = entry.attribute("to") or NO_LEVEL
            found[(entry.source, entry.customer_key)].append((entry.effective_at, entry.id, to))
    return {who: tuple((at, to) for at, _, to in sorted(items)) for who, items in found.items()}


@dataclass(frozen=True, slots=True)
class Purchase:
    """A counted order reduced to what the KPIs read."""

    order_id: str
    placed_at: datetime
    revenue: Decimal | None
    """Net revenue in programme currency; ``None`` when its currency is excluded."""
    refunded: Decimal
    level_id: str
    """The level held just before the order (what it was earned at), or :data:`NO_LEVEL`."""


def order_revenue(
    program: Program, order: Order, refunds: Iterable[Refund] = ()
) -> tuple[Decimal, Decimal] | None:
    """(net revenue, refunded) of ``order`` in programme currency, or ``None`` when its currency is excluded.

    Revenue is the subtotal after discounts, excluding tax and shipping (``subtotal - discount``),
    minus the goods value of ``refunds``; never below zero.
    """
    factor = order_in_program_currency(program, order)
    if factor is None:
        return None
    gross = quantize(max(order.subtotal.amount - order.discount.amount, _ZERO) * factor, program.currency)
    refunded = sum(
        (convert_amount(program, r.amount.amount, r.amount.currency) or _ZERO for r in refunds), _ZERO
    )
    refunded = min(max(refunded, _ZERO), gross)
    return gross - refunded, refunded


def _held_before(changes: Sequence[LevelChange], at: datetime) -> str:
    held = NO_LEVEL
    for when, level in changes:
        if when >= at:
            break
        held = level
    return held


@dataclass(frozen=True, slots=True)
class CustomerFacts:
    """One customer key's purchases up to the report's end, and who they are."""

    source: str
    customer_key: str
    customer: Customer | None
    """``None`` for guests and for accounts whose customer record was not synced."""
    email: str | None
    purchases: tuple[Purchase, ...]
    """Counted orders placed before the end, oldest first."""
    excluded_orders: int
    """Of those, orders whose currency is left out of money KPIs."""
    levels: tuple[LevelChange, ...] = ()

    @property
    def is_guest(self) -> bool:
        return self.customer_key.startswith(_GUEST_PREFIX)

    def level_before(self, at: datetime) -> str:
        """The level held just before ``at`` (:data:`NO_LEVEL` for none)."""
        return _held_before(self.levels, at)

    def purchases_between(self, since: datetime, until: datetime) -> list[Purchase]:
        return [p for p in self.purchases if since <= p.placed_at < until]

    @property
    def realized_value(self) -> Decimal:
        """Realized historical CLV: the net revenue of every purchase (excluded currencies left out)."""
        return sum((p.revenue for p in self.purchases if p.revenue is not None), _ZERO)

    @property
    def first_purchase_at(self) -> datetime | None:
        return self.purchases[0].placed_at if self.purchases else None

    @property
    def last_purchase_at(self) -> datetime | None:
        return self.purchases[-1].placed_at if self.purchases else None


def customer_facts(
    program: Program,
    history: OrderHistory,
    *,
    until: datetime,
    levels: Sequence[LevelChange] = (),
) -> CustomerFacts:
    """The facts of one customer key as of ``until`` (orders and refunds dated later are ignored)."""
    refunds: dict[str, list[Refund]] = defaultdict(list)
    for refund in history.refunds:
        if refund.created_at < until:
            refunds[refund.order_id].append(refund)
    purchases: list[Purchase] = []
    excluded = 0
    email = history.customer.email if history.customer is not None else None
    for order in sorted(history.orders, key=lambda o: (o.placed_at, o.external_id)):
        if order.placed_at >= until or order.status not in COUNTED_STATUSES:
            continue
        email = email or order.email
        money = order_revenue(program, order, refunds.get(order.external_id, ()))
        excluded += money is None
        purchases.append(
            Purchase(
                order_id=order.external_id,
                placed_at=order.placed_at,
                revenue=None if money is None else money[0],
                refunded=_ZERO if money is None else money[1],
                level_id=_held_before(levels, order.placed_at),
            )
        )
    return CustomerFacts(
        source=history.source,
        customer_key=history.customer_key,
        customer=history.customer,
        email=None if email is None else normalize_email(email),
        purchases=tuple(purchases),
        excluded_orders=excluded,
        levels=tuple(levels),
    )
