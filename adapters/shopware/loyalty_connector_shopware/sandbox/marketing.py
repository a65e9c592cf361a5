"""Promotions, individual promotion codes and tier prices of the sandbox shop.

Seeds the promotions a real wholesaler would already run (a fixed code, individual welcome and
referral codes, an expired Black Friday code, a "buy 3, cheapest free" set group) and customer-group
tier prices, and generates codes from a pattern the way Shopware's ``PromotionCodeService`` does:
``%s`` is an upper-case letter, ``%d`` a digit.
"""

from __future__ import annotations

__all__ = ["PromotionInfo", "generate_codes", "pattern_capacity", "seed_marketing"]

import random
from dataclasses import dataclass, field
from typing import Any

from .catalogue import STOREFRONT_ID, group_ids, stable_id
from .clock import format_ms, parse_ms
from .products import PRODUCTS
from .schema import DEFAULT_CURRENCY_ID, LIVE_VERSION_ID, blank_record
from .store import ShopStore

_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def pattern_capacity(pattern: str) -> int:
    """How many distinct codes a pattern can produce (1 when it has no placeholder)."""
    return int(26 ** pattern.count("%s") * 10 ** pattern.count("%d"))


def generate_codes(
    pattern: str, amount: int, rng: random.Random, existing: set[str] | None = None
) -> list[str]:
    """``amount`` new codes for ``pattern``, none of them in ``existing``.

    Raises ``ValueError`` when the pattern cannot produce that many unused codes (Shopware answers
    ``PROMOTION__INDIVIDUAL_CODES_PATTERN_INSUFFICIENTLY_COMPLEX`` then).
    """
    taken = set(existing or ())
    if amount < 0 or pattern_capacity(pattern) - len(taken) < amount or "%" not in pattern:
        raise ValueError("the code pattern is not complex enough for the requested amount of codes")
    codes: list[str] = []
    while len(codes) < amount:
        code = _one_code(pattern, rng)
        if code not in taken:
            taken.add(code)
            codes.append(code)
    return codes


def _one_code(pattern: str, rng: random.Random) -> str:
    parts: list[str] = []
    index = 0
    while index < len(pattern):
        placeholder = pattern[index : index + 2]
        if placeholder == "%s":
            parts.append(rng.choice(_LETTERS))
            index += 2
        elif placeholder == "%d":
            parts.append(str(rng.randrange(10)))
            index += 2
        else:
            parts.append(pattern[index])
            index += 1
    return "".join(parts)


@dataclass
class PromotionInfo:
    """What order seeding needs to put a promotion line into an order."""

    id: str
    name: str
    percent: float | None
    absolute: float | None
    fixed_code: str | None
    free_codes: list[str] = field(default_factory=list)
    valid_from: int | None = None
    valid_until: int | None = None

    def valid_at(self, ms: int) -> bool:
        return (self.valid_from is None or ms >= self.valid_from) and (
            self.valid_until is None or ms <= self.valid_until
        )


def _promotion(
    store: ShopStore,
    rng: random.Random,
    at: str,
    name: str,
    discount: dict[str, Any],
    *,
    code: str | None = None,
    pattern: str | None = None,
    codes: int = 0,
    channel: bool = True,
    **values: Any,
) -> tuple[str, list[str]]:
    promotion_id = stable_id("promotion", name)
    store.insert(
        "promotion",
        blank_record(
            "promotion",
            promotion_id,
            createdAt=at,
            name=name,
            active=values.pop("active", True),
            priority=1,
            exclusive=False,
            code=code,
            useCodes=code is not None or pattern is not None,
            useIndividualCodes=pattern is not None,
            individualCodePattern=pattern,
            useSetGroups=values.pop("useSetGroups", False),
            customerRestriction=False,
            preventCombination=values.pop("preventCombination", False),
            orderCount=0,
            exclusionIds=[],
            **values,
        ),
    )
    store.insert(
        "promotion_discount",
        blank_record(
            "promotion_discount",
            stable_id("promotion_discount", promotion_id),
            createdAt=at,
            promotionId=promotion_id,
            considerAdvancedRules=False,
            **discount,
        ),
    )
    if channel:
        store.insert(
            "promotion_sales_channel",
            blank_record(
                "promotion_sales_channel",
                stable_id("promotion_sales_channel", promotion_id),
                createdAt=at,
                promotionId=promotion_id,
                salesChannelId=STOREFRONT_ID,
                priority=1,
            ),
        )
    generated = generate_codes(pattern, codes, rng) if pattern else []
    for value in generated:
        store.insert(
            "promotion_individual_code",
            blank_record(
                "promotion_individual_code",
                stable_id("promotion_individual_code", promotion_id, value),
                createdAt=at,
                promotionId=promotion_id,
                code=value,
            ),
        )
    return promotion_id, generated


