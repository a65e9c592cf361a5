"""Runs and per-source locks, inside the caller's transaction.

Each sync or backfill takes its source's lock (holder pid, host and start time) and records a run
row, in one transaction, so two runs of one source never overlap. A lock whose holder is a dead
process on this host is stale: the next run takes it over with a warning and marks the dead run
``interrupted``. A lock held from another host is never guessed about; an operator removes it.
"""

from __future__ import annotations

__all__ = ["finish_run", "list_runs", "read_lock", "remove_lock", "take_lock"]

import json
import logging
import os
import socket
import sqlite3
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ..errors import ConflictError
from . import LockInfo, RunRecord
from .rows import parse_ts, parse_ts_or_none, ts

logger = logging.getLogger(__name__)


def _lock(row: sqlite3.Row) -> LockInfo:
    return LockInfo(
        source=row["source"],
        kind=row["kind"],
        pid=row["pid"],
        host=row["host"],
        started_at=parse_ts(row["started_at"]),
        run_id=row["run_id"],
    )


def read_lock(conn: sqlite3.Connection, source: str) -> LockInfo | None:
    row = conn.execute("SELECT * FROM locks WHERE source = ?", (source,)).fetchone()
    return None if row is None else _lock(row)


def take_lock(conn: sqlite3.Connection, kind: str, source: str, at: datetime) -> int:
    """Lock ``source`` for this process and record a running run; return the run id."""
    pid, host = os.getpid(), socket.gethostname()
    held = read_lock(conn, source)
    if held is not None:
        if held.host != host or held.running_here():
            raise ConflictError(
                f"another {held.kind} of source {source} is running (pid {held.pid} on {held.host} "
                f"since {held.started_at.isoformat()}); wait for it or remove a stale lock with "
                f"`loyalty-connector unlock {source}`"
            )
        logger.warning(
            "taking over the stale lock of source %s: its %s (pid %d since %s) is no longer running",
            source,
            held.kind,
            held.pid,
            held.started_at.isoformat(),
        )
        remove_lock(conn, source, at)
    run_id = conn.execute(
        "INSERT INTO runs (kind, source, started_at, status, pid, host) VALUES (?, ?, ?, 'running', ?, ?)",
        (kind, source, ts(at), pid, host),
    ).lastrowid
    assert run_id is not None
    conn.execute(
        "INSERT INTO locks (source, kind, pid, host, started_at, run_id) VALUES (?, ?, ?, ?, ?, ?)",
        (source, kind, pid, host, ts(at), run_id),
    )
    return run_id


def remove_lock(conn: sqlite3.Connection, source: str, at: datetime) -> LockInfo | None:
    """Drop ``source``'s lock and mark the run that held it ``interrupted``; return what was removed."""
    held = read_lock(conn, source)
    if held is None:
        return None
    conn.execute("DELETE FROM locks WHERE source = ?", (source,))
    conn.execute(
        "UPDATE runs SET status = 'interrupted', finished_at = ? WHERE id = ? AND status = 'running'",
        (ts(at), held.run_id),
    )
    return held


def finish_run(
    conn: sqlite3.Connection,
    run_id: int,
    *,
    status: str,
    at: datetime,
    counts: Mapping[str, Any],
    error: str | None,
    duration_seconds: float | None,
) -> None:
    """Record how the run ended and release the lock it holds."""
    conn.execute(
        "UPDATE runs SET status = ?, finished_at = ?, counts = ?, error = ?, duration_seconds = ? "
        "WHERE id = ?",
        (status, ts(at), json.dumps(counts, sort_keys=True), error, duration_seconds, run_id),
    )
    conn.execute("DELETE FROM locks WHERE run_id = ?", (run_id,))


def list_runs(conn: sqlite3.Connection, source: str | None, limit: int) -> list[RunRecord]:
    rows = conn.execute(
        "SELECT * FROM runs WHERE ? IS NULL OR source = ? ORDER BY id DESC LIMIT ?", (source, source, limit)
    ).fetchall()
    return [
        RunRecord(
            id=row["id"],
            kind=row["kind"],
            source=row["source"],
            started_at=parse_ts(row["started_at"]),
            finished_at=parse_ts_or_none(row["finished_at"]),
            status=row["status"],
            counts=json.loads(row["counts"]) if row["counts"] else {},
            error=row["error"],
            duration_seconds=row["duration_seconds"],
        )
        for row in rows
    ]
