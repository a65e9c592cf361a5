"""Persistence behind one :class:`Store` protocol; :func:`open_store` opens the embedded SQLite default.

The store keeps what the shops said (customers, orders, refunds), how far each stream has been read
(checkpoints, finished backfill windows), what could not be read (quarantine), the reward ledger,
referral codes, which customers need evaluating (dirty marks, review times), runs and locks.

Every writing method is one transaction: it happens entirely or not at all. That is what makes sync
safe to kill at any instant — a page's records, its quarantined items, the customers it touched and
the cursor after it are written by one :meth:`Store.apply_page` call. Only this package talks SQL.
"""

from __future__ import annotations

__all__ = [
    "DEFAULT_STORE_NAME",
    "SYNC_SCOPE",
    "AppliedObject",
    "CustomerEvaluation",
    "DueCustomer",
    "LockInfo",
    "PageWrite",
    "QuarantineItem",
    "RecordCounts",
    "RunRecord",
    "Store",
    "StoredHistory",
    "Window",
    "default_store_path",
    "open_store",
]

import os
import socket
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from ..adapter import Cursor, ReadRecord, Record, Stream
from ..domain import Customer, CustomerGroup, Order, Refund
from ..engine.results import IntentKind, LedgerIntent, Redemption
from ..ledger import LedgerEntry
from .applied import AppliedObject

DEFAULT_STORE_NAME = "loyalty.db"
SYNC_SCOPE = "sync"
"""The checkpoint scope of incremental sync (backfill windows have scopes of their own)."""


@dataclass(frozen=True)
class RecordCounts:
    """What happened to the records of one or more pages. Counts add up with ``+``."""

    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    """Already stored with the same (or a newer) change timestamp: skipped."""
    quarantined: int = 0
    resolved: int = 0
    """Quarantined records of which a readable version has now arrived."""
    pages: int = 0

    def __add__(self, other: RecordCounts) -> RecordCounts:
        return RecordCounts(**{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)})

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class PageWrite:
    """One page to commit atomically: its records, its quarantined items and the cursor after it."""

    source: str
    stream: Stream
    scope: str
    """Whose checkpoint moves: ``sync`` or a backfill window's scope."""
    items: Sequence[ReadRecord]
    cursor: Cursor | None
    """The checkpoint after this page; never moves a checkpoint backwards. ``None``: leave it."""
    at: datetime
    run_id: int | None = None
    referral_codes: Mapping[str, str] = field(default_factory=dict)
    """Customer key -> referral code of customers in this page, so referees find their referrer."""


@dataclass(frozen=True)
class Window:
    """A half-open interval ``[since, until)`` of change timestamps."""

    since: datetime
    until: datetime

    def __post_init__(self) -> None:
        if not self.since < self.until:
            raise ValueError(f"empty window: {self.since.isoformat()} is not before {self.until.isoformat()}")


@dataclass(frozen=True)
class QuarantineItem:
    """A record the mapping could not read, with why, its raw payload and its keyset position."""

    source: str
    stream: Stream
    external_id: str
    reason: str
    raw: str | None
    position: Cursor
    first_seen: datetime
    last_seen: datetime
    attempts: int
    retry_requested_at: datetime | None
    resolved_at: datetime | None


@dataclass(frozen=True)
class LockInfo:
    """Who holds a source's lock."""

    source: str
    kind: str
    pid: int
    host: str
    started_at: datetime
    run_id: int | None

    def running_here(self) -> bool:
        """The holder is a live process on this host. (On another host it cannot be checked: a lock
        held there must be assumed alive.)"""
        if self.host != socket.gethostname():
            return False
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:  # alive, owned by another user
            return True
        return True


@dataclass(frozen=True)
class RunRecord:
    """One sync or backfill run as recorded."""

    id: int
    kind: str
    source: str
    started_at: datetime
    finished_at: datetime | None
    status: str
    """``running``, ``ok``, ``failed`` or ``interrupted`` (its process died holding the lock)."""
    counts: Mapping[str, Any]
    error: str | None
    duration_seconds: float | None


@dataclass(frozen=True)
class DueCustomer:
    """A customer to evaluate: marked dirty (``generation`` set) and/or due for a scheduled review."""

    customer_key: str
    generation: int | None
    orders: int = 0
    """How many orders are stored under the key: what loading the customer's history costs."""


@dataclass(frozen=True)
class StoredHistory:
    """Everything stored about one customer key that evaluation needs."""

    customer_key: str
    customer: Customer | None
    """``None`` for guests and for accounts whose customer record has not been synced yet."""
    email: str | None
    orders: tuple[Order, ...]
    """Sorted by ``placed_at``, then external id."""
    refunds: tuple[Refund, ...]
    redemptions: tuple[Redemption, ...]


@dataclass(frozen=True)
class CustomerEvaluation:
    """The outcome of evaluating one customer, written by :meth:`Store.apply_evaluations`."""

    customer_key: str
    generation: int | None
    """The dirty mark that was evaluated; cleared only if no newer page has re-marked the customer."""
    intents: Sequence[LedgerIntent]
    referral_code: str | None
    next_review_at: datetime | None


