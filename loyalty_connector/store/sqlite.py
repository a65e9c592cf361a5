"""The embedded default store: one SQLite file in WAL mode, one connection per thread.

WAL lets readers (a report, ``ledger show``) run while a sync writes; ``busy_timeout`` makes a
writer wait for another one instead of failing at once; foreign keys are on. Every writing method
runs in one ``BEGIN IMMEDIATE`` transaction and rolls back entirely on any error, so nothing is ever
half-written. SQLite failures become a :class:`~loyalty_connector.errors.StoreError` with one line
saying what happened (locked too long, disk full, corrupt file) and what to do.
"""

from __future__ import annotations

__all__ = ["SqliteStore"]

import logging
import os
import sqlite3
import threading
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any

from ..adapter import Cursor, ReadRecord, Record, Stream
from ..domain import CustomerGroup, normalize_email
from ..engine.results import IntentKind, LedgerIntent
from ..errors import StoreError
from ..ledger import LedgerEntry
from . import (
    AppliedObject,
    CustomerEvaluation,
    DueCustomer,
    LockInfo,
    PageWrite,
    QuarantineItem,
    RecordCounts,
    RunRecord,
    StoredHistory,
    Window,
)
from . import applied as applied_rows
from . import evaluations as evaluation_rows
from . import pages as page_writes
from . import quarantine as quarantine_rows
from . import runs as run_rows
from .history import load_histories
from .rows import TABLES, decode_record, ledger_entry, parse_ts, ts
from .schema import migrate

logger = logging.getLogger(__name__)

WAL_CHECKPOINT_PAGES = 8000
"""WAL pages (4 KiB each) after which a commit checkpoints the WAL into the database file."""
WAL_SIZE_LIMIT = 64 * 1024 * 1024
"""Bytes the WAL file is truncated to after a checkpoint, when it grew past them."""


