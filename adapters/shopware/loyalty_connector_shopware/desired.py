"""The shop-neutral desired state as Shopware managed objects (``ShopwareAdapter.desired_objects``).

- A level's group is a ``customer_group`` keyed by its code (named ``[loyalty] <code>``, net prices
  shown, as B2B shops do); a group the programme dropped is deleted once its customers are released.
- Tier prices are advanced prices (``tier_price``) under a rule per customer group
  (``groups:<codes>``, priority 200) or, for every group, under ``always`` (cart amount >= 0,
  priority 100): Shopware uses the prices of the highest-priority matching rule only, so a group's
  rows already include the every-group breaks. Each row set starts at quantity 1 with the product's
  own price; a break's price is the best offer reached so far. Unit prices are net; the gross price
  uses the product's own gross/net ratio.
- A free-product threshold is a promotion: cart rule ``gift:<id>`` (cart amount >= threshold, and
  < the next threshold in ``highest`` mode), persona rule for its groups, and a 100 % discount on a
  set group of ``gift_qty`` items matching ``gift-item:<sku>`` (an "item in cart" rule). Shopware
  cannot put the gift in the cart: the customer adds it and the promotion makes it free.
- The referral discount and each kind of single-use coupon are promotions with individual codes
  (``promotion_code``), once per customer; an issued code's validity is kept by ``apply`` removing
  it once expired (individual codes have no dates of their own).
- A customer's level group is a ``group_assignment`` (``group_key``); a release moves the customer
  back to their home group, or the standard customer group when it is unknown.
"""

from __future__ import annotations

__all__ = ["STANDARD_GROUP_ID", "desired_objects"]

import math
from collections.abc import Mapping, Sequence
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from loyalty_connector.adapter import ManagedObject
from loyalty_connector.desired import RELEASE, DesiredState, GiftThreshold, TierPrice
from loyalty_connector.domain import minor_unit
from loyalty_connector.errors import ConfigurationError

from .client import DEFAULT_CURRENCY_ID, ShopwareClient
from .mapping import money_decimal

STANDARD_GROUP_ID = "cfbd5018d38d41d8adca10d94fc8bdd6"
"""``Defaults::FALLBACK_CUSTOMER_GROUP``: the standard customer group of every Shopware installation."""
ALWAYS_RULE = "always"
_GROUP_PRIORITY = 200
_ALWAYS_PRIORITY = 100


class _Shop:
    """The shop facts a translation needs: group ids by name and products by number."""

    def __init__(self, client: ShopwareClient, state: DesiredState, group_ids: Mapping[str, str]) -> None:
        self.level_codes = {level.group_code.casefold(): level.group_code for level in state.levels}
        self.group_ids = {name.casefold(): gid for name, gid in group_ids.items()}
        self.unit = Decimal(1).scaleb(-minor_unit(state.currency))
        self.products: dict[str, tuple[str, Decimal, Decimal]] = {}
        skus = state.skus()
        if skus:
            rows = client.search_all(
                "product",
                filters=[{"type": "equalsAny", "field": "productNumber", "value": skus}],
                includes={"product": ["id", "productNumber", "price"]},
            )
            for row in rows:
                price = next(
                    (p for p in row.get("price") or [] if p.get("currencyId") == DEFAULT_CURRENCY_ID), None
                )
                if price is not None:
                    net = money_decimal(price.get("net"), field="net").quantize(self.unit, ROUND_HALF_UP)
                    gross = money_decimal(price.get("gross"), field="gross")
                    self.products[str(row["productNumber"])] = (str(row["id"]), net, gross)
        missing = [sku for sku in skus if sku not in self.products]
        if missing:
            raise ConfigurationError(
                f"the programme names product(s) the Shopware shop does not have (or that have no price in "
                f"the default currency): {', '.join(missing)}"
            )

    def group_condition(self, codes: Sequence[str]) -> dict[str, Any] | None:
        keys = sorted({self.level_codes[c.casefold()] for c in codes if c.casefold() in self.level_codes})
        ids = sorted(
            {
                self.group_ids[c.casefold()]
                for c in codes
                if c.casefold() not in self.level_codes and c.casefold() in self.group_ids
            }
        )
        if not keys and not ids:
            return None
        return {"type": "customer_group", "group_keys": keys, "group_ids": ids}

    def price(self, net: Decimal, ratio: Decimal) -> dict[str, Any]:
        gross = (net * ratio).quantize(self.unit, ROUND_HALF_UP)
        return {"currency_id": DEFAULT_CURRENCY_ID, "net": net, "gross": gross}


