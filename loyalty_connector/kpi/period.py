"""Report periods and rates: the units every KPI is measured in.

A :class:`Period` is whole days ``[start, end)`` in an IANA time zone, so a report period starts and
ends at local midnight; a :class:`Rate` keeps its numerator and denominator so a rate over nobody is
"no data" rather than a division error.
"""

from __future__ import annotations

__all__ = ["Period", "Rate", "month_key"]

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

_DAYS_PER_YEAR = Decimal("365.25")


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
