"""Cart arithmetic of sandbox orders, done the way Shopware does it: floats, rounded per line.

Shopware calculates with PHP floats: each line is rounded to the currency's item rounding, sums are
not, so totals such as ``52855.91000000001`` appear in real payloads. The sandbox reproduces that on
purpose; the adapter must turn these floats into ``Decimal`` money. ``rawTotal`` keeps the unrounded
total; ``totalPrice`` applies the currency's total (cash) rounding, e.g. 0.05 for CHF.
"""

from __future__ import annotations

__all__ = ["OrderLine", "OrderTotals", "calculated_price", "cart_price", "compute_totals", "num", "tax_of"]

from dataclasses import dataclass, field
from typing import Any

_EXT: list[Any] = []


def num(value: float) -> float | int:
    """A number as PHP's ``json_encode`` writes it: integral floats become integers (``1``, not ``1.0``)."""
    return int(value) if float(value).is_integer() else value


@dataclass
class OrderLine:
    """One priced line of an order before it becomes an ``order_line_item`` record."""

    kind: str
    """product, promotion, custom, credit, discount or container (Shopware line item types)."""
    label: str
    quantity: int
    unit_price: float
    total_price: float
    tax_rate: float
    product_index: int | None = None
    parent: int | None = None
    """Index (in the order's line list) of the container this line belongs to."""
    code: str | None = None
    promotion_id: str | None = None
    discount_value: float | None = None
    children: list[int] = field(default_factory=list)


@dataclass
class OrderTotals:
    position_price: float
    net: float
    total: float
    raw_total: float
    shipping: float
    taxes: dict[float, tuple[float, float]]
    """Tax rate -> (tax amount, taxed price)."""


def tax_of(total: float, rate: float, tax_status: str) -> float:
    """Tax contained in (gross) or added to (net) ``total`` at ``rate`` percent, rounded per line."""
    if tax_status == "tax-free" or rate == 0:
        return 0.0
    if tax_status == "gross":
        return round(total * rate / (100 + rate), 2)
    return round(total * rate / 100, 2)


def _cash_round(value: float, interval: float) -> float:
    if interval in (0.01, 0.0):
        return round(value, 2)
    return round(round(value / interval) * interval, 2)


def compute_totals(
    lines: list[OrderLine], shipping: float, tax_status: str, total_interval: float
) -> OrderTotals:
    """Order totals from its top-level lines (container children are inside their container)."""
    position = 0.0
    taxes: dict[float, tuple[float, float]] = {}
    for line in lines:
        if line.parent is not None:
            continue
        position += line.total_price
        if tax_status != "tax-free" and line.tax_rate:
            tax, price = taxes.get(line.tax_rate, (0.0, 0.0))
            taxes[line.tax_rate] = (
                tax + tax_of(line.total_price, line.tax_rate, tax_status),
                price + line.total_price,
            )
    if shipping and tax_status != "tax-free":
        tax, price = taxes.get(19.0, (0.0, 0.0))
        taxes[19.0] = (tax + tax_of(shipping, 19.0, tax_status), price + shipping)
    tax_sum = sum(tax for tax, _ in taxes.values())
    if tax_status == "net":
        net = position + shipping
        raw_total = net + tax_sum
    else:
        raw_total = position + shipping
        net = raw_total - tax_sum
    total = _cash_round(raw_total, total_interval) if total_interval not in (0.01, 0.0) else raw_total
    return OrderTotals(position, net, total, raw_total, shipping, taxes)


def calculated_price(
    unit: float, quantity: int, total: float, rate: float, tax_status: str
) -> dict[str, Any]:
    """A ``calculated_price`` struct (line items, shipping costs, transaction amounts)."""
    return {
        "extensions": _EXT,
        "unitPrice": num(unit),
        "quantity": quantity,
        "totalPrice": num(total),
        "calculatedTaxes": [
            {
                "extensions": _EXT,
                "tax": num(tax_of(total, rate, tax_status)),
                "taxRate": num(rate),
                "price": num(total),
                "apiAlias": "cart_tax_calculated",
            }
        ],
        "taxRules": [
            {"extensions": _EXT, "taxRate": num(rate), "percentage": 100, "apiAlias": "cart_tax_rule"}
        ],
        "referencePrice": None,
        "listPrice": None,
        "regulationPrice": None,
        "apiAlias": "calculated_price",
    }


def cart_price(totals: OrderTotals, tax_status: str) -> dict[str, Any]:
    """The order's ``price`` struct (``cart_price``)."""
    return {
        "extensions": _EXT,
        "netPrice": num(totals.net),
        "totalPrice": num(totals.total),
        "calculatedTaxes": [
            {
                "extensions": _EXT,
                "tax": num(tax),
                "taxRate": num(rate),
                "price": num(price),
                "apiAlias": "cart_tax_calculated",
            }
            for rate, (tax, price) in sorted(totals.taxes.items())
        ],
        "taxRules": [
            {"extensions": _EXT, "taxRate": num(rate), "percentage": 100, "apiAlias": "cart_tax_rule"}
            for rate in sorted(totals.taxes) or [0.0]
        ],
        "positionPrice": num(totals.position_price),
        "taxStatus": tax_status,
        "rawTotal": num(totals.raw_total),
        "apiAlias": "cart_price",
    }
