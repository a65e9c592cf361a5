"""Running the demo: sandbox shops, a backfill, what each rule did, the programme applied, a sync.

:func:`run_demo` starts every requested adapter's sandbox shop in-process on 127.0.0.1
(:mod:`.shops`), takes the programme — the packaged sample (:mod:`.sample`) unless a file is given —
with its ``sources`` replaced in memory by the sandboxes, backfills each into a store (a temporary
one unless given), tallies what each rule did (:mod:`loyalty_connector.summary`), pushes the
programme into each shop with :func:`~loyalty_connector.plan.make_plan` and
:func:`~loyalty_connector.plan.apply` and plans once more to show the shop now matches, then makes a
few changes in each shop (:mod:`.changes`) and runs an incremental sync that reads only what changed.
"""

from __future__ import annotations

__all__ = ["run_demo"]

import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path

from ..adapter import AdapterPlugin, ShopAdapter, Stream, create_adapter, discover_adapters
from ..domain import Customer, Order
from ..errors import ConfigurationError
from ..plan import ApplyReport, Plan, apply, make_plan
from ..program import Program, load_program
from ..store import Store, open_store
from ..summary import replay_orders, summarize_ledger
from ..sync import Backfill, BackfillReport, ProgressCallback, SyncRunner
from .changes import make_changes
from .events import (
    DEMO_REFERRAL_SECRET,
    DEMO_SINCE,
    BackfillDone,
    ChangeCounts,
    ChangesMade,
    DemoEvent,
    DemoResult,
    DemoSettings,
    ProgrammeApplied,
    ShopInfo,
    ShopsStarted,
    Summarized,
    SyncDone,
)
from .sample import sample_program
from .shops import DemoShop, sandbox_now, start_shop

_WINDOW = timedelta(days=365)


def run_demo(
    settings: DemoSettings,
    *,
    on_event: Callable[[DemoEvent], None] | None = None,
    on_progress: Callable[[str], ProgressCallback | None] | None = None,
    plugins: Mapping[str, AdapterPlugin] | None = None,
) -> DemoResult:
    """Run the demo; ``on_progress(source)`` may return a progress callback for that source's backfill."""
    began = time.perf_counter()
    emit = on_event or (lambda event: None)
    program = sample_program() if settings.program_path is None else load_program(settings.program_path)
    available = discover_adapters() if plugins is None else dict(plugins)
    chosen = [a for a in settings.adapters if a in available and available[a].sandbox is not None]
    missing = tuple(a for a in settings.adapters if a not in chosen)
    if not chosen:
        raise ConfigurationError(
            "no adapter with a sandbox shop is installed (pip install -e adapters/magento adapters/shopware)"
        )
    timings: list[tuple[str, float]] = []
    clock = _clock(settings.now)
    with ExitStack() as stack:
        shops = [stack.enter_context(start_shop(available[name], settings)) for name in chosen]
        program = program.model_copy(update={"sources": {shop.source: shop.config for shop in shops}})
        path, kept = stack.enter_context(_store_path(settings.store))
        store = open_store(path)
        stack.callback(store.close)
        started = ShopsStarted(
            tuple(
                ShopInfo(s.source, s.adapter, s.config.base_url, settings.customers, settings.orders)
                for s in shops
            ),
            missing,
            str(path),
            kept,
            time.perf_counter() - began,
        )
        timings.append(("start shops", started.seconds))
        emit(started)
        backfills = []
        for shop in shops:
            step = time.perf_counter()
            report = _backfill(store, program, shop, settings, clock, on_progress)
            backfills.append(report)
            timings.append((f"backfill {shop.source}", time.perf_counter() - step))
            emit(BackfillDone(report))
        step = time.perf_counter()
        summary = _summarize(store, program, shops, clock())
        timings.append(("summary", time.perf_counter() - step))
        emit(summary)
        applied = []
        for shop in shops:
            step = time.perf_counter()
            pushed = _apply_programme(store, program, shop, clock)
            applied.append(pushed)
            timings.append((f"apply {shop.source}", time.perf_counter() - step))
            emit(pushed)
        changes: list[ChangesMade] = []
        syncs = []
        for shop in shops:
            made = ChangesMade(shop.source, tuple(make_changes(store, program, shop)), first=not changes)
            changes.append(made)
            emit(made)
            step = time.perf_counter()
            done = _sync(store, program, shop, clock)
            syncs.append(done)
            timings.append((f"sync {shop.source}", time.perf_counter() - step))
            emit(done)
        return DemoResult(
            program=program.name,
            now=clock(),
            started=started,
            backfills=tuple(backfills),
            summary=summary,
            applied=tuple(applied),
            changes=tuple(changes),
            syncs=tuple(syncs),
            seconds=time.perf_counter() - began,
            timings=tuple(timings),
        )


