"""Points KPIs (flows, outstanding points, liability) and the referral funnel, from ledger entries."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

from loyalty_connector.domain import Money
from loyalty_connector.engine.results import IntentKind
from loyalty_connector.kpi import Period, points_kpis, referral_funnel
from loyalty_connector.ledger import LedgerEntry
from loyalty_connector.program import parse_program

UTC = timezone.utc
PERIOD = Period(date(2025, 1, 1), date(2025, 4, 1), "UTC")
PROGRAM = parse_program(
    """
name: Test
currency: EUR
points:
  earn: [{id: spend, rate: 1}]
  points_per_currency_unit: 100
referrals:
  id: refer
  referee_discount: {percent: 10}
  referrer_reward: {points: 500}
"""
)
_ids = iter(range(1, 10_000))


def entry(kind: IntentKind, points: int, when: datetime, *, available: datetime | None = None,
          rule: str = "spend", reason: str | None = None) -> LedgerEntry:  # fmt: skip
    attributes = (("reason", reason),) if reason else ()
    n = next(_ids)
    return LedgerEntry(
        id=n,
        key=f"k{n}",
        kind=kind,
        rule_id=rule,
        source="shop",
        customer_key="1",
        record=f"r{n}",
        points=points,
        effective_at=when,
        reason="test",
        recorded_at=when,
        available_at=available,
        attributes=attributes,
    )


def day(m: int, d: int) -> datetime:
    return datetime(2025, m, d, 12, tzinfo=UTC)


def test_points_flows_outstanding_points_and_liability() -> None:
    entries = [
        entry(
            IntentKind.EARN, 1000, datetime(2024, 12, 1, tzinfo=UTC)
        ),  # before the period: outstanding only
        entry(IntentKind.EARN, 500, day(1, 10)),
        entry(IntentKind.BONUS, 200, day(1, 11)),
        entry(IntentKind.REDEMPTION, -300, day(2, 1)),
        entry(IntentKind.EXPIRY, -100, day(3, 1)),
        entry(IntentKind.REVERSAL, -50, day(3, 2)),
        entry(IntentKind.EARN, 80, day(3, 30), available=day(4, 13)),  # still pending at the end
        entry(IntentKind.EARN, 999, day(4, 2)),  # after the period: not seen
    ]
    kpis = points_kpis(PROGRAM, PERIOD, entries)
    assert kpis is not None
    assert (kpis.earned, kpis.redeemed, kpis.expired, kpis.reversed) == (780, 300, 100, 50)
    assert (kpis.available, kpis.pending) == (1250, 80)
    assert kpis.point_value == Decimal("0.01")
    assert kpis.liability == Money.of("12.50", "EUR")
    assert kpis.pending_liability == Money.of("0.80", "EUR")
    months = {m.month: m for m in kpis.monthly}
    assert list(months) == ["2025-01", "2025-02", "2025-03"]
    assert (months["2025-01"].earned, months["2025-02"].redeemed, months["2025-03"].expired) == (
        700,
        300,
        100,
    )


def test_no_points_programme_has_no_points_kpis_and_empty_ledger_gives_zeros() -> None:
    assert points_kpis(parse_program("name: T\ncurrency: EUR\n"), PERIOD, []) is None
    empty = points_kpis(PROGRAM, PERIOD, [])
    assert empty is not None
    assert empty.liability == Money.zero("EUR")
    assert all(m.earned == 0 for m in empty.monthly)


def test_referral_funnel_counts_codes_referees_and_decisions_in_the_period() -> None:
    entries = [
        entry(IntentKind.REFERRAL_REWARD, 500, day(2, 1), rule="refer"),
        entry(IntentKind.REFERRAL_REWARD, 500, day(2, 2), rule="refer"),
        entry(IntentKind.REFERRAL_REJECTED, 0, day(2, 3), rule="refer", reason="cap"),
        entry(IntentKind.REFERRAL_REJECTED, 0, day(2, 4), rule="refer", reason="self_referral:vat_id"),
        entry(IntentKind.REFERRAL_REJECTED, 0, day(2, 5), rule="refer", reason="self_referral:vat_id"),
        entry(IntentKind.REFERRAL_REWARD, 500, datetime(2024, 12, 1, tzinfo=UTC), rule="refer"),  # earlier
    ]
    uses = [("REF-AAA", "2"), ("ref-aaa", "3"), ("REF-BBB", "4"), ("REF-BBB", "4")]
    funnel = referral_funnel(PROGRAM, PERIOD, codes_issued=40, uses=uses, entries=entries)
    assert funnel is not None
    assert (funnel.codes_issued, funnel.codes_used, funnel.referees) == (40, 2, 3)
    assert (funnel.qualified, funnel.rewarded) == (3, 2)
    assert funnel.rejected == (("self_referral:vat_id", 2), ("cap", 1))
    assert funnel.rejected_total == 3
    assert (
        referral_funnel(
            parse_program("name: T\ncurrency: EUR\n"), PERIOD, codes_issued=0, uses=[], entries=[]
        )
        is None
    )
