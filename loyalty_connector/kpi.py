"""Loyalty KPIs over domain records and ledger entries: pure functions, no I/O, no clock.

Every KPI is computed for a :class:`Period` of whole days in the programme's time zone, half-open
(``[start, end)``), and "as of" its end: orders placed, refunds made and ledger entries effective
at or after ``end`` are not seen, so a report for a past period does not change when time moves on
(only when late data for that period arrives). Definitions, formulas and examples are in
``docs/reports.md``; in short:

- A *purchase* is an order that is not canceled. Its *revenue* is the subtotal after discounts,
  excluding tax and shipping, minus the refunds made on it (refunded goods value), in programme
  currency. An order in another currency is converted with ``exchange_rates`` when the programme
  says ``foreign_currency: convert``; otherwise it has no revenue and is counted as *excluded* from
  money KPIs (it still counts as a purchase for retention, churn, repeat rate and frequency).
- A *customer* is a registered customer; guests (orders without an account) are tallied apart.
- A customer *at the start* of a period bought at least once before it, most recently within
  ``active_days`` before its start; they are *retained* when they buy in the period, *churned*
  when they do not (so retention + churn = 100 %).

Rates are :class:`Rate` (numerator, denominator; the value is ``None`` — "no data" — when the
denominator is 0); money is :class:`~loyalty_connector.domain.Money` in the programme currency.
The collectors (``add`` each customer's facts, then ``result()``) let a report stream customers one
at a time instead of holding every order in memory.
"""

from __future__ import annotations

__all__ = [
    "COUNTED_STATUSES",
    "NO_LEVEL",
    "Cohort",
    "CohortCollector",
    "CustomerFacts",
    "CustomerKpis",
    "CustomerKpisCollector",
    "GuestKpis",
    "GuestKpisCollector",
    "KpiSettings",
    "LevelChange",
    "LevelRevenue",
    "LevelRevenueCollector",
    "LifecycleStage",
    "LifecycleThresholds",
    "LoyaltyType",
    "MonthlyLevelRevenue",
    "OrderHistory",
    "Period",
    "PointsCollector",
    "PointsKpis",
    "PointsMonth",
    "Purchase",
    "Rate",
    "ReferralFunnel",
    "customer_facts",
    "customer_kpis",
    "kpi_settings",
    "level_changes",
    "lifecycle_stage",
    "loyalty_type",
    "month_key",
    "order_revenue",
    "points_kpis",
    "referral_funnel",
]

import enum
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Protocol
from zoneinfo import ZoneInfo

from .domain import Customer, Money, Order, OrderStatus, Refund, normalize_email, quantize
from .engine.conditions import convert_amount, order_in_program_currency
from .engine.results import IntentKind
from .ledger import LedgerEntry
from .program import Program

COUNTED_STATUSES: frozenset[OrderStatus] = frozenset(
    {OrderStatus.PENDING, OrderStatus.PROCESSING, OrderStatus.COMPLETE, OrderStatus.CLOSED}
)
"""Order statuses that count as a purchase: every status but ``canceled``."""
NO_LEVEL = "none"
"""The level key of customers who hold no level (and of guests)."""

_ZERO = Decimal(0)
_DAYS_PER_YEAR = Decimal("365.25")
_GUEST_PREFIX = "guest:"


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable: every month has 28 days")


def month_key(moment: datetime, zone: ZoneInfo) -> str:
    """The calendar month of ``moment`` in ``zone`` as ``YYYY-MM``."""
    local = moment.astimezone(zone)
    return f"{local.year:04d}-{local.month:02d}"


def _month_index(key: str) -> int:
    year, month = key.split("-")
    return int(year) * 12 + int(month) - 1


