"""What each rule did: tallies of the ledger per rule, and a replay of synced orders through the cart engine.

Two views answer "what did the programme do?" from data, each with one or two example reasons:

- :func:`summarize_ledger` tallies recorded ledger entries per rule and kind (entries, customers,
  points, coupon values), the distribution of levels held, referral rewards and rejections by reason
  and the points outstanding.
- :func:`replay_orders` prices every synced order again with the cart engine at its ``placed_at``
  (with the level the customer held just before it) and tallies tier-price breaks applied, gifts
  reached per threshold and referee discounts. Cart effects are not ledger entries; the replay is
  how their reach is measured.

:func:`explain_customer` is the same question for one customer: the engine re-evaluates their
stored history and says why each reward was — or was not — given. Everything here is pure: the
caller reads the store (:func:`load_customer_facts` is the one function that does) and passes ``now``.
"""

from __future__ import annotations

__all__ = [
    "CartReplay",
    "CustomerFacts",
    "CustomerView",
    "DiscountTally",
    "GiftTally",
    "LedgerSummary",
    "LevelCount",
    "PointsTotals",
    "ReasonCount",
    "RefereeState",
    "ReferralTally",
    "RuleTally",
    "TierTally",
    "explain_customer",
    "level_groups",
    "load_customer_facts",
    "replay_orders",
    "summarize_ledger",
]

from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from types import MappingProxyType

from .domain import Customer, LineKind, Order, OrderStatus
from .engine.cart import Cart, CartEvaluator
from .engine.conditions import convert_amount
from .engine.customer import CustomerEvaluator, History, Referee
from .engine.levels import LevelState
from .engine.results import IntentKind, LedgerIntent, RuleOutcome
from .ledger import LedgerEntry
from .program import Program
from .store import Store, StoredHistory

_ZERO = Decimal(0)
_NO_CODES: Mapping[str, Mapping[str, str]] = MappingProxyType({})
_EXAMPLES = 2
_KIND_ORDER = {kind: n for n, kind in enumerate(IntentKind)}


def _add_example(examples: list[str], reason: str) -> None:
    if len(examples) < _EXAMPLES and reason not in examples:
        examples.append(reason)


# -- the ledger, per rule ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleTally:
    """What one rule recorded in the ledger as one kind of entry."""

    rule_id: str
    kind: IntentKind
    entries: int
    customers: int
    points: int
    """Signed sum of the entries' points."""
    amount: Decimal
    """Sum of money values (fixed-amount coupons, referral coupons) in the programme currency."""
    percents: tuple[Decimal, ...]
    """Distinct percentages of percent-off coupons."""
    examples: tuple[str, ...]


@dataclass(frozen=True)
class LevelCount:
    """How many customers hold a level (``level_id`` ``None``: no level) at the summary's instant."""

    level_id: str | None
    name: str
    customers: int


@dataclass(frozen=True)
class ReasonCount:
    """How often referrals were rejected for one reason code, with an example."""

    reason: str
    count: int
    example: str


@dataclass(frozen=True)
class ReferralTally:
    """Referral rewards paid and referrals rejected, by reason."""

    rule_id: str
    rewarded: int
    reward_points: int
    reward_amount: Decimal
    rejected: tuple[ReasonCount, ...]
    examples: tuple[str, ...]


@dataclass(frozen=True)
class PointsTotals:
    """Points over the whole ledger: earned, taken back, and what customers hold at the instant."""

    earned: int
    reversed: int
    expired: int
    redeemed: int
    available: int
    pending: int


@dataclass(frozen=True)
class LedgerSummary:
    """The ledger as of ``at``, rule by rule."""

    at: datetime
    currency: str
    entries: int
    customers: int
    """Customers with at least one entry."""
    rules: tuple[RuleTally, ...]
    levels: tuple[LevelCount, ...]
    referrals: ReferralTally | None
    points: PointsTotals


def _rule_order(program: Program) -> dict[str, int]:
    return {rule_id: n for n, rule_id in enumerate(program.rule_ids())}


