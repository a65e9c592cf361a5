"""Loyalty levels: upgrade at once, downgrade after grace, rolling window, membership, time zones."""

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import engine_kit as kit
from engine_kit import money, one_line_order

from loyalty_connector.domain import Customer, Order, OrderStatus, Refund
from loyalty_connector.engine.customer import CustomerEvaluator, CustomerResult, History
from loyalty_connector.engine.results import IntentKind
from loyalty_connector.program import Program

UTC = timezone.utc
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
DAY = timedelta(days=1)
TICK = timedelta(microseconds=1)

LEVELS = """
levels:
  window_days: 365
  grace_days: 30
  levels:
    - {id: bronze, name: Bronze, customer_group: Loyalty Bronze, min_orders: 1}
    - {id: silver, name: Silver, customer_group: Loyalty Silver, min_spend: 1000, min_orders: 2}
    - id: gold
      name: Gold
      customer_group: Loyalty Gold
      min_spend: 3000
      min_orders: 3
      min_membership_days: 180
"""


def program(body: str = LEVELS) -> Program:
    return kit.program(body)


def order(
    oid: str,
    placed: datetime,
    amount: str,
    *,
    status: OrderStatus = OrderStatus.COMPLETE,
    updated: datetime | None = None,
) -> Order:
    return one_line_order(oid, placed, amount, sku="PAPER-A4", status=status, updated=updated)


def customer(created: datetime = T0 - 400 * DAY) -> Customer:
    return Customer(
        source="shop", external_id="c1", email="buyer@kontor.example", created_at=created, updated_at=created
    )


def evaluate(
    orders: list[Order],
    now: datetime,
    refunds: tuple[Refund, ...] = (),
    *,
    prog: Program | None = None,
    who: Customer | None = None,
) -> CustomerResult:
    evaluator = CustomerEvaluator(prog or program())
    return evaluator.evaluate(who or customer(), History(orders, refunds), now)


def changes(result: CustomerResult) -> list[tuple[datetime, str | None, str | None]]:
    return [
        (i.effective_at, i.attribute("from"), i.attribute("to"))
        for i in result.intents
        if i.kind is IntentKind.LEVEL
    ]


TWO_ORDERS = [order("o1", T0, "500.00"), order("o2", T0 + 10 * DAY, "600.00")]


def test_an_upgrade_happens_at_the_instant_the_criteria_are_met() -> None:
    result = evaluate(TWO_ORDERS, T0 + 20 * DAY)
    assert changes(result) == [(T0, "none", "bronze"), (T0 + 10 * DAY, "bronze", "silver")]
    silver = [i for i in result.intents if i.kind is IntentKind.LEVEL][-1]
    assert silver.key == "silver/level/shop/c1/level:2026-03-12:silver"
    assert result.level is not None
    assert (result.level.level_id, result.level.customer_group, result.level.since) == (
        "silver",
        "Loyalty Silver",
        T0 + 10 * DAY,
    )


def test_a_downgrade_waits_for_the_grace_period_after_an_order_leaves_the_window() -> None:
    exit_o1 = T0 + 365 * DAY
    result = evaluate(TWO_ORDERS, T0 + 600 * DAY)
    assert changes(result)[2:] == [
        (exit_o1 + 30 * DAY, "silver", "bronze"),
        (T0 + 10 * DAY + 365 * DAY + 30 * DAY, "bronze", "none"),
    ]
    during_grace = evaluate(TWO_ORDERS, exit_o1 + 5 * DAY)
    assert during_grace.level is not None
    assert (during_grace.level.level_id, during_grace.level.qualified_level_id) == ("silver", "bronze")
    assert during_grace.level.downgrade_at == exit_o1 + 30 * DAY
    assert "grace" in during_grace.level.reason


