"""Managed changes -> ``POST /api/_action/sync`` batches, applied idempotently.

Each change becomes sync operations on Shopware entities (see ``docs/adapters/shopware.md``):

- ``customer_group`` -> ``customer_group``; ``rule`` -> ``rule`` with a flat condition tree
  (``orContainer`` > ``andContainer`` > ``customerCustomerGroup`` / ``cartCartAmount``, linked by
  ``parentId`` as the administration writes it); ``tier_price`` -> ``product_price`` (a price in the
  default currency is required); ``promotion`` -> ``promotion`` with its sales-channel link,
  persona/cart rules, set groups and discounts nested; ``promotion_code`` ->
  ``promotion_individual_code`` rows with our own codes (never ``replace-individual``, which wipes
  every existing code); ``group_assignment`` -> an upsert of ``{id, groupId}`` on ``customer``.
- Children that an update no longer lists (conditions, discounts, set groups, rule links) are
  removed with a delete-by-criteria operation (Shopware 6.5+) that matches only the object's own
  children outside the new id list, placed before the upsert in the same request.

Batches are one database transaction each (Shopware 6.5+), so a batch is applied whole or not at
all. A batch the shop rejects (a 4xx) is retried change by change, so one bad change cannot hold
back the others and its error names it. Every id is deterministic, so re-sending any batch is safe.
Shopware has no free-gift primitive and cannot add a zero-value line to a cart: a free item is a
100 % discount on a set group, which the customer must still put in the cart.
"""

from __future__ import annotations

__all__ = ["DELETE_ENTITIES", "ManagedWriter", "SyncOp", "operations_for"]

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from loyalty_connector.adapter import Change, ChangeResult
from loyalty_connector.errors import NotFoundError, PermissionDeniedError, ShopRequestError

from .client import DEFAULT_CURRENCY_ID, ShopwareClient
from .managed import KINDS, MANAGED_PREFIX, MARKER_FIELD, canonical_fields, managed_id

logger = logging.getLogger(__name__)

DELETE_ENTITIES = {
    "customer_group": "customer_group",
    "rule": "rule",
    "promotion": "promotion",
    "tier_price": "product_price",
    "promotion_code": "promotion_individual_code",
}
_QUEUE_INDEXING = "use-queue-indexing"
_CONDITION_TYPES = {
    "customer_group": "customerCustomerGroup",
    "cart_amount": "cartCartAmount",
    "line_item": "cartLineItem",
}


@dataclass(frozen=True)
class SyncOp:
    """One unit of a sync request: an upsert or delete of one payload item, or a delete-by-criteria."""

    entity: str
    action: str
    payload: Mapping[str, Any] | None = None
    criteria: Sequence[Mapping[str, Any]] = field(default_factory=tuple)