def seed_marketing(store: ShopStore, rng: random.Random, install_ms: int) -> list[PromotionInfo]:
    """Insert promotions and tier prices; return the promotions orders may use."""
    at = format_ms(install_ms)
    cart = {"scope": "cart", "maxValue": None}
    paper_id, _ = _promotion(
        store, rng, at, "Paper week 5%", {**cart, "type": "percentage", "value": 5.0}, code="PAPER5"
    )
    welcome_id, welcome = _promotion(
        store,
        rng,
        at,
        "Welcome voucher 10 EUR",
        {**cart, "type": "absolute", "value": 10.0},
        pattern="WELCOME-%s%s%s%s",
        codes=60,
        maxRedemptionsPerCustomer=1,
    )
    referral_id, referral = _promotion(
        store,
        rng,
        at,
        "Referral reward 10%",
        {**cart, "type": "percentage", "value": 10.0},
        pattern="REF-%s%s%s%s-%d%d%d",
        codes=30,
        maxRedemptionsPerCustomer=1,
        preventCombination=True,
    )
    black_friday_from = parse_ms("2024-11-29 00:00:00.000")
    black_friday_until = parse_ms("2024-12-02 23:59:59.000")
    friday_id, _ = _promotion(
        store,
        rng,
        at,
        "Black Friday 2024",
        {**cart, "type": "percentage", "value": 15.0},
        code="BF2024",
        validFrom=format_ms(black_friday_from or 0),
        validUntil=format_ms(black_friday_until or 0),
    )
    setgroup_name = "Toner: buy 3, cheapest free"
    setgroup_id = stable_id("promotion_setgroup", setgroup_name)
    _promotion(
        store,
        rng,
        at,
        setgroup_name,
        {
            "scope": f"setgroup-{setgroup_id}",
            "type": "percentage",
            "value": 100.0,
            "sorterKey": "PRICE_ASC",
            "applierKey": "1",
            "usageKey": "ALL",
            "pickerKey": "VERTICAL",
        },
        useSetGroups=True,
    )
    store.insert(
        "promotion_setgroup",
        blank_record(
            "promotion_setgroup",
            setgroup_id,
            createdAt=at,
            promotionId=stable_id("promotion", setgroup_name),
            packagerKey="COUNT",
            sorterKey="PRICE_ASC",
            value=3.0,
        ),
    )
    _promotion(
        store,
        rng,
        at,
        "Draft: summer sale",
        {**cart, "type": "percentage", "value": 20.0},
        active=False,
        channel=False,
    )
    _tier_prices(store, at)
    return [
        PromotionInfo(paper_id, "Paper week 5%", 5.0, None, "PAPER5"),
        PromotionInfo(welcome_id, "Welcome voucher 10 EUR", None, 10.0, None, list(welcome)),
        PromotionInfo(referral_id, "Referral reward 10%", 10.0, None, None, list(referral)),
        PromotionInfo(
            friday_id, "Black Friday 2024", 15.0, None, "BF2024", [], black_friday_from, black_friday_until
        ),
    ]


def _tier_prices(store: ShopStore, at: str) -> None:
    wholesale = group_ids()[1]
    rule_id = stable_id("rule", "Wholesale customers")
    store.insert(
        "rule", blank_record("rule", rule_id, createdAt=at, name="Wholesale customers", priority=50, areas=[])
    )
    container = stable_id("rule_condition", rule_id, "container")
    store.insert(
        "rule_condition",
        blank_record(
            "rule_condition", container, createdAt=at, type="orContainer", ruleId=rule_id, position=0
        ),
    )
    store.insert(
        "rule_condition",
        blank_record(
            "rule_condition",
            stable_id("rule_condition", rule_id, "group"),
            createdAt=at,
            type="customerCustomerGroup",
            ruleId=rule_id,
            parentId=container,
            value={"operator": "=", "customerGroupIds": [wholesale]},
            position=0,
        ),
    )
    tiers = {"PAPER-A4": ((1, 499, 0.95), (500, None, 0.88)), "TONER-BLK": ((1, 9, 0.97), (10, None, 0.9))}
    for product in PRODUCTS:
        for start, end, factor in tiers.get(product.number, ()):
            gross = round(product.gross * factor, 2)
            store.insert(
                "product_price",
                blank_record(
                    "product_price",
                    stable_id("product_price", product.number, str(start)),
                    createdAt=at,
                    productId=product.id,
                    productVersionId=LIVE_VERSION_ID,
                    ruleId=rule_id,
                    quantityStart=start,
                    quantityEnd=end,
                    price=[
                        {
                            "currencyId": DEFAULT_CURRENCY_ID,
                            "net": gross / (1 + product.tax_rate / 100),
                            "gross": gross,
                            "linked": True,
                            "listPrice": None,
                            "extensions": [],
                        }
                    ],
                ),
            )
