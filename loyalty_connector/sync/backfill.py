"""Resumable history backfill of ``[since, until)`` in windows, optionally in parallel workers.

::

    backfill = Backfill(store, lambda budget: create_adapter(name, config, budget=budget), program,
                        since=datetime(2024, 1, 1, tzinfo=timezone.utc), until=now, workers=4,
                        budget=RequestBudget(rate=8, burst=8))
    report = backfill.run()

The span is cut into half-open windows of change timestamps (what the shops index), aligned on
``since + k * window`` so a rerun cuts the same windows. Each window of each stream is read like a
sync (keyset pages, each committed with its cursor) under its own checkpoint, from
``Cursor.at(since)`` with ``until`` passed to the adapter. When a window is done it is recorded
as finished; a backfill's state is that list, so a crashed backfill reruns only the gaps, and a
half-done window resumes from its checkpoint.

With ``workers=N`` windows are read by N reader threads, each with its own adapter (built by the
factory with the shared :class:`~loyalty_connector.http.RequestBudget`, so together they stay within
the shop's rate limit), while the calling thread commits every page. The default is
:data:`DEFAULT_WORKERS` (two): a keyset page can only be asked for once the page before it has
arrived, so a single reader leaves the shop idle while each answer is parsed, mapped and committed;
a second reader's request is served meanwhile. ``workers=1`` reads strictly one request at a time.
Customers are evaluated once, after every window is read: evaluating after each window would
reward partial histories (windows follow change timestamps, not order dates) and make the ledger
depend on how windows happened to interleave.
"""

from __future__ import annotations

__all__ = ["DEFAULT_WINDOW", "DEFAULT_WORKERS", "AdapterFactory", "Backfill", "gaps", "plan_windows"]

import logging
import queue
import time
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from ..adapter import Cursor, Page, ShopAdapter, Stream
from ..program import Program
from ..store import SYNC_SCOPE, PageWrite, RecordCounts, Store, Window
from ..store.rows import ts
from .cursor import window_scope
from .evaluation import DEFAULT_BATCH_ORDERS, Evaluator, default_evaluator
from .readahead import ReadAhead, keyset_pages
from .reports import BackfillReport, EvaluationReport, ProgressCallback, ProgressEvent
from .runner import SyncRunner, commit_page, describe_failure, page_reader, record_end, utc_now

if TYPE_CHECKING:
    from ..http import RequestBudget

logger = logging.getLogger(__name__)

DEFAULT_WINDOW = timedelta(days=30)
DEFAULT_WORKERS = 2
"""Windows read at once by default: enough to keep the shop busy while we parse, map and commit;
more only adds concurrent requests (raise it for a shop that serves them in parallel and allows it)."""

AdapterFactory = Callable[["RequestBudget | None"], ShopAdapter]
"""Builds one connected adapter for one worker, drawing on the shared request budget."""


def gaps(span: Window, finished: Sequence[Window]) -> list[Window]:
    """The parts of ``span`` no finished window covers, in order."""
    holes: list[Window] = []
    start = span.since
    for done in sorted(finished, key=lambda w: w.since):
        if done.until <= start or done.since >= span.until:
            continue
        if done.since > start:
            holes.append(Window(start, done.since))
        start = max(start, done.until)
        if start >= span.until:
            return holes
    if start < span.until:
        holes.append(Window(start, span.until))
    return holes


def plan_windows(span: Window, finished: Sequence[Window], size: timedelta) -> list[Window]:
    """The windows still to read: the gaps, cut on the grid ``span.since + k * size``."""
    if size <= timedelta(0):
        raise ValueError("the backfill window must be longer than zero")
    windows: list[Window] = []
    for hole in gaps(span, finished):
        start = hole.since
        while start < hole.until:
            steps = (start - span.since) // size + 1
            end = min(span.since + steps * size, hole.until)
            windows.append(Window(start, end))
            start = end
    return windows


@dataclass(frozen=True)
class _Task:
    stream: Stream
    window: Window


