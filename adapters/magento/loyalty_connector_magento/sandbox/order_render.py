"""An :class:`~.orders.OrderRow` rendered exactly as ``GET /V1/orders/{id}`` returns it.

Key sets, key order and types follow real Magento 2.3/2.4 output: a configurable line is a parent
item carrying the price plus a child item at 0 with ``parent_item_id`` and a copy of its parent;
items repeat under ``extension_attributes.shipping_assignments``; order ``discount_amount`` is
negative while item ``discount_amount`` is positive; fields that would be null are left out.
"""

from __future__ import annotations

__all__ = ["render_address", "render_order"]

import hashlib
from decimal import Decimal
from typing import Any

from .catalog import BASE_CURRENCY, STORE_NAME
from .order_totals import LineAmounts, OrderTotals
from .orders import Address, OrderLine, OrderRow, money, quantize

_PAYMENT_TITLES = {
    "banktransfer": "Bank Transfer Payment",
    "checkmo": "Check / Money order",
    "purchaseorder": "Purchase Order",
}


def render_address(
    address: Address, kind: str, entity_id: int, parent_id: int, row: OrderRow
) -> dict[str, Any]:
    result: dict[str, Any] = {"address_type": kind, "city": address.city}
    if address.company:
        result["company"] = address.company
    result["country_id"] = address.country_id
    if row.customer_address_id is not None:
        result["customer_address_id"] = row.customer_address_id
    result["email"] = row.customer_email
    result["entity_id"] = entity_id
    result["firstname"] = address.firstname
    result["lastname"] = address.lastname
    result["parent_id"] = parent_id
    result["postcode"] = address.postcode
    if address.region is not None:
        result["region"] = address.region
    if address.region_code is not None:
        result["region_code"] = address.region_code
    result["region_id"] = address.region_id
    result["street"] = list(address.street)
    result["telephone"] = address.telephone
    if address.vat_id:
        result["vat_id"] = address.vat_id
    return result


def _item(row: OrderRow, line: OrderLine, a: LineAmounts, o: LineAmounts) -> dict[str, Any]:
    product = line.parent or line.product
    qty = line.qty
    invoiced = Decimal(line.qty_invoiced) / qty
    refunded = Decimal(line.qty_refunded) / qty
    item: dict[str, Any] = {
        "amount_refunded": money(quantize(o.row_total * refunded)),
    }
    if row.applied_rule_ids:
        item["applied_rule_ids"] = row.applied_rule_ids
    item.update(
        {
            "base_amount_refunded": money(quantize(a.row_total * refunded)),
            "base_discount_amount": money(a.discount),
            "base_discount_invoiced": money(quantize(a.discount * invoiced)),
            "base_discount_tax_compensation_amount": 0,
            "base_original_price": money(line.product.price),
            "base_price": money(a.price),
            "base_price_incl_tax": money(a.price_incl_tax),
            "base_row_invoiced": money(quantize(a.row_total * invoiced)),
            "base_row_total": money(a.row_total),
            "base_row_total_incl_tax": money(a.row_total_incl_tax),
            "base_tax_amount": money(a.tax),
            "base_tax_invoiced": money(quantize(a.tax * invoiced)),
            "created_at": row.created_at,
            "discount_amount": money(o.discount),
            "discount_invoiced": money(quantize(o.discount * invoiced)),
            "discount_percent": money(line.discount_percent),
            "free_shipping": 0,
            "discount_tax_compensation_amount": 0,
            "is_qty_decimal": 0,
            "is_virtual": 0,
            "item_id": line.item_id,
            "name": product.name,
            "no_discount": 0,
            "order_id": row.entity_id,
            "original_price": money(quantize(line.product.price * row.rate)),
            "price": money(o.price),
            "price_incl_tax": money(o.price_incl_tax),
            "product_id": product.product_id,
            "product_type": product.type_id,
            "qty_canceled": line.qty_canceled,
            "qty_invoiced": line.qty_invoiced,
            "qty_ordered": qty,
            "qty_refunded": line.qty_refunded,
            "qty_shipped": line.qty_shipped,
            "quote_item_id": line.item_id + row.quote_id,
            "row_invoiced": money(quantize(o.row_total * invoiced)),
            "row_total": money(o.row_total),
            "row_total_incl_tax": money(o.row_total_incl_tax),
            "row_weight": money(line.product.weight * qty),
            "sku": line.product.sku,
            "store_id": 1,
            "tax_amount": money(o.tax),
            "tax_invoiced": money(quantize(o.tax * invoiced)),
            "tax_percent": money(row.tax_percent if a.tax else Decimal(0)),
            "updated_at": row.updated_at,
            "weight": money(line.product.weight),
        }
    )
    if line.qty_refunded:
        item["base_discount_refunded"] = money(quantize(a.discount * refunded))
        item["discount_refunded"] = money(quantize(o.discount * refunded))
        item["base_tax_refunded"] = money(quantize(a.tax * refunded))
        item["tax_refunded"] = money(quantize(o.tax * refunded))
    if line.parent is not None:
        item["product_option"] = {
            "extension_attributes": {
                "configurable_item_options": [
                    {"option_id": attribute, "option_value": value}
                    for attribute, value in line.product.options
                ]
            }
        }
    return item