def _group_rule_key(codes: Sequence[str]) -> str:
    return "groups:" + "+".join(sorted({c.casefold() for c in codes}))


def _tier_rows(shop: _Shop, sku: str, rule_key: str, tiers: Sequence[TierPrice]) -> list[ManagedObject]:
    product_id, base, gross = shop.products[sku]
    ratio = gross / base if base else Decimal(1)
    offers: dict[int, Decimal] = {}
    for tier in tiers:
        qty = max(1, math.ceil(tier.min_qty))
        if tier.unit_price is not None:
            offer = tier.unit_price.quantize(shop.unit, ROUND_HALF_UP)
        else:
            factor = (Decimal(100) - (tier.percent_off or Decimal(0))) / Decimal(100)
            offer = (base * factor).quantize(shop.unit, ROUND_HALF_UP)
        offers[qty] = min(offers.get(qty, offer), offer)
    starts = sorted(offers)
    rows: list[tuple[int, int | None, Decimal]] = []
    if starts[0] > 1:
        rows.append((1, starts[0] - 1, base))
    best = base
    for n, start in enumerate(starts):
        best = min(best, offers[start])
        end = starts[n + 1] - 1 if n + 1 < len(starts) else None
        rows.append((start, end, best))
    return [
        ManagedObject(
            "tier_price",
            f"{sku}|{rule_key}|{start}",
            {
                "product_id": product_id,
                "rule_key": rule_key,
                "quantity_start": start,
                "quantity_end": end,
                "prices": [shop.price(net, ratio)],
            },
        )
        for start, end, net in rows
    ]


def _discount(percent: Decimal | None, amount: Decimal | None) -> dict[str, Any]:
    if percent is not None:
        return {"type": "percentage", "value": percent, "scope": "cart"}
    return {"type": "absolute", "value": amount, "scope": "cart"}


