"""Properties of customer evaluation over generated histories: determinism, unique keys, a balance that
never goes negative, and intents that never change once emitted."""

import random
import textwrap
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from loyalty_connector.domain import Customer, LineKind, Money, Order, OrderLine, OrderStatus, Refund
from loyalty_connector.engine.customer import CustomerEvaluator, CustomerResult, History, Referee
from loyalty_connector.engine.referrals import referral_code
from loyalty_connector.engine.results import Redemption
from loyalty_connector.program import parse_program

UTC = timezone.utc
T0 = datetime(2025, 1, 6, 8, 0, tzinfo=UTC)
DAY = timedelta(days=1)
TICK = timedelta(microseconds=1)

PROGRAM = parse_program(
    textwrap.dedent(
        """
        version: 1
        name: properties
        currency: EUR
        timezone: Europe/Berlin
        exchange_rates: {USD: 0.9}
        foreign_currency: convert
        levels:
          window_days: 90
          grace_days: 20
          levels:
            - {id: bronze, name: Bronze, customer_group: B, min_orders: 1}
            - {id: silver, name: S, customer_group: S, min_spend: 800, min_orders: 2, points_multiplier: 1.5}
            - {id: gold, name: G, customer_group: G, min_spend: 2000, min_orders: 3, min_membership_days: 60,
               points_multiplier: 2}
        referrals:
          id: refer
          referee_discount: {percent: 10}
          referrer_reward: {points: 300}
          min_subtotal: 100
          cap_per_referrer: 1
          cap_period_days: 60
        points:
          earn:
            - {id: spend, rate: 1.5, rounding: round, pending_days: 7, exclude_skus: [GIFT-CARD]}
            - {id: flat, rate: 0.1, rounding: ceil, reversal: all_or_nothing, qualifying_status: processing}
          bonuses:
            - {id: welcome, points: 200, trigger: first_order, min_subtotal: 50}
            - {id: each, points: 25, trigger: every_order, min_subtotal: 300, reversal: proportional}
          expiry_days: 120
        coupons:
          next_purchase:
            - {id: thanks, discount: {amount: 10}, valid_days: 30, min_subtotal: 400}
          birthday: {id: bday, discount: {percent: 5}, days_before: 3, days_after: 3}
        """
    )
)
EVALUATOR = CustomerEvaluator(PROGRAM)
SECRET = b"property-secret"
CODE = referral_code(SECRET, "shop", "c1", prefix="REF-", length=10)
CUSTOMER = Customer(
    source="shop",
    external_id="c1",
    email="buyer@kontor.example",
    birthday=datetime(1980, 2, 29, tzinfo=UTC).date(),
    created_at=T0,
    updated_at=T0,
)


def _money(amount: Decimal, currency: str) -> Money:
    return Money.of(amount, currency)


def _order(n: int, customer_id: str, spec: dict[str, object]) -> Order:
    currency = str(spec["currency"])
    cents: list[int] = spec["lines"]  # type: ignore[assignment]
    lines = tuple(
        OrderLine(
            line_id=f"{customer_id}-{n}-{i}",
            sku="GIFT-CARD" if i == 2 else f"SKU-{i}",
            kind=LineKind.GIFT if i == 3 else LineKind.PRODUCT,
            qty=Decimal(1),
            unit_price=_money(Decimal(c) / 100, currency),
            row_total=_money(Decimal(c) / 100, currency),
            discount=_money(Decimal(c) / 1000, currency),
            tax=_money(Decimal(0), currency),
        )
        for i, c in enumerate(cents)
    )
    subtotal = sum((line.row_total.amount for line in lines), Decimal(0))
    placed = T0 + timedelta(hours=spec["placed"])  # type: ignore[arg-type]
    status: OrderStatus = spec["status"]  # type: ignore[assignment]
    return Order(
        source="shop",
        external_id=f"{customer_id}-o{n}",
        number=f"{customer_id}-o{n}",
        customer_id=customer_id,
        email=f"{customer_id}@example.org",
        status=status,
        raw_status=status.value,
        currency=currency,
        placed_at=placed,
        updated_at=placed + timedelta(hours=spec["changed"]),  # type: ignore[arg-type]
        lines=lines,
        subtotal=_money(subtotal, currency),
        discount=_money(Decimal(0), currency),
        shipping=_money(Decimal(0), currency),
        tax=_money(Decimal(0), currency),
        grand_total=_money(subtotal, currency),
        coupon_codes=(CODE,) if spec["code"] else (),
    )


ORDER = st.fixed_dictionaries(
    {
        "placed": st.integers(0, 24 * 400),
        "changed": st.integers(0, 24 * 60),
        "lines": st.lists(st.integers(1, 150_000), min_size=1, max_size=4),
        "status": st.sampled_from([*OrderStatus, OrderStatus.COMPLETE, OrderStatus.COMPLETE]),
        "currency": st.sampled_from(["EUR", "EUR", "EUR", "USD", "GBP"]),
        "code": st.booleans(),
    }
)


