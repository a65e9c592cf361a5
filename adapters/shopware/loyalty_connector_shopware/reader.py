"""Reading managed objects back from Shopware, in the canonical form the writers accept.

Only objects that carry our mark *and* whose id is the one derived from that mark's key are
returned (see :mod:`.managed`); everything else in the shop is invisible here. Objects that refer
to other managed objects (a rule to its groups, a tier price to its rule, a code to its promotion,
an assignment to its group) are read with the keys of those objects, so a reference to an object
that is not managed is reported by id (``group_ids``) or not at all.
"""

from __future__ import annotations

__all__ = ["ManagedReader"]

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from loyalty_connector.adapter import ManagedObject

from .client import ShopwareClient
from .managed import KINDS, MANAGED_PREFIX, MARKER_FIELD, managed_id
from .mapping import money_decimal, parse_timestamp

_CONDITION_KINDS = {
    "customerCustomerGroup": "customer_group",
    "cartCartAmount": "cart_amount",
    "cartLineItem": "line_item",
}
_PREFIX_FILTER = {"type": "prefix", "field": "name", "value": MANAGED_PREFIX}


def _key_of(kind: str, record: Mapping[str, Any]) -> str | None:
    """Our key if ``record`` is a managed ``kind`` (marked, named and with the derived id)."""
    custom = record.get("customFields")
    key = custom.get(MARKER_FIELD) if isinstance(custom, Mapping) else None
    if not isinstance(key, str) or record.get("id") != managed_id(kind, key):
        return None
    name = record.get("name")
    if "name" in record and not (isinstance(name, str) and name.startswith(MANAGED_PREFIX)):
        return None
    return key


def _name(record: Mapping[str, Any]) -> str:
    return str(record.get("name") or "")[len(MANAGED_PREFIX) :]


def _number(value: Any) -> Decimal:
    return money_decimal(value, field="value")


def _ids(records: Any) -> list[str]:
    return [str(r["id"]) for r in records or [] if isinstance(r, Mapping) and r.get("id")]


class ManagedReader:
    """Reads managed objects kind by kind, reusing the key maps one kind needs from another."""

    def __init__(self, client: ShopwareClient) -> None:
        self._client = client
        self._cache: dict[str, list[ManagedObject]] = {}

    def read(self, kinds: Sequence[str]) -> list[ManagedObject]:
        unknown = [k for k in kinds if k not in KINDS]
        if unknown:
            raise ValueError(
                f"unknown managed kind(s) {unknown}; the Shopware adapter manages: {', '.join(KINDS)}"
            )
        return [obj for kind in KINDS if kind in kinds for obj in self._of(kind)]

    def _of(self, kind: str) -> list[ManagedObject]:
        if kind not in self._cache:
            self._cache[kind] = getattr(self, f"_read_{kind}")()
        return self._cache[kind]

    def _keys(self, kind: str) -> dict[str, str]:
        """Shop id -> our key, for the managed objects of ``kind``."""
        return {str(obj.shop_id): obj.key for obj in self._of(kind)}

    def _read_customer_group(self) -> list[ManagedObject]:
        rows = self._client.search_all(
            "customer-group",
            filters=[_PREFIX_FILTER],
            includes={"customer_group": ["id", "name", "displayGross", "customFields"]},
        )
        found = []
        for row in rows:
            key = _key_of("customer_group", row)
            if key is not None:
                fields = {"name": _name(row), "display_gross": bool(row.get("displayGross", True))}
                found.append(ManagedObject("customer_group", key, fields, shop_id=row["id"]))
        return found

    def _read_rule(self) -> list[ManagedObject]:
        groups = self._keys("customer_group")
        rows = self._client.search_all(
            "rule",
            filters=[_PREFIX_FILTER],
            associations={"conditions": {}},
            includes={
                "rule": ["id", "name", "priority", "customFields", "conditions"],
                "rule_condition": ["id", "type", "value", "parentId", "position"],
            },
        )
        found = []
        for row in rows:
            key = _key_of("rule", row)
            if key is None:
                continue
            conditions: list[dict[str, Any]] = []
            leaves = [
                c for c in row.get("conditions") or [] if c.get("type") not in ("orContainer", "andContainer")
            ]
            for leaf in sorted(leaves, key=lambda c: (c.get("position") or 0, str(c.get("id")))):
                value = leaf.get("value") if isinstance(leaf.get("value"), Mapping) else {}
                kind = _CONDITION_KINDS.get(str(leaf.get("type")), str(leaf.get("type")))
                if kind == "customer_group":
                    ids = [str(i) for i in value.get("customerGroupIds") or []]
                    conditions.append(
                        {
                            "type": kind,
                            "group_keys": sorted(groups[i] for i in ids if i in groups),
                            "group_ids": sorted(i for i in ids if i not in groups),
                        }
                    )
                elif kind == "line_item":
                    products = sorted(str(i) for i in value.get("identifiers") or [])
                    conditions.append({"type": kind, "product_ids": products})
                elif kind == "cart_amount":
                    amount = _number(value.get("amount", 0))
                    conditions.append({"type": kind, "operator": value.get("operator"), "amount": amount})
                else:
                    conditions.append({"type": kind, "value": dict(value)})
            fields = {"name": _name(row), "priority": row.get("priority"), "conditions": conditions}
            found.append(ManagedObject("rule", key, fields, shop_id=row["id"]))
        return found

    def _read_tier_price(self) -> list[ManagedObject]:
        rules = self._keys("rule")
        if not rules:
            return []
        rows = self._client.search_all(
            "product-price",
            filters=[{"type": "equalsAny", "field": "ruleId", "value": sorted(rules)}],
            includes={
                "product_price": [
                    "id",
                    "productId",
                    "ruleId",
                    "quantityStart",
                    "quantityEnd",
                    "price",
                    "customFields",
                ]
            },
        )
        found = []
        for row in rows:
            key = _key_of("tier_price", row)
            if key is None or row.get("ruleId") not in rules:
                continue
            prices = [
                {
                    "currency_id": p.get("currencyId"),
                    "gross": _number(p.get("gross")),
                    "net": _number(p.get("net")),
                }
                for p in row.get("price") or []
            ]
            fields = {
                "product_id": row.get("productId"),
                "rule_key": rules[row["ruleId"]],
                "quantity_start": row.get("quantityStart"),
                "quantity_end": row.get("quantityEnd"),
                "prices": sorted(prices, key=lambda p: str(p["currency_id"])),
            }
            found.append(ManagedObject("tier_price", key, fields, shop_id=row["id"]))
        return found

    def _read_promotion(self) -> list[ManagedObject]:
        rules = self._keys("rule")
        rows = self._client.search_all(
            "promotion",
            filters=[_PREFIX_FILTER],
            associations={
                "discounts": {},
                "setgroups": {"associations": {"setGroupRules": {}}},
                "personaRules": {},
                "cartRules": {},
                "salesChannels": {},
            },
        )
        found = []
        for row in rows:
            key = _key_of("promotion", row)
            if key is not None:
                found.append(
                    ManagedObject("promotion", key, _promotion_fields(key, row, rules), shop_id=row["id"])
                )
        return found

    def _read_promotion_code(self) -> list[ManagedObject]:
        promotions = self._keys("promotion")
        if not promotions:
            return []
        rows = self._client.search_all(
            "promotion-individual-code",
            filters=[{"type": "equalsAny", "field": "promotionId", "value": sorted(promotions)}],
            includes={"promotion_individual_code": ["id", "promotionId", "code"]},
        )
        found = []
        for row in rows:
            promotion_key = promotions.get(str(row.get("promotionId")))
            code = row.get("code")
            if promotion_key is None or not isinstance(code, str):
                continue
            key = f"{promotion_key}/{code}"
            if row.get("id") == managed_id("promotion_code", key):
                fields = {"promotion_key": promotion_key, "code": code}
                found.append(ManagedObject("promotion_code", key, fields, shop_id=row["id"]))
        return found

    def _read_group_assignment(self) -> list[ManagedObject]:
        groups = self._keys("customer_group")
        if not groups:
            return []
        rows = self._client.search_all(
            "customer",
            filters=[{"type": "equalsAny", "field": "groupId", "value": sorted(groups)}],
            includes={"customer": ["id", "groupId"]},
        )
        return [
            ManagedObject(
                "group_assignment", row["id"], {"group_key": groups[row["groupId"]]}, shop_id=row["id"]
            )
            for row in rows
            if row.get("groupId") in groups
        ]