class Backfill:
    """One backfill of one source; build it, then :meth:`run` it (again after a crash to resume).

    ``backfill_id`` names the backfill whose finished windows are remembered; by default it is
    derived from ``since`` and ``until``, so rerunning the same command resumes. ``restart``
    forgets earlier progress and reads everything again (harmless: unchanged records are skipped
    and ledger keys are unique). ``dry_run`` reads, checks and classifies every page against the
    store but writes nothing — no records, checkpoints, lock, run or ledger entries.
    """

    def __init__(
        self,
        store: Store,
        adapter_factory: AdapterFactory,
        program: Program,
        *,
        since: datetime,
        until: datetime,
        window: timedelta = DEFAULT_WINDOW,
        workers: int = DEFAULT_WORKERS,
        budget: RequestBudget | None = None,
        dry_run: bool = False,
        evaluator: Evaluator | None = None,
        referral_secret: bytes | None = None,
        page_size: int | None = None,
        backfill_id: str | None = None,
        restart: bool = False,
        streams: Collection[Stream] | None = None,
        clock: Callable[[], datetime] = utc_now,
        timer: Callable[[], float] = time.monotonic,
        on_progress: ProgressCallback | None = None,
        evaluation_batch: int = 200,
        evaluation_orders: int = DEFAULT_BATCH_ORDERS,
        handover: bool = False,
    ) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        if window <= timedelta(0):
            raise ValueError("the backfill window must be longer than zero")
        self.span = Window(since, until)
        self.store = store
        self.adapter_factory = adapter_factory
        self.program = program
        self.window = window
        self.workers = workers
        self.budget = budget
        self.dry_run = dry_run
        self.evaluator = evaluator if evaluator is not None else default_evaluator(program)
        self.referral_secret = referral_secret
        self.page_size = page_size
        self.backfill_id = backfill_id or f"{ts(since)}/{ts(until)}"
        self.restart = restart
        self.only_streams = streams
        self.handover = handover
        """When every window is done, move incremental sync's checkpoints forward to ``until``."""
        self.clock = clock
        self.timer = timer
        self.on_progress = on_progress
        self.evaluation_batch = evaluation_batch
        self.evaluation_orders = evaluation_orders

    def run(self) -> BackfillReport:
        """Read every window not finished yet, then evaluate; raise the first worker's error."""
        adapters = [self.adapter_factory(self.budget) for _ in range(self.workers)]
        try:
            return self._run(adapters)
        finally:
            for adapter in adapters:
                adapter.close()

    def _hand_over(self, source: str, streams: Sequence[Stream]) -> None:
        """Let ``sync`` continue where this backfill ended instead of re-reading all history.

        Every record changed before ``until`` has just been read, so the sync checkpoint of each
        stream may start at ``until``. Checkpoints only ever move forward: handing over an old window
        never rewinds a sync that is already further along.
        """
        at = self.clock()
        for stream in streams:
            self.store.apply_page(PageWrite(source, stream, SYNC_SCOPE, (), Cursor.at(self.span.until), at))
        logger.info("%s: incremental sync continues from %s", source, self.span.until.isoformat())

    def _runner(self, adapter: ShopAdapter) -> SyncRunner:
        return SyncRunner(
            self.store,
            adapter,
            self.program,
            evaluator=self.evaluator,
            referral_secret=self.referral_secret,
            page_size=self.page_size,
            clock=self.clock,
            timer=self.timer,
            evaluation_batch=self.evaluation_batch,
            evaluation_orders=self.evaluation_orders,
        )

    def _run(self, adapters: list[ShopAdapter]) -> BackfillReport:
        runners = [self._runner(adapter) for adapter in adapters]
        lead = runners[0]
        source = lead.source
        started_at = self.clock()
        began = self.timer()
        run_id = None if self.dry_run else self.store.begin_run("backfill", source, started_at)
        counts: dict[Stream, RecordCounts] = {}
        evaluation = EvaluationReport()
        try:
            if self.restart and not self.dry_run:
                self.store.reset_backfill(source, self.backfill_id)
            tasks, skipped = self._plan(source, lead.streams(self.only_streams))
            done = self._read(runners, tasks, counts, run_id, began)
            if not self.dry_run:
                if self.handover:
                    self._hand_over(source, lead.streams(self.only_streams))
                evaluation = lead.evaluate(self.clock(), run_id)
        except BaseException as exc:
            if run_id is not None:
                status, error = describe_failure(exc)
                record_end(
                    self.store,
                    run_id,
                    status=status,
                    at=self.clock(),
                    duration_seconds=self.timer() - began,
                    counts=counts,
                    evaluation=evaluation,
                    error=error,
                    extra={"backfill_id": self.backfill_id},
                )
            raise
        report = BackfillReport(
            source=source,
            run_id=run_id,
            backfill_id=self.backfill_id,
            since=self.span.since,
            until=self.span.until,
            streams=counts,
            evaluation=evaluation,
            windows_total=len(tasks),
            windows_done=done,
            windows_skipped=skipped,
            dry_run=self.dry_run,
            started_at=started_at,
            duration_seconds=self.timer() - began,
        )
        if run_id is not None:
            record_end(
                self.store,
                run_id,
                status="ok",
                at=self.clock(),
                duration_seconds=report.duration_seconds,
                counts=counts,
                evaluation=evaluation,
                extra={"backfill_id": self.backfill_id},
            )
        return report

    def _plan(self, source: str, streams: list[Stream]) -> tuple[list[_Task], int]:
        tasks: list[_Task] = []
        skipped = 0
        for stream in streams:
            finished = [] if self.restart else self.store.finished_windows(source, stream, self.backfill_id)
            skipped += sum(1 for w in finished if w.since >= self.span.since and w.until <= self.span.until)
            tasks.extend(_Task(stream, w) for w in plan_windows(self.span, finished, self.window))
        return tasks, skipped

    def _read(
        self,
        runners: list[SyncRunner],
        tasks: list[_Task],
        counts: dict[Stream, RecordCounts],
        run_id: int | None,
        began: float,
    ) -> int:
        """Read every task's window: one reader thread per worker, every commit in this thread.

        Workers take windows from one queue, each with its own adapter, and read their windows'
        pages ahead (:class:`~.readahead.ReadAhead`), so the first page of a worker's next window
        is fetched while the last of its current one is committed. This thread commits every page
        in the order it arrived — a window's pages in order, windows of different workers
        interleaved — and records a window as finished once its last page is committed. A window a
        reader took but whose pages were never committed is not finished, and is read again by the
        next run. The first error of any reader stops them all and reaches the caller.
        """
        todo: queue.SimpleQueue[_Task] = queue.SimpleQueue()
        for task in tasks:
            todo.put(task)
        source = runners[0].source
        codes = runners[0].referral_codes
        in_window: dict[str, RecordCounts] = {}
        finished = 0

        def tick(stream: Stream) -> None:
            if self.on_progress is not None:
                elapsed = self.timer() - began
                records = sum(c.read for c in counts.values())
                rate = records / elapsed if elapsed > 0 else 0.0
                self.on_progress(
                    ProgressEvent(source, "read", stream, records, rate, finished, len(tasks), elapsed)
                )

        readers = [self._windows(runner, todo) for runner in runners]
        with ReadAhead(*readers, name=f"{source} backfill") as items:
            for task, scope, page in items:
                if page is not None:
                    added = commit_page(
                        self.store, source, task.stream, page, scope=scope, run_id=run_id, clock=self.clock,
                        codes=codes, dry_run=self.dry_run,
                    )  # fmt: skip
                    in_window[scope] = in_window.get(scope, RecordCounts()) + added
                    if page.items:
                        counts[task.stream] = counts.get(task.stream, RecordCounts()) + added
                        tick(task.stream)
                    continue
                read = in_window.pop(scope, RecordCounts()).read
                if not self.dry_run:
                    self.store.finish_window(
                        source, task.stream, self.backfill_id, task.window, scope=scope, records=read,
                        at=self.clock(), run_id=run_id,
                    )  # fmt: skip
                logger.info(
                    "%s %s [%s, %s): %d records", source, task.stream.value,
                    task.window.since.isoformat(), task.window.until.isoformat(), read,
                )  # fmt: skip
                finished += 1
                tick(task.stream)
        return finished

    def _windows(
        self, runner: SyncRunner, todo: queue.SimpleQueue[_Task]
    ) -> Callable[[], Iterator[tuple[_Task, str, Page | None]]]:
        """One worker's reading: windows taken from ``todo`` until none is left, each read from its
        checkpoint, then ``None`` for the window's end. Runs in that worker's reader thread."""
        source = runner.source

        def windows() -> Iterator[tuple[_Task, str, Page | None]]:
            while True:
                try:
                    task = todo.get_nowait()
                except queue.Empty:
                    return
                scope = window_scope(self.backfill_id, task.window)
                checkpoint = None if self.dry_run else self.store.checkpoint(source, task.stream, scope)
                fetch = page_reader(runner.adapter, task.stream, runner.page_size, task.window.until)
                for page in keyset_pages(fetch, checkpoint or Cursor.at(task.window.since)):
                    yield task, scope, page
                yield task, scope, None  # the window's end

        return windows