@dataclass(frozen=True)
class Period:
    """Whole days ``[start, end)`` in the IANA zone ``timezone``; ``end`` is the first day not included."""

    start: date
    end: date
    timezone: str = "UTC"

    def __post_init__(self) -> None:
        if not self.start < self.end:
            raise ValueError(f"empty period: {self.start} is not before {self.end}")
        ZoneInfo(self.timezone)

    @classmethod
    def last_months(cls, today: date, months: int = 12, timezone: str = "UTC") -> Period:
        """The ``months`` months up to and including ``today`` (the default report period)."""
        end = today + timedelta(days=1)
        return cls(_add_months(end, -months), end, timezone)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def _instant(self, day: date) -> datetime:
        return datetime.combine(day, time(0), tzinfo=self.zone).astimezone(timezone.utc)

    @property
    def since(self) -> datetime:
        """The first instant of the period (local midnight of ``start``), in UTC."""
        return self._instant(self.start)

    @property
    def until(self) -> datetime:
        """The first instant after the period (local midnight of ``end``), in UTC."""
        return self._instant(self.end)

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    @property
    def years(self) -> Decimal:
        """Length in years: whole months / 12 when start and end share a day of month, else days / 365.25."""
        if self.start.day == self.end.day:
            months = (self.end.year - self.start.year) * 12 + self.end.month - self.start.month
            return Decimal(months) / 12
        return Decimal(self.days) / _DAYS_PER_YEAR

    def contains(self, moment: datetime) -> bool:
        return self.since <= moment < self.until

    def months(self) -> list[str]:
        """The calendar months (``YYYY-MM``) the period touches, in order."""
        first = self.start.year * 12 + self.start.month - 1
        last_day = self.end - timedelta(days=1)
        last = last_day.year * 12 + last_day.month - 1
        return [f"{i // 12:04d}-{i % 12 + 1:02d}" for i in range(first, last + 1)]

    def __str__(self) -> str:
        return f"{self.start.isoformat()} to {(self.end - timedelta(days=1)).isoformat()} ({self.timezone})"


@dataclass(frozen=True)
class Rate:
    """``numerator / denominator`` as a Decimal fraction (``Decimal('0.1')`` is 10 %); ``None``: no data."""

    numerator: int
    denominator: int

    @property
    def value(self) -> Decimal | None:
        if self.denominator == 0:
            return None
        return Decimal(self.numerator) / Decimal(self.denominator)

    def percent(self, places: int = 1) -> str:
        """``12.5 %``, or ``no data`` when the denominator is 0."""
        value = self.value
        if value is None:
            return "no data"
        return f"{value * 100:.{places}f} %"


@dataclass(frozen=True)
class LifecycleThresholds:
    """Order counts that move a customer along the lifecycle (see :func:`lifecycle_stage`).

    The programme's ``reports.lifecycle`` sets them; defaults: ``repeat`` from 2 orders ever;
    ``committed`` from 4 orders in the last 365 days; ``loyal`` from 8 orders in the last 365 days
    and a first order at least 365 days ago.
    """

    repeat_orders: int = 2
    committed_orders: int = 4
    loyal_orders: int = 8
    loyal_min_days: int = 365
    window_days: int = 365

    def __post_init__(self) -> None:
        if not 2 <= self.repeat_orders <= self.committed_orders <= self.loyal_orders:
            raise ValueError("lifecycle thresholds must satisfy 2 <= repeat <= committed <= loyal orders")
        if self.window_days <= 0 or self.loyal_min_days < 0:
            raise ValueError("lifecycle window_days must be positive and loyal_min_days not negative")


@dataclass(frozen=True)
class KpiSettings:
    """Choices behind the KPIs; the defaults are documented in ``docs/reports.md``."""

    active_days: int | None = 365
    """A customer is "at the start" of a period when their last purchase before it is at most this many
    days before its start; ``None`` counts everyone who ever bought."""
    relationship_years: Decimal | None = None
    """Expected relationship length for the CLV formula; ``None`` estimates it as 1 / annual churn."""
    lifecycle: LifecycleThresholds = field(default_factory=LifecycleThresholds)

    def __post_init__(self) -> None:
        if self.active_days is not None and self.active_days <= 0:
            raise ValueError("active_days must be positive")
        if self.relationship_years is not None and self.relationship_years <= 0:
            raise ValueError("relationship_years must be positive")


