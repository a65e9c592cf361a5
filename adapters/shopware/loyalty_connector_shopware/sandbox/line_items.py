"""The parts of an ``order_line_item`` that depend on its type: price definition and payload.

Product lines carry the product snapshot (``productNumber``, ``purchasePrices`` as a JSON string, ...);
promotion lines the promotion, discount and the ``code`` that was redeemed (also in ``referencedId``).
"""

from __future__ import annotations

__all__ = ["line_payload", "price_definition"]

import json
from typing import Any

from .catalogue import CURRENCIES, stable_id
from .pricing import OrderLine, num


def price_definition(line: OrderLine) -> dict[str, Any]:
    if line.kind == "promotion" and line.discount_value is not None:
        return {
            "extensions": [],
            "percentage": num(-line.discount_value),
            "filter": None,
            "type": "percentage",
            "apiAlias": "cart_price_percentage",
        }
    rules: list[dict[str, Any]] = [
        {"extensions": [], "taxRate": num(line.tax_rate), "percentage": 100, "apiAlias": "cart_tax_rule"}
    ]
    return {
        "extensions": [],
        "price": num(line.unit_price),
        "taxRules": rules,
        "quantity": line.quantity,
        "isCalculated": True,
        "referencePriceDefinition": None,
        "listPrice": None,
        "regulationPrice": None,
        "type": "quantity",
        "apiAlias": "cart_price_quantity",
    }


def line_payload(line: OrderLine, product: Any) -> dict[str, Any]:
    if line.kind == "product" and product is not None:
        purchase = {
            "extensions": [],
            "currencyId": CURRENCIES[0].id,
            "net": round(product.net * 0.55, 2),
            "gross": round(product.gross * 0.55, 2),
            "linked": True,
            "listPrice": None,
            "percentage": None,
            "regulationPrice": None,
        }
        return {
            "isNew": False,
            "stock": 5000,
            "taxId": stable_id("tax", str(product.tax_rate)),
            "tagIds": None,
            "options": [],
            "features": [],
            "parentId": None,
            "createdAt": "2023-10-02 08:00:00.000",
            "optionIds": None,
            "streamIds": None,
            "isCloseout": False,
            "categoryIds": [stable_id("category", "office")],
            "propertyIds": None,
            "releaseDate": None,
            "customFields": [],
            "productNumber": product.number,
            "manufacturerId": None,
            "purchasePrices": json.dumps(purchase, separators=(",", ":")),
            "markAsTopseller": None,
        }
    if line.kind == "promotion":
        return {
            "promotionId": line.promotion_id,
            "priority": 1,
            "discountId": stable_id("promotion_discount", line.promotion_id or ""),
            "discountType": "percentage" if line.discount_value is not None else "absolute",
            "code": line.code or "",
            "value": str(num(line.discount_value if line.discount_value is not None else -line.total_price)),
            "promotionCodeType": "individual" if line.code and line.code.count("-") >= 1 else "fixed",
            "maxValue": "",
            "discountScope": "cart",
            "preventCombination": False,
            "exclusions": [],
            "groupId": "",
            "setGroups": [],
            "filter": {"sorterKey": None, "applierKey": None, "usageKey": None, "pickerKey": None},
        }
    return {}
