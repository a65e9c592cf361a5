"""Credit memos: refund part or all of an order, in the shape of ``GET /V1/creditmemo/{id}``.

Refunding updates the order as Magento does: item ``qty_refunded``, the order's ``*_refunded``
totals (the discount refunded is negative like the order's discount), and the state ``closed`` once
everything invoiced has been refunded. Memo lines reference order lines by ``order_item_id``; a
configurable line is refunded as its parent line (with the price) plus its child line at 0.
"""

from __future__ import annotations

__all__ = ["CREDITMEMO_COLUMNS", "RefundLine", "create_creditmemo"]

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .catalog import BASE_CURRENCY
from .order_totals import LineAmounts
from .orders import OrderLine, OrderRow, money

_CENT = Decimal("0.01")
_ZERO = Decimal(0)

CREDITMEMO_COLUMNS = frozenset(
    {
        "entity_id",
        "order_id",
        "increment_id",
        "created_at",
        "updated_at",
        "state",
        "store_id",
        "billing_address_id",
        "shipping_address_id",
        "base_currency_code",
        "order_currency_code",
        "global_currency_code",
        "store_currency_code",
        "base_to_global_rate",
        "base_to_order_rate",
        "store_to_base_rate",
        "store_to_order_rate",
        "invoice_id",
        "creditmemo_status",
        "email_sent",
    }
    | {
        prefix + name
        for prefix in ("", "base_")
        for name in (
            "adjustment",
            "adjustment_negative",
            "adjustment_positive",
            "discount_amount",
            "grand_total",
            "discount_tax_compensation_amount",
            "shipping_amount",
            "shipping_incl_tax",
            "shipping_tax_amount",
            "subtotal",
            "subtotal_incl_tax",
            "tax_amount",
        )
    }
)
"""Columns of ``sales_creditmemo`` a search may filter or sort on."""


def _q(amount: Decimal) -> Decimal:
    return amount.quantize(_CENT, ROUND_HALF_UP)


@dataclass(frozen=True)
class RefundLine:
    """Refund ``qty`` units of an order line."""

    line: OrderLine
    qty: int


def _scaled(amounts: LineAmounts, share: Decimal) -> tuple[Decimal, Decimal, Decimal]:
    return _q(amounts.row_total * share), _q(amounts.discount * share), _q(amounts.tax * share)


def _memo_item(
    memo_id: int, entity_id: int, line: OrderLine, qty: int, base: LineAmounts, order: LineAmounts
) -> dict[str, Any]:
    share = Decimal(qty) / line.qty
    b_row, b_disc, b_tax = _scaled(base, share)
    o_row, o_disc, o_tax = _scaled(order, share)
    product = line.parent or line.product
    item: dict[str, Any] = {
        "base_cost": None,
        "base_discount_tax_compensation_amount": 0,
        "base_price": money(base.price),
        "base_price_incl_tax": money(base.price_incl_tax),
        "base_row_total": money(b_row),
        "base_row_total_incl_tax": money(b_row + b_tax),
        "base_tax_amount": money(b_tax),
        "base_weee_tax_row_disposition": 0,
        "entity_id": entity_id,
        "discount_tax_compensation_amount": 0,
        "name": product.name,
        "order_item_id": line.item_id,
        "parent_id": memo_id,
        "price": money(order.price),
        "price_incl_tax": money(order.price_incl_tax),
        "product_id": product.product_id,
        "qty": qty,
        "row_total": money(o_row),
        "row_total_incl_tax": money(o_row + o_tax),
        "sku": line.product.sku,
        "tax_amount": money(o_tax),
        "weee_tax_applied": "[]",
        "weee_tax_applied_row_amount": 0,
        "weee_tax_row_disposition": 0,
    }
    if b_disc:
        item["base_discount_amount"] = money(b_disc)
        item["discount_amount"] = money(o_disc)
    return item


def _child_memo_item(memo_id: int, entity_id: int, line: OrderLine, qty: int) -> dict[str, Any]:
    return {
        "base_cost": None,
        "base_price": 0,
        "base_row_total": 0,
        "base_weee_tax_row_disposition": 0,
        "entity_id": entity_id,
        "name": line.product.name,
        "order_item_id": line.item_id + 1,
        "parent_id": memo_id,
        "price": 0,
        "product_id": line.product.product_id,
        "qty": qty,
        "row_total": 0,
        "sku": line.product.sku,
        "weee_tax_applied": "[]",
        "weee_tax_applied_row_amount": 0,
        "weee_tax_row_disposition": 0,
    }