def kpi_settings(
    program: Program,
    *,
    active_days: int | None = None,
    all_time: bool = False,
    years: Decimal | None = None,
) -> KpiSettings:
    """The KPI settings of ``program.reports``, overridden by explicit values (flags win)."""
    reports = program.reports
    lifecycle = reports.lifecycle
    return KpiSettings(
        active_days=None if all_time else (active_days or reports.active_days),
        relationship_years=years if years is not None else reports.relationship_years,
        lifecycle=LifecycleThresholds(
            repeat_orders=lifecycle.repeat_orders,
            committed_orders=lifecycle.committed_orders,
            loyal_orders=lifecycle.loyal_orders,
            loyal_min_days=lifecycle.loyal_min_days,
            window_days=lifecycle.window_days,
        ),
    )


class OrderHistory(Protocol):
    """One customer key's stored records: what :func:`customer_facts` reads."""

    @property
    def source(self) -> str: ...
    @property
    def customer_key(self) -> str: ...
    @property
    def customer(self) -> Customer | None: ...
    @property
    def orders(self) -> Sequence[Order]: ...
    @property
    def refunds(self) -> Sequence[Refund]: ...


LevelChange = tuple[datetime, str]
"""(when, level id held from then on — :data:`NO_LEVEL` for none), from the ledger's LEVEL entries."""


def level_changes(entries: Iterable[LedgerEntry]) -> dict[tuple[str, str], tuple[LevelChange, ...]]:
    """Per (source, customer key): the held level's changes in time order, from LEVEL ledger entries."""
    found: dict[tuple[str, str], list[tuple[datetime, int, str]]] = defaultdict(list)
    for entry in entries:
        if entry.kind is IntentKind.LEVEL:
            to = entry.attribute("to") or NO_LEVEL
            found[(entry.source, entry.customer_key)].append((entry.effective_at, entry.id, to))
    return {who: tuple((at, to) for at, _, to in sorted(items)) for who, items in found.items()}


@dataclass(frozen=True, slots=True)
class Purchase:
    """A counted order reduced to what the KPIs read."""

    order_id: str
    placed_at: datetime
    revenue: Decimal | None
    """Net revenue in programme currency; ``None`` when its currency is excluded."""
    refunded: Decimal
    level_id: str
    """The level held just before the order (what it was earned at), or :data:`NO_LEVEL`."""


def order_revenue(
    program: Program, order: Order, refunds: Iterable[Refund] = ()
) -> tuple[Decimal, Decimal] | None:
    """(net revenue, refunded) of ``order`` in programme currency, or ``None`` when its currency is excluded.

    Revenue is the subtotal after discounts, excluding tax and shipping (``subtotal - discount``),
    minus the goods value of ``refunds``; never below zero.
    """
    factor = order_in_program_currency(program, order)
    if factor is None:
        return None
    gross = quantize(max(order.subtotal.amount - order.discount.amount, _ZERO) * factor, program.currency)
    refunded = sum(
        (convert_amount(program, r.amount.amount, r.amount.currency) or _ZERO for r in refunds), _ZERO
    )
    refunded = min(max(refunded, _ZERO), gross)
    return gross - refunded, refunded


def _held_before(changes: Sequence[LevelChange], at: datetime) -> str:
    held = NO_LEVEL
    for when, level in changes:
        if when >= at:
            break
        held = level
    return held


@dataclass(frozen=True, slots=True)
class CustomerFacts:
    """One customer key's purchases up to the report's end, and who they are."""

    source: str
    customer_key: str
    customer: Customer | None
    """``None`` for guests and for accounts whose customer record was not synced."""
    email: str | None
    purchases: tuple[Purchase, ...]
    """Counted orders placed before the end, oldest first."""
    excluded_orders: int
    """Of those, orders whose currency is left out of money KPIs."""
    levels: tuple[LevelChange, ...] = ()

    @property
    def is_guest(self) -> bool:
        return self.customer_key.startswith(_GUEST_PREFIX)

    def level_before(self, at: datetime) -> str:
        """The level held just before ``at`` (:data:`NO_LEVEL` for none)."""
        return _held_before(self.levels, at)

    def purchases_between(self, since: datetime, until: datetime) -> list[Purchase]:
        return [p for p in self.purchases if since <= p.placed_at < until]

    @property
    def realized_value(self) -> Decimal:
        """Realized historical CLV: the net revenue of every purchase (excluded currencies left out)."""
        return sum((p.revenue for p in self.purchases if p.revenue is not None), _ZERO)

    @property
    def first_purchase_at(self) -> datetime | None:
        return self.purchases[0].placed_at if self.purchases else None

    @property
    def last_purchase_at(self) -> datetime | None:
        return self.purchases[-1].placed_at if self.purchases else None