def _gift(
    gift: GiftThreshold, shop: _Shop, currency: str, rules: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    cart = [{"type": "cart_amount", "operator": ">=", "amount": gift.threshold}]
    if gift.below is not None:
        cart.append({"type": "cart_amount", "operator": "<", "amount": gift.below})
    rules[f"gift:{gift.rule_id}"] = {
        "name": f"cart reaches {gift.threshold} {currency} ({gift.rule_id})",
        "conditions": cart,
    }
    product_id = shop.products[gift.gift_sku][0]
    item_key = f"gift-item:{gift.gift_sku}"
    rules[item_key] = {
        "name": f"{gift.gift_sku} in the cart",
        "conditions": [{"type": "line_item", "product_ids": [product_id]}],
    }
    persona: list[str] = []
    if gift.customer_groups is not None:
        condition = shop.group_condition(gift.customer_groups)
        if condition is None:
            raise ConfigurationError(
                f"free product {gift.rule_id}: the shop has none of the customer groups "
                f"{', '.join(gift.customer_groups)}"
            )
        key = _group_rule_key(gift.customer_groups)
        rules[key] = {
            "name": f"customer in {', '.join(sorted(gift.customer_groups))}",
            "priority": _GROUP_PRIORITY,
            "conditions": [condition],
        }
        persona.append(key)
    return {
        "name": f"free {gift.gift_qty} x {gift.gift_sku} from {gift.threshold} {currency}",
        "valid_from": gift.starts_at,
        "valid_until": gift.ends_at - timedelta(milliseconds=1) if gift.ends_at else None,
        "priority": gift.priority,
        "max_redemptions_per_customer": 1 if gift.once_per_customer else None,
        "customer_rule_keys": persona,
        "cart_rule_keys": [f"gift:{gift.rule_id}"],
        "set_groups": [
            {"packager": "COUNT", "value": gift.gift_qty, "sorter": "PRICE_ASC", "rule_keys": [item_key]}
        ],
        "discounts": [{"type": "percentage", "value": Decimal(100), "scope": "setgroup", "set_group": 0}],
    }


def desired_objects(
    client: ShopwareClient, state: DesiredState, *, group_ids: Mapping[str, str], sales_channel_id: str | None
) -> list[ManagedObject]:
    """Managed objects that realise ``state``, in the order Shopware needs them created.

    ``group_ids`` maps the shop's customer-group names to their ids (for programme groups that are
    not loyalty levels, e.g. a tier price for an existing wholesale group).
    """
    shop = _Shop(client, state, group_ids)
    default = client.default_currency()
    if (state.tier_prices or state.gifts or state.coupon_rules or state.referral) and default not in (
        None,
        state.currency,
    ):
        raise ConfigurationError(
            f"the programme currency is {state.currency} but the Shopware shop's default currency is "
            f"{default}; prices and thresholds are written in the default currency"
        )
    objects = [
        ManagedObject("customer_group", level.group_code, {"name": level.group_code, "display_gross": False})
        for level in state.levels
    ]
    rules: dict[str, dict[str, Any]] = {}
    promotions: list[ManagedObject] = []
    codes: list[ManagedObject] = []
    tiers: list[ManagedObject] = []

    by_sku: dict[str, dict[str | None, list[TierPrice]]] = {}
    for tier in state.tier_prices:
        group = None if tier.customer_group is None else tier.customer_group.casefold()
        by_sku.setdefault(tier.sku, {}).setdefault(group, []).append(tier)
    for sku, by_group in by_sku.items():
        everyone = by_group.get(None, [])
        if everyone:
            rules[ALWAYS_RULE] = {
                "name": "every customer",
                "priority": _ALWAYS_PRIORITY,
                "conditions": [{"type": "cart_amount", "operator": ">=", "amount": Decimal(0)}],
            }
            tiers += _tier_rows(shop, sku, ALWAYS_RULE, everyone)
        for group, own in by_group.items():
            if group is None:
                continue
            condition = shop.group_condition([own[0].customer_group or group])
            if condition is None:
                raise ConfigurationError(
                    f"tier prices for {sku}: the shop has no customer group {own[0].customer_group!r}"
                )
            key = _group_rule_key([group])
            rules[key] = {
                "name": f"customer in {own[0].customer_group}",
                "priority": _GROUP_PRIORITY,
                "conditions": [condition],
            }
            tiers += _tier_rows(shop, sku, key, [*everyone, *own])

    for gift in state.gifts:
        promotions.append(
            ManagedObject("promotion", f"gift:{gift.rule_id}", _gift(gift, shop, state.currency, rules))
        )
    code_sets: list[tuple[str, Sequence[str]]] = []
    if state.referral is not None:
        key = f"referral:{state.referral.rule_id}"
        fields = {
            "name": f"referral discount ({state.referral.rule_id})",
            "individual_codes": True,
            "max_redemptions_per_customer": 1,
            "discounts": [_discount(state.referral.percent, state.referral.amount)],
        }
        promotions.append(ManagedObject("promotion", key, fields))
        code_sets.append((key, [c.code for c in state.referral.codes]))
    for rule in state.coupon_rules:
        key = f"coupon:{rule.key}"
        fields = {
            "name": f"single-use {rule.kind.replace('_', ' ')} coupons ({rule.rule_id})",
            "individual_codes": True,
            "max_redemptions_per_customer": 1,
            "discounts": [_discount(rule.percent, rule.amount)],
        }
        promotions.append(ManagedObject("promotion", key, fields))
        code_sets.append((key, [c.code for c in state.coupons if c.rule_key == rule.key]))
    for promotion_key, values in code_sets:
        codes += [
            ManagedObject(
                "promotion_code", f"{promotion_key}/{code}", {"promotion_key": promotion_key, "code": code}
            )
            for code in values
        ]
    if promotions and not sales_channel_id:
        raise ConfigurationError(
            "free-product, referral and coupon promotions need settings.sales_channel_id on the Shopware "
            "source: Shopware applies a promotion only in the sales channels linked to it"
        )

    objects += [ManagedObject("rule", key, fields) for key, fields in sorted(rules.items())]
    objects += promotions + tiers + codes
    objects += [
        ManagedObject("group_assignment", a.customer_key, {"group_key": a.group_code})
        for a in state.assignments
    ]
    objects += [
        ManagedObject(
            "group_assignment",
            r.customer_key,
            {RELEASE: True, "fallback_group_id": r.home_group_id or STANDARD_GROUP_ID},
        )
        for r in state.releases
    ]
    return objects