def _wire(value: Any) -> Any:
    """JSON-ready: ``Decimal`` -> number (Shopware's API takes JSON floats), datetimes -> ISO 8601."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime):
        return value.isoformat(timespec="milliseconds")
    if isinstance(value, Mapping):
        return {k: _wire(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_wire(v) for v in value]
    return value


def _marker(key: str) -> dict[str, str]:
    return {MARKER_FIELD: key}


def _stale(entity: str, parent_field: str, parent_id: str, keep_field: str, keep: Sequence[str]) -> SyncOp:
    """Delete ``entity`` rows of ``parent_id`` whose ``keep_field`` is not in ``keep``."""
    criteria: list[Mapping[str, Any]] = [{"type": "equals", "field": parent_field, "value": parent_id}]
    if keep:
        criteria.append(
            {
                "type": "not",
                "operator": "and",
                "queries": [{"type": "equalsAny", "field": keep_field, "value": list(keep)}],
            }
        )
    return SyncOp(entity, "delete", criteria=tuple(criteria))


def _group_ids(condition: Mapping[str, Any]) -> list[str]:
    return sorted([managed_id("customer_group", k) for k in condition["group_keys"]] + condition["group_ids"])


def _rule_ops(key: str, fields: Mapping[str, Any]) -> list[SyncOp]:
    rule_id = managed_id("rule", key)
    or_id, and_id = managed_id("rule_condition", f"{key}#or"), managed_id("rule_condition", f"{key}#and")
    conditions: list[dict[str, Any]] = [
        {"id": or_id, "type": "orContainer", "parentId": None, "position": 0},
        {"id": and_id, "type": "andContainer", "parentId": or_id, "position": 0},
    ]
    for position, condition in enumerate(fields["conditions"]):
        if condition["type"] == "customer_group":
            value: dict[str, Any] = {"operator": "=", "customerGroupIds": _group_ids(condition)}
        elif condition["type"] == "line_item":
            value = {"operator": "=", "identifiers": condition["product_ids"]}
        else:
            value = {"operator": condition["operator"], "amount": condition["amount"]}
        conditions.append(
            {
                "id": managed_id("rule_condition", f"{key}#{position}"),
                "type": _CONDITION_TYPES[condition["type"]],
                "parentId": and_id,
                "position": position,
                "value": value,
            }
        )
    payload = {
        "id": rule_id,
        "name": MANAGED_PREFIX + fields["name"],
        "priority": fields["priority"],
        "description": "managed by loyalty-connector; changes made here are overwritten",
        "customFields": _marker(key),
        "conditions": conditions,
    }
    keep = [c["id"] for c in conditions]
    return [_stale("rule_condition", "ruleId", rule_id, "id", keep), SyncOp("rule", "upsert", payload)]


def _promotion_ops(key: str, fields: Mapping[str, Any], sales_channel_id: str) -> list[SyncOp]:
    promotion_id = managed_id("promotion", key)
    groups = []
    for index, group in enumerate(fields["set_groups"]):
        groups.append(
            {
                "id": managed_id("promotion_setgroup", f"{key}#{index}"),
                "packagerKey": group["packager"],
                "value": group["value"],
                "sorterKey": group["sorter"],
                "setGroupRules": [{"id": managed_id("rule", r)} for r in group["rule_keys"]],
            }
        )
    discounts = []
    for index, discount in enumerate(fields["discounts"]):
        scope = discount["scope"]
        if scope == "setgroup":
            scope = f"setgroup-{groups[discount['set_group']]['id']}"
        discounts.append(
            {
                "id": managed_id("promotion_discount", f"{key}#{index}"),
                "scope": scope,
                "type": discount["type"],
                "value": discount["value"],
                "maxValue": discount["max_value"],
                # Item-level keys (which and how many items) only take effect with advanced rules.
                "considerAdvancedRules": discount["scope"] != "cart",
                "applierKey": discount["applier"],
                "usageKey": discount["usage"],
                "sorterKey": discount["sorter"],
                "pickerKey": discount["picker"],
            }
        )
    channel_id = managed_id("promotion_sales_channel", f"{key}#{sales_channel_id}")
    persona = [managed_id("rule", r) for r in fields["customer_rule_keys"]]
    cart = [managed_id("rule", r) for r in fields["cart_rule_keys"]]
    payload = {
        "id": promotion_id,
        "name": MANAGED_PREFIX + fields["name"],
        "active": fields["active"],
        "validFrom": fields["valid_from"],
        "validUntil": fields["valid_until"],
        "priority": fields["priority"],
        "exclusive": fields["exclusive"],
        "preventCombination": fields["prevent_combination"],
        "useCodes": fields["code"] is not None or fields["individual_codes"],
        "code": fields["code"],
        "useIndividualCodes": fields["individual_codes"],
        "useSetGroups": bool(groups),
        "customerRestriction": False,
        "maxRedemptionsGlobal": fields["max_redemptions_global"],
        "maxRedemptionsPerCustomer": fields["max_redemptions_per_customer"],
        "customFields": _marker(key),
        # A promotion without a sales channel never applies: the link is not optional in practice.
        "salesChannels": [{"id": channel_id, "salesChannelId": sales_channel_id, "priority": 1}],
        "personaRules": [{"id": rule_id} for rule_id in persona],
        "cartRules": [{"id": rule_id} for rule_id in cart],
        "setgroups": groups,
        "discounts": discounts,
    }
    ops = [
        _stale("promotion_discount", "promotionId", promotion_id, "id", [d["id"] for d in discounts]),
        _stale("promotion_setgroup", "promotionId", promotion_id, "id", [g["id"] for g in groups]),
        _stale("promotion_sales_channel", "promotionId", promotion_id, "id", [channel_id]),
        _stale("promotion_persona_rule", "promotionId", promotion_id, "ruleId", persona),
        _stale("promotion_cart_rule", "promotionId", promotion_id, "ruleId", cart),
    ]
    for group, spec in zip(groups, fields["set_groups"], strict=True):
        keep = [managed_id("rule", r) for r in spec["rule_keys"]]
        ops.append(_stale("promotion_setgroup_rule", "setgroupId", group["id"], "ruleId", keep))
    return [*ops, SyncOp("promotion", "upsert", payload)]


def operations_for(
    change: Change, fields: Mapping[str, Any], *, sales_channel_id: str | None
) -> list[SyncOp]:
    """The sync operations that apply ``change`` (its ``fields`` already canonical)."""
    key, kind = change.key, change.kind
    if change.action == "delete":
        if kind == "group_assignment":
            return [SyncOp("customer", "upsert", {"id": key.lower(), "groupId": fields["fallback_group_id"]})]
        return [SyncOp(DELETE_ENTITIES[kind], "delete", {"id": managed_id(kind, key)})]
    if kind == "customer_group":
        payload = {
            "id": managed_id(kind, key),
            "name": MANAGED_PREFIX + fields["name"],
            "displayGross": fields["display_gross"],
            "customFields": _marker(key),
        }
        return [SyncOp("customer_group", "upsert", payload)]
    if kind == "rule":
        return _rule_ops(key, fields)
    if kind == "promotion":
        if not sales_channel_id:
            raise ValueError(
                "promotions need settings.sales_channel_id: Shopware applies a promotion only in the "
                "sales channels linked to it"
            )
        return _promotion_ops(key, fields, sales_channel_id)
    if kind == "tier_price":
        payload = {
            "id": managed_id(kind, key),
            "productId": fields["product_id"],
            "ruleId": managed_id("rule", fields["rule_key"]),
            "quantityStart": fields["quantity_start"],
            "quantityEnd": fields["quantity_end"],
            "price": [
                {"currencyId": p["currency_id"], "gross": p["gross"], "net": p["net"], "linked": False}
                for p in fields["prices"]
            ],
            "customFields": _marker(key),
        }
        return [SyncOp("product_price", "upsert", payload)]
    if kind == "promotion_code":
        payload = {
            "id": managed_id(kind, key),
            "promotionId": managed_id("promotion", fields["promotion_key"]),
            "code": fields["code"],
        }
        return [SyncOp("promotion_individual_code", "upsert", payload)]
    group_id = fields.get("group_id") or managed_id("customer_group", fields["group_key"])
    return [SyncOp("customer", "upsert", {"id": key.lower(), "groupId": group_id})]


def _request_body(batch: Sequence[list[SyncOp]]) -> list[dict[str, Any]]:
    """Criteria deletes first, then upserts grouped by entity, then deletes by id."""
    criteria_ops = [op for ops in batch for op in ops if op.criteria]
    grouped: dict[tuple[str, str], list[Any]] = {}
    for ops in batch:
        for op in ops:
            if not op.criteria:
                grouped.setdefault((op.action, op.entity), []).append(op.payload)
    body: list[dict[str, Any]] = [
        {
            "key": f"stale-{n}",
            "entity": op.entity,
            "action": "delete",
            "payload": [],
            "criteria": list(op.criteria),
        }
        for n, op in enumerate(criteria_ops)
    ]
    for action in ("upsert", "delete"):
        for (op_action, entity), payload in grouped.items():
            if op_action == action:
                body.append(
                    {"key": f"{action}-{entity}", "entity": entity, "action": action, "payload": payload}
                )
    return _wire(body)  # type: ignore[no-any-return]


class ManagedWriter:
    """Applies changes in dependency order, in sync batches of ``batch_size`` changes."""

    def __init__(
        self, client: ShopwareClient, *, sales_channel_id: str | None = None, batch_size: int = 100
    ) -> None:
        self._client = client
        self._sales_channel_id = sales_channel_id
        self._batch_size = batch_size

    def apply(self, changes: Sequence[Change]) -> list[ChangeResult]:
        results: dict[int, ChangeResult] = {}
        prepared: list[tuple[int, Change, list[SyncOp]]] = []
        for index, change in enumerate(changes):
            try:
                prepared.append((index, change, self._prepare(change)))
            except ValueError as exc:
                results[index] = ChangeResult(change, ok=False, error=str(exc))
        for phase in _phases():
            selected = [item for item in prepared if _phase_of(item[1]) == phase]
            for start in range(0, len(selected), self._batch_size):
                self._send(selected[start : start + self._batch_size], results)
        return [results[index] for index in sorted(results)]

    def _prepare(self, change: Change) -> list[SyncOp]:
        if change.kind not in KINDS:
            raise ValueError(
                f"unknown managed kind {change.kind!r}; the Shopware adapter writes: {', '.join(KINDS)}"
            )
        if change.action == "delete":
            fields: dict[str, Any] = {}
            if change.kind == "group_assignment":
                fallback = change.fields.get("fallback_group_id")
                if not isinstance(fallback, str) or len(fallback) != 32:
                    raise ValueError(
                        f"group_assignment {change.key!r}: deleting an assignment needs "
                        "fields.fallback_group_id, the group to move the customer back to "
                        "(every Shopware customer belongs to a group)"
                    )
                fields = {"fallback_group_id": fallback.lower()}
        else:
            fields = canonical_fields(
                change.kind, change.key, change.fields, default_currency_id=DEFAULT_CURRENCY_ID
            )
        expected = (
            change.key.lower() if change.kind == "group_assignment" else managed_id(change.kind, change.key)
        )
        if change.shop_id is not None and change.shop_id.lower() != expected:
            raise ValueError(
                f"{change.kind} {change.key!r}: shop id {change.shop_id} is not the managed id {expected}; "
                "refusing to touch an object loyalty-connector did not create"
            )
        return operations_for(change, fields, sales_channel_id=self._sales_channel_id)

    def _send(self, batch: list[tuple[int, Change, list[SyncOp]]], results: dict[int, ChangeResult]) -> None:
        if not batch:
            return
        assignments = all(change.kind == "group_assignment" for _, change, _ in batch)
        try:
            self._client.sync(
                _request_body([ops for _, _, ops in batch]),
                indexing_behavior=_QUEUE_INDEXING if assignments else None,
            )
        except (ShopRequestError, NotFoundError, PermissionDeniedError) as exc:
            if len(batch) > 1 and isinstance(exc, ShopRequestError):
                logger.warning(
                    "[%s] a sync batch of %d changes was rejected; retrying them one by one",
                    self._client.source,
                    len(batch),
                )
                for item in batch:
                    self._send([item], results)
                return
            for index, change, _ in batch:
                results[index] = ChangeResult(change, ok=False, error=str(exc))
            return
        for index, change, _ in batch:
            shop_id = (
                change.key.lower()
                if change.kind == "group_assignment"
                else managed_id(change.kind, change.key)
            )
            results[index] = ChangeResult(change, ok=True, shop_id=shop_id)


def _phases() -> list[tuple[str, str]]:
    upserts = [("upsert", kind) for kind in KINDS]
    deletes = [("delete", kind) for kind in reversed(KINDS)]
    return upserts + deletes


def _phase_of(change: Change) -> tuple[str, str]:
    return ("delete" if change.action == "delete" else "upsert", change.kind)