def test_the_downgrade_happens_exactly_at_the_end_of_grace_not_a_moment_before() -> None:
    end = T0 + 365 * DAY + 30 * DAY
    before, at = evaluate(TWO_ORDERS, end - TICK), evaluate(TWO_ORDERS, end)
    assert before.level is not None
    assert at.level is not None
    assert (before.level.level_id, at.level.level_id) == ("silver", "bronze")


def test_requalifying_during_grace_keeps_the_level() -> None:
    orders = [*TWO_ORDERS, order("o3", T0 + 380 * DAY, "900.00")]
    result = evaluate(orders, T0 + 390 * DAY)
    assert result.level is not None
    assert result.level.level_id == "silver"
    assert [to for _, _, to in changes(result)] == ["bronze", "silver"]


def test_without_grace_the_level_drops_when_the_order_leaves_the_window() -> None:
    result = evaluate(
        TWO_ORDERS, T0 + 366 * DAY, prog=program(LEVELS.replace("grace_days: 30", "grace_days: 0"))
    )
    assert changes(result)[-1] == (T0 + 365 * DAY, "silver", "bronze")


def test_membership_duration_lifts_the_level_on_its_anniversary() -> None:
    created = T0 - 100 * DAY
    orders = [order(f"o{n}", T0 + n * DAY, "1000.00") for n in range(3)]
    result = evaluate(orders, T0 + 120 * DAY, who=customer(created))
    assert changes(result)[-1] == (created + 180 * DAY, "silver", "gold")


def test_a_refund_lowers_the_window_spend_from_the_refund_on() -> None:
    refunds = (
        Refund(
            source="shop",
            external_id="r1",
            order_id="o1",
            created_at=T0 + 20 * DAY,
            updated_at=T0 + 20 * DAY,
            amount=money("200.00"),
        ),
    )
    result = evaluate(TWO_ORDERS, T0 + 100 * DAY, refunds)
    assert changes(result)[-1] == (T0 + 50 * DAY, "silver", "bronze")


def test_canceled_orders_do_not_count_toward_levels() -> None:
    orders = [order("o1", T0, "500.00"), order("o2", T0 + DAY, "900.00", status=OrderStatus.CANCELED)]
    result = evaluate(orders, T0 + 10 * DAY)
    assert result.level is not None
    assert result.level.level_id == "bronze"


def test_a_fully_refunded_order_stops_counting_when_the_shop_closes_it() -> None:
    closed = order("o2", T0 + 10 * DAY, "600.00", status=OrderStatus.CLOSED, updated=T0 + 20 * DAY)
    result = evaluate([TWO_ORDERS[0], closed], T0 + 100 * DAY)
    assert changes(result) == [
        (T0, "none", "bronze"),
        (T0 + 10 * DAY, "bronze", "silver"),
        (T0 + 50 * DAY, "silver", "bronze"),
    ]


def test_level_change_records_use_the_day_in_the_programme_time_zone() -> None:
    late_evening = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
    result = evaluate([order("o1", late_evening, "10.00")], late_evening + DAY)
    [change] = [i for i in result.intents if i.kind is IntentKind.LEVEL]
    assert change.record == "level:2026-03-02:bronze"


def test_the_next_level_outcome_says_how_close_the_customer_is() -> None:
    orders = [order("o1", T0, "900.00"), order("o2", T0 + DAY, "900.00")]
    result = evaluate(orders, T0 + 2 * DAY)
    [gold] = [o for o in result.outcomes if o.rule_id == "gold"]
    assert not gold.applied
    assert gold.reason == (
        "spend 1,200.00 EUR more in the last 365 days and place 1 more order in the last 365 days for Gold"
    )
    assert gold.progress == Decimal("0.6")


def test_level_changes_up_to_now_never_change_when_evaluated_later() -> None:
    early = set(evaluate(TWO_ORDERS, T0 + 380 * DAY).intents)
    late = set(evaluate(TWO_ORDERS, T0 + 900 * DAY).intents)
    assert early < late