def summarize_ledger(
    program: Program, entries: Iterable[LedgerEntry], now: datetime, *, customers: int | None = None
) -> LedgerSummary:
    """Tally ``entries`` effective by ``now``. ``customers`` (all synced customers) adds those
    without any level entry to the "no level" count."""
    groups: dict[tuple[str, IntentKind], list[LedgerEntry]] = defaultdict(list)
    latest_level: dict[tuple[str, str], tuple[datetime, int, str]] = {}
    totals = Counter[str]()
    people: set[tuple[str, str]] = set()
    count = 0
    for entry in entries:
        if entry.effective_at > now:
            continue
        count += 1
        who = (entry.source, entry.customer_key)
        people.add(who)
        groups[(entry.rule_id, entry.kind)].append(entry)
        if entry.kind is IntentKind.LEVEL:
            mark = (entry.effective_at, entry.id, entry.attribute("to") or "none")
            if who not in latest_level or mark[:2] > latest_level[who][:2]:
                latest_level[who] = mark
        if entry.points:
            bucket = {
                IntentKind.REVERSAL: "reversed",
                IntentKind.EXPIRY: "expired",
                IntentKind.REDEMPTION: "redeemed",
            }.get(entry.kind, "earned")
            totals[bucket] += entry.points
            if entry.is_available(now):
                totals["available"] += entry.points
            elif entry.is_pending(now):
                totals["pending"] += entry.points
    order = _rule_order(program)
    tallies = [
        _tally(rule_id, kind, items, program.currency)
        for (rule_id, kind), items in sorted(
            groups.items(), key=lambda item: (order.get(item[0][0], len(order)), _KIND_ORDER[item[0][1]])
        )
    ]
    return LedgerSummary(
        at=now,
        currency=program.currency,
        entries=count,
        customers=len(people),
        rules=tuple(tallies),
        levels=_level_counts(program, latest_level.values(), customers),
        referrals=_referrals(program, groups),
        points=PointsTotals(
            earned=totals["earned"],
            reversed=-totals["reversed"],
            expired=-totals["expired"],
            redeemed=-totals["redeemed"],
            available=totals["available"],
            pending=totals["pending"],
        ),
    )


def _tally(rule_id: str, kind: IntentKind, items: Sequence[LedgerEntry], currency: str) -> RuleTally:
    examples: list[str] = []
    amount = _ZERO
    percents: set[Decimal] = set()
    for entry in items:
        _add_example(examples, entry.reason)
        if entry.amount is not None and entry.currency in (None, currency):
            amount += entry.amount if entry.kind is not IntentKind.REVERSAL else -entry.amount
        if entry.percent is not None:
            percents.add(entry.percent)
    return RuleTally(
        rule_id=rule_id,
        kind=kind,
        entries=len(items),
        customers=len({(e.source, e.customer_key) for e in items}),
        points=sum(e.points for e in items),
        amount=amount,
        percents=tuple(sorted(percents)),
        examples=tuple(examples),
    )


def _level_counts(
    program: Program, latest: Iterable[tuple[datetime, int, str]], customers: int | None
) -> tuple[LevelCount, ...]:
    if program.levels is None:
        return ()
    held = Counter(level_id for _, _, level_id in latest)
    counts = [
        LevelCount(level.id, level.name, held.pop(level.id, 0)) for level in reversed(program.levels.levels)
    ]
    without = held.pop("none", 0) + sum(held.values())
    if customers is not None:
        without += max(customers - sum(c.customers for c in counts) - without, 0)
    counts.append(LevelCount(None, "no level", without))
    return tuple(counts)


