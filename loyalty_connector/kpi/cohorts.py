"""Monthly cohorts by first purchase, and how many of each bought again in the months after."""

from __future__ import annotations

__all__ = ["Cohort", "CohortCollector"]

from collections import Counter, defaultdict
from dataclasses import dataclass

from .facts import CustomerFacts
from .period import Period, Rate, _month_index, month_key


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
