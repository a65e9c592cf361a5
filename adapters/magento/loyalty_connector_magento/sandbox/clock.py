"""The sandbox's deterministic clock and Magento's timestamp format.

Magento stores ``created_at``/``updated_at`` as UTC ``"YYYY-MM-DD HH:MM:SS"``. The sandbox never reads
the wall clock for record timestamps: its clock starts one second after the newest seeded record
and moves one second per mutation, so every run with the same seed produces the same data.
"""

from __future__ import annotations

__all__ = ["SandboxClock", "format_ts", "parse_ts"]

import functools
import threading
import time
from datetime import datetime, timezone


@functools.lru_cache(maxsize=8192)
def _day_text(day: int) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(day * 86400))


def format_ts(epoch_seconds: int) -> str:
    """Magento's UTC text for an epoch second (fast: seeding formats hundreds of thousands)."""
    day, second = divmod(epoch_seconds, 86400)
    hours, rest = divmod(second, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{_day_text(day)} {hours:02d}:{minutes:02d}:{seconds:02d}"


def parse_ts(text: str) -> int:
    """The epoch second of a Magento UTC timestamp text."""
    moment = datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc)
    return int(moment.timestamp())


class SandboxClock:
    """Epoch seconds that only move when the shop changes something."""

    def __init__(self, start: int) -> None:
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """The current sandbox time as an aware UTC datetime."""
        return datetime.fromtimestamp(self._now, tz=timezone.utc)

    def now_seconds(self) -> int:
        return self._now

    def tick(self) -> str:
        """Advance one second and return the new time as Magento text (the stamp of a mutation)."""
        with self._lock:
            self._now += 1
            return format_ts(self._now)