def _referrals(
    program: Program, groups: Mapping[tuple[str, IntentKind], Sequence[LedgerEntry]]
) -> ReferralTally | None:
    rules = program.referrals
    if rules is None:
        return None
    rewards = groups.get((rules.id, IntentKind.REFERRAL_REWARD), ())
    rejected: dict[str, list[LedgerEntry]] = defaultdict(list)
    for entry in groups.get((rules.id, IntentKind.REFERRAL_REJECTED), ()):
        rejected[entry.attribute("reason") or "other"].append(entry)
    examples: list[str] = []
    for entry in rewards:
        _add_example(examples, entry.reason)
    return ReferralTally(
        rule_id=rules.id,
        rewarded=len(rewards),
        reward_points=sum(e.points for e in rewards),
        reward_amount=sum((e.amount or _ZERO for e in rewards), _ZERO),
        rejected=tuple(
            ReasonCount(reason, len(items), items[0].reason)
            for reason, items in sorted(rejected.items(), key=lambda item: (-len(item[1]), item[0]))
        ),
        examples=tuple(examples),
    )


# -- the cart engine, replayed over synced orders ---------------------------------------------------


@dataclass(frozen=True)
class TierTally:
    """Tier-price breaks one rule applied to replayed order lines."""

    rule_id: str
    lines: int
    orders: int
    discount: Decimal
    """Sum of (price before - tier price) x qty, in the programme currency."""
    examples: tuple[str, ...]


@dataclass(frozen=True)
class GiftTally:
    """Orders whose subtotal reached one free-product threshold."""

    rule_id: str
    sku: str
    orders: int
    qty: Decimal
    examples: tuple[str, ...]


@dataclass(frozen=True)
class DiscountTally:
    """Referee first-order discounts the replay gave."""

    rule_id: str
    orders: int
    amount: Decimal
    examples: tuple[str, ...]


@dataclass(frozen=True)
class CartReplay:
    """Every order priced again by the cart engine at its ``placed_at``."""

    currency: str
    orders: int
    skipped: int
    """Canceled orders, which were never carts that got anything."""
    tiers: tuple[TierTally, ...]
    gifts: tuple[GiftTally, ...]
    referee: DiscountTally | None


def level_groups(
    program: Program, entries: Iterable[LedgerEntry]
) -> dict[tuple[str, str], list[tuple[datetime, str | None]]]:
    """Per (source, customer key): the customer group of each level change, in time order.

    A level's ``customer_group`` is the group loyalty-connector puts its members in, so a cart placed
    while a level was held is priced for that group (``None``: no level, the shop's group applies).
    """
    groups_of = {level.id: level.customer_group for level in program.levels.levels} if program.levels else {}
    changes: dict[tuple[str, str], list[tuple[datetime, int, str | None]]] = defaultdict(list)
    for entry in entries:
        if entry.kind is IntentKind.LEVEL:
            group = groups_of.get(entry.attribute("to") or "none")
            changes[(entry.source, entry.customer_key)].append((entry.effective_at, entry.id, group))
    return {who: [(at, group) for at, _, group in sorted(items)] for who, items in changes.items()}


@dataclass
class _Tiers:
    lines: int = 0
    orders: set[str] = field(default_factory=set)
    discount: Decimal = _ZERO
    examples: list[str] = field(default_factory=list)