REFEREE_ORDER = ORDER.map(
    lambda spec: {
        **spec,
        "placed": int(spec["placed"]) % (24 * 90),
        "lines": [c + 10_000 for c in spec["lines"]],
    }  # type: ignore[attr-defined]
)


@dataclass(frozen=True)
class Case:
    history: History
    referees: tuple[Referee, ...]
    secret: bytes | None


def _refunds(orders: list[Order], picks: list[tuple[int, int, int]]) -> list[Refund]:
    refunds = []
    for n, (which, share, delay) in enumerate(picks):
        if not orders:
            break
        target = orders[which % len(orders)]
        amount = target.subtotal.amount * share / 100
        at = target.placed_at + timedelta(hours=delay)
        refunds.append(
            Refund(
                source="shop",
                external_id=f"r{n}",
                order_id=target.external_id,
                created_at=at,
                updated_at=at,
                amount=_money(amount, target.currency),
            )
        )
    return refunds


@st.composite
def cases(draw: st.DrawFn) -> Case:
    orders = [_order(n, "c1", spec) for n, spec in enumerate(draw(st.lists(ORDER, min_size=1, max_size=8)))]
    picks = draw(
        st.lists(st.tuples(st.integers(0, 9), st.integers(1, 100), st.integers(0, 24 * 40)), max_size=4)
    )
    redemptions = [
        Redemption(key=f"x{n}", points=points, at=T0 + timedelta(hours=hours))
        for n, (points, hours) in enumerate(
            draw(st.lists(st.tuples(st.integers(1, 900), st.integers(0, 24 * 600)), max_size=5))
        )
    ]
    referees = []
    for n, specs in enumerate(draw(st.lists(st.lists(REFEREE_ORDER, min_size=1, max_size=2), max_size=3))):
        their = [_order(k, f"c{n + 2}", spec) for k, spec in enumerate(specs)]
        email = draw(
            st.sampled_from([f"c{n + 2}@newco.example", "Buyer+x@Kontor.example", f"c{n + 2}@gmail.com"])
        )
        referees.append(
            Referee(customer=None, email=email, history=History(their, _refunds(their, picks[:1])))
        )
    secret = draw(st.sampled_from([SECRET, None]))
    return Case(History(orders, _refunds(orders, picks), redemptions), tuple(referees), secret)


def evaluate(case: Case, now: datetime, history: History | None = None) -> CustomerResult:
    return EVALUATOR.evaluate(
        CUSTOMER, history or case.history, now, referees=case.referees, referral_secret=case.secret
    )


NOW = st.integers(0, 24 * 800).map(lambda hours: T0 + timedelta(hours=24 * 800 - hours))


@settings(max_examples=80)
@given(case=cases(), now=NOW, seed=st.integers(0, 2**16))
def test_the_same_history_twice_or_shuffled_yields_the_same_intents_and_keys(
    case: Case, now: datetime, seed: int
) -> None:
    rng = random.Random(seed)
    history = case.history
    shuffled = History(
        rng.sample(list(history.orders), len(history.orders)),
        rng.sample(list(history.refunds), len(history.refunds)),
        rng.sample(list(history.redemptions), len(history.redemptions)),
    )
    first, again, mixed = evaluate(case, now), evaluate(case, now), evaluate(case, now, shuffled)
    assert first.intents == again.intents == mixed.intents
    assert [i.key for i in first.intents] == [i.key for i in mixed.intents]


@settings(max_examples=80)
@given(case=cases(), now=NOW)
def test_keys_are_unique_within_a_result(case: Case, now: datetime) -> None:
    keys = [i.key for i in evaluate(case, now).intents]
    assert len(keys) == len(set(keys))


@settings(max_examples=80)
@given(case=cases(), now=NOW)
def test_the_points_balance_is_never_negative_after_expiries_and_reversals(case: Case, now: datetime) -> None:
    result = evaluate(case, now)
    instants = {T0 - DAY, now}
    for i in result.intents:
        instants |= {i.effective_at, i.effective_at - TICK}
        if i.available_at is not None:
            instants |= {i.available_at, i.available_at - TICK}
    assert all(result.points_balance(at) >= 0 for at in instants)
    assert all(result.points_balance(at) + result.points_pending(at) >= 0 for at in instants)


@settings(max_examples=60)
@given(case=cases(), now=NOW, later=st.integers(0, 24 * 400))
def test_an_emitted_intent_never_changes_or_disappears_at_a_later_now(
    case: Case, now: datetime, later: int
) -> None:
    before = set(evaluate(case, now).intents)
    after = set(evaluate(case, now + timedelta(hours=later)).intents)
    assert before <= after
