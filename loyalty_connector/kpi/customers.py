"""Registered customers' KPIs for a period (retention, churn, repeat rate, AOV, CLV), and guests' apart.

:class:`CustomerKpisCollector` and :class:`GuestKpisCollector` take one :class:`~.facts.CustomerFacts`
at a time, so a report streams customers instead of holding every order in memory.
"""

from __future__ import annotations

__all__ = ["CustomerKpis", "CustomerKpisCollector", "GuestKpis", "GuestKpisCollector", "customer_kpis"]

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from ..domain import Money
from .facts import CustomerFacts
from .period import Period, Rate
from .settings import KpiSettings

_ZERO = Decimal(0)


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
