"""Backfill progress on stderr, shared by ``backfill``, ``sync`` and ``demo``."""

from __future__ import annotations

__all__ = ["Progress"]

import sys
import time
from typing import IO

import click

from ..sync import ProgressEvent


class Progress:
    """Backfill progress on stderr: a redrawn bar on a terminal, a plain line every few seconds otherwise."""

    def __init__(
        self, source: str, *, expected: int | None = None, interval: float = 5.0, tty: bool | None = None
    ) -> None:
        self.source = source
        self.expected = expected
        self.interval = interval
        self.out: IO[str] = sys.stderr
        self.tty = self.out.isatty() if tty is None else tty
        self.last = -1e9
        self.drawn = 0
        self.reading_done = False

    def __call__(self, event: ProgressEvent) -> None:
        if self.expected:
            fraction = min(event.records_done / self.expected, 0.99)
        else:
            fraction = event.windows_done / event.windows_total if event.windows_total else 0.0
        eta = event.elapsed_seconds * (1 - fraction) / fraction if fraction > 0 else None
        text = (
            f"{self.source}  {event.records_done:,} records  {event.records_per_second:,.0f}/s  "
            f"{event.windows_done}/{event.windows_total} windows"
        )
        done = event.phase == "evaluate" or (
            event.windows_total > 0 and event.windows_done == event.windows_total
        )
        if self.tty:
            width = 24
            filled = int(width * (1.0 if done else fraction))
            bar = "#" * filled + "-" * (width - filled)
            line = f"{text}  [{bar}] {100 * (1.0 if done else fraction):3.0f}%  ETA {_eta(eta)}"
            self.out.write("\r" + line.ljust(self.drawn))
            self.drawn = len(line)
            self.out.flush()
        elif time.monotonic() - self.last >= self.interval or (done and not self.reading_done):
            self.last = time.monotonic()
            click.echo(f"{text}, ETA {_eta(eta)}", err=True)
        if done and not self.reading_done:
            self.reading_done = True
            self.close()
            click.echo(f"{self.source}  reading done; evaluating customers ...", err=True)

    def close(self) -> None:
        if self.tty and self.drawn:
            self.out.write("\n")
            self.out.flush()
            self.drawn = 0


def _eta(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes}:{rest:02d}"
