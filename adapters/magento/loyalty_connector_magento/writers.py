"""Managed objects in a Magento shop: read them, apply changes to them, never touch anything else.

Kinds (fields of each in ``docs/adapters/magento.md``):

- ``customer_group`` — found by code, created with ``POST /V1/customerGroups``; key = code. Groups are
  adopted by code and never deleted (their customers would silently fall back to the default group).
- ``tier_price`` — :mod:`.tier_prices`.
- ``cart_rule`` — :mod:`.sales_rules`; ``coupon`` — :mod:`.coupons` (looked up by code in batches).
- ``group_assignment`` — a customer's group; key = customer id. ``PUT /V1/customers/{id}`` with the full
  customer object as just read (a partial object can drop addresses and attributes), only ``group_id``
  changed, on a small thread pool.

Objects that carry no marker of their own (groups, tier prices, assignments) are managed when they
belong to the *managed scope*: the group codes and SKUs in ``settings.managed_groups`` /
``settings.managed_skus``, widened per call by ``read_managed(kinds, groups=..., skus=...)``.
"""

from __future__ import annotations

__all__ = ["KINDS", "ManagedScope", "ManagedWriter"]

import logging
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from loyalty_connector.adapter import Change, ChangeResult, ManagedObject
from loyalty_connector.errors import ConfigurationError, ConflictError, LoyaltyConnectorError

from .client import Filter, MagentoClient
from .coupons import CouponLookup, CouponWriter, coupon_code
from .sales_rules import SalesRuleWriter
from .tier_prices import TierPriceWriter

logger = logging.getLogger(__name__)

KINDS = ("customer_group", "cart_rule", "coupon", "tier_price", "group_assignment")
"""Every kind this adapter writes, in the order changes are applied (deletes in reverse)."""

_DEFAULT_TAX_CLASS = 3  # "Retail Customer", the tax class of Magento's default groups


@dataclass(frozen=True)
class ManagedScope:
    """Group codes and SKUs whose groups, tier prices and assignments loyalty-connector manages."""

    groups: tuple[str, ...] = ()
    skus: tuple[str, ...] = ()

    def widen(self, groups: Sequence[str] | None, skus: Sequence[str] | None) -> ManagedScope:
        return ManagedScope(
            tuple(dict.fromkeys([*self.groups, *(groups or ())])),
            tuple(dict.fromkeys([*self.skus, *(skus or ())])),
        )