def replay_orders(
    program: Program,
    orders: Iterable[Order],
    *,
    entries: Iterable[LedgerEntry] = (),
    group_codes: Mapping[str, Mapping[str, str]] = _NO_CODES,
    referral_codes: Mapping[str, Mapping[str, str]] = _NO_CODES,
) -> CartReplay:
    """Price each order again at its ``placed_at`` and tally what the cart rules did.

    ``entries`` (the ledger's level changes) give the group a customer's level put them in just
    before each order; otherwise the order's shop group is used, mapped through ``group_codes``
    (source -> group id -> code). ``referral_codes`` (source -> code -> referrer key) lets a first
    order with a referral code get the referee discount. Gifts granted earlier in the replay count
    for ``once_per_customer``.
    """
    carts = CartEvaluator(program)
    timeline = level_groups(program, entries)
    by_customer: dict[tuple[str, str], list[Order]] = defaultdict(list)
    skipped = 0
    for order in orders:
        if order.status is OrderStatus.CANCELED:
            skipped += 1
        else:
            by_customer[(order.source, order.customer_key)].append(order)
    tiers: dict[str, _Tiers] = defaultdict(_Tiers, {rule.id: _Tiers() for rule in program.tier_prices})
    thresholds = program.free_products.thresholds if program.free_products else []
    gifts: dict[str, tuple[int, Decimal, list[str], str]] = {
        t.id: (0, _ZERO, [], t.gift_sku) for t in thresholds
    }
    referee: tuple[int, Decimal, list[str], str] | None = None
    replayed = 0
    for (source, key), placed in sorted(by_customer.items()):
        changes = timeline.get((source, key), [])
        times = [at for at, _ in changes]
        granted: set[str] = set()
        codes = referral_codes.get(source, {})
        shop_groups = group_codes.get(source, {})
        for n, order in enumerate(sorted(placed, key=lambda o: (o.placed_at, o.external_id))):
            i = bisect_left(times, order.placed_at)
            group = changes[i - 1][1] if i > 0 else None
            if group is None and order.group_id is not None:
                group = shop_groups.get(order.group_id, order.group_id)
            result = carts.evaluate(
                Cart.from_order(order),
                customer_group=group,
                customer_key=None if order.is_guest else key,
                now=order.placed_at,
                has_previous_orders=n > 0,
                granted_gifts=granted,
                referral_codes=codes,
            )
            replayed += 1
            for line, tier in zip(result.cart.lines, result.tier_prices, strict=True):
                if tier is None or line.kind is not LineKind.PRODUCT:
                    continue
                saved = convert_amount(program, (line.unit_price - tier[0]) * line.qty, order.currency)
                tally = tiers[tier[1].rule_id]
                tally.lines += 1
                tally.orders.add(f"{source}/{order.external_id}")
                tally.discount += saved or _ZERO
                if len(tally.examples) < _EXAMPLES:
                    priced = next(p for p in result.lines if p.line is line)
                    _add_example(tally.examples, f"order {order.number}: {priced.reason}")
            for gift in result.gifts:
                granted.add(gift.rule_id)
                count, qty, examples, sku = gifts.get(gift.rule_id, (0, _ZERO, [], gift.sku))
                _add_example(examples, f"order {order.number}: {gift.reason}")
                gifts[gift.rule_id] = (count + 1, qty + gift.qty, examples, sku)
            for discount in result.discounts:
                count, amount, examples, rule_id = referee or (0, _ZERO, [], discount.rule_id)
                _add_example(examples, f"order {order.number}: {discount.reason}")
                value = convert_amount(program, discount.amount, order.currency) or _ZERO
                referee = (count + 1, amount + value, examples, rule_id)
    order_ids = _rule_order(program)
    return CartReplay(
        currency=program.currency,
        orders=replayed,
        skipped=skipped,
        tiers=tuple(
            TierTally(rule_id, t.lines, len(t.orders), t.discount, tuple(t.examples))
            for rule_id, t in sorted(tiers.items(), key=lambda item: order_ids.get(item[0], 0))
        ),
        gifts=tuple(
            GiftTally(rule_id, sku, count, qty, tuple(examples))
            for rule_id, (count, qty, examples, sku) in sorted(
                gifts.items(), key=lambda item: order_ids.get(item[0], 0)
            )
        ),
        referee=None
        if program.referrals is None
        else DiscountTally(
            program.referrals.id,
            referee[0] if referee else 0,
            referee[1] if referee else _ZERO,
            tuple(referee[2]) if referee else (),
        ),
    )


# -- one customer -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CustomerFacts:
    """What the store holds about one customer: history, the customers who used their code, ledger."""

    source: str
    history: StoredHistory
    referees: tuple[tuple[str, Referee], ...]
    """(customer key, referee) of every customer or guest whose orders used this customer's code."""
    referral_code: str | None
    entries: tuple[LedgerEntry, ...]


def _history(stored: StoredHistory) -> History:
    return History(orders=stored.orders, refunds=stored.refunds, redemptions=stored.redemptions)


