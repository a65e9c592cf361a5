"""Conditions shared by the rules: group membership, status qualification, currency, subtotals, days.

Pure functions over domain objects and the programme; no I/O and no clock.
"""

from __future__ import annotations

__all__ = [
    "QUALIFYING",
    "convert_amount",
    "group_matches",
    "local_date",
    "order_in_program_currency",
    "qualifies",
    "qualifying_subtotal",
]

from collections.abc import Collection
from datetime import date, datetime
from decimal import Decimal
from typing import Literal
from zoneinfo import ZoneInfo

from ..domain import LineKind, Order, OrderStatus, quantize
from ..program import Program

QUALIFYING: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.PENDING: frozenset(
        {OrderStatus.PENDING, OrderStatus.PROCESSING, OrderStatus.COMPLETE, OrderStatus.CLOSED}
    ),
    OrderStatus.PROCESSING: frozenset({OrderStatus.PROCESSING, OrderStatus.COMPLETE, OrderStatus.CLOSED}),
    OrderStatus.COMPLETE: frozenset({OrderStatus.COMPLETE, OrderStatus.CLOSED}),
    OrderStatus.CLOSED: frozenset({OrderStatus.CLOSED}),
    OrderStatus.CANCELED: frozenset(),
}
"""Statuses that count as having reached a qualifying status. ``closed`` (refunded after completion)
has passed through ``complete``: it qualifies, and its refunds reverse the reward separately."""


def qualifies(status: OrderStatus, required: OrderStatus) -> bool:
    """True when an order in ``status`` has reached ``required`` (a canceled order never qualifies)."""
    return status in QUALIFYING[required]


def group_matches(groups: Collection[str] | str, group_code: str | None) -> bool:
    """True when a rule's ``customer_groups`` (a list of codes, or ``"all"``) covers ``group_code``."""
    if groups == "all":
        return True
    if group_code is None:
        return False
    folded = group_code.casefold()
    return any(code.casefold() == folded for code in groups)


def convert_amount(program: Program, amount: Decimal, currency: str) -> Decimal | None:
    """``amount`` in the programme currency, or ``None`` when it must be left out of rewards.

    Same currency: unchanged. Another currency: converted with ``exchange_rates`` when the programme
    says ``foreign_currency: convert`` and a rate exists; otherwise ``None`` (never mixed silently).
    """
    if currency == program.currency:
        return amount
    if program.foreign_currency != "convert":
        return None
    rate = program.exchange_rates.get(currency)
    if rate is None:
        return None
    return quantize(amount * rate, program.currency)


def order_in_program_currency(program: Program, order: Order) -> Decimal | None:
    """The factor that turns ``order``'s amounts into programme currency, or ``None`` if excluded."""
    if order.currency == program.currency:
        return Decimal(1)
    if program.foreign_currency != "convert":
        return None
    return program.exchange_rates.get(order.currency)


def qualifying_subtotal(
    order: Order,
    base: Literal[
        "before_discounts", "after_discounts", "subtotal_before_discounts", "subtotal_after_discounts"
    ],
    exclude_skus: Collection[str] = (),
) -> Decimal:
    """Sum of product lines in the order's currency, excluding tax, shipping, gifts and excluded SKUs.

    Child lines of configurable/bundle products carry no price and are skipped, so each ordered
    product counts once. ``after_discounts`` subtracts each line's own discount.
    """
    after = base.endswith("after_discounts")
    total = Decimal(0)
    for line in order.lines:
        if line.kind is not LineKind.PRODUCT or line.parent_line_id is not None or line.sku in exclude_skus:
            continue
        total += line.row_total.amount
        if after:
            total -= line.discount.amount
    return max(total, Decimal(0))


def local_date(moment: datetime, zone: ZoneInfo) -> date:
    """The calendar day of ``moment`` in the programme's time zone."""
    return moment.astimezone(zone).date()
