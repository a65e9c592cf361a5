"""Incremental sync of one source: read each stream from its checkpoint, commit page by page, evaluate.

::

    runner = SyncRunner(store, adapter, program, referral_secret=secret)
    report = runner.run()          # SyncReport; report.quarantined > 0 -> CLI exits 3

For each stream the adapter offers, pages are read by keyset from the checkpoint minus the look-back
and each page is committed with the cursor after it in one transaction (:meth:`Store.apply_page`):
at-least-once fetching, exactly-once effects. Then every customer the pages touched, and every
customer due for a scheduled review, is evaluated (:func:`~.evaluation.evaluate_dirty`).

A second run against the same store and source fails at once with
:class:`~loyalty_connector.errors.ConflictError`; the run is recorded in the store either way.
"""

from __future__ import annotations

__all__ = [
    "STREAM_ORDER",
    "SyncRunner",
    "commit_page",
    "describe_failure",
    "page_reader",
    "read_stream",
    "record_end",
    "utc_now",
]

import logging
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

from ..adapter import Cursor, Page, ReadRecord, ShopAdapter, Stream
from ..domain import Customer
from ..program import Program
from ..store import SYNC_SCOPE, PageWrite, RecordCounts, Store
from .cursor import DEFAULT_LOOK_BACK, check_page, start_position
from .evaluation import DEFAULT_BATCH_ORDERS, Evaluator, default_evaluator, evaluate_dirty, referral_code_for
from .readahead import ReadAhead, keyset_pages
from .reports import EvaluationReport, ProgressCallback, ProgressEvent, SyncReport

logger = logging.getLogger(__name__)

STREAM_ORDER = (Stream.CUSTOMERS, Stream.ORDERS, Stream.REFUNDS)
"""Streams are read in this order so orders find their customers and refunds their orders."""


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def read_stream(
    store: Store,
    adapter: ShopAdapter,
    stream: Stream,
    *,
    scope: str,
    start: Cursor,
    page_size: int,
    until: datetime | None = None,
    run_id: int | None = None,
    clock: Callable[[], datetime] = utc_now,
    codes: Callable[[Sequence[ReadRecord]], Mapping[str, str]] | None = None,
    on_page: Callable[[RecordCounts], None] | None = None,
    dry_run: bool = False,
) -> RecordCounts:
    """Read ``stream`` from ``start`` to its end (or ``until``), committing each page with its cursor.

    The next page is fetched by a background thread while the current one is committed
    (:class:`~.readahead.ReadAhead`); pages are only ever committed in order, each with the cursor
    after it, so stopping or crashing at any point leaves only the pages fetched ahead (two at most)
    to be read again.

    ``codes`` gives the referral codes of the customers in a page, stored with it so that orders
    using a code mark its owner for evaluation. With ``dry_run`` pages are read, checked and
    classified against the store, but nothing is written.
    """
    fetch = page_reader(adapter, stream, page_size, until)
    total = RecordCounts()
    with ReadAhead(lambda: keyset_pages(fetch, start), name=f"{adapter.source} {stream.value}") as pages:
        for page in pages:
            counts = commit_page(
                store, adapter.source, stream, page, scope=scope, run_id=run_id, clock=clock, codes=codes,
                dry_run=dry_run,
            )  # fmt: skip
            total = total + counts
            if on_page is not None and page.items:
                on_page(counts)
    return total


def page_reader(
    adapter: ShopAdapter, stream: Stream, page_size: int, until: datetime | None
) -> Callable[[Cursor], Page]:
    """Reads the page of ``stream`` after a position and checks it (:func:`~.cursor.check_page`)."""
    source = adapter.source

    def fetch(position: Cursor) -> Page:
        page = adapter.read(stream, position, page_size, until=until)
        check_page(source, stream, position, page, limit=page_size, until=until)
        return page

    return fetch


