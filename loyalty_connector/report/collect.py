"""The KPI report's model, and :func:`collect_report`: every KPI of a period from one store snapshot.

Customers are streamed one at a time from :class:`~loyalty_connector.store.analytics.Analytics` into
the collectors of :mod:`loyalty_connector.kpi`, so memory does not grow with the number of orders.
"""

from __future__ import annotations

__all__ = ["Breakdown", "KpiReport", "TopCustomer", "collect_report"]

import heapq
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from ..domain import Money
from ..engine.results import IntentKind
from ..kpi import (
    Cohort,
    CohortCollector,
    CustomerFacts,
    CustomerKpis,
    CustomerKpisCollector,
    GuestKpis,
    GuestKpisCollector,
    KpiSettings,
    LevelRevenue,
    LevelRevenueCollector,
    LifecycleStage,
    LoyaltyType,
    MonthlyLevelRevenue,
    Period,
    PointsKpis,
    ReferralFunnel,
    customer_facts,
    level_changes,
    lifecycle_stage,
    loyalty_type,
    points_kpis,
    referral_funnel,
)
from ..nps import NpsResult, latest_answers, nps
from ..program import Program
from ..store.analytics import Analytics

_TOP = 10
_POINT_KINDS = (IntentKind.EARN, IntentKind.BONUS, IntentKind.REFERRAL_REWARD, IntentKind.REVERSAL,
                IntentKind.EXPIRY, IntentKind.REDEMPTION)  # fmt: skip
_REFERRAL_KINDS = (IntentKind.REFERRAL_REWARD, IntentKind.REFERRAL_REJECTED)


@dataclass(frozen=True)
class Breakdown:
    """The customers' KPIs of one slice: a source, the level held at the period's start, or a group."""

    dimension: str
    key: str
    label: str
    kpis: CustomerKpis


@dataclass(frozen=True)
class TopCustomer:
    """A customer with one of the highest realized historical CLVs."""

    source: str
    customer_key: str
    email: str | None
    company: str | None
    orders: int
    realized_clv: Money


@dataclass(frozen=True)
class KpiReport:
    """Every KPI of one period, as of its end."""

    programme: str
    currency: str
    period: Period
    source: str | None
    """The one source reported on; ``None``: all of them."""
    generated_at: datetime
    settings: KpiSettings
    customers: CustomerKpis
    guests: GuestKpis
    breakdowns: tuple[Breakdown, ...]
    registered_customers: int
    """Registered customer keys known at the end (with or without orders)."""
    lifecycle: tuple[tuple[LifecycleStage, int], ...]
    loyalty_types: tuple[tuple[LoyaltyType, int], ...]
    nps: NpsResult
    cohorts: tuple[Cohort, ...]
    revenue_by_level: tuple[LevelRevenue, ...]
    monthly_revenue: MonthlyLevelRevenue
    points: PointsKpis | None
    referrals: ReferralFunnel | None
    top_customers: tuple[TopCustomer, ...]


class _Slices:
    def __init__(self, program: Program, period: Period, settings: KpiSettings) -> None:
        self.program, self.period, self.settings = program, period, settings
        self.collectors: dict[tuple[str, str], CustomerKpisCollector] = {}

    def add(self, dimension: str, key: str, facts: CustomerFacts) -> None:
        collector = self.collectors.get((dimension, key))
        if collector is None:
            collector = CustomerKpisCollector(self.period, self.program.currency, self.settings)
            self.collectors[(dimension, key)] = collector
        collector.add(facts)

    def result(self, group_names: Mapping[tuple[str, str], str]) -> tuple[Breakdown, ...]:
        """The slices in report order; a group is labelled by its name where the store knows it."""
        levels = self.program.levels.levels if self.program.levels is not None else []
        rank = {level.id: n for n, level in enumerate(reversed(levels))}
        names = {level.id: level.name for level in levels}
        sources = {key for dim, key in self.collectors if dim == "source"}
        order = {"source": 0, "level": 1, "group": 2}

        def sort_key(item: tuple[str, str]) -> tuple[int, int, str]:
            dim, key = item
            return order[dim], rank.get(key, len(rank)) if dim == "level" else 0, key

        out = []
        for dim, key in sorted(self.collectors, key=sort_key):
            if dim == "level":
                label = names.get(key, "no level")
            elif dim == "group":
                source, group = key.split("/", 1)
                label = group_names.get((source, group), group)
                label = label if len(sources) == 1 else f"{source}/{label}"
            else:
                label = key
            out.append(Breakdown(dim, key, label, self.collectors[(dim, key)].result()))
        return tuple(out)


