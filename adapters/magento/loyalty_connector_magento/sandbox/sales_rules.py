"""Cart price rules as ``RuleInterface`` returns them: typed, ordered, defaults filled in.

Magento casts every getter to its declared type on output: booleans for ``is_active`` and friends,
integers for counters, a number for ``discount_amount``, a string for ``simple_free_shipping`` and for
condition ``value``; a condition's non-nullable ``operator``/``value`` come back as explicit ``null``.
Fields a request leaves out take the ``salesrule`` table defaults.
"""

from __future__ import annotations

__all__ = ["RULE_COLUMNS", "as_bool", "normalise_rule", "seed_promotions", "with_defaults"]

from typing import Any

_COMBINE = "Magento\\SalesRule\\Model\\Rule\\Condition\\Combine"
_PRODUCT_COMBINE = "Magento\\SalesRule\\Model\\Rule\\Condition\\Product\\Combine"
_RULE_ORDER = (
    "rule_id",
    "name",
    "store_labels",
    "description",
    "website_ids",
    "customer_group_ids",
    "from_date",
    "to_date",
    "uses_per_customer",
    "is_active",
    "condition",
    "action_condition",
    "stop_rules_processing",
    "is_advanced",
    "product_ids",
    "sort_order",
    "simple_action",
    "discount_amount",
    "discount_qty",
    "discount_step",
    "apply_to_shipping",
    "times_used",
    "is_rss",
    "coupon_type",
    "use_auto_generation",
    "uses_per_coupon",
    "simple_free_shipping",
)
_INTS = {"rule_id", "uses_per_customer", "sort_order", "discount_step", "times_used", "uses_per_coupon"}
_BOOLS = {
    "is_active",
    "stop_rules_processing",
    "is_advanced",
    "apply_to_shipping",
    "is_rss",
    "use_auto_generation",
}
_NUMBERS = {"discount_amount", "discount_qty"}
_INT_LISTS = {"website_ids", "customer_group_ids", "product_ids"}
_DEFAULTS: dict[str, Any] = {
    "store_labels": [],
    "website_ids": [],
    "customer_group_ids": [],
    "uses_per_customer": 0,
    "is_active": False,
    "stop_rules_processing": True,
    "is_advanced": True,
    "sort_order": 0,
    "discount_amount": 0,
    "discount_step": 0,
    "apply_to_shipping": False,
    "times_used": 0,
    "is_rss": True,
    "coupon_type": "NO_COUPON",
    "use_auto_generation": False,
    "uses_per_coupon": 0,
}
RULE_COLUMNS = frozenset(set(_RULE_ORDER) - {"store_labels", "condition", "action_condition"} - _INT_LISTS)


def _number(value: Any) -> int | float:
    number = float(value)
    return int(number) if number.is_integer() else number


def as_bool(value: Any) -> bool:
    """PHP-ish truthiness of a request value (``"0"``, ``"false"`` and ``""`` are false)."""
    if isinstance(value, str):
        return value.strip().lower() not in ("", "0", "false")
    return bool(value)


def _condition(raw: Any) -> dict[str, Any] | None:
    if not isinstance(raw, dict):
        return None
    out: dict[str, Any] = {"condition_type": str(raw.get("condition_type", ""))}
    if isinstance(raw.get("conditions"), list):
        out["conditions"] = [c for c in (_condition(item) for item in raw["conditions"]) if c is not None]
    if raw.get("aggregator_type") is not None:
        out["aggregator_type"] = str(raw["aggregator_type"])
    out["operator"] = None if raw.get("operator") is None else str(raw["operator"])
    if raw.get("attribute_name") is not None:
        out["attribute_name"] = str(raw["attribute_name"])
    value = raw.get("value")
    out["value"] = None if value is None else _text(value)
    return out


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def normalise_rule(data: dict[str, Any]) -> dict[str, Any]:
    """A stored rule typed and ordered as Magento's ``RuleInterface`` output."""
    rule: dict[str, Any] = {}
    for key in _RULE_ORDER:
        value = data.get(key)
        if value is None:
            continue
        if key in _INTS:
            value = int(_number(value))
        elif key in _BOOLS:
            value = as_bool(value)
        elif key in _NUMBERS:
            value = _number(value)
        elif key in _INT_LISTS:
            value = [int(item) for item in value]
        elif key in ("condition", "action_condition"):
            value = _condition(value)
        elif key == "store_labels":
            value = [
                {"store_id": int(lab.get("store_id", 0)), "store_label": str(lab.get("store_label", ""))}
                for lab in value
                if isinstance(lab, dict)
            ]
        else:
            value = _text(value)
        if value is not None:
            rule[key] = value
    return rule


def with_defaults(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` completed with the ``salesrule`` table defaults for what it leaves out."""
    merged = dict(_DEFAULTS)
    merged["condition"] = {
        "condition_type": _COMBINE,
        "aggregator_type": "all",
        "operator": None,
        "value": "1",
    }
    merged["action_condition"] = {
        "condition_type": _PRODUCT_COMBINE,
        "aggregator_type": "all",
        "operator": None,
        "value": "1",
    }
    merged.update({key: value for key, value in data.items() if value is not None})
    return merged


def seed_promotions() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The shop's own (unmanaged) rules and coupons that seeded orders used."""
    base = {
        "website_ids": [1],
        "uses_per_customer": 0,
        "is_active": True,
        "simple_action": "by_percent",
        "stop_rules_processing": False,
        "simple_free_shipping": "0",
    }
    rules = [
        normalise_rule(
            with_defaults(
                dict(
                    base,
                    rule_id=1,
                    name="Welcome 10%",
                    customer_group_ids=[1, 2, 3],
                    from_date="2023-11-01",
                    discount_amount=10,
                    uses_per_customer=1,
                    coupon_type="SPECIFIC_COUPON",
                )
            )
        ),
        normalise_rule(
            with_defaults(
                dict(
                    base,
                    rule_id=2,
                    name="Spring B2B 5%",
                    customer_group_ids=[2, 3],
                    from_date="2024-03-01",
                    discount_amount=5,
                    coupon_type="SPECIFIC_COUPON",
                )
            )
        ),
        normalise_rule(
            with_defaults(
                dict(
                    base,
                    rule_id=3,
                    name="Wholesale loyalty 3%",
                    customer_group_ids=[2],
                    discount_amount=3,
                    sort_order=10,
                )
            )
        ),
    ]
    coupons = [
        {
            "coupon_id": 1,
            "rule_id": 1,
            "code": "WELCOME10",
            "usage_limit": 0,
            "usage_per_customer": 1,
            "times_used": 0,
            "is_primary": True,
            "created_at": "2023-11-01 08:00:00",
            "type": 0,
        },
        {
            "coupon_id": 2,
            "rule_id": 2,
            "code": "B2B-SPRING",
            "usage_limit": 0,
            "usage_per_customer": 0,
            "times_used": 0,
            "is_primary": True,
            "created_at": "2024-03-01 08:00:00",
            "type": 0,
        },
    ]
    return rules, coupons
