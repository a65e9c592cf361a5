"""The shop-neutral desired state: what the programme and the ledger say a shop should hold.

:func:`desired_state` reads the programme and one source's store and returns a
:class:`DesiredState` in loyalty terms — a customer group per level and each customer's group,
tier prices per SKU and group, free-product thresholds, the referral discount with every
referrer's code, and the single-use coupons the ledger has issued and that are valid now. It knows
no shop: each adapter translates the state into its own managed objects with
``desired_objects(state)`` (see :class:`DesiredStateAdapter`), and :mod:`loyalty_connector.plan`
diffs those against the shop. An integrator can call both from code::

    state = desired_state(program, store, "shop", now=datetime.now(timezone.utc))
    objects = adapter.desired_objects(state)

Translation contract for adapters: objects come in dependency order (what others refer to first);
``group_assignment`` objects are keyed by the customer key; an object whose ``fields`` hold
``RELEASE: True`` is a wanted *absence* — the object must not exist, and its other fields are what
the adapter's delete needs (e.g. the group a released customer goes back to).
"""

from __future__ import annotations

__all__ = [
    "RELEASE",
    "CouponRule",
    "DesiredState",
    "DesiredStateAdapter",
    "GiftThreshold",
    "GroupAssignment",
    "GroupRelease",
    "IssuedCoupon",
    "LevelGroup",
    "ReferralCode",
    "ReferralPromotion",
    "ShopFacts",
    "TierPrice",
    "coupon_code",
    "desired_state",
]

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Literal, Protocol, runtime_checkable

from .adapter import ManagedObject, Stream
from .domain import Customer
from .engine.customer import CustomerEvaluator, History
from .engine.referrals import referral_code
from .engine.results import IntentKind
from .program import Discount, FreeProductThreshold, Program
from .store import Store

logger = logging.getLogger(__name__)

RELEASE = "release"
"""``fields[RELEASE] = True``: the object must not exist; its other fields tell the delete how."""

CouponKind = Literal["next_purchase", "birthday", "referral_reward"]
_CODE_PREFIX: dict[str, str] = {"next_purchase": "NP-", "birthday": "BD-", "referral_reward": "RR-"}
_CODE_LENGTH = 10


@dataclass(frozen=True, slots=True)
class LevelGroup:
    """The customer group of one loyalty level; ``rank`` 0 is the lowest level."""

    level_id: str
    name: str
    group_code: str
    rank: int


@dataclass(frozen=True, slots=True)
class GroupAssignment:
    """A customer who holds a level now and belongs in its group."""

    customer_key: str
    level_id: str
    group_code: str
    home_group_id: str | None
    """The shop group the customer was in before their first loyalty group (to return them to)."""


@dataclass(frozen=True, slots=True)
class GroupRelease:
    """A customer who holds no level now but was put in a loyalty group: back to their home group."""

    customer_key: str
    home_group_id: str | None
    """``None``: unknown, the shop's default group."""


@dataclass(frozen=True, slots=True)
class TierPrice:
    """One quantity break for one SKU and customer group (``None``: every group)."""

    rule_id: str
    sku: str
    customer_group: str | None
    min_qty: Decimal
    unit_price: Decimal | None
    """A fixed unit price in the programme currency (net), or ``None`` with ``percent_off``."""
    percent_off: Decimal | None


@dataclass(frozen=True, slots=True)
class GiftThreshold:
    """``gift_qty`` x ``gift_sku`` free once the cart subtotal reaches ``threshold``."""

    rule_id: str
    threshold: Decimal
    gift_sku: str
    gift_qty: int
    customer_groups: tuple[str, ...] | None
    """Group codes, or ``None`` for every group."""
    valid_from: date | None
    valid_until: date | None
    """First and last day (programme time zone), inclusive."""
    starts_at: datetime | None
    ends_at: datetime | None
    """The same window as UTC instants (``ends_at`` exclusive)."""
    once_per_customer: bool
    below: Decimal | None
    """``mode: highest``: the next higher threshold with the same groups and window, where this gift stops."""
    priority: int
    """Higher thresholds first (1 = the highest)."""


@dataclass(frozen=True, slots=True)
class ReferralCode:
    """A referrer's code, from the store's referral codes."""

    customer_key: str
    code: str


@dataclass(frozen=True, slots=True)
class ReferralPromotion:
    """The referee discount (first order only, once per customer) behind every referrer's code."""

    rule_id: str
    percent: Decimal | None
    amount: Decimal | None
    codes: tuple[ReferralCode, ...]


