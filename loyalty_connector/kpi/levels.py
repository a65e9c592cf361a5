"""Customers' net revenue by the level held just before each order, in total and per month."""

from __future__ import annotations

__all__ = ["LevelRevenue", "LevelRevenueCollector", "MonthlyLevelRevenue"]

from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from ..domain import Money
from ..program import Program
from .facts import NO_LEVEL, CustomerFacts
from .period import Period, month_key


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
