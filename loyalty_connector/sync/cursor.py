"""Where a read starts and whether a page may move the cursor: checkpoints, look-back, page checks.

The sync engine owns the cursor (adapters are stateless page readers). A stream's checkpoint is the
keyset position of the last record committed; the next run starts a short *look-back* before it to
catch rows the shop committed late with an older timestamp. The re-read is harmless: upserts skip
records whose ``(external_id, changed_at)`` is already stored and ledger keys are unique. Checkpoints
only ever move forward, except on purpose (:func:`retry_quarantined`).

Every page is checked before it is committed: records strictly after the requested cursor, in
strictly increasing ``(changed_at, tiebreak)`` order, before ``until``, of the stream's record type,
and a full page must move the cursor. Anything else would loop or skip records, so it stops the run.
"""

from __future__ import annotations

__all__ = [
    "DEFAULT_LOOK_BACK",
    "SYNC_SCOPE",
    "check_page",
    "retry_quarantined",
    "start_position",
    "window_scope",
]

import logging
from collections.abc import Collection
from datetime import datetime, timedelta, timezone

from ..adapter import Cursor, Page, Stream
from ..errors import PagingError
from ..store import SYNC_SCOPE, Store, Window
from ..store.rows import RECORD_TYPES

logger = logging.getLogger(__name__)

DEFAULT_LOOK_BACK = timedelta(minutes=5)

_EARLIEST = Cursor.start()


def start_position(checkpoint: Cursor | None, look_back: timedelta) -> Cursor:
    """Where a sync reads from: ``look_back`` before the checkpoint, or the very start without one."""
    if checkpoint is None:
        return _EARLIEST
    if look_back < timedelta(0):
        raise ValueError("look_back must not be negative")
    if checkpoint.changed_at - _EARLIEST.changed_at <= look_back:
        return _EARLIEST
    return Cursor.at(checkpoint.changed_at - look_back)


def window_scope(backfill_id: str, window: Window) -> str:
    """The checkpoint scope of one backfill window."""
    return f"backfill:{backfill_id}:{window.since.isoformat()}/{window.until.isoformat()}"


def check_page(
    source: str, stream: Stream, requested: Cursor, page: Page, *, limit: int, until: datetime | None
) -> None:
    """Raise :class:`~loyalty_connector.errors.PagingError` if committing ``page`` could loop or skip."""
    prefix = f"{stream.value} read after {_show(requested)}"
    if len(page.items) > limit:
        raise PagingError(
            f"{prefix}: the page holds {len(page.items)} records, more than the {limit} asked for",
            source=source,
        )
    previous = requested
    expected = RECORD_TYPES[stream]
    for item in page.items:
        if not item.position > previous:
            what = (
                "the requested cursor"
                if previous == requested
                else f"the record before it ({_show(previous)})"
            )
            raise PagingError(
                f"{prefix}: page out of keyset order: record {item.external_id} at {_show(item.position)} "
                f"is not after {what}; stopping so that nothing is skipped",
                source=source,
            )
        if until is not None and item.position.changed_at >= until:
            raise PagingError(
                f"{prefix}: record {item.external_id} changed at {item.position.changed_at.isoformat()}, "
                f"not before the window end {until.isoformat()}",
                source=source,
            )
        if item.record is not None and not isinstance(item.record, expected):
            raise PagingError(
                f"{prefix}: record {item.external_id} is a {type(item.record).__name__}, "
                f"not a {expected.__name__}",
                source=source,
            )
        if item.record is not None and item.record.source != source:
            raise PagingError(
                f"{prefix}: record {item.external_id} belongs to source {item.record.source!r}",
                source=source,
            )
        previous = item.position
    if page.has_more and not page.items:
        raise PagingError(
            f"{prefix}: the shop says more records follow but the page is empty, so the cursor cannot move; "
            "stopping instead of asking for the same page forever",
            source=source,
        )


def _show(cursor: Cursor) -> str:
    return f"({cursor.changed_at.isoformat()}, {cursor.tiebreak})"


def retry_quarantined(
    store: Store,
    source: str,
    *,
    stream: Stream | None = None,
    external_ids: Collection[str] | None = None,
    at: datetime | None = None,
) -> dict[Stream, Cursor]:
    """Have the next sync read quarantined records again; return where each stream was rewound to.

    Adapters read by cursor only, so a record cannot be fetched by id. Instead the records are
    marked for retry and each stream's sync checkpoint is rewound to just before the earliest of
    them, ``Cursor(changed_at, tiebreak - 1)``. The next sync re-reads from there: the quarantined
    records are mapped again (resolved if readable now, their attempts counted if not) and every
    other record on the way is an unchanged re-read that writes nothing, so the rewind is safe.
    """
    moment = at or datetime.now(timezone.utc)
    rewound = store.retry_quarantined(source, stream=stream, external_ids=external_ids, at=moment)
    for name, cursor in rewound.items():
        logger.info(
            "%s %s: sync checkpoint rewound to %s for a quarantine retry", source, name.value, _show(cursor)
        )
    return rewound
