"""The sandbox clock and Shopware's timestamp formats.

Shopware stores ``DATETIME(3)`` in UTC and serializes ``2023-05-04T10:11:12.345+00:00``; criteria take
``Y-m-d H:i:s.v`` strings. Inside the sandbox a timestamp is an ``int`` of milliseconds since the epoch,
so comparisons are exact and cheap; the formatted string is what records hold.
"""

from __future__ import annotations

__all__ = [
    "DAY_MS",
    "END_MS",
    "HOUR_MS",
    "INSTALL_MS",
    "START_MS",
    "SandboxClock",
    "format_ms",
    "ms_of",
    "parse_ms",
    "to_datetime",
]

import re
from datetime import datetime, timedelta, timezone

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_PATTERN = re.compile(
    r"^\s*(\d{4})-(\d{2})-(\d{2})"
    r"(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?)?"
    r"\s*(?:Z|[+-]\d{2}:?\d{2})?\s*$"
)


def format_ms(ms: int) -> str:
    """Milliseconds since the epoch as Shopware serializes a date: ``2023-05-04T10:11:12.345+00:00``."""
    moment = _EPOCH + timedelta(milliseconds=ms)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{ms % 1000:03d}+00:00"


def parse_ms(value: str) -> int | None:
    """Parse a criteria or record timestamp to milliseconds; ``None`` if it is not a date.

    Accepts ``Y-m-d``, ``Y-m-d H:i:s``, ``Y-m-d H:i:s.v`` and ISO 8601 with ``T``. A UTC offset is ignored,
    as MySQL ignores it when it compares a string with a ``DATETIME`` column: the wall time is taken as UTC.
    """
    match = _PATTERN.match(value)
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction = match.groups()
    try:
        moment = datetime(
            int(year),
            int(month),
            int(day),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            tzinfo=timezone.utc,
        )
    except ValueError:
        return None
    millis = int((fraction or "0").ljust(3, "0")[:3])
    return int((moment - _EPOCH).total_seconds()) * 1000 + millis


def ms_of(moment: datetime) -> int:
    """An aware datetime as milliseconds since the epoch."""
    if moment.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


def to_datetime(ms: int) -> datetime:
    return _EPOCH + timedelta(milliseconds=ms)


DAY_MS = 86_400_000
HOUR_MS = 3_600_000
END_MS = parse_ms("2026-10-31 18:00:00.000") or 0
"""The seeded history ends here: the newest seeded order is placed before this instant."""
START_MS = END_MS - END_MS % DAY_MS - 3 * 365 * DAY_MS
"""The first seeded order is placed after this instant (three years earlier)."""
INSTALL_MS = START_MS - 400 * DAY_MS
"""When the sandbox shop was installed (reference data and the oldest customers predate orders)."""


class SandboxClock:
    """A deterministic clock: it starts at a given instant and moves one second per mutation."""

    def __init__(self, start_ms: int) -> None:
        self._ms = start_ms

    def now_ms(self) -> int:
        return self._ms

    def now(self) -> datetime:
        return to_datetime(self._ms)

    def tick(self) -> int:
        """Advance by one second and return the new instant (the timestamp of the next mutation)."""
        self._ms += 1000
        return self._ms

    def restore(self, ms: int) -> None:
        """Set the clock back to ``ms`` (a failed write is not a mutation)."""
        self._ms = ms