def customer_facts(
    program: Program,
    history: OrderHistory,
    *,
    until: datetime,
    levels: Sequence[LevelChange] = (),
) -> CustomerFacts:
    """The facts of one customer key as of ``until`` (orders and refunds dated later are ignored)."""
    refunds: dict[str, list[Refund]] = defaultdict(list)
    for refund in history.refunds:
        if refund.created_at < until:
            refunds[refund.order_id].append(refund)
    purchases: list[Purchase] = []
    excluded = 0
    email = history.customer.email if history.customer is not None else None
    for order in sorted(history.orders, key=lambda o: (o.placed_at, o.external_id)):
        if order.placed_at >= until or order.status not in COUNTED_STATUSES:
            continue
        email = email or order.email
        money = order_revenue(program, order, refunds.get(order.external_id, ()))
        excluded += money is None
        purchases.append(
            Purchase(
                order_id=order.external_id,
                placed_at=order.placed_at,
                revenue=None if money is None else money[0],
                refunded=_ZERO if money is None else money[1],
                level_id=_held_before(levels, order.placed_at),
            )
        )
    return CustomerFacts(
        source=history.source,
        customer_key=history.customer_key,
        customer=history.customer,
        email=None if email is None else normalize_email(email),
        purchases=tuple(purchases),
        excluded_orders=excluded,
        levels=tuple(levels),
    )


# -- customers in a period ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CustomerKpis:
    """Registered customers' KPIs for one period (and one slice: all, a source, a level, a group)."""

    customers_at_start: int
    retained: int
    churned: int
    retention_rate: Rate
    churn_rate: Rate
    active_customers: int
    """Customers with at least one purchase in the period."""
    new_customers: int
    """Customers whose first purchase ever is in the period."""
    repeat_customers: int
    """Customers with at least two purchases in the period."""
    repeat_rate: Rate
    orders: int
    purchase_frequency: Decimal | None
    """Orders / active customers."""
    priced_orders: int
    excluded_orders: int
    revenue: Money
    refunded: Money
    average_order_value: Money | None
    purchases_per_year: Decimal | None
    relationship_years: Decimal | None
    relationship_years_estimated: bool
    """True when ``relationship_years`` is 1 / annual churn rather than a given value."""
    clv: Money | None
    """Average order value x purchases per year x relationship years."""
    realized_clv: Money | None
    """Average realized historical CLV (net revenue to date) of customers with a purchase by the end."""
    customers_with_purchases: int