class ManagedWriter:
    """Dispatches reads and changes of every managed kind; each change gets its own result."""

    def __init__(self, client: MagentoClient, source: str, scope: ManagedScope, *, workers: int = 4) -> None:
        self.client = client
        self.source = source
        self.scope = scope
        self.workers = max(1, workers)
        self.tiers = TierPriceWriter(client)
        self.rules = SalesRuleWriter(client)
        self.coupons = CouponWriter(client)

    # --- groups --------------------------------------------------------------------------------------

    def all_groups(self) -> list[dict[str, Any]]:
        return self.client.list_all("/V1/customerGroups/search")

    @staticmethod
    def _by_code(groups: Sequence[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
        return {str(g.get("code", "")).casefold(): g for g in groups}

    def _group_object(self, group: Mapping[str, Any]) -> ManagedObject:
        fields = {"code": group.get("code"), "tax_class_id": group.get("tax_class_id")}
        return ManagedObject("customer_group", str(group.get("code")), fields, shop_id=str(group.get("id")))

    def _write_group(self, change: Change, groups: list[dict[str, Any]]) -> ChangeResult:
        if change.action == "delete":
            raise ConflictError(
                f"customer group {change.key!r} was not deleted: loyalty-connector never deletes customer "
                "groups (their customers would fall back to the default group); delete it in the admin"
            )
        code = str(change.fields.get("code") or change.key)
        tax_class = int(change.fields.get("tax_class_id") or _DEFAULT_TAX_CLASS)
        existing = self._by_code(groups).get(change.key.casefold()) or self._by_code(groups).get(
            code.casefold()
        )
        if existing is None:
            saved = self.client.post(
                "/V1/customerGroups", {"group": {"code": code, "tax_class_id": tax_class}}
            )
            groups.append(saved)
            return ChangeResult(change, True, shop_id=str(saved["id"]))
        if existing.get("code") == code and int(existing.get("tax_class_id") or 0) == tax_class:
            return ChangeResult(change, True, shop_id=str(existing["id"]))
        if change.action == "create":  # adopt the group that already has this code
            return ChangeResult(change, True, shop_id=str(existing["id"]))
        body = {"id": existing["id"], "code": code, "tax_class_id": tax_class}
        saved = self.client.put(f"/V1/customerGroups/{existing['id']}", {"group": body})
        groups[:] = [g for g in groups if g.get("id") != existing["id"]] + [saved]
        return ChangeResult(change, True, shop_id=str(saved["id"]))

    # --- group assignment ----------------------------------------------------------------------------

    def _read_assignments(self, codes: Sequence[str]) -> list[ManagedObject]:
        by_code = self._by_code(self.all_groups())
        ids = {
            str(by_code[c.casefold()]["id"]): str(by_code[c.casefold()]["code"])
            for c in codes
            if c.casefold() in by_code
        }
        objects: list[ManagedObject] = []
        for group_id, code in ids.items():
            rows = self.client.scan(
                "/V1/customers/search",
                [[Filter("group_id", group_id)]],
                id_field="entity_id",
                payload_id="id",
            )
            objects += [
                ManagedObject(
                    "group_assignment",
                    str(row["id"]),
                    {"group_id": group_id, "group_code": code},
                    shop_id=str(row["id"]),
                )
                for row in rows
            ]
        return objects

    def _target_group(self, change: Change, groups: Sequence[Mapping[str, Any]]) -> str:
        fields = change.fields
        if fields.get("group_id") is not None:
            return str(int(fields["group_id"]))
        if fields.get("group_code"):
            found = self._by_code(groups).get(str(fields["group_code"]).casefold())
            if found is None:
                raise ConfigurationError(
                    f"customer {change.key}: no customer group with code {fields['group_code']!r}"
                )
            return str(found["id"])
        if change.action == "delete":
            default = self.client.get("/V1/customerGroups/default")
            return str(default["id"])
        raise ConfigurationError(f"customer {change.key}: a group assignment needs group_id or group_code")

    def _assign(self, change: Change, groups: Sequence[Mapping[str, Any]]) -> ChangeResult:
        customer_id = str(int(change.shop_id or change.key))
        target = self._target_group(change, groups)
        customer = self.client.get(f"/V1/customers/{customer_id}")
        if str(customer.get("group_id")) == target:
            return ChangeResult(change, True, shop_id=customer_id)
        self.client.put(f"/V1/customers/{customer_id}", {"customer": {**customer, "group_id": int(target)}})
        return ChangeResult(change, True, shop_id=customer_id)

    # --- dispatch ------------------------------------------------------------------------------------

    def read(
        self, kinds: Sequence[str], *, groups: Sequence[str] | None, skus: Sequence[str] | None
    ) -> list[ManagedObject]:
        unknown = sorted(set(kinds) - set(KINDS))
        if unknown:
            raise ConfigurationError(f"the magento adapter has no managed kind(s) {', '.join(unknown)}")
        scope = self.scope.widen(groups, skus)
        objects: list[ManagedObject] = []
        if "customer_group" in kinds:
            wanted = {code.casefold() for code in scope.groups}
            objects += [
                self._group_object(g) for g in self.all_groups() if str(g.get("code")).casefold() in wanted
            ]
        rules = self.rules.managed_rules() if {"cart_rule", "coupon"} & set(kinds) else {}
        if "cart_rule" in kinds:
            objects += self.rules.read_rules()
        if "coupon" in kinds:
            objects += self.coupons.read(rules)
        if "tier_price" in kinds:
            objects += self.tiers.read(scope.skus, scope.groups)
        if "group_assignment" in kinds:
            objects += self._read_assignments(scope.groups)
        return objects

    def write(self, changes: Sequence[Change]) -> list[ChangeResult]:
        results: dict[int, ChangeResult] = {}
        order = {kind: n for n, kind in enumerate(KINDS)}
        for change in changes:
            if change.kind not in order:
                results[id(change)] = ChangeResult(
                    change, False, error=f"unknown managed kind {change.kind!r}"
                )
        known = [c for c in changes if c.kind in order]
        upserts = sorted((c for c in known if c.action != "delete"), key=lambda c: order[c.kind])
        deletes = sorted((c for c in known if c.action == "delete"), key=lambda c: -order[c.kind])
        state: dict[str, Any] = {}
        for batch in (deletes, upserts):
            for kind in KINDS:
                part = [c for c in batch if c.kind == kind]
                if part:
                    for result in self._apply(kind, part, state):
                        results[id(result.change)] = result
        return [results[id(c)] for c in changes]

    def _apply(self, kind: str, changes: list[Change], state: dict[str, Any]) -> list[ChangeResult]:
        if kind == "tier_price":
            return self.tiers.write(changes)
        try:
            if kind in ("cart_rule", "coupon") and "rules" not in state:
                state["rules"] = self.rules.managed_rules()
            if kind in ("customer_group", "group_assignment") and "groups" not in state:
                state["groups"] = self.all_groups()
            if kind == "coupon":
                known: CouponLookup = state.setdefault("coupons", {})
                self.coupons.look_up([coupon_code(c) for c in changes], known)
        except LoyaltyConnectorError as exc:
            return [ChangeResult(c, False, error=str(exc)) for c in changes]
        handlers: dict[str, Callable[[Change], ChangeResult]] = {
            "customer_group": lambda c: self._write_group(c, state["groups"]),
            "cart_rule": lambda c: self.rules.write_rule(c, state.get("rules", {})),
            "coupon": lambda c: self.coupons.write(c, state.get("rules", {}), state["coupons"]),
            "group_assignment": lambda c: self._assign(c, state["groups"]),
        }
        handler = handlers[kind]
        if kind == "group_assignment" and len(changes) > 1:
            with ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="magento-assign") as pool:
                return list(pool.map(lambda c: self._guarded(handler, c), changes))
        return [self._guarded(handler, c) for c in changes]

    def _guarded(self, handler: Callable[[Change], ChangeResult], change: Change) -> ChangeResult:
        try:
            return handler(change)
        except (LoyaltyConnectorError, KeyError, ValueError, TypeError) as exc:
            logger.warning(
                "[%s] %s %s %s failed: %s", self.source, change.action, change.kind, change.key, exc
            )
            text = str(exc) if not isinstance(exc, KeyError) else f"the shop's answer lacks {exc}"
            return ChangeResult(change, False, error=text)

    def generate_coupons(self, rule_key: str, quantity: int, *, length: int, prefix: str) -> list[str]:
        rule = self.rules.managed_rules().get(rule_key)
        if rule is None:
            raise ConfigurationError(f"no managed cart rule with key {rule_key!r} to generate coupons for")
        return self.coupons.generate(rule, quantity, length=length, prefix=prefix)
