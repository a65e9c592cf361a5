"""The shop-neutral desired state as Magento managed objects (``MagentoAdapter.desired_objects``).

- A level's group is a ``customer_group`` keyed by its code (the shop's spelling when it exists, so
  an existing group is adopted); groups the programme dropped stay as they are (Magento groups are
  never deleted) while their tier prices go and their customers are released.
- Tier prices are ``tier_price`` rows (website 0): a fixed ``unit_price`` is ``price_type: fixed``,
  ``percent_off`` is ``price_type: discount``; "every group" is ``all groups``.
- A free-product threshold is a cart price rule (:func:`.sales_rules.free_product_rule`):
  ``base_subtotal >= threshold`` (and ``< the next threshold`` in ``highest`` mode), 100 % off
  ``gift_qty`` units of the gift SKU. Magento cannot add the gift to the cart itself.
- The referral discount is one coupon rule (once per customer, unlimited uses per code) holding
  every referrer's code; each kind of single-use coupon is a rule with ``uses_per_coupon: 1`` holding
  the ledger's codes. Magento takes a coupon's expiry from its rule, so an issued code's own
  validity is kept by ``apply`` removing it once expired.
- A customer's level group is a ``group_assignment`` (by group code); a release moves the customer
  back to their home group (``group_id``) or, unknown, to the default group.

Cart rules need group and website ids. A group that does not exist yet is left out of the rule's
``customer_group_ids``; ``apply`` translates again once the groups are created.
"""

from __future__ import annotations

__all__ = ["desired_objects", "rule_groups"]

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from loyalty_connector.adapter import ManagedObject
from loyalty_connector.desired import RELEASE, DesiredState, GiftThreshold

from .sales_rules import free_product_rule, referral_rule
from .tier_prices import tier_key
from .writers import ManagedWriter

_DEFAULT_TAX_CLASS = 3
_ALL_GROUPS = "all groups"
_ADDRESS = "Magento\\SalesRule\\Model\\Rule\\Condition\\Address"


def _number(value: Decimal) -> str:
    return format(value.normalize(), "f")


def rule_groups(codes: Sequence[str] | None, groups: Sequence[Mapping[str, Any]]) -> list[int]:
    """Ids of the groups with ``codes`` (case-insensitive); ``None``: every group of the shop."""
    if codes is None:
        return sorted(int(g["id"]) for g in groups)
    wanted = {code.casefold() for code in codes}
    return sorted(int(g["id"]) for g in groups if str(g.get("code", "")).casefold() in wanted)


def _websites(writer: ManagedWriter) -> list[int]:
    rows = writer.client.get("/V1/store/websites") or []
    ids = sorted(int(row["id"]) for row in rows if isinstance(row, Mapping) and int(row.get("id", 0)) != 0)
    return ids or [1]


def _gift_rule(
    gift: GiftThreshold, currency: str, websites: list[int], group_ids: list[int]
) -> dict[str, Any]:
    fields = free_product_rule(
        f"free {gift.gift_qty} x {gift.gift_sku} from {_number(gift.threshold)} {currency}",
        gift_sku=gift.gift_sku,
        threshold=gift.threshold,
        website_ids=websites,
        customer_group_ids=group_ids,
        from_date=gift.valid_from.isoformat() if gift.valid_from else None,
        to_date=gift.valid_until.isoformat() if gift.valid_until else None,
        label=f"Free {gift.gift_sku}",
        sort_order=10 + gift.priority,
    )
    fields["discount_qty"] = gift.gift_qty
    fields["uses_per_customer"] = 1 if gift.once_per_customer else 0
    if gift.below is not None:
        fields["condition"]["conditions"].append(
            {
                "condition_type": _ADDRESS,
                "attribute_name": "base_subtotal",
                "operator": "<",
                "value": _number(gift.below),
            }
        )
    return fields