def _clock(now: datetime | None) -> Callable[[], datetime]:
    if now is None:
        return lambda: datetime.now(timezone.utc)
    fixed = now.astimezone(timezone.utc)
    return lambda: fixed


@contextmanager
def _store_path(given: Path | None) -> Iterator[tuple[Path, bool]]:
    if given is not None:
        yield given, True
        return
    folder = Path(tempfile.mkdtemp(prefix="loyalty-demo-"))
    try:
        yield folder / "demo.db", False
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _backfill(
    store: Store,
    program: Program,
    shop: DemoShop,
    settings: DemoSettings,
    clock: Callable[[], datetime],
    on_progress: Callable[[str], ProgressCallback | None] | None,
) -> BackfillReport:
    """Backfill everything up to the shop's present, then let incremental sync continue from there."""
    until = sandbox_now(shop, clock).replace(microsecond=0) + timedelta(seconds=1)
    return Backfill(
        store,
        lambda budget: create_adapter(shop.source, shop.config, environ=shop.env, budget=budget),
        program,
        since=DEMO_SINCE,
        until=until,
        window=_WINDOW,
        workers=settings.workers,
        referral_secret=DEMO_REFERRAL_SECRET,
        clock=clock,
        on_progress=on_progress(shop.source) if on_progress else None,
        handover=True,
    ).run()


def _summarize(store: Store, program: Program, shops: Sequence[DemoShop], now: datetime) -> Summarized:
    began = time.perf_counter()
    entries = store.ledger_entries()
    orders: list[Order] = []
    customers = 0
    group_codes: dict[str, dict[str, str]] = {}
    referral_codes: dict[str, dict[str, str]] = {}
    for shop in shops:
        keys = [c.key for c in store.records(shop.source, Stream.CUSTOMERS) if isinstance(c, Customer)]
        customers += len(keys)
        codes = store.referral_codes(shop.source, keys)
        referral_codes[shop.source] = {code: key for key, code in codes.items()}
        orders.extend(o for o in store.records(shop.source, Stream.ORDERS) if isinstance(o, Order))
        adapter = create_adapter(shop.source, shop.config, environ=shop.env)
        try:
            group_codes[shop.source] = {g.external_id: g.code for g in adapter.read_groups()}
        finally:
            adapter.close()
    ledger = summarize_ledger(program, entries, now, customers=customers)
    replay = replay_orders(
        program, orders, entries=entries, group_codes=group_codes, referral_codes=referral_codes
    )
    return Summarized(ledger, replay, time.perf_counter() - began)


def _sync(store: Store, program: Program, shop: DemoShop, clock: Callable[[], datetime]) -> SyncDone:
    adapter = create_adapter(shop.source, shop.config, environ=shop.env)
    try:
        report = SyncRunner(store, adapter, program, referral_secret=DEMO_REFERRAL_SECRET, clock=clock).run()
    finally:
        adapter.close()
    added = tuple(e for e in store.ledger_entries(shop.source) if e.run_id == report.run_id)
    return SyncDone(report, added)


def _apply_programme(
    store: Store, program: Program, shop: DemoShop, clock: Callable[[], datetime]
) -> ProgrammeApplied:
    """Plan and apply the programme in one shop, then plan again: the shop now matches it."""
    adapter = create_adapter(shop.source, shop.config, environ=shop.env)
    try:
        began = time.perf_counter()
        planned = _plan(store, program, shop, adapter, clock)
        plan_seconds = time.perf_counter() - began
        began = time.perf_counter()
        report = apply(planned, adapter, store, clock=clock)
        apply_seconds = time.perf_counter() - began
        after = _plan(store, program, shop, adapter, clock).counts()
    finally:
        adapter.close()
    return ProgrammeApplied(
        shop.source,
        _kind_counts(planned, report),
        len(report.not_attempted),
        report.stopped,
        planned.warnings,
        after,
        plan_seconds,
        apply_seconds,
    )


def _plan(
    store: Store, program: Program, shop: DemoShop, adapter: ShopAdapter, clock: Callable[[], datetime]
) -> Plan:
    return make_plan(
        program, store, adapter, source=shop.source, now=clock(), coupon_secret=DEMO_REFERRAL_SECRET
    )


def _kind_counts(planned: Plan, report: ApplyReport) -> tuple[ChangeCounts, ...]:
    ok = Counter(r.change.kind for r in report.results if r.ok)
    failed = Counter(r.change.kind for r in report.results if not r.ok)
    return tuple(
        ChangeCounts(kind, counts["create"], counts["update"], counts["delete"], ok[kind], failed[kind])
        for kind, counts in planned.counts_by_kind().items()
    )