class CustomerKpisCollector:
    """Adds registered customers' facts one at a time; :meth:`result` gives their :class:`CustomerKpis`."""

    def __init__(self, period: Period, currency: str, settings: KpiSettings | None = None) -> None:
        self.period = period
        self.currency = currency
        self.settings = settings or KpiSettings()
        self._since, self._until = period.since, period.until
        active = self.settings.active_days
        self._active_from = None if active is None else self._since - timedelta(days=active)
        self._counts: Counter[str] = Counter()
        self._revenue = self._refunded = self._realized = _ZERO

    def add(self, facts: CustomerFacts) -> None:
        """Count one customer (guests are ignored: see :class:`GuestKpisCollector`)."""
        if facts.is_guest:
            return
        counts = self._counts
        before = [p for p in facts.purchases if p.placed_at < self._since]
        inside = facts.purchases_between(self._since, self._until)
        at_start = bool(before) and (self._active_from is None or before[-1].placed_at >= self._active_from)
        if at_start:
            counts["at_start"] += 1
            counts["retained" if inside else "churned"] += 1
        if inside:
            counts["active"] += 1
            counts["new"] += not before
            counts["repeat"] += len(inside) >= 2
            counts["orders"] += len(inside)
            for purchase in inside:
                if purchase.revenue is None:
                    counts["excluded"] += 1
                else:
                    counts["priced"] += 1
                    self._revenue += purchase.revenue
                    self._refunded += purchase.refunded
        if any(p.revenue is not None for p in facts.purchases):
            counts["with_purchases"] += 1
            self._realized += facts.realized_value

    def result(self) -> CustomerKpis:
        c, currency, period = self._counts, self.currency, self.period
        churn = Rate(c["churned"], c["at_start"])
        frequency = Decimal(c["orders"]) / c["active"] if c["active"] else None
        aov = Money.of(self._revenue / c["priced"], currency) if c["priced"] else None
        per_year = frequency / period.years if frequency is not None else None
        years, estimated = self.settings.relationship_years, False
        if years is None:
            years, estimated = _lifespan(churn, period.years), True
        clv = None
        if aov is not None and per_year is not None and years is not None:
            clv = Money.of(aov.amount * per_year * years, currency)
        realized = Money.of(self._realized / c["with_purchases"], currency) if c["with_purchases"] else None
        return CustomerKpis(
            customers_at_start=c["at_start"],
            retained=c["retained"],
            churned=c["churned"],
            retention_rate=Rate(c["retained"], c["at_start"]),
            churn_rate=churn,
            active_customers=c["active"],
            new_customers=c["new"],
            repeat_customers=c["repeat"],
            repeat_rate=Rate(c["repeat"], c["active"]),
            orders=c["orders"],
            purchase_frequency=frequency,
            priced_orders=c["priced"],
            excluded_orders=c["excluded"],
            revenue=Money.of(self._revenue, currency),
            refunded=Money.of(self._refunded, currency),
            average_order_value=aov,
            purchases_per_year=per_year,
            relationship_years=years,
            relationship_years_estimated=estimated,
            clv=clv,
            realized_clv=realized,
            customers_with_purchases=c["with_purchases"],
        )


def _lifespan(churn: Rate, years: Decimal) -> Decimal | None:
    """Expected relationship length in years: 1 / churn, with churn over ``years`` made annual."""
    value = churn.value
    if value is None or value == 0:
        return None
    if years != 1 and value < 1:
        value = 1 - (1 - value) ** (1 / years)
    return 1 / value


def customer_kpis(
    facts: Iterable[CustomerFacts], period: Period, currency: str, settings: KpiSettings | None = None
) -> CustomerKpis:
    """:class:`CustomerKpis` of the registered customers among ``facts``."""
    collector = CustomerKpisCollector(period, currency, settings)
    for item in facts:
        collector.add(item)
    return collector.result()


@dataclass(frozen=True)
class GuestKpis:
    """Guest orders (no customer account) in the period, kept apart from customers' KPIs."""

    orders: int
    guests: int
    """Distinct guest emails with an order in the period."""
    priced_orders: int
    excluded_orders: int
    revenue: Money
    average_order_value: Money | None


class GuestKpisCollector:
    """Adds guests' facts one at a time; registered customers are ignored."""

    def __init__(self, period: Period, currency: str) -> None:
        self.period, self.currency = period, currency
        self._counts: Counter[str] = Counter()
        self._revenue = _ZERO

    def add(self, facts: CustomerFacts) -> None:
        if not facts.is_guest:
            return
        inside = facts.purchases_between(self.period.since, self.period.until)
        if not inside:
            return
        self._counts["guests"] += 1
        for purchase in inside:
            self._counts["orders"] += 1
            if purchase.revenue is None:
                self._counts["excluded"] += 1
            else:
                self._counts["priced"] += 1
                self._revenue += purchase.revenue

    def result(self) -> GuestKpis:
        c = self._counts
        return GuestKpis(
            orders=c["orders"],
            guests=c["guests"],
            priced_orders=c["priced"],
            excluded_orders=c["excluded"],
            revenue=Money.of(self._revenue, self.currency),
            average_order_value=Money.of(self._revenue / c["priced"], self.currency) if c["priced"] else None,
        )


