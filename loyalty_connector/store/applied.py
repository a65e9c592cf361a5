"""What ``rules apply`` last wrote to a shop: one row per managed object (kind, key) of a source.

A row holds the fields that were sent (JSON; Decimals and timestamps as exact strings), the shop's
id for the object and the planner's notes. ``rules plan`` compares the rows with the shop to report
drift (objects changed by hand) and deletes only objects that have a row: an object loyalty-connector
never wrote is never removed.
"""

from __future__ import annotations

__all__ = ["AppliedObject", "forget_applied", "list_applied", "record_applied"]

import json
import sqlite3
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from .rows import parse_ts, ts


@dataclass(frozen=True)
class AppliedObject:
    """A managed object as loyalty-connector last wrote it to the shop."""

    kind: str
    key: str
    fields: Mapping[str, Any]
    shop_id: str | None = None
    notes: Mapping[str, str] = field(default_factory=dict)
    """Facts the planner keeps with the object, e.g. ``home_group_id`` of a group assignment."""
    applied_at: datetime | None = None


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"cannot store {type(value).__name__} in applied_objects")


def _json(value: Mapping[str, Any]) -> str:
    return json.dumps(dict(value), default=_plain, sort_keys=True, ensure_ascii=False)


def list_applied(conn: sqlite3.Connection, source: str, kinds: Collection[str] | None) -> list[AppliedObject]:
    """Every recorded object of ``source`` (of ``kinds``), by kind and key."""
    where, params = "source = ?", [source]
    if kinds is not None:
        where += f" AND kind IN ({','.join('?' * len(kinds))})"
        params.extend(kinds)
    rows = conn.execute(
        f"SELECT kind, key, fields, shop_id, notes, applied_at FROM applied_objects WHERE {where} "  # noqa: S608
        "ORDER BY kind, key",
        params,
    ).fetchall()
    return [
        AppliedObject(
            kind=row["kind"],
            key=row["key"],
            fields=json.loads(row["fields"]),
            shop_id=row["shop_id"],
            notes=json.loads(row["notes"]),
            applied_at=parse_ts(row["applied_at"]),
        )
        for row in rows
    ]


def record_applied(
    conn: sqlite3.Connection, source: str, objects: Sequence[AppliedObject], at: datetime
) -> None:
    """Insert or replace the rows of ``objects``."""
    conn.executemany(
        "INSERT INTO applied_objects (source, kind, key, fields, shop_id, notes, applied_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (source, kind, key) DO UPDATE SET "
        "fields = excluded.fields, shop_id = excluded.shop_id, notes = excluded.notes, "
        "applied_at = excluded.applied_at",
        [
            (source, o.kind, o.key, _json(o.fields), o.shop_id, _json(o.notes), ts(o.applied_at or at))
            for o in objects
        ],
    )


def forget_applied(conn: sqlite3.Connection, source: str, keys: Collection[tuple[str, str]]) -> None:
    """Delete the rows of ``(kind, key)`` pairs (objects deleted from the shop or gone from it)."""
    conn.executemany(
        "DELETE FROM applied_objects WHERE source = ? AND kind = ? AND key = ?",
        [(source, kind, key) for kind, key in keys],
    )
