"""Reward points: earning, rounding, holding period, FIFO expiry, redemptions and reversals."""

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import engine_kit as kit
import pytest
from engine_kit import money

from loyalty_connector.domain import Customer, LineKind, Order, OrderLine, OrderStatus, Refund
from loyalty_connector.engine.customer import CustomerEvaluator, CustomerResult, History
from loyalty_connector.engine.results import IntentKind, LedgerIntent, Redemption
from loyalty_connector.program import Program

UTC = timezone.utc
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
DAY = timedelta(days=1)
TICK = timedelta(microseconds=1)
FAR = T0 + 3000 * DAY

POINTS = """
points:
  earn:
    - id: spend
      rate: 1
      pending_days: 14
  expiry_days: 365
"""


def program(body: str = POINTS, **top: str) -> Program:
    return kit.program(body, **top)


def order(
    oid: str,
    placed: datetime,
    amount: str = "100.00",
    *,
    status: OrderStatus = OrderStatus.COMPLETE,
    currency: str = "EUR",
    lines: list[tuple[str, str, str, LineKind]] | None = None,
    updated: datetime | None = None,
    group_id: str | None = None,
    native: bool = False,
) -> Order:
    specs = lines if lines is not None else [("SKU-1", amount, "0", LineKind.PRODUCT)]
    built = tuple(
        OrderLine(
            line_id=f"{oid}-{i}",
            sku=sku,
            kind=kind,
            qty=Decimal(1),
            unit_price=money(row, currency),
            row_total=money(row, currency),
            discount=money(off, currency),
            tax=money(Decimal(row) * Decimal("0.19"), currency),
        )
        for i, (sku, row, off, kind) in enumerate(specs)
    )
    subtotal = sum((line.row_total.amount for line in built), Decimal(0))
    discount = sum((line.discount.amount for line in built), Decimal(0))
    return Order(
        source="shop",
        external_id=oid,
        number=oid,
        customer_id="c1",
        email="buyer@kontor.example",
        status=status,
        raw_status=status.value,
        currency=currency,
        placed_at=placed,
        updated_at=updated or placed,
        lines=built,
        subtotal=money(subtotal, currency),
        discount=money(discount, currency),
        shipping=money("9.90", currency),
        tax=money(subtotal * Decimal("0.19"), currency),
        grand_total=money(subtotal - discount, currency),
        group_id=group_id,
        native_reward_points=native,
    )


def refund(rid: str, oid: str, at: datetime, amount: str) -> Refund:
    return Refund(
        source="shop", external_id=rid, order_id=oid, created_at=at, updated_at=at, amount=money(amount)
    )


CUSTOMER = Customer(
    source="shop",
    external_id="c1",
    email="buyer@kontor.example",
    created_at=T0 - 400 * DAY,
    updated_at=T0 - 400 * DAY,
)


def evaluate(
    prog: Program,
    orders: list[Order],
    refunds: tuple[Refund, ...] = (),
    redemptions: tuple[Redemption, ...] = (),
    now: datetime = FAR,
    **options: object,
) -> CustomerResult:
    history = History(orders, refunds, redemptions)
    return CustomerEvaluator(prog).evaluate(CUSTOMER, history, now, **options)  # type: ignore[arg-type]


def of(result: CustomerResult, kind: IntentKind) -> list[LedgerIntent]:
    return [i for i in result.intents if i.kind is kind]


@pytest.mark.parametrize(
    ("rounding", "rate", "amount", "expected"),
    [
        ("floor", "1", "10.50", 10),
        ("round", "1", "10.50", 11),
        ("round", "1", "10.49", 10),
        ("ceil", "1", "10.01", 11),
        ("floor", "0.5", "21.01", 10),
        ("round", "0.5", "21.00", 11),
        ("ceil", "0.5", "20.02", 11),
    ],
)
def test_points_are_rounded_per_rule_with_half_points(
    rounding: str, rate: str, amount: str, expected: int
) -> None:
    prog = program(f"points:\n  earn:\n    - {{id: spend, rate: {rate}, rounding: {rounding}}}\n")
    [earn] = of(evaluate(prog, [order("o1", T0, amount)]), IntentKind.EARN)
    assert earn.points == expected


def test_points_count_product_lines_after_discounts_without_gifts_or_excluded_skus() -> None:
    lines = [
        ("PAPER-A4", "100.00", "10.00", LineKind.PRODUCT),
        ("STAPLER-HD", "50.00", "0", LineKind.GIFT),
        ("GIFT-CARD-50", "50.00", "0", LineKind.PRODUCT),
    ]
    rule = "points:\n  earn:\n    - {id: spend, rate: 1, exclude_skus: [GIFT-CARD-50], base: %s}\n"
    after = program(rule % "subtotal_after_discounts")
    before = program(rule % "subtotal_before_discounts")
    [earned_after] = of(evaluate(after, [order("o1", T0, lines=lines)]), IntentKind.EARN)
    [earned_before] = of(evaluate(before, [order("o1", T0, lines=lines)]), IntentKind.EARN)
    assert (earned_after.points, earned_before.points) == (90, 100)
    assert earned_after.key == "spend/earn/shop/c1/order:o1"


