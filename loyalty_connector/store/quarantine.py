"""Listing quarantined records and asking the next sync to read them again.

Adapters read by cursor only, so a quarantined record cannot be fetched by id. A retry marks the
records and rewinds each stream's sync checkpoint to just before the earliest of them,
``Cursor(changed_at, tiebreak - 1)``: the next sync maps them again (resolved when readable now)
and re-reads everything after them as unchanged records, which writes nothing.
"""

from __future__ import annotations

__all__ = ["list_quarantined", "request_retry"]

import sqlite3
from collections.abc import Collection
from datetime import datetime

from ..adapter import Cursor, Stream
from . import SYNC_SCOPE, QuarantineItem
from .rows import parse_ts, parse_ts_or_none, ts


def _item(row: sqlite3.Row) -> QuarantineItem:
    return QuarantineItem(
        source=row["source"],
        stream=Stream(row["stream"]),
        external_id=row["external_id"],
        reason=row["reason"],
        raw=row["raw"],
        position=Cursor(parse_ts(row["changed_at"]), row["tiebreak"]),
        first_seen=parse_ts(row["first_seen"]),
        last_seen=parse_ts(row["last_seen"]),
        attempts=row["attempts"],
        retry_requested_at=parse_ts_or_none(row["retry_requested_at"]),
        resolved_at=parse_ts_or_none(row["resolved_at"]),
    )


def list_quarantined(
    conn: sqlite3.Connection, source: str | None, stream: Stream | None, include_resolved: bool
) -> list[QuarantineItem]:
    name = None if stream is None else stream.value
    rows = conn.execute(
        "SELECT * FROM quarantine WHERE (? IS NULL OR source = ?) AND (? IS NULL OR stream = ?) "
        "AND (? OR resolved_at IS NULL) ORDER BY source, stream, changed_at, tiebreak",
        (source, source, name, name, include_resolved),
    ).fetchall()
    return [_item(row) for row in rows]


def request_retry(
    conn: sqlite3.Connection,
    source: str,
    stream: Stream | None,
    external_ids: Collection[str] | None,
    at: datetime,
) -> dict[Stream, Cursor]:
    """Mark open quarantined records for retry and rewind their streams' sync checkpoints before them."""
    wanted = None if external_ids is None else set(external_ids)
    items = [
        item
        for item in list_quarantined(conn, source, stream, include_resolved=False)
        if wanted is None or item.external_id in wanted
    ]
    conn.executemany(
        "UPDATE quarantine SET retry_requested_at = ? WHERE source = ? AND stream = ? AND external_id = ?",
        [(ts(at), source, item.stream.value, item.external_id) for item in items],
    )
    rewound: dict[Stream, Cursor] = {}
    for item in items:
        before = Cursor(item.position.changed_at, item.position.tiebreak - 1)
        if item.stream not in rewound or before < rewound[item.stream]:
            rewound[item.stream] = before
    for name, cursor in rewound.items():
        position = (ts(cursor.changed_at), cursor.tiebreak)
        conn.execute(
            "UPDATE checkpoints SET changed_at = ?, tiebreak = ?, updated_at = ? "
            "WHERE source = ? AND stream = ? AND scope = ? AND (changed_at, tiebreak) > (?, ?)",
            (*position, ts(at), source, name.value, SYNC_SCOPE, *position),
        )
    return rewound