def _coupon_rule(
    name: str,
    websites: list[int],
    group_ids: list[int],
    percent: Decimal | None,
    amount: Decimal | None,
    *,
    uses_per_coupon: int,
    sort_order: int,
) -> dict[str, Any]:
    fields = referral_rule(
        name,
        website_ids=websites,
        customer_group_ids=group_ids,
        percent=percent,
        amount=amount,
        uses_per_coupon=uses_per_coupon,
        uses_per_customer=1,
        sort_order=sort_order,
    )
    fields["stop_rules_processing"] = False  # a coupon must not switch off the gift rules after it
    return fields


def desired_objects(writer: ManagedWriter, state: DesiredState) -> list[ManagedObject]:
    """Managed objects that realise ``state``, in the order Magento needs them created."""
    groups = writer.all_groups()
    by_code = {str(g.get("code", "")).casefold(): g for g in groups}

    def spelled(code: str) -> str:
        found = by_code.get(code.casefold())
        return str(found["code"]) if found else code

    objects: list[ManagedObject] = []
    for code in [level.group_code for level in state.levels] + list(state.retired_groups):
        existing = by_code.get(code.casefold())
        if existing is None and code in state.retired_groups:
            continue
        tax_class = (
            int(existing.get("tax_class_id") or _DEFAULT_TAX_CLASS) if existing else _DEFAULT_TAX_CLASS
        )
        objects.append(
            ManagedObject("customer_group", spelled(code), {"code": spelled(code), "tax_class_id": tax_class})
        )

    rules: list[ManagedObject] = []
    coupons: list[ManagedObject] = []
    needs_rules = state.gifts or state.referral or state.coupon_rules
    websites = _websites(writer) if needs_rules else []
    for gift in state.gifts:
        ids = rule_groups(gift.customer_groups, groups)
        rules.append(
            ManagedObject(
                "cart_rule", f"gift:{gift.rule_id}", _gift_rule(gift, state.currency, websites, ids)
            )
        )
    everyone = rule_groups(None, groups)
    if state.referral is not None:
        key = f"referral:{state.referral.rule_id}"
        name = f"referral discount ({state.referral.rule_id})"
        fields = _coupon_rule(
            name,
            websites,
            everyone,
            state.referral.percent,
            state.referral.amount,
            uses_per_coupon=0,
            sort_order=5,
        )
        rules.append(ManagedObject("cart_rule", key, fields))
        coupons += [
            ManagedObject("coupon", c.code, {"code": c.code, "rule_key": key}) for c in state.referral.codes
        ]
    rule_keys: dict[str, str] = {}
    for rule in state.coupon_rules:
        key = f"coupon:{rule.key}"
        rule_keys[rule.key] = key
        name = f"single-use {rule.kind.replace('_', ' ')} coupons ({rule.rule_id})"
        fields = _coupon_rule(
            name, websites, everyone, rule.percent, rule.amount, uses_per_coupon=1, sort_order=6
        )
        rules.append(ManagedObject("cart_rule", key, fields))
    coupons += [
        ManagedObject("coupon", c.code, {"code": c.code, "rule_key": rule_keys[c.rule_key]})
        for c in state.coupons
        if c.rule_key in rule_keys
    ]
    objects += rules + coupons

    for tier in state.tier_prices:
        fields = {
            "sku": tier.sku,
            "customer_group": _ALL_GROUPS if tier.customer_group is None else spelled(tier.customer_group),
            "website_id": 0,
            "quantity": _number(tier.min_qty),
            "price": _number(
                tier.unit_price if tier.unit_price is not None else tier.percent_off or Decimal(0)
            ),
            "price_type": "fixed" if tier.unit_price is not None else "discount",
        }
        objects.append(ManagedObject("tier_price", tier_key(fields), fields))

    for assignment in state.assignments:
        objects.append(
            ManagedObject(
                "group_assignment", assignment.customer_key, {"group_code": spelled(assignment.group_code)}
            )
        )
    for release in state.releases:
        fields = (
            {RELEASE: True}
            if release.home_group_id is None
            else {RELEASE: True, "group_id": release.home_group_id}
        )
        objects.append(ManagedObject("group_assignment", release.customer_key, fields))
    return objects