def test_points_are_earned_only_once_the_order_reached_the_qualifying_status() -> None:
    prog = program()
    pending = evaluate(prog, [order("o1", T0, status=OrderStatus.PROCESSING)])
    assert of(pending, IntentKind.EARN) == []
    assert any("processing" in o.reason and o.rule_id == "spend" for o in pending.outcomes)
    assert [i.points for i in of(evaluate(prog, [order("o1", T0)]), IntentKind.EARN)] == [100]


def test_points_become_available_exactly_when_the_pending_days_are_over() -> None:
    result = evaluate(program(), [order("o1", T0)])
    [earn] = of(result, IntentKind.EARN)
    assert earn.available_at == T0 + 14 * DAY
    assert (
        result.points_balance(earn.available_at - TICK),
        result.points_pending(earn.available_at - TICK),
    ) == (
        0,
        100,
    )
    assert (result.points_balance(earn.available_at), result.points_pending(earn.available_at)) == (100, 0)


def test_points_expire_exactly_at_expires_at_and_the_expiry_appears_only_once_now_reaches_it() -> None:
    expires = T0 + 14 * DAY + 365 * DAY
    before = evaluate(program(), [order("o1", T0)], now=expires - TICK)
    at = evaluate(program(), [order("o1", T0)], now=expires)
    assert of(before, IntentKind.EXPIRY) == []
    [expiry] = of(at, IntentKind.EXPIRY)
    assert (expiry.points, expiry.effective_at, expiry.key) == (
        -100,
        expires,
        "spend/expiry/shop/c1/order:o1",
    )
    assert expiry.reverses == "spend/earn/shop/c1/order:o1"
    assert (at.points_balance(expires - TICK), at.points_balance(expires)) == (100, 0)


def test_redemptions_consume_the_oldest_batch_first_and_expiry_takes_only_what_is_left() -> None:
    orders = [order("a", T0, "100.00"), order("b", T0 + 10 * DAY, "50.00")]
    redemption = Redemption(key="r1", points=120, at=T0 + 30 * DAY)
    result = evaluate(program(), orders, redemptions=(redemption,))
    expiries = {i.record: i.points for i in of(result, IntentKind.EXPIRY)}
    assert expiries == {"order:b": -30}
    [redeemed] = of(result, IntentKind.REDEMPTION)
    assert (redeemed.points, redeemed.key) == (-120, "points/redemption/shop/c1/redemption:r1")
    assert (redeemed.amount, redeemed.currency) == (Decimal("1.20"), "EUR")  # 100 points = 1 EUR
    assert result.points_balance(FAR) == 0


def test_a_redemption_beyond_the_balance_is_recorded_for_what_was_available() -> None:
    redemption = Redemption(key="r1", points=500, at=T0 + 20 * DAY)
    result = evaluate(program(), [order("o1", T0)], redemptions=(redemption,))
    [redeemed] = of(result, IntentKind.REDEMPTION)
    assert (redeemed.points, redeemed.attribute("requested")) == (-100, "500")
    assert any("only 100 were available" in o.reason for o in result.outcomes)


def test_a_partial_refund_reverses_points_proportionally_rounded_down() -> None:
    result = evaluate(program(), [order("o1", T0, "200.00")], (refund("r1", "o1", T0 + 3 * DAY, "50.50"),))
    [reversal] = of(result, IntentKind.REVERSAL)
    assert (reversal.points, reversal.record, reversal.reverses) == (
        -50,
        "refund:r1",
        "spend/earn/shop/c1/order:o1",
    )
    assert reversal.key == "spend/reversal/shop/c1/refund:r1"


def test_refunds_never_reverse_more_than_what_is_left_of_the_earn() -> None:
    refunds = (refund("r1", "o1", T0 + DAY, "150.00"), refund("r2", "o1", T0 + 2 * DAY, "100.00"))
    result = evaluate(program(), [order("o1", T0, "200.00")], refunds)
    assert {i.record: i.points for i in of(result, IntentKind.REVERSAL)} == {
        "refund:r1": -150,
        "refund:r2": -50,
    }
    assert result.points_balance(FAR) == 0


BONUS = """
points:
  bonuses:
    - {id: welcome, points: 500, trigger: first_order, min_subtotal: 100}
"""


def test_a_fixed_bonus_survives_a_partial_refund_and_is_reversed_whole_on_a_full_refund() -> None:
    partial = (refund("r1", "o1", T0 + DAY, "50.00"),)
    full = (*partial, refund("r2", "o1", T0 + 2 * DAY, "150.00"))
    assert of(evaluate(program(BONUS), [order("o1", T0, "200.00")], partial), IntentKind.REVERSAL) == []
    [reversal] = of(evaluate(program(BONUS), [order("o1", T0, "200.00")], full), IntentKind.REVERSAL)
    assert (reversal.points, reversal.record, reversal.effective_at) == (-500, "order:o1", T0 + 2 * DAY)


