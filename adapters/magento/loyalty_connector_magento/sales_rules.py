"""Managed cart price rules (``/V1/salesRules``).

A rule is *managed* when its name starts with ``[loyalty] `` **and** its description carries our key
(``loyalty-connector key: <key>``). Rules without both marks are never changed or deleted; before every
update or delete the rule is read again and its marks checked.

The coupons of these rules are :mod:`.coupons`.

Builders: :func:`free_product_rule` (subtotal threshold + 100 % off one unit of the gift SKU — core
Magento cannot put the gift in the cart: the shopper adds it and sees it at 0.00 once the cart
qualifies) and :func:`referral_rule` (a percent or fixed discount behind auto-generated coupons).
"""

from __future__ import annotations

__all__ = [
    "KEY_MARK",
    "RULE_PREFIX",
    "SalesRuleWriter",
    "free_product_rule",
    "referral_rule",
    "rule_key_of",
]

import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from loyalty_connector.adapter import Change, ChangeResult, ManagedObject
from loyalty_connector.errors import ConflictError, NotFoundError

from .client import Filter, MagentoClient

RULE_PREFIX = "[loyalty] "
KEY_MARK = "loyalty-connector key: "
_KEY = re.compile(re.escape(KEY_MARK) + r"(\S+)")
_COMBINE = "Magento\\SalesRule\\Model\\Rule\\Condition\\Combine"
_PRODUCT_COMBINE = "Magento\\SalesRule\\Model\\Rule\\Condition\\Product\\Combine"
_DROP = ("rule_id", "times_used", "extension_attributes", "product_ids")


def rule_key_of(rule: Mapping[str, Any]) -> str | None:
    """Our key when ``rule`` carries both managed marks, else None."""
    if not str(rule.get("name") or "").startswith(RULE_PREFIX):
        return None
    match = _KEY.search(str(rule.get("description") or ""))
    return match.group(1) if match else None


def _body(key: str, fields: Mapping[str, Any]) -> dict[str, Any]:
    body = {k: v for k, v in fields.items() if k not in _DROP}
    name = str(body.get("name") or key)
    body["name"] = name if name.startswith(RULE_PREFIX) else RULE_PREFIX + name
    text = _KEY.sub("", str(body.get("description") or "")).strip()
    body["description"] = f"{text}\n{KEY_MARK}{key}".strip()
    return body


def _fields(rule: Mapping[str, Any]) -> dict[str, Any]:
    fields = {k: v for k, v in rule.items() if k not in _DROP}
    fields["name"] = str(fields.get("name", ""))[len(RULE_PREFIX) :]
    fields["description"] = _KEY.sub("", str(fields.get("description") or "")).strip()
    return fields


def free_product_rule(
    name: str,
    *,
    gift_sku: str,
    threshold: Decimal,
    website_ids: Sequence[int],
    customer_group_ids: Sequence[int],
    from_date: str | None = None,
    to_date: str | None = None,
    label: str = "Free gift",
    sort_order: int = 10,
) -> dict[str, Any]:
    """Fields of a free-gift rule: ``base_subtotal >= threshold`` and 100 % off one unit of ``gift_sku``."""
    fields: dict[str, Any] = {
        "name": name,
        "description": "The shopper must add the gift SKU to the cart; core Magento does not add it.",
        "website_ids": list(website_ids),
        "customer_group_ids": list(customer_group_ids),
        "uses_per_customer": 0,
        "is_active": True,
        "condition": {
            "condition_type": _COMBINE,
            "aggregator_type": "all",
            "value": "1",
            "conditions": [
                {
                    "condition_type": "Magento\\SalesRule\\Model\\Rule\\Condition\\Address",
                    "attribute_name": "base_subtotal",
                    "operator": ">=",
                    "value": format(threshold, "f"),
                }
            ],
        },
        "action_condition": {
            "condition_type": _PRODUCT_COMBINE,
            "aggregator_type": "all",
            "value": "1",
            "conditions": [
                {
                    "condition_type": "Magento\\SalesRule\\Model\\Rule\\Condition\\Product",
                    "attribute_name": "sku",
                    "operator": "==",
                    "value": gift_sku,
                }
            ],
        },
        "stop_rules_processing": False,
        "is_advanced": True,
        "sort_order": sort_order,
        "simple_action": "by_percent",
        "discount_amount": 100,
        "discount_qty": 1,
        "discount_step": 0,
        "apply_to_shipping": False,
        "is_rss": False,
        "coupon_type": "NO_COUPON",
        "use_auto_generation": False,
        "uses_per_coupon": 0,
        "simple_free_shipping": "0",
        "store_labels": [{"store_id": 0, "store_label": label}],
    }
    fields.update({k: v for k, v in (("from_date", from_date), ("to_date", to_date)) if v})
    return fields