@runtime_checkable
class Store(Protocol):
    """The state store. Safe to share between threads; each thread gets its own connection."""

    @property
    def path(self) -> str: ...

    def close(self) -> None:
        """Close every connection."""
        ...

    # runs and locks
    def begin_run(self, kind: str, source: str, at: datetime) -> int:
        """Take ``source``'s lock and record a running run; :class:`ConflictError` if the lock is held."""
        ...

    def end_run(
        self,
        run_id: int,
        *,
        status: str,
        at: datetime,
        counts: Mapping[str, Any],
        error: str | None = None,
        duration_seconds: float | None = None,
    ) -> None:
        """Record how the run ended and release its lock."""
        ...

    def lock_of(self, source: str) -> LockInfo | None: ...

    def break_lock(self, source: str) -> LockInfo | None:
        """Remove ``source``'s lock whoever holds it (an operator's decision); return what was removed."""
        ...

    def runs(self, source: str | None = None, *, limit: int = 20) -> list[RunRecord]:
        """The latest runs, newest first."""
        ...

    # checkpoints and windows
    def checkpoint(self, source: str, stream: Stream, scope: str) -> Cursor | None: ...

    def finished_windows(self, source: str, stream: Stream, backfill_id: str) -> list[Window]: ...

    def finish_window(
        self,
        source: str,
        stream: Stream,
        backfill_id: str,
        window: Window,
        *,
        scope: str,
        records: int,
        at: datetime,
        run_id: int | None,
    ) -> None:
        """Record a finished window and drop its checkpoint, in one transaction."""
        ...

    def reset_backfill(self, source: str, backfill_id: str) -> None:
        """Forget a backfill's finished windows and window checkpoints, so it reads everything again."""
        ...

    # pages
    def apply_page(self, page: PageWrite) -> RecordCounts:
        """Upsert, quarantine, mark touched customers dirty and move the checkpoint: one transaction."""
        ...

    def classify(self, source: str, stream: Stream, items: Sequence[ReadRecord]) -> RecordCounts:
        """What :meth:`apply_page` would do with ``items``, writing nothing (for dry runs)."""
        ...

    def records(self, source: str, stream: Stream) -> Iterator[Record]:
        """Every stored record of a stream, by external id."""
        ...

    def customer_keys_by_email(self, source: str, email: str) -> list[str]:
        """Keys of the customers (with an account) of ``source`` whose e-mail is ``email``, compared
        trimmed and lower-cased as the shops do; an index lookup, not a scan."""
        ...

    # quarantine
    def quarantined(
        self, source: str | None = None, *, stream: Stream | None = None, include_resolved: bool = False
    ) -> list[QuarantineItem]: ...

    def retry_quarantined(
        self,
        source: str,
        *,
        stream: Stream | None = None,
        external_ids: Collection[str] | None = None,
        at: datetime,
    ) -> dict[Stream, Cursor]:
        """Mark open quarantined records for retry and rewind each stream's sync checkpoint before them."""
        ...

    # evaluation
    def due_customers(self, source: str, now: datetime, *, after: str, limit: int) -> list[DueCustomer]:
        """Dirty customers and customers whose review is due, keys after ``after``, in key order,
        each with the number of orders stored under its key (what loading its history costs)."""
        ...

    def histories(self, source: str, customer_keys: Collection[str]) -> dict[str, StoredHistory]: ...

    def referral_codes(self, source: str, customer_keys: Collection[str]) -> dict[str, str]: ...

    def referee_keys(self, source: str, codes: Collection[str]) -> dict[str, tuple[str, ...]]:
        """Referral code (as given) -> keys of the customers and guests whose orders used it."""
        ...

    def apply_evaluations(
        self,
        source: str,
        evaluations: Sequence[CustomerEvaluation],
        *,
        at: datetime,
        run_id: int | None,
    ) -> int:
        """Insert new ledger entries, codes and review times, clear the evaluated marks; entries added."""
        ...

    # ledger
    def record_intents(self, source: str, intents: Sequence[LedgerIntent], *, at: datetime) -> int:
        """Record entries from outside a run (redemptions) and mark their customers dirty."""
        ...

    def ledger_entries(
        self,
        source: str | None = None,
        customer_key: str | None = None,
        *,
        kinds: Collection[IntentKind] | None = None,
        keys: Collection[str] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int | None = None,
    ) -> list[LedgerEntry]: ...

    def points_totals(self, source: str, customer_key: str, at: datetime) -> tuple[int, int]:
        """(available, pending) points at ``at``."""
        ...

    # customer groups
    def record_groups(self, source: str, groups: Sequence[CustomerGroup], *, at: datetime) -> None:
        """Remember the shop's customer groups as just read (upserted; groups are never forgotten)."""
        ...

    def customer_groups(self, source: str) -> list[CustomerGroup]:
        """The customer groups of ``source`` as last read from the shop, by shop id."""
        ...

    # plan / apply
    def applied_objects(self, source: str, *, kinds: Collection[str] | None = None) -> list[AppliedObject]:
        """What ``rules apply`` last wrote to the shop of ``source``, by kind and key."""
        ...

    def record_applied(
        self,
        source: str,
        objects: Sequence[AppliedObject],
        *,
        removed: Collection[tuple[str, str]] = (),
        at: datetime,
    ) -> None:
        """Record written objects and forget ``(kind, key)`` pairs removed from the shop: one transaction."""
        ...


def default_store_path(program_path: str | os.PathLike[str]) -> Path:
    """Where the store lives unless told otherwise: ``loyalty.db`` next to the programme file."""
    return Path(program_path).resolve().parent / DEFAULT_STORE_NAME


def open_store(path: str | os.PathLike[str], *, busy_timeout: float = 30.0) -> Store:
    """Open (creating and migrating as needed) the SQLite store at ``path``."""
    from .sqlite import SqliteStore

    return SqliteStore(path, busy_timeout=busy_timeout)
