"""What the demo runs with and what it reports: its settings, one event per finished step, the result.

:func:`~loyalty_connector.demo.run_demo` emits a :data:`DemoEvent` as each step finishes (so the CLI
can print while the demo runs) and returns a :class:`DemoResult` holding them all.
"""

from __future__ import annotations

__all__ = [
    "DEMO_REFERRAL_SECRET",
    "DEMO_SINCE",
    "BackfillDone",
    "ChangeCounts",
    "ChangesMade",
    "DemoEvent",
    "DemoResult",
    "DemoSettings",
    "ProgrammeApplied",
    "ShopInfo",
    "ShopsStarted",
    "Summarized",
    "SyncDone",
]

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from ..ledger import LedgerEntry
from ..summary import CartReplay, LedgerSummary
from ..sync import BackfillReport, SyncReport

DEMO_REFERRAL_SECRET = b"loyalty-connector demo secret - never use it for a real programme"
"""The referral and coupon secret of the demo, passed in-process. A real programme's secrets come from
the environment (``referrals.code_secret_env``, ``LOYALTY_COUPON_SECRET``) and are never stored."""
DEMO_SINCE = datetime(2020, 1, 1, tzinfo=timezone.utc)
"""Where the demo backfill starts: before the sandboxes' oldest record, so it covers them all."""


@dataclass(frozen=True)
class DemoSettings:
    """What to run: shop sizes (per shop), which adapters, where the store lives, evaluation time."""

    program_path: Path | None = None
    """The programme file; ``None``: the sample programme shipped in the package
    (:func:`~loyalty_connector.demo.sample_program`)."""
    seed: int = 7
    customers: int = 1500
    orders: int = 10000
    adapters: tuple[str, ...] = ("magento", "shopware")
    store: Path | None = None
    """Keep the state here; ``None``: a temporary store removed at the end."""
    now: datetime | None = None
    """Evaluation instant; ``None``: the wall clock (UTC)."""
    workers: int = 1


@dataclass(frozen=True)
class ShopInfo:
    """One sandbox shop of the demo: its source name, adapter, URL and seeded size."""

    source: str
    adapter: str
    base_url: str
    customers: int
    orders: int


@dataclass(frozen=True)
class ShopsStarted:
    """Step 1 done: the shops run and the store is open."""

    shops: tuple[ShopInfo, ...]
    missing: tuple[str, ...]
    """Requested adapters that are not installed or ship no sandbox."""
    store_path: str
    kept: bool
    seconds: float


@dataclass(frozen=True)
class BackfillDone:
    """Step 2 done for one shop."""

    report: BackfillReport


@dataclass(frozen=True)
class Summarized:
    """Step 3 done: what each rule did."""

    ledger: LedgerSummary
    replay: CartReplay
    seconds: float


@dataclass(frozen=True)
class ChangeCounts:
    """Changes of one kind: planned creates, updates and deletes, and how many applied or failed."""

    kind: str
    create: int = 0
    update: int = 0
    delete: int = 0
    ok: int = 0
    failed: int = 0


@dataclass(frozen=True)
class ProgrammeApplied:
    """Step 4 done for one shop: the programme planned and applied, then planned once more."""

    source: str
    kinds: tuple[ChangeCounts, ...]
    not_attempted: int
    stopped: str | None
    warnings: tuple[str, ...]
    after: Mapping[str, int]
    """``{"create": n, "update": n, "delete": n}`` of the plan made right after ``apply``: all 0."""
    plan_seconds: float
    apply_seconds: float

    @property
    def ok(self) -> bool:
        return not self.not_attempted and self.stopped is None and not any(k.failed for k in self.kinds)


@dataclass(frozen=True)
class ChangesMade:
    """Step 5 begun for one shop: the records changed in it, described."""

    source: str
    changes: tuple[str, ...]
    first: bool = False
    """The first shop's changes: the step's heading goes before them."""


@dataclass(frozen=True)
class SyncDone:
    """Step 5 done for one shop: the incremental sync and the ledger entries it added."""

    report: SyncReport
    entries: tuple[LedgerEntry, ...]
    """Ledger entries this sync added."""


DemoEvent = ShopsStarted | BackfillDone | Summarized | ProgrammeApplied | ChangesMade | SyncDone


@dataclass(frozen=True)
class DemoResult:
    """Everything the demo did, step by step, with timings."""

    program: str
    now: datetime
    started: ShopsStarted
    backfills: tuple[BackfillReport, ...]
    summary: Summarized
    applied: tuple[ProgrammeApplied, ...]
    changes: tuple[ChangesMade, ...]
    syncs: tuple[SyncDone, ...]
    seconds: float
    timings: tuple[tuple[str, float], ...] = field(default=())
