"""What the sandbox's DAL writer allows: writable entities, defaults, cascades and how errors look.

The error entries are those of Shopware's ``WriteConstraintViolationException``: ``code`` (a Symfony
constraint UUID such as ``c1051bb4-...`` for "should not be blank", or a ``FRAMEWORK__*`` code),
``status`` ``"400"``, ``detail``, ``template``, ``meta.parameters`` and ``source.pointer``.
"""

from __future__ import annotations

__all__ = ["CASCADES", "DEFAULTS", "RESTRICTS", "WRITABLE", "blank_violation", "violation"]

from typing import Any

from .schema import LIVE_VERSION_ID

WRITABLE = frozenset(
    {
        "customer", "customer_group", "customer_tag", "tag", "rule", "rule_condition", "product_price",
        "promotion", "promotion_discount", "promotion_discount_prices", "promotion_setgroup",
        "promotion_sales_channel", "promotion_individual_code", "promotion_persona_rule",
        "promotion_persona_customer", "promotion_cart_rule", "promotion_order_rule",
        "promotion_discount_rule", "promotion_setgroup_rule",
    }
)  # fmt: skip
"""Entities the sandbox accepts writes for."""

DEFAULTS: dict[str, dict[str, Any]] = {
    "promotion": {
        "active": False, "exclusive": False, "useCodes": False, "useIndividualCodes": False,
        "useSetGroups": False, "preventCombination": False, "customerRestriction": False, "priority": 1,
        "orderCount": 0,
    },
    "promotion_discount": {"considerAdvancedRules": False},
    "customer_group": {"displayGross": True, "registrationActive": False},
    "rule": {"invalid": False, "areas": []},
    "product_price": {"productVersionId": LIVE_VERSION_ID},
    "customer": {
        "accountType": "private", "orderCount": 0, "orderTotalAmount": 0, "reviewCount": 0, "guest": False,
    },
}  # fmt: skip
CASCADES: dict[str, tuple[tuple[str, str], ...]] = {
    "rule": (("rule_condition", "ruleId"),),
    "rule_condition": (("rule_condition", "parentId"),),
    "promotion": (
        ("promotion_discount", "promotionId"), ("promotion_setgroup", "promotionId"),
        ("promotion_sales_channel", "promotionId"), ("promotion_individual_code", "promotionId"),
        ("promotion_persona_rule", "promotionId"), ("promotion_persona_customer", "promotionId"),
        ("promotion_cart_rule", "promotionId"), ("promotion_order_rule", "promotionId"),
    ),
    "promotion_discount": (
        ("promotion_discount_prices", "discountId"), ("promotion_discount_rule", "discountId"),
    ),
    "promotion_setgroup": (("promotion_setgroup_rule", "setgroupId"),),
    "customer": (("customer_address", "customerId"), ("customer_tag", "customerId")),
}  # fmt: skip
RESTRICTS: dict[str, tuple[tuple[str, str], ...]] = {
    "customer_group": (("customer", "groupId"), ("sales_channel", "customerGroupId")),
    "rule": (("product_price", "ruleId"),),
}


def violation(
    pointer: str, detail: str, code: str = "FRAMEWORK__WRITE_CONSTRAINT_VIOLATION", **parameters: Any
) -> dict[str, Any]:
    """One write error as ``WriteConstraintViolationException`` serializes it."""
    return {
        "code": code,
        "status": "400",
        "detail": detail,
        "template": detail,
        "meta": {"parameters": parameters},
        "source": {"pointer": pointer},
    }


def blank_violation(pointer: str) -> dict[str, Any]:
    return violation(
        pointer,
        "This value should not be blank.",
        "c1051bb4-d103-4f74-8988-acbcafc7fdc3",
        **{"{{ value }}": "null"},
    )
