"""Managed cart price rules and their coupons (``/V1/salesRules``, ``/V1/coupons``).

A rule is *managed* when its name starts with ``[loyalty] `` **and** its description carries our key
(``loyalty-connector key: <key>``). Rules without both marks are never changed or deleted; before every
update or delete the rule is read again and its marks checked.

Coupons: ``POST /V1/coupons`` with ``type: 1`` on a rule with ``use_auto_generation`` creates our own
deterministic codes (``CouponRepository::save`` refuses other types on such rules: "Specified rule only
allows auto generated coupons"), ``POST /V1/coupons/generate`` makes random ones. ``CouponRepository``
overwrites a coupon's ``usage_limit``/``usage_per_customer`` with the rule's ``uses_per_coupon``/
``uses_per_customer``, so a coupon asking for other limits is refused here: each distinct limit needs
its own rule.

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
from loyalty_connector.errors import ConfigurationError, ConflictError, NotFoundError

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
    """Reads and writes managed cart price rules and their coupons."""

    def __init__(self, client: MagentoClient) -> None:
        self.client = client

    # --- rules ---------------------------------------------------------------------------------------

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

    # --- coupons -------------------------------------------------------------------------------------

    def _coupons_of(self, rule_id: int) -> list[dict[str, Any]]:
        rows = self.client.scan(
            "/V1/coupons/search", [[Filter("rule_id", str(rule_id))]], id_field="coupon_id"
        )
        return list(rows)

    def read_coupons(self, rules: Mapping[str, dict[str, Any]]) -> list[ManagedObject]:
        objects: list[ManagedObject] = []
        for key, rule in rules.items():
            for coupon in self._coupons_of(int(rule["rule_id"])):
                fields = {
                    "code": coupon.get("code"),
                    "rule_key": key,
                    "usage_limit": coupon.get("usage_limit"),
                    "usage_per_customer": coupon.get("usage_per_customer"),
                    "times_used": coupon.get("times_used", 0),
                    "expiration_date": coupon.get("expiration_date"),
                    "is_primary": bool(coupon.get("is_primary")),
                }
                objects.append(
                    ManagedObject("coupon", str(coupon.get("code")), fields, shop_id=str(coupon["coupon_id"]))
                )
        return objects

    def _find_coupon(self, code: str) -> dict[str, Any] | None:
        found = self.client.search("/V1/coupons/search", [[Filter("code", code)]], page_size=10).items
        exact = [c for c in found if str(c.get("code")) == code]
        return exact[0] if exact else None

    def write_coupon(self, change: Change, rules: Mapping[str, dict[str, Any]]) -> ChangeResult:
        code = str(change.fields.get("code") or (change.before or {}).get("code") or change.key)
        existing = self._find_coupon(code)
        owner = next(
            (k for k, r in rules.items() if existing and r["rule_id"] == existing.get("rule_id")), None
        )
        if existing is not None and owner is None:
            raise ConflictError(
                f"coupon {code} belongs to cart rule {existing.get('rule_id')}, which loyalty-connector does "
                "not manage; left untouched"
            )
        if change.action == "delete":
            if existing is not None:
                self.client.delete(f"/V1/coupons/{existing['coupon_id']}")
            return ChangeResult(change, True, shop_id=str(existing["coupon_id"]) if existing else None)
        rule_key = str(change.fields.get("rule_key") or "")
        rule = rules.get(rule_key)
        if rule is None:
            raise ConfigurationError(f"coupon {code}: no managed cart rule with key {rule_key!r}")
        if not rule.get("use_auto_generation"):
            raise ConfigurationError(
                f"coupon {code}: cart rule {rule_key!r} must have coupon_type SPECIFIC_COUPON and "
                "use_auto_generation true to hold codes created through the API"
            )
        for ours, theirs in (("usage_limit", "uses_per_coupon"), ("usage_per_customer", "uses_per_customer")):
            wanted = change.fields.get(ours)
            if wanted is not None and int(wanted) != int(rule.get(theirs) or 0):
                raise ConfigurationError(
                    f"coupon {code}: {ours}={wanted} differs from rule {rule_key!r}'s {theirs}="
                    f"{rule.get(theirs) or 0}; Magento copies the rule's limits onto every coupon, so each "
                    "distinct limit needs its own rule"
                )
        coupon: dict[str, Any] = {"rule_id": rule["rule_id"], "code": code, "type": 1, "is_primary": False}
        if change.fields.get("expiration_date"):
            coupon["expiration_date"] = change.fields["expiration_date"]
        if existing is None:
            saved = self.client.post("/V1/coupons", {"coupon": {**coupon, "times_used": 0}})
        elif existing.get("rule_id") != rule["rule_id"]:
            # only a move to another rule is an update: Magento re-derives a coupon's expiry and usage
            # limits from its rule on save, so comparing them would rewrite the coupon on every apply
            merged = {**existing, **coupon, "coupon_id": existing["coupon_id"]}
            saved = self.client.put(f"/V1/coupons/{existing['coupon_id']}", {"coupon": merged})
        else:
            saved = existing
        return ChangeResult(change, True, shop_id=str(saved["coupon_id"]))

    def generate(
        self, rule: Mapping[str, Any], quantity: int, *, length: int = 12, prefix: str = ""
    ) -> list[str]:
        spec: dict[str, Any] = {
            "rule_id": rule["rule_id"],
            "quantity": quantity,
            "length": length,
            "format": "alphanum",
        }
        if prefix:
            spec["prefix"] = prefix
        codes = self.client.post("/V1/coupons/generate", {"couponSpec": spec})
        return [str(code) for code in codes or []]