@dataclass(frozen=True, slots=True)
class CouponRule:
    """The shop rule behind one kind of single-use coupon (one per programme coupon rule)."""

    key: str
    """``<kind>:<rule id>``, e.g. ``next_purchase:thank-you-5``."""
    kind: CouponKind
    rule_id: str
    percent: Decimal | None
    amount: Decimal | None


@dataclass(frozen=True, slots=True)
class IssuedCoupon:
    """A single-use code for one ledger coupon that is valid now."""

    ledger_key: str
    rule_key: str
    customer_key: str
    code: str
    valid_from: datetime
    valid_until: datetime | None


@dataclass(frozen=True, slots=True)
class ShopFacts:
    """What earlier applies taught the planner about the shop (empty before the first apply)."""

    loyalty_group_ids: frozenset[str] = frozenset()
    """Shop ids of the loyalty groups loyalty-connector created or adopted."""
    assigned: frozenset[str] = frozenset()
    """Customer keys loyalty-connector put in a loyalty group."""
    home_groups: Mapping[str, str] = field(default_factory=dict)
    """Customer key -> the shop group id they were in before their first loyalty group."""
    retired_groups: tuple[str, ...] = ()
    """Group codes loyalty-connector manages that the programme no longer has."""


@dataclass(frozen=True, slots=True)
class DesiredState:
    """Everything the shop should hold for one source, in loyalty terms, as of ``at``."""

    source: str
    currency: str
    timezone: str
    at: datetime
    levels: tuple[LevelGroup, ...] = ()
    assignments: tuple[GroupAssignment, ...] = ()
    releases: tuple[GroupRelease, ...] = ()
    tier_prices: tuple[TierPrice, ...] = ()
    gifts: tuple[GiftThreshold, ...] = ()
    referral: ReferralPromotion | None = None
    coupon_rules: tuple[CouponRule, ...] = ()
    coupons: tuple[IssuedCoupon, ...] = ()
    retired_groups: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    def group_codes(self) -> list[str]:
        """Every group code the state refers to (levels, tier prices, gifts), levels first."""
        codes = [level.group_code for level in self.levels]
        codes += [t.customer_group for t in self.tier_prices if t.customer_group is not None]
        codes += [code for gift in self.gifts for code in gift.customer_groups or ()]
        return list(dict.fromkeys(codes))

    def skus(self) -> list[str]:
        """Every SKU the state refers to (tier prices, gifts)."""
        return list(dict.fromkeys([t.sku for t in self.tier_prices] + [g.gift_sku for g in self.gifts]))


@runtime_checkable
class DesiredStateAdapter(Protocol):
    """An adapter that can translate a :class:`DesiredState` into its own managed objects."""

    def desired_objects(self, state: DesiredState) -> list[ManagedObject]: ...


def coupon_code(secret: bytes, source: str, ledger_key: str, kind: str) -> str:
    """The single-use code of a ledger coupon: stable for the entry, unguessable without ``secret``."""
    prefix = _CODE_PREFIX.get(kind, "LC-")
    return referral_code(secret, source, f"coupon\x1f{ledger_key}", prefix=prefix, length=_CODE_LENGTH)


def _discount(discount: Discount) -> tuple[Decimal | None, Decimal | None]:
    return discount.percent, discount.amount


def _levels(program: Program) -> tuple[LevelGroup, ...]:
    if program.levels is None:
        return ()
    return tuple(
        LevelGroup(level.id, level.name, level.customer_group, rank)
        for rank, level in enumerate(program.levels.levels)
    )


def _held_levels(
    program: Program, store: Store, source: str, now: datetime
) -> tuple[dict[str, str], list[str]]:
    """Customer key -> level id of their latest LEVEL entry effective by ``now`` (``none`` included).

    A customer whose entry names a level the programme no longer has is evaluated now under the
    programme (levels depend on orders and refunds only), as the next sync will record it.
    """
    held: dict[str, str] = {}
    for entry in store.ledger_entries(source, kinds=[IntentKind.LEVEL]):
        if entry.effective_at <= now:
            held[entry.customer_key] = entry.attribute("to") or "none"
    known = {level.id for level in program.levels.levels} if program.levels else set()
    stale = sorted(key for key, level_id in held.items() if level_id != "none" and level_id not in known)
    if not stale:
        return held, []
    evaluator = CustomerEvaluator(program)
    for key, stored in store.histories(source, stale).items():
        if stored.customer is None:
            held[key] = "none"
            continue
        history = History(orders=stored.orders, refunds=stored.refunds, redemptions=stored.redemptions)
        level = evaluator.evaluate(stored.customer, history, now).level
        held[key] = level.level_id if level is not None and level.level_id is not None else "none"
    return held, [
        f"{len(stale)} customer(s) hold a level the programme no longer has; they are placed by the "
        "programme's levels as of now (run `loyalty-connector sync` to record that in the ledger)"
    ]