def _child_item(row: OrderRow, line: OrderLine, parent_item: dict[str, Any]) -> dict[str, Any]:
    product = line.product
    return {
        "amount_refunded": 0,
        "base_amount_refunded": 0,
        "base_discount_amount": 0,
        "base_discount_invoiced": 0,
        "base_price": 0,
        "base_row_invoiced": 0,
        "base_row_total": 0,
        "base_tax_amount": 0,
        "base_tax_invoiced": 0,
        "created_at": row.created_at,
        "discount_amount": 0,
        "discount_invoiced": 0,
        "discount_percent": 0,
        "free_shipping": 0,
        "is_qty_decimal": 0,
        "is_virtual": 0,
        "item_id": line.item_id + 1,
        "name": product.name,
        "no_discount": 0,
        "order_id": row.entity_id,
        "original_price": 0,
        "parent_item_id": line.item_id,
        "price": 0,
        "product_id": product.product_id,
        "product_type": "simple",
        "qty_canceled": line.qty_canceled,
        "qty_invoiced": line.qty_invoiced,
        "qty_ordered": line.qty,
        "qty_refunded": line.qty_refunded,
        "qty_shipped": line.qty_shipped,
        "quote_item_id": line.item_id + 1 + row.quote_id,
        "row_invoiced": 0,
        "row_total": 0,
        "row_weight": 0,
        "sku": product.sku,
        "store_id": 1,
        "tax_amount": 0,
        "tax_invoiced": 0,
        "tax_percent": 0,
        "updated_at": row.updated_at,
        "weight": money(product.weight),
        "parent_item": parent_item,
        "row_total_incl_tax": 0,
        "base_row_total_incl_tax": 0,
    }


def _protect_code(row: OrderRow) -> str:
    return hashlib.blake2b(f"order-{row.entity_id}-{row.quote_id}".encode(), digest_size=16).hexdigest()


def render_order(row: OrderRow, *, with_children: bool = True) -> dict[str, Any]:
    """The order as ``GET /V1/orders/{id}`` returns it (``with_children=False``: top-level fields only)."""
    t = row.totals()
    guest = row.customer_id is None
    order: dict[str, Any] = {}
    if row.applied_rule_ids:
        order["applied_rule_ids"] = row.applied_rule_ids
    order["base_currency_code"] = BASE_CURRENCY
    order.update(t.fields("base_"))
    order["base_to_global_rate"] = 1
    order["base_to_order_rate"] = money(row.rate)
    order["billing_address_id"] = row.entity_id * 2
    if row.coupon_code:
        order["coupon_code"] = row.coupon_code
    order["created_at"] = row.created_at
    if row.customer_dob:
        order["customer_dob"] = f"{row.customer_dob} 00:00:00"
    order["customer_email"] = row.customer_email
    order["customer_firstname"] = row.customer_firstname
    if row.customer_gender is not None:
        order["customer_gender"] = row.customer_gender
    order["customer_group_id"] = row.customer_group_id
    if not guest:
        order["customer_id"] = row.customer_id
    order["customer_is_guest"] = 1 if guest else 0
    order["customer_lastname"] = row.customer_lastname
    order["customer_note_notify"] = 1
    if row.customer_taxvat:
        order["customer_taxvat"] = row.customer_taxvat
    if row.coupon_code:
        order["discount_description"] = row.coupon_code
    order["email_sent"] = 1
    order["entity_id"] = row.entity_id
    order["global_currency_code"] = BASE_CURRENCY
    order.update(t.fields(""))
    order["increment_id"] = row.increment_id
    order["is_virtual"] = 0
    order["order_currency_code"] = row.currency
    order["protect_code"] = _protect_code(row)
    order["quote_id"] = row.quote_id
    order["remote_ip"] = row.remote_ip
    order["shipping_description"] = "Flat Rate - Fixed" if row.base_shipping else "Free Shipping - Free"
    order["state"] = row.state
    order["status"] = row.status
    order["store_currency_code"] = BASE_CURRENCY
    order["store_id"] = 1
    order["store_name"] = STORE_NAME
    order["store_to_base_rate"] = 0
    order["store_to_order_rate"] = 0
    order["total_item_count"] = len(row.lines)
    order["total_qty_ordered"] = sum(line.qty for line in row.lines)
    order["updated_at"] = row.updated_at
    order["weight"] = money(sum((line.product.weight * line.qty for line in row.lines), Decimal(0)))
    if with_children:
        _add_children(row, t, order)
    if row.extra:
        for key, value in row.extra.items():
            if value is None:
                order.pop(key, None)
            else:
                order[key] = value
    return order


