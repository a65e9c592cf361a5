"""How values become SQLite columns and back: UTC timestamps and Decimals as text, records as JSON.

Timestamps are written as ISO-8601 UTC with microseconds (``2024-05-01T12:00:00.000000+00:00``),
one fixed width, so comparing the text compares the instants and indexes on it sort by time.
Decimals are written with ``str`` and read back exactly; nothing passes through ``float``.
"""

from __future__ import annotations

__all__ = [
    "LEDGER_COLUMNS",
    "RECORD_TYPES",
    "TABLES",
    "chunks",
    "decode_record",
    "insert_rows",
    "ledger_entry",
    "ledger_row",
    "ledger_rows",
    "parse_ts",
    "parse_ts_or_none",
    "ts",
    "ts_or_none",
]

import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, TypeVar

from ..adapter import Record, Stream
from ..domain import Customer, Order, Refund
from ..engine.results import IntentKind, LedgerIntent
from ..ledger import LedgerEntry

TABLES: dict[Stream, str] = {
    Stream.CUSTOMERS: "customers",
    Stream.ORDERS: "orders",
    Stream.REFUNDS: "refunds",
}
RECORD_TYPES: dict[Stream, type[Customer] | type[Order] | type[Refund]] = {
    Stream.CUSTOMERS: Customer,
    Stream.ORDERS: Order,
    Stream.REFUNDS: Refund,
}

LEDGER_COLUMNS = (
    "key, kind, rule_id, source, customer_key, record, points, amount, currency, percent, effective_at, "
    "available_at, expires_at, reverses, attributes, reason, recorded_at, run_id"
)

_T = TypeVar("_T")


def chunks(items: Sequence[_T], size: int = 500) -> Iterator[Sequence[_T]]:
    """``items`` in slices of at most ``size`` (SQLite caps the number of bound parameters)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


MAX_PARAMETERS = 999
"""SQLite's limit on bound parameters before 3.32 (32766 since); statements stay under the lower one."""


def insert_rows(conn: sqlite3.Connection, head: str, rows: Sequence[Sequence[Any]], tail: str = "") -> int:
    """``{head} VALUES (...), (...) {tail}`` for all ``rows`` in as few statements as the parameter
    limit allows (one for a page, usually); returns the number of rows inserted or updated.

    One statement instead of one per row: SQLite steps it once, and Python's ``sqlite3`` releases and
    retakes the GIL once per step, which a sync reading its next page in another thread waits on.
    """
    if not rows:
        return 0
    width = len(rows[0])
    group = "(" + ",".join("?" * width) + ")"
    changed = 0
    for part in chunks(rows, max(1, MAX_PARAMETERS // width)):
        sql = f"{head} VALUES {','.join([group] * len(part))} {tail}"
        changed += max(conn.execute(sql, [value for row in part for value in row]).rowcount, 0)
    return changed


def ts(value: datetime) -> str:
    """A timezone-aware instant as fixed-width ISO-8601 UTC text."""
    if value.tzinfo is timezone.utc:  # what the domain models hold: no conversion needed
        return value.isoformat(timespec="microseconds")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("the store only takes timezone-aware timestamps")
    return value.astimezone(timezone.utc).isoformat(timespec="microseconds")


def ts_or_none(value: datetime | None) -> str | None:
    return None if value is None else ts(value)


def parse_ts(text: str) -> datetime:
    return datetime.fromisoformat(text)


def parse_ts_or_none(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _decimal_or_none(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def decode_record(stream: Stream, data: str) -> Record:
    """A stored record, validated back into its domain model."""
    return RECORD_TYPES[stream].model_validate_json(data)


def ledger_row(intent: LedgerIntent, recorded_at: datetime, run_id: int | None) -> tuple[Any, ...]:
    """The ledger columns (in :data:`LEDGER_COLUMNS` order) for one intent."""
    return ledger_rows((intent,), recorded_at, run_id)[0]


def ledger_rows(
    intents: Iterable[LedgerIntent], recorded_at: datetime, run_id: int | None
) -> list[tuple[Any, ...]]:
    """The ledger columns (in :data:`LEDGER_COLUMNS` order) of each intent: what :func:`ledger_row`
    gives, for a batch at a time.

    A batch's intents share many instants (an order's earn, bonus and coupon entries start when it
    was placed; coupons become available when issued), so each distinct instant is formatted once.
    """
    stamps = _Stamps()
    recorded = ts(recorded_at)
    return [
        (
            intent.key,
            intent.kind.value,
            intent.rule_id,
            intent.source,
            intent.customer_key,
            intent.record,
            intent.points,
            None if intent.amount is None else str(intent.amount),
            intent.currency,
            None if intent.percent is None else str(intent.percent),
            stamps[intent.effective_at],
            stamps[intent.available_at],
            stamps[intent.expires_at],
            intent.reverses,
            _attributes_json(intent.attributes),
            intent.reason,
            recorded,
            run_id,
        )
        for intent in intents
    ]


class _Stamps(dict[datetime | None, str | None]):
    """Instant -> its column text, each formatted once on first use; ``None`` stays ``None``."""

    def __init__(self) -> None:
        super().__init__({None: None})

    def __missing__(self, value: datetime | None) -> str | None:
        assert value is not None
        text = self[value] = ts(value)
        return text


_ATTRIBUTES = json.JSONEncoder(sort_keys=True)
"""What ``json.dumps(..., sort_keys=True)`` builds on every call, built once."""


def _attributes_json(attributes: Sequence[tuple[str, str]]) -> str:
    """``json.dumps(dict(attributes), sort_keys=True)`` (``{}`` when there are none)."""
    return _ATTRIBUTES.encode(dict(attributes)) if attributes else "{}"


def ledger_entry(row: sqlite3.Row) -> LedgerEntry:
    """A ledger row read back as a :class:`~loyalty_connector.ledger.LedgerEntry`."""
    attributes = json.loads(row["attributes"])
    return LedgerEntry(
        id=row["id"],
        key=row["key"],
        kind=IntentKind(row["kind"]),
        rule_id=row["rule_id"],
        source=row["source"],
        customer_key=row["customer_key"],
        record=row["record"],
        points=row["points"],
        effective_at=parse_ts(row["effective_at"]),
        reason=row["reason"],
        recorded_at=parse_ts(row["recorded_at"]),
        amount=_decimal_or_none(row["amount"]),
        currency=row["currency"],
        percent=_decimal_or_none(row["percent"]),
        available_at=parse_ts_or_none(row["available_at"]),
        expires_at=parse_ts_or_none(row["expires_at"]),
        reverses=row["reverses"],
        attributes=tuple(sorted((str(k), str(v)) for k, v in attributes.items())),
        run_id=row["run_id"],
    )
