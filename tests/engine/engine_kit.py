"""Builders the engine tests share: a programme from a YAML fragment, money, and one-line orders.

Each test module keeps its own thin ``program``/``order`` with the defaults its rules need (the
programme body, the SKU, the customer); what a programme head and a one-line order look like is
written here once.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from loyalty_connector.domain import Money, Order, OrderLine, OrderStatus
from loyalty_connector.program import Program, parse_program


def program(body: str, **top: str) -> Program:
    """A programme: the usual head (version 1, EUR, Europe/Berlin; ``top`` overrides or adds keys)
    followed by ``body``, a YAML fragment with the rules under test."""
    head = {"version": "1", "name": "test", "currency": "EUR", "timezone": "Europe/Berlin", **top}
    return parse_program("".join(f"{k}: {v}\n" for k, v in head.items()) + textwrap.dedent(body))


def money(amount: str | Decimal, currency: str = "EUR") -> Money:
    return Money.of(amount, currency)


def one_line_order(
    oid: str,
    placed: datetime,
    amount: str,
    *,
    sku: str = "SKU-1",
    customer_id: str = "c1",
    email: str = "buyer@kontor.example",
    status: OrderStatus = OrderStatus.COMPLETE,
    updated: datetime | None = None,
    currency: str = "EUR",
    coupon_codes: Sequence[str] = (),
) -> Order:
    """An order of one product line worth ``amount`` (no tax, shipping or discount), changed at
    ``updated`` (default: when it was placed)."""
    line = OrderLine(
        line_id=f"{oid}-1",
        sku=sku,
        qty=Decimal(1),
        unit_price=money(amount, currency),
        row_total=money(amount, currency),
        discount=money("0", currency),
        tax=money("0", currency),
    )
    return Order(
        source="shop",
        external_id=oid,
        number=oid,
        customer_id=customer_id,
        email=email,
        status=status,
        raw_status=status.value,
        currency=currency,
        placed_at=placed,
        updated_at=updated or placed,
        lines=(line,),
        subtotal=money(amount, currency),
        discount=money("0", currency),
        shipping=money("0", currency),
        tax=money("0", currency),
        grand_total=money(amount, currency),
        coupon_codes=tuple(coupon_codes),
    )