def commit_page(
    store: Store,
    source: str,
    stream: Stream,
    page: Page,
    *,
    scope: str,
    run_id: int | None,
    clock: Callable[[], datetime],
    codes: Callable[[Sequence[ReadRecord]], Mapping[str, str]] | None,
    dry_run: bool,
) -> RecordCounts:
    """Commit one checked page with the cursor after it (with ``dry_run``: only classify it)."""
    if dry_run:
        return store.classify(source, stream, page.items)
    if not page.items:
        return RecordCounts()
    return store.apply_page(
        PageWrite(
            source=source,
            stream=stream,
            scope=scope,
            items=page.items,
            cursor=page.last_position,
            at=clock(),
            run_id=run_id,
            referral_codes=codes(page.items) if codes is not None else {},
        )
    )


def describe_failure(exc: BaseException) -> tuple[str, str]:
    """The run status and one-line error recorded for a run that raised ``exc``.

    The error is named by its nearest public class: an adapter's private subclass is recorded under
    the public error it derives from, a name the operator can look up.
    """
    status = "failed" if isinstance(exc, Exception) else "interrupted"
    name = next((c.__name__ for c in type(exc).__mro__ if not c.__name__.startswith("_")), "Exception")
    text = str(exc).strip().splitlines()
    return status, f"{name}: {text[0]}" if text else name


def record_end(
    store: Store,
    run_id: int,
    *,
    status: str,
    at: datetime,
    duration_seconds: float,
    counts: Mapping[Stream, RecordCounts],
    evaluation: EvaluationReport,
    error: str | None = None,
    extra: Mapping[str, Any] | None = None,
) -> None:
    """Record how a run ended (and release its lock). When the run already failed, a store error
    here is logged rather than raised, so the caller re-raises the original failure."""
    summary = {
        **(extra or {}),
        "streams": {stream.value: c.as_dict() for stream, c in counts.items()},
        **evaluation.as_dict(),
    }
    try:
        store.end_run(
            run_id, status=status, at=at, counts=summary, error=error, duration_seconds=duration_seconds
        )
    except Exception:
        if error is None:
            raise
        logger.exception("could not record the end of run %d", run_id)