# -- lifecycle and loyalty type ------------------------------------------------------------------------


class LifecycleStage(str, enum.Enum):
    """Where a registered customer stands (see :func:`lifecycle_stage`)."""

    FIRST_CONTACT = "first_contact"
    FIRST_PURCHASE = "first_purchase"
    REPEAT = "repeat"
    COMMITTED = "committed"
    LOYAL = "loyal"


class LoyaltyType(str, enum.Enum):
    """Attitude (NPS) crossed with behaviour (repeat purchases), for customers who answered the survey."""

    TRUE = "true"
    """A promoter who buys again."""
    LATENT = "latent"
    """A promoter who has not bought again (yet): worth a campaign."""
    SPURIOUS = "spurious"
    """Buys again without being a promoter: held by habit or convenience, at risk when a rival comes."""
    NONE = "none"
    """Neither a promoter nor a repeat buyer."""


def lifecycle_stage(
    purchases: Sequence[datetime], at: datetime, thresholds: LifecycleThresholds | None = None
) -> LifecycleStage:
    """The stage at ``at`` given purchase times: no purchase, one, repeat, committed or loyal.

    ``loyal``: at least ``loyal_orders`` in the ``window_days`` before ``at`` and a first purchase at
    least ``loyal_min_days`` before; ``committed``: at least ``committed_orders`` in the window;
    ``repeat``: at least ``repeat_orders`` ever; ``first_purchase``: one or more but fewer.
    """
    rules = thresholds or LifecycleThresholds()
    done = sorted(p for p in purchases if p < at)
    if not done:
        return LifecycleStage.FIRST_CONTACT
    recent = sum(1 for p in done if p >= at - timedelta(days=rules.window_days))
    if recent >= rules.loyal_orders and done[0] <= at - timedelta(days=rules.loyal_min_days):
        return LifecycleStage.LOYAL
    if recent >= rules.committed_orders:
        return LifecycleStage.COMMITTED
    if len(done) >= rules.repeat_orders:
        return LifecycleStage.REPEAT
    return LifecycleStage.FIRST_PURCHASE


def loyalty_type(score: int | None, orders: int, repeat_orders: int = 2) -> LoyaltyType | None:
    """True, latent, spurious or no loyalty from an NPS ``score`` and an order count; ``None``: no NPS."""
    if score is None:
        return None
    promoter = score >= 9
    repeat = orders >= repeat_orders
    if promoter:
        return LoyaltyType.TRUE if repeat else LoyaltyType.LATENT
    return LoyaltyType.SPURIOUS if repeat else LoyaltyType.NONE


# -- cohorts ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cohort:
    """Customers whose first purchase was in ``month``, and how many bought again ``m`` months later."""

    month: str
    size: int
    active: tuple[int, ...]
    """``active[m]``: customers of the cohort who bought in month ``month + m`` (``active[0] == size``)."""

    @property
    def rates(self) -> tuple[Rate, ...]:
        return tuple(Rate(n, self.size) for n in self.active)


class CohortCollector:
    """Monthly cohorts by first purchase, for first purchases within the period (programme time zone)."""

    def __init__(self, period: Period) -> None:
        self.period = period
        self._zone = period.zone
        self._months = period.months()
        self._first = set(self._months)
        self._last = _month_index(self._months[-1])
        self._sizes: Counter[str] = Counter()
        self._active: dict[str, Counter[int]] = defaultdict(Counter)

    def add(self, facts: CustomerFacts) -> None:
        if facts.is_guest or not facts.purchases:
            return
        first = facts.purchases[0]
        if not self.period.contains(first.placed_at):
            return
        cohort = month_key(first.placed_at, self._zone)
        start = _month_index(cohort)
        self._sizes[cohort] += 1
        offsets = {
            _month_index(month_key(p.placed_at, self._zone)) - start
            for p in facts.purchases
            if p.placed_at < self.period.until
        }
        for offset in offsets:
            self._active[cohort][offset] += 1

    def result(self) -> tuple[Cohort, ...]:
        cohorts = []
        for month in self._months:
            if not self._sizes[month]:
                continue
            span = self._last - _month_index(month) + 1
            counts = self._active[month]
            cohorts.append(Cohort(month, self._sizes[month], tuple(counts[m] for m in range(span))))
        return tuple(cohorts)


