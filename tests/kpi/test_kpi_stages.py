"""Lifecycle stages, loyalty types, cohort retention and revenue by level, against hand-computed cases."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from loyalty_connector.domain import Money
from loyalty_connector.kpi import (
    NO_LEVEL,
    CohortCollector,
    CustomerFacts,
    LevelRevenueCollector,
    LifecycleStage,
    LifecycleThresholds,
    LoyaltyType,
    Period,
    Purchase,
    Rate,
    lifecycle_stage,
    loyalty_type,
)
from loyalty_connector.program import parse_program

UTC = timezone.utc
NOW = datetime(2025, 7, 1, tzinfo=UTC)
PROGRAM = parse_program(
    """
name: Test
currency: EUR
timezone: Europe/Berlin
levels:
  levels:
    - {id: bronze, name: Bronze, customer_group: B, min_orders: 1}
    - {id: gold, name: Gold, customer_group: G, min_orders: 3}
"""
)


def days_ago(*days: int) -> list[datetime]:
    return [NOW - timedelta(days=d) for d in days]


def facts(key: str, *items: tuple[datetime, str, str]) -> CustomerFacts:
    purchases = tuple(
        Purchase(f"{key}-{i}", t, Decimal(v), Decimal(0), lvl) for i, (t, v, lvl) in enumerate(items)
    )
    return CustomerFacts("shop", key, None, None, purchases, 0)


@pytest.mark.parametrize(
    ("purchases", "stage"),
    [
        ([], LifecycleStage.FIRST_CONTACT),
        (days_ago(10), LifecycleStage.FIRST_PURCHASE),
        (days_ago(700, 600), LifecycleStage.REPEAT),
        (days_ago(300, 200, 100, 10), LifecycleStage.COMMITTED),
        (days_ago(*range(10, 330, 40)), LifecycleStage.COMMITTED),  # 8 orders, but first order < 365 days ago
        (days_ago(400, *range(10, 330, 40)), LifecycleStage.LOYAL),
    ],
)
def test_lifecycle_stage_follows_order_counts_and_tenure(
    purchases: list[datetime], stage: LifecycleStage
) -> None:
    assert lifecycle_stage(purchases, NOW) is stage


def test_lifecycle_ignores_orders_after_the_instant_and_takes_custom_thresholds() -> None:
    assert lifecycle_stage([NOW + timedelta(days=1)], NOW) is LifecycleStage.FIRST_CONTACT
    rules = LifecycleThresholds(repeat_orders=2, committed_orders=2, loyal_orders=3, loyal_min_days=0)
    assert lifecycle_stage(days_ago(5, 4, 3), NOW, rules) is LifecycleStage.LOYAL
    with pytest.raises(ValueError, match="thresholds"):
        LifecycleThresholds(committed_orders=9, loyal_orders=8)


@pytest.mark.parametrize(
    ("score", "orders", "kind"),
    [
        (10, 3, LoyaltyType.TRUE),
        (9, 1, LoyaltyType.LATENT),
        (6, 5, LoyaltyType.SPURIOUS),
        (8, 2, LoyaltyType.SPURIOUS),
        (7, 0, LoyaltyType.NONE),
        (None, 5, None),
    ],
)
def test_loyalty_type_crosses_nps_with_repeat_buying(
    score: int | None, orders: int, kind: LoyaltyType | None
) -> None:
    assert loyalty_type(score, orders) is kind


def test_cohort_2025_03_month_2_is_the_share_of_march_starters_who_bought_in_may() -> None:
    period = Period(date(2025, 1, 1), date(2025, 7, 1), "Europe/Berlin")
    collector = CohortCollector(period)
    march = datetime(2025, 3, 10, tzinfo=UTC)
    may = datetime(2025, 5, 3, tzinfo=UTC)
    collector.add(facts("1", (march, "10", NO_LEVEL), (may, "10", NO_LEVEL)))
    collector.add(facts("2", (march, "10", NO_LEVEL)))
    collector.add(facts("3", (datetime(2024, 12, 1, tzinfo=UTC), "10", NO_LEVEL), (may, "10", NO_LEVEL)))
    # 23:30 UTC on 31 January is 1 February in Berlin: a February cohort
    collector.add(facts("4", (datetime(2025, 1, 31, 23, 30, tzinfo=UTC), "10", NO_LEVEL)))
    cohorts = {c.month: c for c in collector.result()}
    assert set(cohorts) == {"2025-02", "2025-03"}
    cohort = cohorts["2025-03"]
    assert cohort.size == 2
    assert cohort.active == (2, 0, 1, 0)
    assert cohort.rates[2] == Rate(1, 2)
    assert cohort.rates[2].value == Decimal("0.5")


def test_revenue_by_level_uses_the_level_held_before_each_order_per_month() -> None:
    period = Period(date(2025, 1, 1), date(2025, 7, 1), "Europe/Berlin")
    collector = LevelRevenueCollector(PROGRAM, period)
    collector.add(facts("1", (datetime(2025, 2, 1, tzinfo=UTC), "100", NO_LEVEL),
                        (datetime(2025, 2, 5, tzinfo=UTC), "200", "bronze"),
                        (datetime(2025, 3, 5, tzinfo=UTC), "300", "gold")))  # fmt: skip
    collector.add(facts("2", (datetime(2025, 3, 1, tzinfo=UTC), "50", "gold")))
    collector.add(facts("guest:x@y.example", (datetime(2025, 3, 1, tzinfo=UTC), "999", NO_LEVEL)))
    rows, monthly = collector.result()
    by_level = {r.level_id: (r.orders, r.customers, r.revenue) for r in rows}
    assert [r.level_id for r in rows] == ["gold", "bronze", NO_LEVEL]
    assert by_level["gold"] == (2, 2, Money.of("350", "EUR"))
    assert by_level[NO_LEVEL] == (1, 1, Money.of("100", "EUR"))
    assert monthly.revenue[("2025-03", "gold")] == Money.of("350", "EUR")
    assert monthly.months[0] == "2025-01"
    assert ("2025-01", "gold") not in monthly.revenue