def collect_report(
    analytics: Analytics,
    program: Program,
    period: Period,
    *,
    now: datetime,
    source: str | None = None,
    settings: KpiSettings | None = None,
) -> KpiReport:
    """Every KPI of ``period`` (as of its end) from one store snapshot; ``source``: only that shop."""
    settings = settings or KpiSettings()
    since, until = period.since, period.until
    with analytics.snapshot():
        levels = level_changes(analytics.ledger(until=until, source=source, kinds=[IntentKind.LEVEL]))
        answers = list(analytics.nps_answers(until=until))
        group_names = analytics.group_names()
        latest = latest_answers(answers, until=until)
        overall = CustomerKpisCollector(period, program.currency, settings)
        guests = GuestKpisCollector(period, program.currency)
        slices = _Slices(program, period, settings)
        cohorts = CohortCollector(period)
        by_level = LevelRevenueCollector(program, period)
        stages: Counter[LifecycleStage] = Counter()
        types: Counter[LoyaltyType] = Counter()
        emails: set[str] = set()
        top: list[tuple[Decimal, str, str, TopCustomer]] = []
        registered = 0
        for history in analytics.histories(until=until, source=source):
            facts = customer_facts(
                program, history, until=until, levels=levels.get((history.source, history.customer_key), ())
            )
            guests.add(facts)
            if facts.is_guest:
                continue
            registered += 1
            overall.add(facts)
            for collector in (cohorts, by_level):
                collector.add(facts)
            slices.add("source", facts.source, facts)
            slices.add("level", facts.level_before(since), facts)
            group = facts.customer.group_id if facts.customer is not None else None
            slices.add("group", f"{facts.source}/{group or 'none'}", facts)
            stages[lifecycle_stage([p.placed_at for p in facts.purchases], until, settings.lifecycle)] += 1
            if facts.email is not None:
                emails.add(facts.email)
                answer = latest.get(facts.email)
                kind = loyalty_type(
                    answer.score if answer else None, len(facts.purchases), settings.lifecycle.repeat_orders
                )
                if kind is not None:
                    types[kind] += 1
            _keep_top(top, facts, program.currency)
        points = points_kpis(
            program, period, analytics.ledger(until=until, source=source, kinds=_POINT_KINDS)
        )
        funnel = None
        if program.referrals is not None:
            funnel = referral_funnel(
                program,
                period,
                codes_issued=analytics.referral_codes_issued(until=until, source=source),
                uses=analytics.referral_uses(since=since, until=until, source=source),
                entries=analytics.ledger(until=until, source=source, kinds=_REFERRAL_KINDS),
            )
    revenue_rows, monthly = by_level.result()
    return KpiReport(
        programme=program.name,
        currency=program.currency,
        period=period,
        source=source,
        generated_at=now,
        settings=settings,
        customers=overall.result(),
        guests=guests.result(),
        breakdowns=slices.result(group_names),
        registered_customers=registered,
        lifecycle=tuple((stage, stages[stage]) for stage in LifecycleStage),
        loyalty_types=tuple((kind, types[kind]) for kind in LoyaltyType),
        nps=nps(latest_answers(answers, since=since, until=until), emails),
        cohorts=cohorts.result(),
        revenue_by_level=revenue_rows,
        monthly_revenue=monthly,
        points=points,
        referrals=funnel,
        top_customers=tuple(
            t for *_, t in sorted(top, key=lambda i: (-i[0], i[3].source, i[3].customer_key))
        ),
    )


def _keep_top(top: list[tuple[Decimal, str, str, TopCustomer]], facts: CustomerFacts, currency: str) -> None:
    value = facts.realized_value
    if not value:
        return
    customer = facts.customer
    entry = TopCustomer(
        facts.source,
        facts.customer_key,
        facts.email,
        customer.company if customer is not None else None,
        len(facts.purchases),
        Money.of(value, currency),
    )
    # a min-heap of the best ``_TOP``; ties broken by (source, key) so the list is deterministic
    item = (value, _inverse(facts.source), _inverse(facts.customer_key), entry)
    if len(top) < _TOP:
        heapq.heappush(top, item)
    elif item[:3] > top[0][:3]:
        heapq.heapreplace(top, item)


def _inverse(text: str) -> str:
    return "".join(chr(0x10FFFF - ord(c)) for c in text)