def referral_rule(
    name: str,
    *,
    website_ids: Sequence[int],
    customer_group_ids: Sequence[int],
    percent: Decimal | None = None,
    amount: Decimal | None = None,
    uses_per_coupon: int = 1,
    uses_per_customer: int = 1,
    from_date: str | None = None,
    to_date: str | None = None,
    sort_order: int = 5,
) -> dict[str, Any]:
    """Fields of a coupon rule for referral/reward codes (specific coupon, auto generation on)."""
    if (percent is None) == (amount is None):
        raise ValueError("give exactly one of percent or amount")
    fields: dict[str, Any] = {
        "name": name,
        "website_ids": list(website_ids),
        "customer_group_ids": list(customer_group_ids),
        "uses_per_customer": uses_per_customer,
        "uses_per_coupon": uses_per_coupon,
        "is_active": True,
        "condition": {"condition_type": _COMBINE, "aggregator_type": "all", "value": "1", "conditions": []},
        "action_condition": {
            "condition_type": _PRODUCT_COMBINE,
            "aggregator_type": "all",
            "value": "1",
            "conditions": [],
        },
        "stop_rules_processing": True,
        "is_advanced": True,
        "sort_order": sort_order,
        "simple_action": "by_percent" if percent is not None else "cart_fixed",
        "discount_amount": percent if percent is not None else amount,
        "discount_qty": 0,
        "discount_step": 0,
        "apply_to_shipping": False,
        "is_rss": False,
        "coupon_type": "SPECIFIC_COUPON",
        "use_auto_generation": True,
        "simple_free_shipping": "0",
    }
    fields.update({k: v for k, v in (("from_date", from_date), ("to_date", to_date)) if v})
    return fields


class SalesRuleWriter:
    """Reads and writes managed cart price rules."""

    def __init__(self, client: MagentoClient) -> None:
        self.client = client

    def managed_rules(self) -> dict[str, dict[str, Any]]:
        """Managed rules by key (``name like '[loyalty] %'``, then both marks checked)."""
        rules: dict[str, dict[str, Any]] = {}
        like = [[Filter("name", RULE_PREFIX + "%", "like")]]
        for rule in self.client.scan("/V1/salesRules/search", like, id_field="rule_id"):
            key = rule_key_of(rule)
            if key is not None:
                rules[key] = rule
        return rules

    def read_rules(self) -> list[ManagedObject]:
        return [
            ManagedObject("cart_rule", key, _fields(rule), shop_id=str(rule["rule_id"]))
            for key, rule in self.managed_rules().items()
        ]

    def _managed_rule(self, change: Change, rules: Mapping[str, dict[str, Any]]) -> dict[str, Any] | None:
        rule = rules.get(change.key)
        if rule is None and change.shop_id:
            try:
                found = self.client.get(f"/V1/salesRules/{int(change.shop_id)}")
            except NotFoundError:
                return None
            if rule_key_of(found) != change.key:
                raise ConflictError(
                    f"cart rule {change.shop_id} is not managed by loyalty-connector under key "
                    f"{change.key!r} (name prefix {RULE_PREFIX!r} and key in the description); left untouched"
                )
            rule = found
        return rule

    def write_rule(self, change: Change, rules: dict[str, dict[str, Any]]) -> ChangeResult:
        rule = self._managed_rule(change, rules)
        if change.action == "delete":
            if rule is None:
                return ChangeResult(change, True, shop_id=change.shop_id)
            fresh = self.client.get(f"/V1/salesRules/{rule['rule_id']}")
            if rule_key_of(fresh) != change.key:
                raise ConflictError(f"cart rule {rule['rule_id']} lost its managed marks; not deleted")
            self.client.delete(f"/V1/salesRules/{rule['rule_id']}")
            rules.pop(change.key, None)
            return ChangeResult(change, True, shop_id=str(rule["rule_id"]))
        body = _body(change.key, change.fields)
        if rule is None:
            saved = self.client.post("/V1/salesRules", {"rule": body})
        else:
            fresh = self.client.get(f"/V1/salesRules/{rule['rule_id']}")
            if rule_key_of(fresh) != change.key:
                raise ConflictError(f"cart rule {rule['rule_id']} lost its managed marks; not updated")
            saved = self.client.put(
                f"/V1/salesRules/{rule['rule_id']}", {"rule": {**body, "rule_id": rule["rule_id"]}}
            )
        rules[change.key] = saved
        return ChangeResult(change, True, shop_id=str(saved["rule_id"]))