def load_customer_facts(store: Store, source: str, customer_key: str) -> CustomerFacts | None:
    """Read one customer's facts from ``store``; ``None`` when no customer record has that key."""
    stored = store.histories(source, [customer_key])[customer_key]
    if stored.customer is None:
        return None
    code = store.referral_codes(source, [customer_key]).get(customer_key)
    keys = store.referee_keys(source, [code]).get(code, ()) if code else ()
    others = store.histories(source, list(keys)) if keys else {}
    referees = tuple(
        (key, Referee(customer=h.customer, email=h.email or "", history=_history(h)))
        for key, h in sorted(others.items())
    )
    entries = tuple(store.ledger_entries(source, customer_key))
    return CustomerFacts(source, stored, referees, code, entries)


@dataclass(frozen=True)
class RefereeState:
    """One customer who used the referral code, and what became of the referral."""

    customer_key: str
    email: str
    orders: int
    state: str
    """``rewarded``, ``rejected`` or ``open`` (not decided yet)."""
    reason: str


@dataclass(frozen=True)
class CustomerView:
    """One customer as the rules see them at ``at``: level, points, referrals, and why."""

    source: str
    customer: Customer
    at: datetime
    orders: int
    level: LevelState | None
    points_available: int
    points_pending: int
    points_value: Decimal | None
    """What the available points are worth in the programme currency."""
    referral_code: str | None
    referees: tuple[RefereeState, ...]
    outcomes: tuple[RuleOutcome, ...]
    entries: tuple[LedgerEntry, ...]
    """The recorded ledger entries effective by ``at``, oldest first."""
    unrecorded: tuple[LedgerIntent, ...]
    """What the engine gives at ``at`` that the ledger does not hold yet (the next sync records it)."""


def explain_customer(
    program: Program,
    facts: CustomerFacts,
    now: datetime,
    *,
    referral_secret: bytes | None = None,
    group_codes: Mapping[str, str] = MappingProxyType({}),
) -> CustomerView:
    """Re-evaluate the customer's stored history at ``now`` and line it up with the ledger."""
    customer = facts.history.customer
    assert customer is not None
    result = CustomerEvaluator(program).evaluate(
        customer,
        _history(facts.history),
        now,
        referees=[referee for _, referee in facts.referees],
        referral_secret=referral_secret,
        group_codes=group_codes,
    )
    entries = tuple(e for e in facts.entries if e.effective_at <= now)
    recorded = {e.key for e in facts.entries}
    available = sum(e.points for e in entries if e.is_available(now))
    pending = sum(e.points for e in entries if e.is_pending(now))
    rate = program.points.points_per_currency_unit if program.points else None
    value = None if rate is None else (Decimal(available) / rate).quantize(Decimal("0.01"))
    return CustomerView(
        source=facts.source,
        customer=customer,
        at=now,
        orders=len({o.external_id for o in facts.history.orders if o.placed_at <= now}),
        level=result.level,
        points_available=available,
        points_pending=pending,
        points_value=value,
        referral_code=result.referral_code or facts.referral_code,
        referees=tuple(_referee_state(key, referee, entries, now) for key, referee in facts.referees),
        outcomes=result.outcomes,
        entries=entries,
        unrecorded=tuple(i for i in result.intents if i.key not in recorded),
    )


def _referee_state(key: str, referee: Referee, entries: Sequence[LedgerEntry], now: datetime) -> RefereeState:
    orders = len({o.external_id for o in referee.history.orders if o.placed_at <= now})
    for entry in entries:
        if entry.attribute("referee") != key:
            continue
        if entry.kind is IntentKind.REFERRAL_REWARD:
            return RefereeState(key, referee.email, orders, "rewarded", entry.reason)
        if entry.kind is IntentKind.REFERRAL_REJECTED:
            return RefereeState(key, referee.email, orders, "rejected", entry.reason)
    return RefereeState(key, referee.email, orders, "open", "no decision yet (see the reasons below)")
