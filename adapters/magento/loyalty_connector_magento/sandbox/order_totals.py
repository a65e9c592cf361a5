"""An order's money, derived from its lines the way Magento's total collectors store it.

Per line: row total = price x qty, the discount a percentage of it (positive on items), tax on the
discounted row. Per order: ``discount_amount`` is negative, ``grand_total = subtotal + discount +
shipping + tax``. Invoiced and canceled amounts follow the lines' ``qty_invoiced``/``qty_canceled``;
refunded amounts are the sums of the order's credit memos. Every amount exists twice: in the base
currency (EUR, ``base_*``) and in the order currency (converted line by line at ``base_to_order_rate``).
"""

from __future__ import annotations

__all__ = ["LineAmounts", "OrderTotals", "compute_totals", "line_amounts"]

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .orders import OrderRow

_CENT = Decimal("0.01")
_HUNDRED = Decimal(100)
_ZERO = Decimal(0)


def _q(amount: Decimal) -> Decimal:
    return amount.quantize(_CENT, ROUND_HALF_UP)


def _money(amount: Decimal) -> int | float:
    integral = amount.to_integral_value()
    return int(integral) if amount == integral else float(amount)


@dataclass(frozen=True)
class LineAmounts:
    price: Decimal
    price_incl_tax: Decimal
    row_total: Decimal
    discount: Decimal
    tax: Decimal
    row_total_incl_tax: Decimal


def line_amounts(price: Decimal, qty: int, discount_percent: Decimal, tax_percent: Decimal) -> LineAmounts:
    """One line's amounts in one currency."""
    row_total = _q(price * qty)
    discount = _q(row_total * discount_percent / _HUNDRED) if discount_percent else _ZERO
    tax = _q((row_total - discount) * tax_percent / _HUNDRED) if tax_percent else _ZERO
    price_incl_tax = _q(price * (1 + tax_percent / _HUNDRED)) if tax_percent else price
    return LineAmounts(price, price_incl_tax, row_total, discount, tax, row_total + tax)


def _convert(amounts: LineAmounts, rate: Decimal) -> LineAmounts:
    return LineAmounts(
        _q(amounts.price * rate),
        _q(amounts.price_incl_tax * rate),
        _q(amounts.row_total * rate),
        _q(amounts.discount * rate),
        _q(amounts.tax * rate),
        _q(amounts.row_total_incl_tax * rate),
    )


class OrderTotals:
    """Base- and order-currency amounts of one order (order-level fields without the ``base_`` prefix)."""

    def __init__(
        self,
        base_lines: list[LineAmounts],
        order_lines: list[LineAmounts],
        base: dict[str, Decimal],
        order: dict[str, Decimal],
        paid: bool,
    ) -> None:
        self.base_lines = base_lines
        self.order_lines = order_lines
        self.base = base
        self.order = order
        self.paid = paid

    def fields(self, prefix: str) -> dict[str, Any]:
        """Order-level money fields: ``base_*`` (``prefix="base_"``) or order currency (``""``)."""
        source = self.base if prefix else self.order
        out: dict[str, Any] = {}
        for key, value in source.items():
            name = prefix + key
            if name == "base_shipping_discount_tax_compensation_amount":
                name = "base_shipping_discount_tax_compensation_amnt"
            out[name] = _money(value)
        return out

    def shipping_total(self) -> dict[str, Any]:
        b, o = self.base, self.order
        return {
            "base_shipping_amount": _money(b["shipping_amount"]),
            "base_shipping_discount_amount": 0,
            "base_shipping_discount_tax_compensation_amnt": 0,
            "base_shipping_incl_tax": _money(b["shipping_incl_tax"]),
            "base_shipping_tax_amount": 0,
            "shipping_amount": _money(o["shipping_amount"]),
            "shipping_discount_amount": 0,
            "shipping_discount_tax_compensation_amount": 0,
            "shipping_incl_tax": _money(o["shipping_incl_tax"]),
            "shipping_tax_amount": 0,
        }


def _sums(
    row: OrderRow, lines: list[LineAmounts], shipping: Decimal, refunded: dict[str, Decimal], prefix: str
) -> tuple[dict[str, Decimal], bool]:
    subtotal = sum((a.row_total for a in lines), _ZERO)
    discount = sum((a.discount for a in lines), _ZERO)
    tax = sum((a.tax for a in lines), _ZERO)
    grand = subtotal - discount + shipping + tax
    out: dict[str, Decimal] = {
        "discount_amount": -discount,
        "grand_total": grand,
        "discount_tax_compensation_amount": _ZERO,
        "shipping_amount": shipping,
        "shipping_discount_amount": _ZERO,
        "shipping_discount_tax_compensation_amount": _ZERO,
        "shipping_incl_tax": shipping,
        "shipping_tax_amount": _ZERO,
        "subtotal": subtotal,
        "subtotal_incl_tax": subtotal + tax,
        "tax_amount": tax,
    }
    paid = _ZERO
    canceled = _ZERO
    invoiced_any = any(line.qty_invoiced for line in row.lines)
    if invoiced_any:
        sub_i = disc_i = tax_i = _ZERO
        for line, a in zip(row.lines, lines, strict=True):
            share = Decimal(line.qty_invoiced) / line.qty
            sub_i += _q(a.row_total * share)
            disc_i += _q(a.discount * share)
            tax_i += _q(a.tax * share)
        paid = sub_i - disc_i + shipping + tax_i
        out.update(
            discount_invoiced=-disc_i,
            shipping_invoiced=shipping,
            subtotal_invoiced=sub_i,
            tax_invoiced=tax_i,
            total_invoiced=paid,
            total_paid=paid,
        )
    if any(line.qty_canceled for line in row.lines):
        sub_c = disc_c = tax_c = _ZERO
        for line, a in zip(row.lines, lines, strict=True):
            share = Decimal(line.qty_canceled) / line.qty
            sub_c += _q(a.row_total * share)
            disc_c += _q(a.discount * share)
            tax_c += _q(a.tax * share)
        ship_c = shipping if not invoiced_any else _ZERO
        canceled = sub_c - disc_c + tax_c + ship_c
        out.update(
            discount_canceled=disc_c,
            shipping_canceled=ship_c,
            subtotal_canceled=sub_c,
            tax_canceled=tax_c,
            total_canceled=canceled,
        )
    for key, value in refunded.items():
        if prefix == "base_" and key.startswith("base_"):
            out[key[5:]] = value
        elif prefix == "" and not key.startswith("base_"):
            out[key] = value
    out["total_due"] = max(grand - paid - canceled, _ZERO)
    return out, invoiced_any


def compute_totals(row: OrderRow) -> OrderTotals:
    base_lines = [
        line_amounts(line.base_price, line.qty, line.discount_percent, row.tax_percent) for line in row.lines
    ]
    refunded = row.refunded or {}
    base, paid = _sums(row, base_lines, row.base_shipping, refunded, "base_")
    if row.rate == 1:
        return OrderTotals(base_lines, base_lines, base, dict(base) if refunded else base, paid)
    order_lines = [_convert(a, row.rate) for a in base_lines]
    order, _ = _sums(row, order_lines, _q(row.base_shipping * row.rate), refunded, "")
    return OrderTotals(base_lines, order_lines, base, order, paid)
