"""What a sync or backfill reports: per-stream record counts, evaluation counts, progress events.

Reports are plain frozen dataclasses the CLI renders as text or JSON; ``as_dict`` is also what the
store keeps in the run's ``counts``. A report with quarantined records is a partial success: the CLI
exits 3 so cron notices.
"""

from __future__ import annotations

__all__ = ["BackfillReport", "EvaluationReport", "ProgressCallback", "ProgressEvent", "SyncReport"]

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..adapter import Stream
from ..store import RecordCounts


@dataclass(frozen=True)
class EvaluationReport:
    """What evaluating dirty and due customers did."""

    customers_evaluated: int = 0
    ledger_entries_added: int = 0
    failed: tuple[str, ...] = ()
    """Customer keys whose evaluation raised; they stay marked and are retried by the next run."""

    def __add__(self, other: EvaluationReport) -> EvaluationReport:
        return EvaluationReport(
            self.customers_evaluated + other.customers_evaluated,
            self.ledger_entries_added + other.ledger_entries_added,
            self.failed + other.failed,
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "customers_evaluated": self.customers_evaluated,
            "ledger_entries_added": self.ledger_entries_added,
            "evaluation_failures": list(self.failed),
        }


class _Totals:
    streams: Mapping[Stream, RecordCounts]
    evaluation: EvaluationReport

    @property
    def totals(self) -> RecordCounts:
        """The counts of every stream added up."""
        total = RecordCounts()
        for counts in self.streams.values():
            total = total + counts
        return total

    @property
    def quarantined(self) -> int:
        return self.totals.quarantined

    @property
    def ledger_entries_added(self) -> int:
        return self.evaluation.ledger_entries_added

    @property
    def customers_evaluated(self) -> int:
        return self.evaluation.customers_evaluated

    def _common(self) -> dict[str, Any]:
        return {
            "streams": {stream.value: counts.as_dict() for stream, counts in sorted(self.streams.items())},
            **self.evaluation.as_dict(),
        }


@dataclass(frozen=True)
class SyncReport(_Totals):
    """The outcome of one incremental sync of one source."""

    source: str
    run_id: int
    streams: Mapping[Stream, RecordCounts]
    evaluation: EvaluationReport
    started_at: datetime
    duration_seconds: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": "sync",
            "source": self.source,
            "run_id": self.run_id,
            "started_at": self.started_at.isoformat(),
            "duration_seconds": round(self.duration_seconds, 3),
            **self._common(),
        }


@dataclass(frozen=True)
class BackfillReport(_Totals):
    """The outcome of one backfill of ``[since, until)`` of one source."""

    source: str
    run_id: int | None
    """``None`` for a dry run, which records nothing."""
    backfill_id: str
    since: datetime
    until: datetime
    streams: Mapping[Stream, RecordCounts]
    evaluation: EvaluationReport
    windows_total: int
    """Windows (per stream) this run had to read: the gaps left by earlier runs."""
    windows_done: int
    windows_skipped: int
    """Windows already finished by an earlier run of the same backfill."""
    dry_run: bool
    started_at: datetime
    duration_seconds: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": "backfill",
            "source": self.source,
            "run_id": self.run_id,
            "backfill_id": self.backfill_id,
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "windows_total": self.windows_total,
            "windows_done": self.windows_done,
            "windows_skipped": self.windows_skipped,
            "dry_run": self.dry_run,
            "started_at": self.started_at.isoformat(),
            "duration_seconds": round(self.duration_seconds, 3),
            **self._common(),
        }


@dataclass(frozen=True)
class ProgressEvent:
    """A progress tick after each committed page (and when evaluation starts), for a bar or log lines."""

    source: str
    phase: str
    """``read`` while pages are read, ``evaluate`` when customers are being evaluated."""
    stream: Stream | None
    records_done: int
    records_per_second: float
    windows_done: int
    """Backfill windows finished; for a sync, streams finished."""
    windows_total: int
    elapsed_seconds: float


ProgressCallback = Callable[[ProgressEvent], None]
"""Called after each page; during a backfill from worker threads, one call at a time."""