# -- revenue by level --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LevelRevenue:
    """Customers' net revenue in the period from orders placed while holding a level."""

    level_id: str
    name: str
    orders: int
    customers: int
    revenue: Money


@dataclass(frozen=True)
class MonthlyLevelRevenue:
    """Net revenue per month (``YYYY-MM``) and level id, for the chart."""

    months: tuple[str, ...]
    levels: tuple[tuple[str, str], ...]
    """(level id, name), highest level first, :data:`NO_LEVEL` last."""
    revenue: Mapping[tuple[str, str], Money]
    """(month, level id) -> revenue; missing pairs are zero."""


class LevelRevenueCollector:
    """Revenue of registered customers by the level held just before each order."""

    def __init__(self, program: Program, period: Period) -> None:
        self.period = period
        self.currency = program.currency
        levels = program.levels.levels if program.levels is not None else []
        self._names = {level.id: level.name for level in reversed(levels)}
        self._names[NO_LEVEL] = "no level"
        self._orders: Counter[str] = Counter()
        self._customers: Counter[str] = Counter()
        self._revenue: dict[str, Decimal] = defaultdict(Decimal)
        self._monthly: dict[tuple[str, str], Decimal] = defaultdict(Decimal)

    def add(self, facts: CustomerFacts) -> None:
        if facts.is_guest:
            return
        seen: set[str] = set()
        for purchase in facts.purchases_between(self.period.since, self.period.until):
            if purchase.revenue is None:
                continue
            level = purchase.level_id if purchase.level_id in self._names else NO_LEVEL
            self._orders[level] += 1
            self._revenue[level] += purchase.revenue
            self._monthly[(month_key(purchase.placed_at, self.period.zone), level)] += purchase.revenue
            if level not in seen:
                seen.add(level)
                self._customers[level] += 1

    def result(self) -> tuple[tuple[LevelRevenue, ...], MonthlyLevelRevenue]:
        rows = tuple(
            LevelRevenue(
                level,
                name,
                self._orders[level],
                self._customers[level],
                Money.of(self._revenue[level], self.currency),
            )
            for level, name in self._names.items()
        )
        monthly = MonthlyLevelRevenue(
            months=tuple(self.period.months()),
            levels=tuple(self._names.items()),
            revenue={key: Money.of(value, self.currency) for key, value in self._monthly.items()},
        )
        return rows, monthly


# -- points and referrals, from the ledger -----------------------------------------------------------------

_EARNED = frozenset({IntentKind.EARN, IntentKind.BONUS, IntentKind.REFERRAL_REWARD})
_FLOWS = {IntentKind.REVERSAL: "reversed", IntentKind.EXPIRY: "expired", IntentKind.REDEMPTION: "redeemed"}


@dataclass(frozen=True)
class PointsMonth:
    """Points moved in one month (``YYYY-MM``), each as a positive number."""

    month: str
    earned: int
    redeemed: int
    expired: int
    reversed: int


@dataclass(frozen=True)
class PointsKpis:
    """Points earned and taken back in the period, and what customers hold at its end."""

    earned: int
    """Points granted (spend, bonuses, referral rewards) effective in the period."""
    redeemed: int
    expired: int
    reversed: int
    available: int
    """Outstanding points at the end: usable, not redeemed, not expired."""
    pending: int
    """Points still in their holding period at the end (they may yet be reversed by a return)."""
    point_value: Decimal
    """What one point is worth in programme currency (1 / ``points_per_currency_unit``)."""
    liability: Money
    """Outstanding points x point value."""
    pending_liability: Money
    monthly: tuple[PointsMonth, ...]