def _assignments(
    customers: Mapping[str, Customer],
    held: Mapping[str, str],
    levels: tuple[LevelGroup, ...],
    facts: ShopFacts,
) -> tuple[tuple[GroupAssignment, ...], tuple[GroupRelease, ...]]:
    by_id = {level.level_id: level for level in levels}
    assignments: list[GroupAssignment] = []
    releases: list[GroupRelease] = []
    for key in sorted(customers):
        customer = customers[key]
        group_id = customer.group_id
        home = facts.home_groups.get(key)
        if group_id is not None and group_id not in facts.loyalty_group_ids:
            home = group_id
        level = by_id.get(held.get(key, "none"))
        if level is not None:
            assignments.append(GroupAssignment(key, level.level_id, level.group_code, home))
        elif key in facts.assigned or (group_id is not None and group_id in facts.loyalty_group_ids):
            releases.append(GroupRelease(key, home))
    return tuple(assignments), tuple(releases)


def _tier_prices(program: Program) -> tuple[tuple[TierPrice, ...], list[str]]:
    found: dict[tuple[str, str | None, Decimal], TierPrice] = {}
    warnings: list[str] = []
    for rule in program.tier_prices:
        if rule.categories:
            warnings.append(
                f"tier price rule {rule.id!r}: categories ({', '.join(rule.categories)}) are not pushed; "
                "shops keep tier prices per SKU, so list the SKUs"
            )
        groups: list[str | None] = [None] if rule.customer_groups == "all" else list(rule.customer_groups)
        for sku in rule.skus:
            for group in groups:
                for tier in rule.breaks:
                    slot = (sku, None if group is None else group.casefold(), tier.min_qty)
                    if slot in found:
                        warnings.append(
                            f"tier price rule {rule.id!r}: {sku} from {tier.min_qty} for "
                            f"{group or 'all groups'} is already set by rule {found[slot].rule_id!r}; "
                            "the first rule in the programme is pushed"
                        )
                        continue
                    found[slot] = TierPrice(
                        rule.id, sku, group, tier.min_qty, tier.unit_price, tier.percent_off
                    )
    return tuple(found.values()), warnings


def _midnight(day: date, program: Program) -> datetime:
    return datetime.combine(day, time(0), tzinfo=program.zone).astimezone(timezone.utc)


def _gifts(program: Program, now: datetime) -> tuple[GiftThreshold, ...]:
    rules = program.free_products
    if rules is None:
        return ()
    today = now.astimezone(program.zone).date()
    live = [t for t in rules.thresholds if t.valid_until is None or t.valid_until >= today]

    def scope(t: FreeProductThreshold) -> tuple[object, ...]:
        groups = (
            None if t.customer_groups == "all" else tuple(sorted(g.casefold() for g in t.customer_groups))
        )
        return groups, t.valid_from, t.valid_until

    ranked = sorted(live, key=lambda t: (-t.threshold, t.id))
    gifts: list[GiftThreshold] = []
    for t in live:
        below = None
        if rules.mode == "highest":
            higher = [o.threshold for o in live if scope(o) == scope(t) and o.threshold > t.threshold]
            below = min(higher, default=None)
        gifts.append(
            GiftThreshold(
                rule_id=t.id,
                threshold=t.threshold,
                gift_sku=t.gift_sku,
                gift_qty=t.gift_qty,
                customer_groups=None if t.customer_groups == "all" else tuple(t.customer_groups),
                valid_from=t.valid_from,
                valid_until=t.valid_until,
                starts_at=_midnight(t.valid_from, program) if t.valid_from else None,
                ends_at=_midnight(t.valid_until + timedelta(days=1), program) if t.valid_until else None,
                once_per_customer=t.once_per_customer,
                below=below,
                priority=ranked.index(t) + 1,
            )
        )
    return tuple(gifts)


def _referral(program: Program, store: Store, source: str, keys: list[str]) -> ReferralPromotion | None:
    rules = program.referrals
    if rules is None:
        return None
    codes = store.referral_codes(source, keys)
    percent, amount = _discount(rules.referee_discount)
    return ReferralPromotion(
        rule_id=rules.id,
        percent=percent,
        amount=amount,
        codes=tuple(ReferralCode(key, codes[key]) for key in sorted(codes)),
    )