def test_the_first_order_bonus_needs_the_minimum_on_the_first_order_exactly_at_the_boundary() -> None:
    at_min = evaluate(program(BONUS), [order("o1", T0, "100.00"), order("o2", T0 + DAY, "500.00")])
    below = evaluate(program(BONUS), [order("o1", T0, "99.99"), order("o2", T0 + DAY, "500.00")])
    assert [i.record for i in of(at_min, IntentKind.BONUS)] == ["order:o1"]
    assert of(below, IntentKind.BONUS) == []


def test_a_canceled_order_that_had_earned_gets_a_reversal_for_what_is_left() -> None:
    canceled = order("o1", T0, "200.00", status=OrderStatus.CANCELED, updated=T0 + 30 * DAY)
    result = evaluate(program(), [canceled], (refund("r1", "o1", T0 + 20 * DAY, "50.00"),))
    reversals = {i.record: i.points for i in of(result, IntentKind.REVERSAL)}
    assert [i.points for i in of(result, IntentKind.EARN)] == [200]
    assert reversals == {"refund:r1": -50, "order:o1": -150}
    assert result.points_balance(FAR) == 0


def test_an_order_canceled_in_its_pending_period_never_shows_usable_points() -> None:
    canceled = order("o1", T0, status=OrderStatus.CANCELED, updated=T0 + 3 * DAY)
    result = evaluate(program(), [canceled])
    assert [i.points for i in result.intents] == [100, -100]
    for hours in range(0, 24 * 40, 7):
        assert result.points_balance(T0 + timedelta(hours=hours)) == 0


def test_a_refund_of_redeemed_points_is_clawed_back_from_newer_points_never_below_zero() -> None:
    orders = [order("a", T0), order("b", T0 + 30 * DAY)]
    redemption = Redemption(key="r1", points=100, at=T0 + 20 * DAY)
    result = evaluate(program(), orders, (refund("x", "a", T0 + 50 * DAY, "100.00"),), (redemption,))
    [reversal] = of(result, IntentKind.REVERSAL)
    assert (reversal.points, reversal.attribute("clawed_back")) == (-100, "100")
    assert result.points_balance(FAR) == 0
    assert min(result.points_balance(i.effective_at) for i in result.intents) >= 0


LEVELS = """
levels:
  window_days: 365
  grace_days: 0
  levels:
    - {id: silver, name: Silver, customer_group: Silver, min_orders: 1, points_multiplier: 1.5}
"""


def test_the_level_multiplier_applies_to_orders_placed_while_the_level_is_held() -> None:
    result = evaluate(program(POINTS + LEVELS), [order("o1", T0), order("o2", T0 + DAY)])
    earns = {i.record: (i.points, i.attribute("level")) for i in of(result, IntentKind.EARN)}
    assert earns == {"order:o1": (100, None), "order:o2": (150, "silver")}


def test_orders_on_which_the_shop_awarded_its_own_points_earn_no_spend_points() -> None:
    result = evaluate(program(), [order("o1", T0, native=True)])
    assert of(result, IntentKind.EARN) == []
    assert any("awarded its own reward points" in o.reason for o in result.outcomes)


def test_excluded_groups_use_the_order_group_and_fall_back_to_the_customer_group() -> None:
    prog = program("points:\n  earn:\n    - {id: spend, rate: 1, exclude_customer_groups: [NOT LOGGED IN]}\n")
    codes = {"0": "NOT LOGGED IN", "1": "General"}
    orders = [
        order("guestish", T0, group_id="0"),
        order("general", T0 + DAY, group_id="1"),
        order("none", T0 + 2 * DAY),
    ]
    result = evaluate(prog, orders, group_codes=codes, customer_group="not logged in")
    assert [i.record for i in of(result, IntentKind.EARN)] == ["order:general"]


def test_orders_in_another_currency_are_excluded_with_an_outcome_or_converted() -> None:
    usd = order("o1", T0, "100.00", currency="USD")
    excluded = evaluate(program(), [usd])
    converted = evaluate(program(foreign_currency="convert", exchange_rates="{USD: 0.92}"), [usd])
    assert of(excluded, IntentKind.EARN) == []
    assert any(o.rule_id == "spend" and "USD" in o.reason and not o.applied for o in excluded.outcomes)
    assert [i.points for i in of(converted, IntentKind.EARN)] == [92]


def test_points_of_an_expired_batch_are_not_reversed_again_by_a_late_refund() -> None:
    late = T0 + 14 * DAY + 400 * DAY
    result = evaluate(program(), [order("o1", T0)], (refund("r1", "o1", late, "100.00"),))
    assert of(result, IntentKind.REVERSAL) == []
    assert [i.points for i in of(result, IntentKind.EXPIRY)] == [-100]