class PointsCollector:
    """Adds ledger entries one at a time (any order); :meth:`result` gives the :class:`PointsKpis`."""

    def __init__(self, program: Program, period: Period) -> None:
        per_unit = program.points.points_per_currency_unit if program.points is not None else Decimal(100)
        self.period, self.currency, self.point_value = period, program.currency, 1 / per_unit
        self._since, self._until = period.since, period.until
        self._totals: Counter[str] = Counter()
        self._monthly: dict[str, Counter[str]] = defaultdict(Counter)

    def add(self, entry: LedgerEntry) -> None:
        if not entry.points or entry.effective_at >= self._until:
            return
        usable_from = entry.available_at or entry.effective_at
        self._totals["available" if usable_from < self._until else "pending"] += entry.points
        if entry.effective_at < self._since:
            return
        if entry.kind in _EARNED:
            flow, points = "earned", entry.points
        elif entry.kind in _FLOWS:
            flow, points = _FLOWS[entry.kind], -entry.points
        else:
            return
        self._totals[flow] += points
        self._monthly[month_key(entry.effective_at, self.period.zone)][flow] += points

    def result(self) -> PointsKpis:
        t = self._totals
        months = tuple(
            PointsMonth(m, self._monthly[m]["earned"], self._monthly[m]["redeemed"],
                        self._monthly[m]["expired"], self._monthly[m]["reversed"])
            for m in self.period.months()
        )  # fmt: skip
        return PointsKpis(
            earned=t["earned"],
            redeemed=t["redeemed"],
            expired=t["expired"],
            reversed=t["reversed"],
            available=t["available"],
            pending=t["pending"],
            point_value=self.point_value,
            liability=Money.of(t["available"] * self.point_value, self.currency),
            pending_liability=Money.of(t["pending"] * self.point_value, self.currency),
            monthly=months,
        )


def points_kpis(program: Program, period: Period, entries: Iterable[LedgerEntry]) -> PointsKpis | None:
    """Points KPIs over ``entries``; ``None`` when the programme has no points."""
    if program.points is None:
        return None
    collector = PointsCollector(program, period)
    for entry in entries:
        collector.add(entry)
    return collector.result()


@dataclass(frozen=True)
class ReferralFunnel:
    """Refer-a-business from codes to rewards (see ``docs/reports.md`` for each stage)."""

    codes_issued: int
    """Referral codes known by the end of the period."""
    codes_used: int
    """Distinct codes on orders placed in the period."""
    referees: int
    """Distinct customers and guests who placed an order with a referral code in the period."""
    qualified: int
    """Referrals decided in the period whose order passed every check (rewarded, or rejected by the cap)."""
    rewarded: int
    rejected: tuple[tuple[str, int], ...]
    """(reason code, count) of referrals rejected in the period, most frequent first."""

    @property
    def rejected_total(self) -> int:
        return sum(count for _, count in self.rejected)


def referral_funnel(
    program: Program,
    period: Period,
    *,
    codes_issued: int,
    uses: Iterable[tuple[str, str]],
    entries: Iterable[LedgerEntry],
) -> ReferralFunnel | None:
    """The funnel from ``uses`` ((code, referee key) of orders in the period) and referral ledger entries.

    ``None`` when the programme has no referrals.
    """
    rule = program.referrals
    if rule is None:
        return None
    codes: set[str] = set()
    referees: set[str] = set()
    for code, referee in uses:
        codes.add(code.strip().upper())
        referees.add(referee)
    rewarded = 0
    reasons: Counter[str] = Counter()
    for entry in entries:
        if entry.rule_id != rule.id or not period.contains(entry.effective_at):
            continue
        if entry.kind is IntentKind.REFERRAL_REWARD:
            rewarded += 1
        elif entry.kind is IntentKind.REFERRAL_REJECTED:
            reasons[entry.attribute("reason") or "other"] += 1
    return ReferralFunnel(
        codes_issued=codes_issued,
        codes_used=len(codes),
        referees=len(referees),
        qualified=rewarded + reasons["cap"],
        rewarded=rewarded,
        rejected=tuple(sorted(reasons.items(), key=lambda item: (-item[1], item[0]))),
    )