class SyncRunner:
    """Incremental sync of one source into a store, then evaluation of the customers it touched.

    ``evaluator`` defaults to the engine's customer evaluator for ``program``; ``referral_secret``
    (bytes, from the environment variable the programme names) is never stored. ``clock`` gives
    the current UTC time (evaluation's ``now`` and every stored timestamp); ``timer`` measures
    durations. ``page_size`` defaults to the adapter's maximum. Customers are evaluated in batches
    of at most ``evaluation_batch`` customers and (past a batch's first customer) ``evaluation_orders``
    stored orders, which bounds evaluation's memory.
    """

    def __init__(
        self,
        store: Store,
        adapter: ShopAdapter,
        program: Program,
        *,
        evaluator: Evaluator | None = None,
        referral_secret: bytes | None = None,
        look_back: timedelta = DEFAULT_LOOK_BACK,
        page_size: int | None = None,
        clock: Callable[[], datetime] = utc_now,
        timer: Callable[[], float] = time.monotonic,
        on_progress: ProgressCallback | None = None,
        evaluation_batch: int = 200,
        evaluation_orders: int = DEFAULT_BATCH_ORDERS,
    ) -> None:
        if look_back < timedelta(0):
            raise ValueError("look_back must not be negative")
        self.store = store
        self.adapter = adapter
        self.program = program
        self.evaluator = evaluator if evaluator is not None else default_evaluator(program)
        self.referral_secret = referral_secret
        self.look_back = look_back
        self.page_size = page_size or adapter.capabilities.max_page_size
        if self.page_size < 1:
            raise ValueError("page_size must be at least 1")
        self.clock = clock
        self.timer = timer
        self.on_progress = on_progress
        self.evaluation_batch = evaluation_batch
        self.evaluation_orders = evaluation_orders

    @property
    def source(self) -> str:
        return self.adapter.source

    def streams(self, only: Collection[Stream] | None = None) -> list[Stream]:
        """The streams to read, in dependency order: the adapter's, narrowed to ``only``."""
        offered = self.adapter.capabilities.streams
        return [s for s in STREAM_ORDER if s in offered and (only is None or s in only)]

    def referral_codes(self, items: Sequence[ReadRecord]) -> dict[str, str]:
        """Referral codes of the customers among ``items`` (none without referrals or a secret)."""
        codes: dict[str, str] = {}
        for item in items:
            if isinstance(item.record, Customer):
                code = referral_code_for(self.program, self.referral_secret, self.source, item.record.key)
                if code is None:
                    return {}
                codes[item.record.key] = code
        return codes

    def group_codes(self) -> dict[str, str]:
        """Shop group id -> group code, read from the shop (and remembered in the store, so reports
        can name groups without asking the shop)."""
        groups = self.adapter.read_groups()
        self.store.record_groups(self.source, groups, at=self.clock())
        return {group.external_id: group.code for group in groups}

    def evaluate(self, now: datetime, run_id: int | None) -> EvaluationReport:
        """Evaluate every marked or due customer of this source."""
        return evaluate_dirty(
            self.store,
            self.program,
            self.source,
            evaluator=self.evaluator,
            now=now,
            referral_secret=self.referral_secret,
            group_codes=self.group_codes,
            run_id=run_id,
            batch_size=self.evaluation_batch,
            batch_orders=self.evaluation_orders,
        )

    def run(self, streams: Collection[Stream] | None = None) -> SyncReport:
        """One incremental sync: every stream (or ``streams``), then evaluation. Raises on failure."""
        started_at = self.clock()
        began = self.timer()
        run_id = self.store.begin_run("sync", self.source, started_at)
        counts: dict[Stream, RecordCounts] = {}
        todo = self.streams(streams)
        done = 0

        def progress(stream: Stream | None, phase: str) -> None:
            if self.on_progress is None:
                return
            elapsed = self.timer() - began
            records = sum(c.read for c in counts.values())
            self.on_progress(
                ProgressEvent(
                    self.source,
                    phase,
                    stream,
                    records,
                    records / elapsed if elapsed > 0 else 0.0,
                    done,
                    len(todo),
                    elapsed,
                )
            )

        try:
            for stream in todo:
                checkpoint = self.store.checkpoint(self.source, stream, SYNC_SCOPE)
                counts[stream] = RecordCounts()

                def on_page(page: RecordCounts, stream: Stream = stream) -> None:
                    counts[stream] = counts[stream] + page
                    progress(stream, "read")

                read_stream(
                    self.store,
                    self.adapter,
                    stream,
                    scope=SYNC_SCOPE,
                    start=start_position(checkpoint, self.look_back),
                    page_size=self.page_size,
                    run_id=run_id,
                    clock=self.clock,
                    codes=self.referral_codes,
                    on_page=on_page,
                )
                done += 1
                logger.info("%s %s: %s", self.source, stream.value, counts[stream].as_dict())
            progress(None, "evaluate")
            evaluation = self.evaluate(self.clock(), run_id)
        except BaseException as exc:
            status, error = describe_failure(exc)
            record_end(
                self.store,
                run_id,
                status=status,
                at=self.clock(),
                duration_seconds=self.timer() - began,
                counts=counts,
                evaluation=EvaluationReport(),
                error=error,
            )
            raise
        report = SyncReport(
            source=self.source,
            run_id=run_id,
            streams=counts,
            evaluation=evaluation,
            started_at=started_at,
            duration_seconds=self.timer() - began,
        )
        record_end(
            self.store,
            run_id,
            status="ok",
            at=self.clock(),
            duration_seconds=report.duration_seconds,
            counts=counts,
            evaluation=evaluation,
        )
        return report