def _coupon_rules(program: Program) -> tuple[CouponRule, ...]:
    rules: list[CouponRule] = []
    if program.coupons is not None:
        for rule in program.coupons.next_purchase:
            rules.append(
                CouponRule(f"next_purchase:{rule.id}", "next_purchase", rule.id, *_discount(rule.discount))
            )
        if program.coupons.birthday is not None:
            birthday = program.coupons.birthday
            rules.append(
                CouponRule(f"birthday:{birthday.id}", "birthday", birthday.id, *_discount(birthday.discount))
            )
    reward = program.referrals.referrer_reward if program.referrals else None
    if program.referrals is not None and reward is not None and reward.coupon_amount is not None:
        rules.append(
            CouponRule(
                f"referral_reward:{program.referrals.id}",
                "referral_reward",
                program.referrals.id,
                None,
                reward.coupon_amount,
            )
        )
    return tuple(rules)


def _coupons(
    store: Store, source: str, rules: tuple[CouponRule, ...], now: datetime, secret: bytes | None
) -> tuple[tuple[IssuedCoupon, ...], list[str]]:
    if not rules:
        return (), []
    entries = store.ledger_entries(
        source, kinds=[IntentKind.COUPON, IntentKind.REFERRAL_REWARD, IntentKind.REVERSAL]
    )
    reversed_keys = {e.reverses for e in entries if e.kind is IntentKind.REVERSAL and e.reverses}
    by_rule: dict[tuple[str, str], CouponRule] = {}
    for each in rules:
        kind = IntentKind.REFERRAL_REWARD if each.kind == "referral_reward" else IntentKind.COUPON
        by_rule[(kind.value, each.rule_id)] = each
    valid = []
    for entry in entries:
        rule = by_rule.get((entry.kind.value, entry.rule_id))
        if rule is None or entry.key in reversed_keys or (entry.amount is None and entry.percent is None):
            continue
        start = entry.available_at or entry.effective_at
        if start <= now and (entry.expires_at is None or now < entry.expires_at):
            valid.append((entry, rule, start))
    if not valid:
        return (), []
    if secret is None:
        return (), [
            f"{len(valid)} valid coupon(s) in the ledger are not pushed: set LOYALTY_COUPON_SECRET (or the "
            "referral secret) so their single-use codes are unguessable"
        ]
    issued = tuple(
        IssuedCoupon(
            ledger_key=entry.key,
            rule_key=rule.key,
            customer_key=entry.customer_key,
            code=coupon_code(secret, source, entry.key, rule.kind),
            valid_from=start,
            valid_until=entry.expires_at,
        )
        for entry, rule, start in valid
    )
    return issued, []


def desired_state(
    program: Program,
    store: Store,
    source: str,
    *,
    now: datetime,
    coupon_secret: bytes | None = None,
    facts: ShopFacts | None = None,
) -> DesiredState:
    """What the shop of ``source`` should hold at ``now`` according to ``program`` and the store.

    Group assignments follow each customer's latest LEVEL entry; coupons are the ledger's coupons
    valid at ``now`` (their codes derive from ``coupon_secret``; without one they are left out with
    a warning). ``facts`` carries what earlier applies recorded (see :class:`ShopFacts`).
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware (UTC)")
    known = facts or ShopFacts()
    customers = {c.key: c for c in store.records(source, Stream.CUSTOMERS) if isinstance(c, Customer)}
    levels = _levels(program)
    warnings: list[str] = []
    assignments: tuple[GroupAssignment, ...] = ()
    releases: tuple[GroupRelease, ...] = ()
    if levels or known.assigned or known.loyalty_group_ids:
        held, found = _held_levels(program, store, source, now)
        assignments, releases = _assignments(customers, held, levels, known)
        warnings += found
    tiers, found = _tier_prices(program)
    warnings += found
    coupon_rules = _coupon_rules(program)
    coupons, found = _coupons(store, source, coupon_rules, now, coupon_secret)
    warnings += found
    level_codes = {level.group_code.casefold() for level in levels}
    return DesiredState(
        source=source,
        currency=program.currency,
        timezone=program.timezone,
        at=now,
        levels=levels,
        assignments=assignments,
        releases=releases,
        tier_prices=tiers,
        gifts=_gifts(program, now),
        referral=_referral(program, store, source, sorted(customers)),
        coupon_rules=coupon_rules,
        coupons=coupons,
        retired_groups=tuple(c for c in known.retired_groups if c.casefold() not in level_codes),
        warnings=tuple(warnings),
    )
