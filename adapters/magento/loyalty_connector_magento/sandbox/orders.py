"""Orders kept compact in memory; :mod:`.order_render` renders them as ``GET /V1/orders`` does.

A fully rendered Magento order (items repeated under ``shipping_assignments``, each child line
carrying a copy of its parent) is ~15 kB of Python objects; 100,000 of them would not fit a
benchmark machine comfortably. So an :class:`OrderRow` holds only what varies (customer snapshot,
addresses, lines, state, currency) and ``order_render.render_order`` derives every amount — base and
order currency, invoiced, refunded, canceled — the way Magento stores them. Amounts are ``Decimal``
internally and become JSON numbers (integral values as integers, as Magento prints them).
"""

from __future__ import annotations

__all__ = ["Address", "OrderLine", "OrderRow", "money", "quantize"]

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .catalog import BASE_CURRENCY, Product
from .order_totals import OrderTotals, compute_totals

_CENT = Decimal("0.01")


def quantize(amount: Decimal) -> Decimal:
    return amount.quantize(_CENT, ROUND_HALF_UP)


def money(amount: Decimal) -> int | float:
    """A JSON number as Magento prints it: ``29`` for 29.00, ``36.39`` otherwise."""
    integral = amount.to_integral_value()
    return int(integral) if amount == integral else float(amount)


@dataclass(frozen=True)
class Address:
    """A postal address as both customer addresses and order addresses use it."""

    firstname: str
    lastname: str
    company: str | None
    street: tuple[str, ...]
    city: str
    postcode: str
    country_id: str
    region: str | None
    region_code: str | None
    region_id: int
    telephone: str
    vat_id: str | None = None


class OrderLine:
    """One ordered product (for a configurable: the child product; the parent line is derived)."""

    __slots__ = (
        "base_price",
        "discount_percent",
        "item_id",
        "parent",
        "product",
        "qty",
        "qty_canceled",
        "qty_invoiced",
        "qty_refunded",
        "qty_shipped",
    )

    def __init__(
        self,
        product: Product,
        parent: Product | None,
        qty: int,
        base_price: Decimal,
        discount_percent: Decimal,
    ) -> None:
        self.product = product
        self.parent = parent
        self.qty = qty
        self.base_price = base_price
        self.discount_percent = discount_percent
        self.item_id = 0
        self.qty_invoiced = 0
        self.qty_shipped = 0
        self.qty_refunded = 0
        self.qty_canceled = 0


class OrderRow:
    """The compact state of one order; see the module docstring."""

    __slots__ = (
        "address",
        "applied_rule_ids",
        "base_shipping",
        "coupon_code",
        "created_at",
        "currency",
        "customer_address_id",
        "customer_dob",
        "customer_email",
        "customer_firstname",
        "customer_gender",
        "customer_group_id",
        "customer_id",
        "customer_lastname",
        "customer_taxvat",
        "entity_id",
        "extra",
        "increment_id",
        "lines",
        "payment_method",
        "quote_id",
        "rate",
        "refunded",
        "remote_ip",
        "state",
        "status",
        "tax_percent",
        "updated_at",
    )

    def __init__(self, entity_id: int, created_at: str, updated_at: str) -> None:
        self.entity_id = entity_id
        self.increment_id = f"{entity_id:09d}"
        self.created_at = created_at
        self.updated_at = updated_at
        self.state = "new"
        self.status = "pending"
        self.customer_id: int | None = None
        self.customer_email = ""
        self.customer_firstname = ""
        self.customer_lastname = ""
        self.customer_group_id = 0
        self.customer_dob: str | None = None
        self.customer_gender: int | None = None
        self.customer_taxvat: str | None = None
        self.customer_address_id: int | None = None
        self.address: Address | None = None
        self.currency = BASE_CURRENCY
        self.rate = Decimal(1)
        self.lines: list[OrderLine] = []
        self.coupon_code: str | None = None
        self.applied_rule_ids: str | None = None
        self.base_shipping = Decimal(0)
        self.tax_percent = Decimal(0)
        self.payment_method = "banktransfer"
        self.quote_id = entity_id
        self.remote_ip = "203.0.113.10"
        self.refunded: dict[str, Decimal] | None = None
        """Sums over the order's credit memos, keyed like the order fields (``base_subtotal`` ...)."""
        self.extra: dict[str, Any] | None = None
        """Top-level fields set through ``touch()`` that the row has no slot for."""

    def totals(self) -> OrderTotals:
        return compute_totals(self)