def create_creditmemo(
    row: OrderRow,
    memo_id: int,
    first_item_id: int,
    created_at: str,
    refunds: list[RefundLine],
    *,
    refund_shipping: bool,
    adjustment_positive: Decimal = _ZERO,
    adjustment_negative: Decimal = _ZERO,
) -> dict[str, Any]:
    """Refund ``refunds`` of ``row``, update the order, and return the new credit memo.

    Raises ``ValueError`` when a quantity exceeds what was invoiced and not yet refunded.
    """
    for refund in refunds:
        refundable = refund.line.qty_invoiced - refund.line.qty_refunded
        if refund.qty <= 0 or refund.qty > refundable:
            raise ValueError(
                f"order {row.entity_id} item {refund.line.item_id}: cannot refund {refund.qty} "
                f"(refundable {refundable})"
            )
    totals = row.totals()
    positions = {id(line): position for position, line in enumerate(row.lines)}
    items: list[dict[str, Any]] = []
    sums = {key: [_ZERO, _ZERO] for key in ("subtotal", "discount", "tax")}
    next_item = first_item_id
    for refund in refunds:
        position = positions[id(refund.line)]
        base, order = totals.base_lines[position], totals.order_lines[position]
        share = Decimal(refund.qty) / refund.line.qty
        for slot, amounts in enumerate((base, order)):
            row_total, discount, tax = _scaled(amounts, share)
            sums["subtotal"][slot] += row_total
            sums["discount"][slot] += discount
            sums["tax"][slot] += tax
        items.append(_memo_item(memo_id, next_item, refund.line, refund.qty, base, order))
        next_item += 1
        if refund.line.parent is not None:
            items.append(_child_memo_item(memo_id, next_item, refund.line, refund.qty))
            next_item += 1
        refund.line.qty_refunded += refund.qty

    previous = row.refunded or {}
    shipping = [_ZERO, _ZERO]
    if refund_shipping:
        shipping[0] = totals.base["shipping_amount"] - previous.get("base_shipping_refunded", _ZERO)
        shipping[1] = totals.order["shipping_amount"] - previous.get("shipping_refunded", _ZERO)
    adjust = [(adjustment_positive, adjustment_negative)]
    adjust.append((_q(adjustment_positive * row.rate), _q(adjustment_negative * row.rate)))

    memo: dict[str, Any] = {}
    grand = [_ZERO, _ZERO]
    for slot, prefix in ((0, "base_"), (1, "")):
        positive, negative = adjust[slot]
        grand[slot] = (
            sums["subtotal"][slot]
            - sums["discount"][slot]
            + shipping[slot]
            + sums["tax"][slot]
            + positive
            - negative
        )
        memo.update(
            {
                f"{prefix}adjustment": money(positive - negative),
                f"{prefix}adjustment_negative": money(negative),
                f"{prefix}adjustment_positive": money(positive),
            }
        )
    memo["base_currency_code"] = BASE_CURRENCY
    for slot, prefix in ((0, "base_"), (1, "")):
        memo[f"{prefix}discount_amount"] = money(-sums["discount"][slot])
        memo[f"{prefix}grand_total"] = money(grand[slot])
        memo[f"{prefix}discount_tax_compensation_amount"] = 0
        memo[f"{prefix}shipping_amount"] = money(shipping[slot])
        memo[f"{prefix}shipping_incl_tax"] = money(shipping[slot])
        memo[f"{prefix}shipping_tax_amount"] = 0
        memo[f"{prefix}subtotal"] = money(sums["subtotal"][slot])
        memo[f"{prefix}subtotal_incl_tax"] = money(sums["subtotal"][slot] + sums["tax"][slot])
        memo[f"{prefix}tax_amount"] = money(sums["tax"][slot])
    memo.update(
        {
            "base_to_global_rate": 1,
            "base_to_order_rate": money(row.rate),
            "billing_address_id": row.entity_id * 2,
            "created_at": created_at,
            "entity_id": memo_id,
            "global_currency_code": BASE_CURRENCY,
            "increment_id": f"{memo_id:09d}",
            "order_currency_code": row.currency,
            "order_id": row.entity_id,
            "shipping_address_id": row.entity_id * 2 - 1,
            "state": 2,
            "store_currency_code": BASE_CURRENCY,
            "store_id": 1,
            "store_to_base_rate": 0,
            "store_to_order_rate": 0,
            "updated_at": created_at,
            "items": items,
            "comments": [],
        }
    )
    _record_on_order(row, sums, shipping, grand, adjust)
    return memo


def _record_on_order(
    row: OrderRow,
    sums: dict[str, list[Decimal]],
    shipping: list[Decimal],
    grand: list[Decimal],
    adjust: list[tuple[Decimal, Decimal]],
) -> None:
    refunded = dict(row.refunded or {})
    for slot, prefix in ((0, "base_"), (1, "")):
        additions = {
            "subtotal_refunded": sums["subtotal"][slot],
            "discount_refunded": -sums["discount"][slot],
            "tax_refunded": sums["tax"][slot],
            "shipping_refunded": shipping[slot],
            "adjustment_positive": adjust[slot][0],
            "adjustment_negative": adjust[slot][1],
            "total_refunded": grand[slot],
            "total_offline_refunded": grand[slot],
        }
        for key, amount in additions.items():
            refunded[prefix + key] = refunded.get(prefix + key, _ZERO) + amount
    row.refunded = refunded
    if all(line.qty_refunded >= line.qty_invoiced for line in row.lines if line.qty_invoiced):
        row.state = "closed"
        row.status = "closed"