def _promotion_fields(key: str, row: Mapping[str, Any], rules: Mapping[str, str]) -> dict[str, Any]:
    group_rows = list(row.get("setgroups") or [])
    group_index = {managed_id("promotion_setgroup", f"{key}#{i}"): i for i in range(len(group_rows) + 32)}
    group_rows.sort(key=lambda g: (group_index.get(str(g.get("id")), 10**6), str(g.get("id"))))
    position_of = {str(g.get("id")): n for n, g in enumerate(group_rows)}
    set_groups = [
        {
            "packager": g.get("packagerKey"),
            "value": _number(g.get("value")),
            "sorter": g.get("sorterKey"),
            "rule_keys": sorted(rules[i] for i in _ids(g.get("setGroupRules")) if i in rules),
        }
        for g in group_rows
    ]
    discount_rows = list(row.get("discounts") or [])
    discount_index = {
        managed_id("promotion_discount", f"{key}#{i}"): i for i in range(len(discount_rows) + 32)
    }
    discount_rows.sort(key=lambda d: (discount_index.get(str(d.get("id")), 10**6), str(d.get("id"))))
    discounts = []
    for d in discount_rows:
        scope = str(d.get("scope") or "cart")
        set_group = None
        if scope.startswith("setgroup-"):
            set_group = position_of.get(scope[len("setgroup-") :])
            scope = "setgroup"
        item_keys = scope != "cart"
        discounts.append(
            {
                "type": d.get("type"),
                "value": _number(d.get("value")),
                "scope": scope,
                "set_group": set_group,
                "max_value": _number(d["maxValue"]) if d.get("maxValue") is not None else None,
                "applier": str(d.get("applierKey")) if item_keys else None,
                "usage": str(d.get("usageKey")) if item_keys else None,
                "sorter": d.get("sorterKey") if item_keys else None,
                "picker": d.get("pickerKey") if item_keys else None,
            }
        )
    return {
        "name": _name(row),
        "active": bool(row.get("active")),
        "valid_from": parse_timestamp(row["validFrom"], field="validFrom") if row.get("validFrom") else None,
        "valid_until": parse_timestamp(row["validUntil"], field="validUntil")
        if row.get("validUntil")
        else None,
        "priority": row.get("priority"),
        "exclusive": bool(row.get("exclusive")),
        "prevent_combination": bool(row.get("preventCombination")),
        "code": row.get("code") if row.get("useCodes") and not row.get("useIndividualCodes") else None,
        "individual_codes": bool(row.get("useIndividualCodes")),
        "max_redemptions_global": row.get("maxRedemptionsGlobal"),
        "max_redemptions_per_customer": row.get("maxRedemptionsPerCustomer"),
        "customer_rule_keys": sorted(rules[i] for i in _ids(row.get("personaRules")) if i in rules),
        "cart_rule_keys": sorted(rules[i] for i in _ids(row.get("cartRules")) if i in rules),
        "set_groups": set_groups,
        "discounts": discounts,
    }