class SqliteStore:
    """The :class:`~loyalty_connector.store.Store` on a SQLite file (created and migrated on open)."""

    def __init__(self, path: str | os.PathLike[str], *, busy_timeout: float = 30.0) -> None:
        self._path = os.fspath(path)
        self._busy_timeout = busy_timeout
        self._local = threading.local()
        self._guard = threading.Lock()
        self._connections: list[sqlite3.Connection] = []
        self._closed = False
        conn = self._conn()
        with self._errors("opening"):
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise StoreError(f"the state database {self._path} cannot use WAL mode (got {mode})")
            migrate(conn, self._path)

    @property
    def path(self) -> str:
        return self._path

    # connections, transactions, errors

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None:
            return conn
        if self._closed:
            raise StoreError(f"the state database {self._path} was closed")
        with self._errors("opening"):
            conn = sqlite3.connect(
                self._path, timeout=self._busy_timeout, isolation_level=None, check_same_thread=False
            )
            conn.row_factory = sqlite3.Row
            conn.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout * 1000)}")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA synchronous = NORMAL")
            # Checkpoint the WAL every ~32 MB instead of SQLite's 4 MB: a checkpoint syncs the file,
            # and a page of orders dirties index pages all over a large store, so with 4 MB a
            # 100,000-order backfill checkpointed every few pages and spent most of each commit
            # there (commits 2-2.5x cheaper at that size). Durability is unchanged; the WAL file
            # is cut back to 64 MB after a checkpoint.
            conn.execute(f"PRAGMA wal_autocheckpoint = {WAL_CHECKPOINT_PAGES}")
            conn.execute(f"PRAGMA journal_size_limit = {WAL_SIZE_LIMIT}")
        with self._guard:
            self._connections.append(conn)
        self._local.conn = conn
        return conn

    def close(self) -> None:
        with self._guard:
            self._closed = True
            connections, self._connections = self._connections, []
        for conn in connections:
            conn.close()
        self._local = threading.local()

    def _error(self, exc: sqlite3.Error, action: str) -> StoreError:
        text = str(exc)
        lowered = text.lower()
        where = f"the state database {self._path}"
        if "locked" in lowered or "busy" in lowered:
            message = (
                f"{where} stayed locked by another process for more than {self._busy_timeout:g} s while "
                f"{action}; nothing was written: retry when the other process is done"
            )
        elif "full" in lowered:
            message = (
                f"no space left for {where} while {action}; nothing was written: free disk space and rerun"
            )
        elif "malformed" in lowered or "not a database" in lowered or "encrypted" in lowered:
            message = (
                f"{where} is corrupt or not a loyalty-connector database ({text}); "
                "restore it from a backup or move it aside"
            )
        elif "readonly" in lowered or "read-only" in lowered:
            message = f"{where} is read-only while {action}; nothing was written: check its permissions"
        elif "unable to open" in lowered:
            message = f"cannot open {where}: {text} (does the directory exist and is it writable?)"
        else:
            message = f"{where} failed while {action}: {text}; nothing was written"
        return StoreError(message)

    @contextmanager
    def _errors(self, action: str) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            raise self._error(exc, action) from exc

    @contextmanager
    def _write(self, action: str) -> Iterator[sqlite3.Connection]:
        """One ``BEGIN IMMEDIATE`` transaction: committed at the end, rolled back on any exception."""
        conn = self._conn()
        with self._errors(action):
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

    @contextmanager
    def _read(self, action: str) -> Iterator[sqlite3.Connection]:
        """A read transaction: every query inside sees the same snapshot."""
        conn = self._conn()
        with self._errors(action):
            conn.execute("BEGIN")
            try:
                yield conn
            finally:
                if conn.in_transaction:
                    conn.execute("COMMIT")

    # runs and locks

    def begin_run(self, kind: str, source: str, at: datetime) -> int:
        with self._write("taking the lock") as conn:
            return run_rows.take_lock(conn, kind, source, at)

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
        with self._write("recording the end of the run") as conn:
            run_rows.finish_run(
                conn,
                run_id,
                status=status,
                at=at,
                counts=counts,
                error=error,
                duration_seconds=duration_seconds,
            )

    def lock_of(self, source: str) -> LockInfo | None:
        with self._read("reading the lock") as conn:
            return run_rows.read_lock(conn, source)

    def break_lock(self, source: str) -> LockInfo | None:
        with self._write("removing the lock") as conn:
            held = run_rows.remove_lock(conn, source, datetime.now(timezone.utc))
        if held is not None:
            logger.warning("removed the lock of source %s held by pid %d on %s", source, held.pid, held.host)
        return held

    def runs(self, source: str | None = None, *, limit: int = 20) -> list[RunRecord]:
        with self._read("listing runs") as conn:
            return run_rows.list_runs(conn, source, limit)

    # checkpoints and windows

    def checkpoint(self, source: str, stream: Stream, scope: str) -> Cursor | None:
        with self._read("reading a checkpoint") as conn:
            row = conn.execute(
                "SELECT changed_at, tiebreak FROM checkpoints WHERE source = ? AND stream = ? AND scope = ?",
                (source, stream.value, scope),
            ).fetchone()
        return None if row is None else Cursor(parse_ts(row[0]), row[1])

    def finished_windows(self, source: str, stream: Stream, backfill_id: str) -> list[Window]:
        with self._read("reading backfill windows") as conn:
            rows = conn.execute(
                "SELECT since, until FROM backfill_windows "
                "WHERE source = ? AND stream = ? AND backfill_id = ? ORDER BY since",
                (source, stream.value, backfill_id),
            ).fetchall()
        return [Window(parse_ts(row[0]), parse_ts(row[1])) for row in rows]

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
        with self._write("recording a finished backfill window") as conn:
            conn.execute(
                "INSERT OR REPLACE INTO backfill_windows (source, stream, backfill_id, since, until, "
                "records, finished_at, run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    source,
                    stream.value,
                    backfill_id,
                    ts(window.since),
                    ts(window.until),
                    records,
                    ts(at),
                    run_id,
                ),
            )
            conn.execute(
                "DELETE FROM checkpoints WHERE source = ? AND stream = ? AND scope = ?",
                (source, stream.value, scope),
            )

    def reset_backfill(self, source: str, backfill_id: str) -> None:
        with self._write("resetting a backfill") as conn:
            conn.execute(
                "DELETE FROM backfill_windows WHERE source = ? AND backfill_id = ?", (source, backfill_id)
            )
            conn.execute(
                "DELETE FROM checkpoints WHERE source = ? AND scope LIKE ? ESCAPE '\\'",
                (source, _like_prefix(f"backfill:{backfill_id}:")),
            )

    # pages

    def apply_page(self, page: PageWrite) -> RecordCounts:
        with self._write(f"committing a page of {page.stream.value}") as conn:
            return page_writes.write_page(conn, page)

    def classify(self, source: str, stream: Stream, items: Sequence[ReadRecord]) -> RecordCounts:
        with self._read(f"reading {stream.value}") as conn:
            return page_writes.classify(conn, source, stream, items)

    def records(self, source: str, stream: Stream) -> Iterator[Record]:
        table = TABLES[stream]
        after = ""
        while True:
            with self._read(f"reading {stream.value}") as conn:
                rows = conn.execute(
                    f"SELECT external_id, data FROM {table} WHERE source = ? AND external_id > ? "  # noqa: S608
                    "ORDER BY external_id LIMIT 500",
                    (source, after),
                ).fetchall()
            if not rows:
                return
            for row in rows:
                yield decode_record(stream, row["data"])
            after = rows[-1]["external_id"]

    def customer_keys_by_email(self, source: str, email: str) -> list[str]:
        with self._read("finding customers by e-mail") as conn:
            rows = conn.execute(
                "SELECT customer_key FROM customers WHERE source = ? AND email = ? ORDER BY customer_key",
                (source, normalize_email(email)),
            ).fetchall()
        return [row["customer_key"] for row in rows]

    # quarantine

    def quarantined(
        self, source: str | None = None, *, stream: Stream | None = None, include_resolved: bool = False
    ) -> list[QuarantineItem]:
        with self._read("listing quarantined records") as conn:
            return quarantine_rows.list_quarantined(conn, source, stream, include_resolved)

    def retry_quarantined(
        self,
        source: str,
        *,
        stream: Stream | None = None,
        external_ids: Collection[str] | None = None,
        at: datetime,
    ) -> dict[Stream, Cursor]:
        with self._write("requesting a quarantine retry") as conn:
            return quarantine_rows.request_retry(conn, source, stream, external_ids, at)

    # evaluation

    def due_customers(self, source: str, now: datetime, *, after: str, limit: int) -> list[DueCustomer]:
        with self._read("listing customers to evaluate") as conn:
            return evaluation_rows.due_customers(conn, source, now, after, limit)

    def histories(self, source: str, customer_keys: Collection[str]) -> dict[str, StoredHistory]:
        with self._read("loading customer histories") as conn:
            return load_histories(conn, source, sorted(set(customer_keys)))

    def referral_codes(self, source: str, customer_keys: Collection[str]) -> dict[str, str]:
        with self._read("reading referral codes") as conn:
            return evaluation_rows.referral_codes(conn, source, sorted(set(customer_keys)))

    def referee_keys(self, source: str, codes: Collection[str]) -> dict[str, tuple[str, ...]]:
        with self._read("finding referees") as conn:
            return evaluation_rows.referee_keys(conn, source, codes)

    def apply_evaluations(
        self,
        source: str,
        evaluations: Sequence[CustomerEvaluation],
        *,
        at: datetime,
        run_id: int | None,
    ) -> int:
        with self._write("recording ledger entries") as conn:
            return evaluation_rows.write_evaluations(conn, source, evaluations, at, run_id)

    # ledger

    def record_intents(self, source: str, intents: Sequence[LedgerIntent], *, at: datetime) -> int:
        with self._write("recording ledger entries by hand") as conn:
            added = evaluation_rows.insert_intents(conn, intents, at, None)
            page_writes.mark_dirty(conn, source, {intent.customer_key for intent in intents}, ts(at))
        return added

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
    ) -> list[LedgerEntry]:
        where = ["(? IS NULL OR source = ?)", "(? IS NULL OR customer_key = ?)"]
        params: list[Any] = [source, source, customer_key, customer_key]
        if kinds is not None:
            where.append(f"kind IN ({','.join('?' * len(kinds))})")
            params.extend(kind.value for kind in kinds)
        if keys is not None:
            where.append(f"key IN ({','.join('?' * len(keys))})")
            params.extend(keys)
        if since is not None:
            where.append("effective_at >= ?")
            params.append(ts(since))
        if until is not None:
            where.append("effective_at < ?")
            params.append(ts(until))
        params.append(-1 if limit is None else limit)
        with self._read("reading the ledger") as conn:
            rows = conn.execute(
                f"SELECT * FROM ledger WHERE {' AND '.join(where)} ORDER BY effective_at, id LIMIT ?",  # noqa: S608
                params,
            ).fetchall()
        return [ledger_entry(row) for row in rows]

    def points_totals(self, source: str, customer_key: str, at: datetime) -> tuple[int, int]:
        moment = ts(at)
        with self._read("summing points") as conn:
            row = conn.execute(
                "SELECT "
                "COALESCE(SUM(CASE WHEN available_at IS NULL OR available_at <= ? THEN points END), 0), "
                "COALESCE(SUM(CASE WHEN available_at > ? THEN points END), 0) "
                "FROM ledger WHERE source = ? AND customer_key = ? AND effective_at <= ?",
                (moment, moment, source, customer_key, moment),
            ).fetchone()
        return int(row[0]), int(row[1])

    # plan / apply

    def record_groups(self, source: str, groups: Sequence[CustomerGroup], *, at: datetime) -> None:
        with self._write("recording customer groups") as conn:
            conn.executemany(
                "INSERT INTO customer_groups (source, external_id, code, name, synced_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (source, external_id) DO UPDATE SET "
                "code = excluded.code, name = excluded.name, synced_at = excluded.synced_at",
                [(source, g.external_id, g.code, g.name, ts(at)) for g in groups],
            )

    def customer_groups(self, source: str) -> list[CustomerGroup]:
        with self._read("reading customer groups") as conn:
            rows = conn.execute(
                "SELECT external_id, code, name FROM customer_groups WHERE source = ? ORDER BY external_id",
                (source,),
            ).fetchall()
        return [
            CustomerGroup(source=source, external_id=row["external_id"], code=row["code"], name=row["name"])
            for row in rows
        ]

    def applied_objects(self, source: str, *, kinds: Collection[str] | None = None) -> list[AppliedObject]:
        with self._read("reading applied objects") as conn:
            return applied_rows.list_applied(conn, source, kinds)

    def record_applied(
        self,
        source: str,
        objects: Sequence[AppliedObject],
        *,
        removed: Collection[tuple[str, str]] = (),
        at: datetime,
    ) -> None:
        with self._write("recording applied objects") as conn:
            applied_rows.forget_applied(conn, source, removed)
            applied_rows.record_applied(conn, source, objects, at)


def _like_prefix(prefix: str) -> str:
    """A ``LIKE ... ESCAPE '\\'`` pattern matching text that starts with ``prefix``."""
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"
