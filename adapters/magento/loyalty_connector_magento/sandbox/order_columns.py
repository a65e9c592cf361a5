"""The columns of ``sales_order`` an order search may filter or sort on, read from an :class:`OrderRow`.

Common columns are read straight from the row's slots; money columns from its computed totals; the
rest from the rendered top-level order, so a filter on any column Magento has gives Magento's answer.
"""

from __future__ import annotations

__all__ = ["ORDER_COLUMNS", "order_value"]

from typing import Any

from .order_render import render_order
from .orders import OrderRow, money

_DIRECT = {
    "entity_id",
    "increment_id",
    "created_at",
    "updated_at",
    "state",
    "status",
    "customer_id",
    "customer_email",
    "customer_firstname",
    "customer_lastname",
    "customer_group_id",
    "customer_gender",
    "customer_taxvat",
    "coupon_code",
    "applied_rule_ids",
    "quote_id",
    "remote_ip",
}


_MONEY_NAMES = (
    "grand_total",
    "subtotal",
    "subtotal_incl_tax",
    "discount_amount",
    "tax_amount",
    "shipping_amount",
    "shipping_incl_tax",
    "shipping_tax_amount",
    "shipping_discount_amount",
    "total_due",
    "total_paid",
    "total_invoiced",
    "subtotal_invoiced",
    "tax_invoiced",
    "shipping_invoiced",
    "discount_invoiced",
    "total_refunded",
    "subtotal_refunded",
    "tax_refunded",
    "shipping_refunded",
    "discount_refunded",
    "total_offline_refunded",
    "adjustment_positive",
    "adjustment_negative",
    "total_canceled",
    "subtotal_canceled",
    "tax_canceled",
    "shipping_canceled",
    "discount_canceled",
    "discount_tax_compensation_amount",
)
_MONEY_COLUMNS = frozenset(prefix + name for prefix in ("", "base_") for name in _MONEY_NAMES)
_AMNT = {"shipping_discount_tax_compensation_amnt": "shipping_discount_tax_compensation_amount"}

ORDER_COLUMNS = frozenset(
    _DIRECT
    | _MONEY_COLUMNS
    | {
        "base_currency_code",
        "order_currency_code",
        "global_currency_code",
        "store_currency_code",
        "base_to_global_rate",
        "base_to_order_rate",
        "store_to_base_rate",
        "store_to_order_rate",
        "customer_is_guest",
        "customer_note_notify",
        "discount_description",
        "email_sent",
        "is_virtual",
        "protect_code",
        "shipping_description",
        "store_id",
        "store_name",
        "billing_address_id",
        "total_item_count",
        "total_qty_ordered",
        "weight",
        "shipping_discount_tax_compensation_amount",
        "base_shipping_discount_tax_compensation_amnt",
    }
)
"""Columns of ``sales_order`` a search may filter or sort on."""


def order_value(row: OrderRow, column: str) -> Any:
    """A column of the order for searching; the common ones without rendering."""
    if row.extra and column in row.extra:
        return row.extra[column]
    if column in _DIRECT:
        return getattr(row, column)
    if column == "order_currency_code":
        return row.currency
    if column == "customer_is_guest":
        return 0 if row.customer_id is not None else 1
    if column in _MONEY_COLUMNS:
        totals = row.totals()
        source, key = (totals.base, column[5:]) if column.startswith("base_") else (totals.order, column)
        amount = source.get(_AMNT.get(key, key))
        return None if amount is None else money(amount)
    return render_order(row, with_children=False).get(column)
