"""Points earned, redeemed, expired and reversed in a period, and the liability outstanding at its end.

Read from the ledger: :class:`PointsCollector` takes entries one at a time, in any order.
"""

from __future__ import annotations

__all__ = ["PointsCollector", "PointsKpis", "PointsMonth", "points_kpis"]

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from ..domain import Money
from ..engine.results import IntentKind
from ..ledger import LedgerEntry
from ..program import Program
from .period import Period, month_key

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