def _add_children(row: OrderRow, t: OrderTotals, order: dict[str, Any]) -> None:
    items: list[dict[str, Any]] = []
    item_taxes: list[dict[str, Any]] = []
    tax_title = f"{row.address.country_id if row.address else 'XX'}-*-*-{money(row.tax_percent)}"
    for line, base_amounts, order_amounts in zip(row.lines, t.base_lines, t.order_lines, strict=True):
        parent = _item(row, line, base_amounts, order_amounts)
        items.append(parent)
        if line.parent is not None:
            items.append(_child_item(row, line, parent))
        if base_amounts.tax:
            applied = {
                "code": tax_title,
                "title": tax_title,
                "percent": money(row.tax_percent),
                "amount": money(order_amounts.tax),
                "base_amount": money(base_amounts.tax),
            }
            item_taxes.append({"type": "product", "item_id": line.item_id, "applied_taxes": [applied]})
    order["items"] = items
    address = row.address
    if address is not None:
        order["billing_address"] = render_address(address, "billing", row.entity_id * 2, row.entity_id, row)
    order["payment"] = _payment(row, t)
    order["status_histories"] = _histories(row)
    extension: dict[str, Any] = {}
    if address is not None:
        extension["shipping_assignments"] = [
            {
                "shipping": {
                    "address": render_address(address, "shipping", row.entity_id * 2 - 1, row.entity_id, row),
                    "method": "flatrate_flatrate" if row.base_shipping else "freeshipping_freeshipping",
                    "total": t.shipping_total(),
                },
                "items": items,
            }
        ]
    title = _PAYMENT_TITLES.get(row.payment_method, row.payment_method)
    extension["payment_additional_info"] = [{"key": "method_title", "value": title}]
    applied_taxes = []
    if t.base["tax_amount"]:
        applied_taxes.append(
            {
                "code": tax_title,
                "title": tax_title,
                "percent": money(row.tax_percent),
                "amount": money(t.order["tax_amount"]),
                "base_amount": money(t.base["tax_amount"]),
            }
        )
    extension["applied_taxes"] = applied_taxes
    extension["item_applied_taxes"] = item_taxes
    extension["converting_from_quote"] = True
    order["extension_attributes"] = extension


def _payment(row: OrderRow, t: OrderTotals) -> dict[str, Any]:
    title = _PAYMENT_TITLES.get(row.payment_method, row.payment_method)
    payment: dict[str, Any] = {
        "account_status": None,
        "additional_information": [title],
        "amount_ordered": money(t.order["grand_total"]),
    }
    if t.paid:
        payment["amount_paid"] = money(t.order["total_paid"])
    if row.refunded:
        payment["amount_refunded"] = money(row.refunded["total_refunded"])
    if row.state == "canceled":
        payment["amount_canceled"] = money(t.order["grand_total"])
        payment["base_amount_canceled"] = money(t.base["grand_total"])
    payment["base_amount_ordered"] = money(t.base["grand_total"])
    if t.paid:
        payment["base_amount_paid"] = money(t.base["total_paid"])
    if row.refunded:
        payment["base_amount_refunded"] = money(row.refunded["base_total_refunded"])
    payment["base_shipping_amount"] = money(t.base["shipping_amount"])
    if t.paid:
        payment["base_shipping_captured"] = money(t.base["shipping_amount"])
    payment.update(
        {
            "cc_exp_year": "0",
            "cc_last4": None,
            "cc_ss_start_month": "0",
            "cc_ss_start_year": "0",
            "entity_id": row.entity_id,
            "method": row.payment_method,
            "parent_id": row.entity_id,
        }
    )
    if row.payment_method == "purchaseorder":
        payment["po_number"] = f"PO-{row.entity_id * 7 % 100000:05d}"
    payment["shipping_amount"] = money(t.order["shipping_amount"])
    if t.paid:
        payment["shipping_captured"] = money(t.order["shipping_amount"])
    return payment


_HISTORY_COMMENTS = {
    "canceled": "Order canceled: customer changed the purchase order.",
    "holded": "On hold: credit limit review.",
    "closed": "Refunded offline by bank transfer.",
}


def _histories(row: OrderRow) -> list[dict[str, Any]]:
    comment = _HISTORY_COMMENTS.get(row.state)
    if comment is None:
        return []
    return [
        {
            "comment": comment,
            "created_at": row.updated_at,
            "entity_id": row.entity_id,
            "entity_name": "order",
            "is_customer_notified": 0,
            "is_visible_on_front": 0,
            "parent_id": row.entity_id,
            "status": row.status,
        }
    ]
