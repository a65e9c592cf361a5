"""What the cart rules price: a cart of lines in one currency, as built by a shop or from an order.

Plain frozen values checked once at construction (``Decimal`` amounts, never ``float``; a product
line has a positive quantity and no negative price), so :class:`~loyalty_connector.engine.cart.CartEvaluator`
can price them without re-checking. Built for every cart evaluated, so they write their slots
directly (see :mod:`~loyalty_connector.engine.slots`).
"""

from __future__ import annotations

__all__ = ["Cart", "CartLine"]

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..domain import LineKind, Order, minor_unit
from .slots import slot_writers

_ZERO = Decimal(0)
_PRODUCT = LineKind.PRODUCT


def _decimal(value: Any, name: str) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    raise TypeError(f"{name} must be a Decimal (or int), not {type(value).__name__}; money is never a float")


@dataclass(frozen=True, slots=True, init=False)
class CartLine:
    """One cart line: ``qty`` x ``sku`` at ``unit_price`` (excluding tax) less a line ``discount``.

    Amounts are ``Decimal`` (``int`` is accepted, ``float`` never). A product line needs a positive
    ``qty`` and a non-negative price and discount; other kinds (a promotion, a credit) may be negative.
    """

    sku: str
    qty: Decimal
    unit_price: Decimal
    category_ids: tuple[str, ...]
    discount: Decimal
    """Discount on the whole line, as a positive amount in the cart currency."""
    kind: LineKind
    """Only product lines are tier-priced and count toward thresholds and the referee discount."""

    def __init__(
        self,
        sku: str,
        qty: Decimal,
        unit_price: Decimal,
        category_ids: Iterable[str] = (),
        discount: Decimal = _ZERO,
        kind: LineKind = _PRODUCT,
    ) -> None:
        if not (type(qty) is type(unit_price) is type(discount) is Decimal):
            qty, unit_price = _decimal(qty, "qty"), _decimal(unit_price, "unit_price")
            discount = _decimal(discount, "discount")
        if qty <= 0:
            raise ValueError(f"qty of {sku} must be positive, got {qty}")
        if kind is _PRODUCT and (unit_price < 0 or discount < 0):
            raise ValueError(f"unit_price and discount of product {sku} must not be negative")
        set_sku, set_qty, set_price, set_categories, set_discount, set_kind = _LINE_WRITERS
        set_sku(self, sku)
        set_qty(self, qty)
        set_price(self, unit_price)
        set_categories(self, category_ids if type(category_ids) is tuple else tuple(category_ids))
        set_discount(self, discount)
        set_kind(self, kind)


_LINE_WRITERS = slot_writers(CartLine, "sku qty unit_price category_ids discount kind")


@dataclass(frozen=True, slots=True, init=False)
class Cart:
    """A cart (or an order to re-price) in one currency, with the coupon codes the customer entered."""

    currency: str
    lines: tuple[CartLine, ...]
    coupon_codes: tuple[str, ...]

    def __init__(self, currency: str, lines: Iterable[CartLine], coupon_codes: Iterable[str] = ()) -> None:
        minor_unit(currency)
        set_currency, set_lines, set_codes = _CART_WRITERS
        set_currency(self, currency)
        set_lines(self, lines if type(lines) is tuple else tuple(lines))
        set_codes(self, coupon_codes if type(coupon_codes) is tuple else tuple(coupon_codes))

    @classmethod
    def from_order(cls, order: Order) -> Cart:
        """The cart of ``order`` as the shop priced it (child lines of configurable/bundle items skipped)."""
        lines = tuple(
            CartLine(
                line.sku, line.qty, line.unit_price.amount, line.category_ids, line.discount.amount, line.kind
            )
            for line in order.lines
            if line.parent_line_id is None
        )
        return cls(order.currency, lines, order.coupon_codes)


_CART_WRITERS = slot_writers(Cart, "currency lines coupon_codes")
