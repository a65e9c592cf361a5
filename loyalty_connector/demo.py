"""``make demo``: two seeded sandbox shops, a backfill, what each rule did, the programme applied to
each shop, then an incremental sync.

:func:`run_demo` starts every installed adapter's sandbox shop in-process on 127.0.0.1, takes the
sample programme (``examples/loyalty.yaml``) with its ``sources`` replaced in memory by the sandboxes,
backfills each into a store (a temporary one unless given), tallies what each rule did
(:mod:`loyalty_connector.summary`), pushes the programme into each shop with
:func:`~loyalty_connector.plan.make_plan` and :func:`~loyalty_connector.plan.apply` and plans once
more to show the shop now matches, then changes a few records in each shop — a referred business's
first order, a self-referral, a pending order completed, an order refunded — and runs an incremental
sync that reads only what changed. Each step is reported through ``on_event`` as it finishes, so the
CLI can print while the demo runs; the result holds everything for rendering or assertions.

Referral codes, and the single-use coupon codes ``apply`` pushes, are made with
:data:`DEMO_REFERRAL_SECRET`, a fixed demo secret passed in-process and never written anywhere: a real
programme reads its own secrets from the environment (``referrals.code_secret_env``,
``LOYALTY_COUPON_SECRET``).
"""

from __future__ import annotations

__all__ = [
    "DEMO_REFERRAL_SECRET",
    "DEMO_SINCE",
    "BackfillDone",
    "ChangeCounts",
    "ChangesMade",
    "DemoEvent",
    "DemoResult",
    "DemoSettings",
    "ProgrammeApplied",
    "ShopInfo",
    "ShopsStarted",
    "Summarized",
    "SyncDone",
    "render_event",
    "render_footer",
    "render_summary",
    "result_dict",
    "run_demo",
]

import dataclasses
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from .adapter import AdapterPlugin, SandboxShop, ShopAdapter, Stream, create_adapter, discover_adapters
from .domain import Customer, Order, OrderStatus
from .engine.results import IntentKind
from .engine.tier_pricing import format_money
from .errors import ConfigurationError
from .ledger import LedgerEntry, export_rows
from .plan import ApplyReport, Plan, apply, make_plan
from .program import Program, SourceConfig, load_program
from .store import Store, open_store
from .summary import CartReplay, LedgerSummary, replay_orders, summarize_ledger
from .sync import Backfill, BackfillReport, ProgressCallback, SyncReport, SyncRunner
from .sync.evaluation import referral_code_for

DEMO_REFERRAL_SECRET = b"loyalty-connector demo secret - never use it for a real programme"
"""The referral and coupon secret of the demo, passed in-process. A real programme's secrets come from
the environment (``referrals.code_secret_env``, ``LOYALTY_COUPON_SECRET``) and are never stored."""
DEMO_SINCE = datetime(2020, 1, 1, tzinfo=timezone.utc)
"""Where the demo backfill starts: before the sandboxes' oldest record, so it covers them all."""
_WINDOW = timedelta(days=365)


@dataclass(frozen=True)
class DemoSettings:
    """What to run: shop sizes (per shop), which adapters, where the store lives, evaluation time."""

    program_path: Path
    seed: int = 7
    customers: int = 1500
    orders: int = 10000
    adapters: tuple[str, ...] = ("magento", "shopware")
    store: Path | None = None
    """Keep the state here; ``None``: a temporary store removed at the end."""
    now: datetime | None = None
    """Evaluation instant; ``None``: the wall clock (UTC)."""
    workers: int = 1


@dataclass(frozen=True)
class ShopInfo:
    """One sandbox shop of the demo: its source name, adapter, URL and seeded size."""

    source: str
    adapter: str
    base_url: str
    customers: int
    orders: int


@dataclass(frozen=True)
class ShopsStarted:
    """Step 1 done: the shops run and the store is open."""

    shops: tuple[ShopInfo, ...]
    missing: tuple[str, ...]
    """Requested adapters that are not installed or ship no sandbox."""
    store_path: str
    kept: bool
    seconds: float


@dataclass(frozen=True)
class BackfillDone:
    """Step 2 done for one shop."""

    report: BackfillReport


@dataclass(frozen=True)
class Summarized:
    """Step 3 done: what each rule did."""

    ledger: LedgerSummary
    replay: CartReplay
    seconds: float


@dataclass(frozen=True)
class ChangeCounts:
    """Changes of one kind: planned creates, updates and deletes, and how many applied or failed."""

    kind: str
    create: int = 0
    update: int = 0
    delete: int = 0
    ok: int = 0
    failed: int = 0


@dataclass(frozen=True)
class ProgrammeApplied:
    """Step 4 done for one shop: the programme planned and applied, then planned once more."""

    source: str
    kinds: tuple[ChangeCounts, ...]
    not_attempted: int
    stopped: str | None
    warnings: tuple[str, ...]
    after: Mapping[str, int]
    """``{"create": n, "update": n, "delete": n}`` of the plan made right after ``apply``: all 0."""
    plan_seconds: float
    apply_seconds: float

    @property
    def ok(self) -> bool:
        return not self.not_attempted and self.stopped is None and not any(k.failed for k in self.kinds)


@dataclass(frozen=True)
class ChangesMade:
    """Step 5 begun for one shop: the records changed in it, described."""

    source: str
    changes: tuple[str, ...]
    first: bool = False
    """The first shop's changes: the step's heading goes before them."""


@dataclass(frozen=True)
class SyncDone:
    """Step 5 done for one shop: the incremental sync and the ledger entries it added."""

    report: SyncReport
    entries: tuple[LedgerEntry, ...]
    """Ledger entries this sync added."""


DemoEvent = ShopsStarted | BackfillDone | Summarized | ProgrammeApplied | ChangesMade | SyncDone


@dataclass(frozen=True)
class DemoResult:
    """Everything the demo did, step by step, with timings."""

    program: str
    now: datetime
    started: ShopsStarted
    backfills: tuple[BackfillReport, ...]
    summary: Summarized
    applied: tuple[ProgrammeApplied, ...]
    changes: tuple[ChangesMade, ...]
    syncs: tuple[SyncDone, ...]
    seconds: float
    timings: tuple[tuple[str, float], ...] = field(default=())


@dataclass
class _Shop:
    """A started sandbox and how to connect to it."""

    adapter: str
    source: str
    sandbox: SandboxShop
    config: SourceConfig
    env: dict[str, str]


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
    program = load_program(settings.program_path)
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
        shops = [stack.enter_context(_started(available[name], settings)) for name in chosen]
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
            made = ChangesMade(shop.source, tuple(_change(store, program, shop)), first=not changes)
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
def _started(plugin: AdapterPlugin, settings: DemoSettings) -> Iterator[_Shop]:
    assert plugin.sandbox is not None
    sandbox = plugin.sandbox(seed=settings.seed, customers=settings.customers, orders=settings.orders, port=0)
    sandbox.start()
    try:
        info = sandbox.describe()
        source = dict(info["source"])
        ops = _OPS.get(plugin.name)
        channel = ops(sandbox).sales_channel_id() if ops is not None else None
        if channel is not None:  # Shopware pushes promotions into one sales channel: the storefront
            source["settings"] = {**source.get("settings", {}), "sales_channel_id": channel}
        config = SourceConfig.model_validate(source)
        yield _Shop(plugin.name, f"{plugin.name}-demo", sandbox, config, dict(info.get("env", {})))
    finally:
        sandbox.stop()


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


def _sandbox_now(shop: _Shop, clock: Callable[[], datetime]) -> datetime:
    """The sandbox's own clock (records are stamped by it), else ours."""
    now = getattr(shop.sandbox, "now", None)
    return now() if callable(now) else clock()


def _backfill(
    store: Store,
    program: Program,
    shop: _Shop,
    settings: DemoSettings,
    clock: Callable[[], datetime],
    on_progress: Callable[[str], ProgressCallback | None] | None,
) -> BackfillReport:
    """Backfill everything up to the shop's present, then let incremental sync continue from there."""
    until = _sandbox_now(shop, clock).replace(microsecond=0) + timedelta(seconds=1)
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


def _summarize(store: Store, program: Program, shops: Sequence[_Shop], now: datetime) -> Summarized:
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


def _sync(store: Store, program: Program, shop: _Shop, clock: Callable[[], datetime]) -> SyncDone:
    adapter = create_adapter(shop.source, shop.config, environ=shop.env)
    try:
        report = SyncRunner(store, adapter, program, referral_secret=DEMO_REFERRAL_SECRET, clock=clock).run()
    finally:
        adapter.close()
    added = tuple(e for e in store.ledger_entries(shop.source) if e.run_id == report.run_id)
    return SyncDone(report, added)


def _apply_programme(
    store: Store, program: Program, shop: _Shop, clock: Callable[[], datetime]
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
    store: Store, program: Program, shop: _Shop, adapter: ShopAdapter, clock: Callable[[], datetime]
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


# -- a few changes in each shop ---------------------------------------------------------------------


def _change(store: Store, program: Program, shop: _Shop) -> list[str]:
    """Make the demo's changes in one shop and describe them."""
    ops = _OPS.get(shop.adapter)
    if ops is None:
        return [f"no scripted changes for {shop.adapter} sandboxes"]
    shop_ops = ops(shop.sandbox)
    # Only what this shop was seeded with: a kept store may hold an earlier demo run's changes.
    seeded = _sandbox_now(shop, lambda: datetime.now(timezone.utc))
    customers = [
        c
        for c in store.records(shop.source, Stream.CUSTOMERS)
        if isinstance(c, Customer) and c.created_at <= seeded
    ]
    orders = [
        o for o in store.records(shop.source, Stream.ORDERS) if isinstance(o, Order) and o.placed_at <= seeded
    ]
    done: list[str] = []
    referrer = _referrer(store, shop.source, customers)
    code = referral_code_for(program, DEMO_REFERRAL_SECRET, shop.source, referrer.key) if referrer else None
    if referrer is not None and code is not None:
        company = "Elbtal Logistik GmbH" if shop.adapter == "magento" else "Alsterblick Architekten GmbH"
        new_id = shop_ops.register(f"einkauf@{company.split()[0].lower()}.example", "Jana", "Peters", company)
        number = shop_ops.order(new_id, [("PAPER-A4", 150), ("TONER-BLK", 2)], code)
        done.append(
            f"new customer {new_id} ({company}) placed order {number} with the referral code "
            f"{code} of customer {referrer.key} ({referrer.company or referrer.email})"
        )
        same = referrer.company or "the same company"
        colleague = shop_ops.register(f"assistenz.{referrer.key}@demo-kollegen.example", "Tom", "Weber", same)
        number = shop_ops.order(colleague, [("PAPER-A4", 100)], code)
        done.append(
            f"new customer {colleague} of the same company ({same}) used that code too (order {number})"
        )
    waiting = [
        o for o in orders if o.status in (OrderStatus.PENDING, OrderStatus.PROCESSING) and not o.is_guest
    ]
    complete = [o for o in orders if o.status is OrderStatus.COMPLETE and not o.is_guest]
    if waiting and complete:
        target = max(waiting, key=lambda o: (o.placed_at, o.external_id))
        shop_ops.complete(target.external_id, complete[0].external_id)
        done.append(f"order {target.number} of customer {target.customer_key} was completed")
    others = [o for o in complete if referrer is None or o.customer_key != referrer.key]
    if others:
        target = max(others, key=lambda o: (o.subtotal.amount, o.external_id))
        shop_ops.refund(target.external_id)
        what = f"order {target.number} of customer {target.customer_key} ({target.subtotal})"
        done.append(f"{what} was refunded in full")
    return done


def _referrer(store: Store, source: str, customers: Sequence[Customer]) -> Customer | None:
    """The customer with a company and the most points: the one whose code the demo shares."""
    totals: dict[str, int] = {}
    for entry in store.ledger_entries(source):
        totals[entry.customer_key] = totals.get(entry.customer_key, 0) + entry.points
    candidates = [c for c in customers if c.company]
    if not candidates:
        return None
    return max(candidates, key=lambda c: (totals.get(c.key, 0), c.key))


class _MagentoOps:
    """The demo's changes through the Magento sandbox's test API."""

    def __init__(self, shop: Any) -> None:
        self.shop = shop

    def sales_channel_id(self) -> str | None:
        return None

    def register(self, email: str, first: str, last: str, company: str) -> str:
        record = self.shop.add_customer(email=email, firstname=first, lastname=last, company=company)
        return str(record["id"])

    def order(self, customer_id: str, lines: Sequence[tuple[str, int]], code: str) -> str:
        order = self.shop.add_order(
            int(customer_id),
            [{"sku": sku, "qty": qty} for sku, qty in lines],
            state="complete",
            coupon_code=code,
            discount_percent=10,
        )
        return str(order["increment_id"])

    def complete(self, order_id: str, completed_id: str) -> None:
        self.shop.touch("orders", int(order_id), state="complete", status="complete")

    def refund(self, order_id: str) -> None:
        self.shop.add_creditmemo(int(order_id))


class _ShopwareOps:
    """The demo's changes through the Shopware sandbox's test API."""

    def __init__(self, shop: Any) -> None:
        self.shop = shop

    def sales_channel_id(self) -> str | None:
        """The storefront: the sales channel the shop's customers are bound to."""
        bound = Counter(c.get("salesChannelId") for c in self.shop.entities["customer"].values())
        found = [channel for channel, _ in bound.most_common() if isinstance(channel, str)]
        return found[0] if found else None

    def register(self, email: str, first: str, last: str, company: str) -> str:
        record = self.shop.add_customer(email=email, firstName=first, lastName=last, company=company)
        return str(record["id"])

    def order(self, customer_id: str, lines: Sequence[tuple[str, int]], code: str) -> str:
        promotion = {"type": "promotion", "code": code, "amount": -25.0, "label": "Refer a business"}
        order = self.shop.add_order(
            customer_id, [*lines, promotion], state="completed", transaction_state="paid"
        )
        return str(order.get("orderNumber") or order["id"])

    def complete(self, order_id: str, completed_id: str) -> None:
        state = self.shop.entities["order"][completed_id]["stateId"]
        self.shop.touch("order", order_id, stateId=state)

    def refund(self, order_id: str) -> None:
        self.shop.set_transaction_state(order_id, "refunded")


_OPS: dict[str, Callable[[Any], Any]] = {"magento": _MagentoOps, "shopware": _ShopwareOps}


# -- rendering ----------------------------------------------------------------------------------------


def _n(value: int) -> str:
    return f"{value:,}"


def _cut(text: str, width: int) -> str:
    return text if width <= 0 or len(text) <= width else text[: width - 1] + "…"


def _columns(
    headers: Sequence[str], rows: Sequence[Sequence[str]], align: str, indent: str = "  "
) -> list[str]:
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]

    def line(values: Sequence[str]) -> str:
        cells = [
            v.rjust(w) if a == "r" else v.ljust(w) for v, w, a in zip(values, widths, align, strict=True)
        ]
        return (indent + "  ".join(cells)).rstrip()

    return [line(headers), *(line(r) for r in rows)]


def render_event(event: DemoEvent, width: int = 0) -> list[str]:
    """Lines for one finished step of the demo (``width`` > 0 cuts long example reasons to fit)."""
    if isinstance(event, ShopsStarted):
        return _render_started(event)
    if isinstance(event, BackfillDone):
        r = event.report
        streams = {s.value: c.read for s, c in r.streams.items()}
        rate = r.totals.read / r.duration_seconds if r.duration_seconds else 0.0
        if r.windows_total == 0 and r.windows_skipped:
            return [f"  {r.source:<16} already backfilled into this store by an earlier run: nothing to read"]
        return [
            f"  {r.source:<16} {_n(r.totals.read)} records read "
            f"({_n(streams.get('customers', 0))} customers, "
            f"{_n(streams.get('orders', 0))} orders, {_n(streams.get('refunds', 0))} refunds) in "
            f"{r.duration_seconds:.1f} s ({rate:,.0f} records/s); {_n(r.customers_evaluated)} customers "
            f"evaluated, {_n(r.ledger_entries_added)} ledger entries, {_n(r.quarantined)} quarantined"
        ]
    if isinstance(event, Summarized):
        return render_summary(event.ledger, event.replay, width)
    if isinstance(event, ProgrammeApplied):
        return _render_applied(event, width)
    if isinstance(event, ChangesMade):
        heading = ["", "5. A few changes in each shop, then an incremental sync that reads only what changed"]
        return [
            *(heading if event.first else []),
            "",
            f"   {event.source}:",
            *(f"   - {change}" for change in event.changes),
        ]
    synced = event.report
    t = synced.totals
    lines = [
        f"   sync read {_n(t.read)} records ({_n(t.inserted)} new, {_n(t.updated)} updated, "
        f"{_n(t.unchanged)} unchanged re-reads from the look-back) in {synced.duration_seconds:.1f} s; "
        f"{_n(synced.customers_evaluated)} customers evaluated, "
        f"{_n(len(event.entries))} ledger entries added:"
    ]
    first = sorted(event.entries, key=lambda e: (e.kind not in _REFERRAL_KINDS, e.id))
    rows = [
        (e.rule_id, e.customer_key, f"{e.points:+,}" if e.points else e.kind.value, e.reason)
        for e in first[:_SHOWN]
    ]
    if rows:
        table = _columns(("RULE", "CUSTOMER", "POINTS", "REASON"), rows, "llrl", "     ")
        lines += [_cut(line, width) for line in table]
    if len(first) > _SHOWN:
        lines.append(f"     ... and {len(first) - _SHOWN} more")
    return lines


_SHOWN = 16
_REFERRAL_KINDS = (IntentKind.REFERRAL_REWARD, IntentKind.REFERRAL_REJECTED)


def _render_started(event: ShopsStarted) -> list[str]:
    lines = ["1. Sandbox shops on 127.0.0.1 (seeded, in this process)"]
    lines += [
        f"   {s.source:<16} {s.base_url:<26} {_n(s.customers)} customers, {_n(s.orders)} orders"
        for s in event.shops
    ]
    lines += [f"   ({name}: not installed or without a sandbox; skipped)" for name in event.missing]
    where = event.store_path if event.kept else "a temporary store, removed at the end"
    lines += [
        "   referral codes use a fixed demo secret set in-process (never use it for a real programme)",
        "",
        f"2. Backfill of every shop's history into {where}",
    ]
    return lines


def render_summary(ledger: LedgerSummary, replay: CartReplay, width: int = 0) -> list[str]:
    """What each rule did, as aligned text: the ledger per rule, levels, referrals, the cart replay."""
    cur = ledger.currency
    lines = [
        "",
        f"3. What each rule did (ledger as of {ledger.at:%Y-%m-%d %H:%M} UTC: {_n(ledger.entries)} entries "
        f"for {_n(ledger.customers)} customers)",
    ]
    if ledger.levels:
        total = sum(level.customers for level in ledger.levels) or 1
        lines.append(
            "   levels held: "
            + ", ".join(
                f"{level.name} {_n(level.customers)} ({100 * level.customers / total:.0f} %)"
                for level in ledger.levels
            )
        )
    p = ledger.points
    lines.append(
        f"   points: {_n(p.earned)} earned, {_n(p.reversed)} reversed, {_n(p.expired)} expired, "
        f"{_n(p.redeemed)} redeemed; {_n(p.available)} available and {_n(p.pending)} pending now"
    )
    rows: list[tuple[str, ...]] = []
    notes: list[str] = []
    previous = ""
    for tally in ledger.rules:
        value = format_money(tally.amount, cur) if tally.amount else ""
        if not value and tally.percents:
            value = ", ".join(f"{pc.normalize():f} %" for pc in tally.percents) + " off"
        rule = "" if tally.rule_id == previous else tally.rule_id
        previous = tally.rule_id
        rows.append(
            (
                rule,
                tally.kind.value,
                _n(tally.entries),
                _n(tally.customers),
                f"{tally.points:+,}" if tally.points else "",
                value,
            )
        )
        notes.append(tally.examples[0] if tally.examples else "")
    table = _columns(("RULE", "KIND", "ENTRIES", "CUSTOMERS", "POINTS", "VALUE"), rows, "llrrrr", "   ")
    lines.append("")
    lines.append(table[0])
    for row, note in zip(table[1:], notes, strict=True):
        lines.append(row)
        if note:
            lines.append(_cut(f"       e.g. {note}", width))
    if ledger.referrals is not None:
        ref = ledger.referrals
        rejected = sum(r.count for r in ref.rejected)
        lines += [
            "",
            f"   referrals ({ref.rule_id}): {_n(ref.rewarded)} rewarded "
            f"({_n(ref.reward_points)} points), {_n(rejected)} rejected",
        ]
        if not ref.rewarded and not ref.rejected:
            lines.append("       (no referral code has been used yet)")
        lines += [_cut(f"       e.g. {example}", width) for example in ref.examples[:1]]
        lines += [_cut(f"     {_n(r.count)} x {r.reason}, e.g. {r.example}", width) for r in ref.rejected]
    lines += [
        "",
        f"   cart rules, replayed over {_n(replay.orders)} orders at their placed_at "
        f"({_n(replay.skipped)} canceled ones skipped):",
    ]
    rows, notes = [], []
    for tier in replay.tiers:
        rows.append(
            (
                tier.rule_id,
                "tier price",
                f"{_n(tier.lines)} lines in {_n(tier.orders)} orders",
                format_money(tier.discount, cur) + " off",
            )
        )
        notes.append(tier.examples[0] if tier.examples else "")
    for gift in replay.gifts:
        rows.append(
            (
                gift.rule_id,
                "free product",
                f"{_n(gift.orders)} orders",
                f"{gift.qty.normalize():,f} x {gift.sku}",
            )
        )
        notes.append(gift.examples[0] if gift.examples else "")
    if replay.referee is not None:
        ref_d = replay.referee
        rows.append(
            (
                ref_d.rule_id,
                "referee discount",
                f"{_n(ref_d.orders)} orders",
                format_money(ref_d.amount, cur) + " off",
            )
        )
        notes.append(ref_d.examples[0] if ref_d.examples else "")
    if rows:
        table = _columns(("RULE", "EFFECT", "APPLIED", "VALUE"), rows, "llrr", "   ")
        lines.append(table[0])
        for row, note in zip(table[1:], notes, strict=True):
            lines.append(row)
            if note:
                lines.append(_cut(f"       e.g. {note}", width))
    lines += [
        "",
        "4. The sample programme applied to each shop: plan, apply, then plan again "
        "(coupon codes use the demo secret)",
    ]
    return lines


def _render_applied(event: ProgrammeApplied, width: int) -> list[str]:
    kinds = event.kinds
    planned = sum(k.create + k.update + k.delete for k in kinds)
    ok, failed = sum(k.ok for k in kinds), sum(k.failed for k in kinds)
    lines = [
        "",
        f"   {event.source}: planned {_n(planned)} changes in {event.plan_seconds:.1f} s, applied "
        f"{_n(ok)} ok and {_n(failed)} failed in {event.apply_seconds:.1f} s",
    ]
    rows = [(k.kind, _n(k.create), _n(k.update), _n(k.delete), _n(k.ok), _n(k.failed)) for k in kinds]
    if rows:
        lines += _columns(("KIND", "CREATE", "UPDATE", "DELETE", "OK", "FAILED"), rows, "lrrrrr", "     ")
    lines += [_cut(f"     warning: {warning}", width) for warning in event.warnings]
    if event.stopped is not None:
        lines.append(
            _cut(f"     apply stopped ({_n(event.not_attempted)} not attempted): {event.stopped}", width)
        )
    left = sum(event.after.values())
    if left:
        counts = ", ".join(f"{_n(n)} {action}" for action, n in event.after.items())
        lines.append(f"     plan after apply: {_n(left)} changes left ({counts})")
    else:
        lines.append("     plan after apply: no changes")
    return lines


def render_footer(result: DemoResult) -> list[str]:
    """Where the time went, and the total."""
    steps = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in result.timings)
    return ["", f"done in {result.seconds:.1f} s ({steps})"]


def result_dict(result: DemoResult) -> dict[str, Any]:
    """The demo's result as plain data for ``--json`` (Decimals and datetimes left to the encoder)."""
    return {
        "program": result.program,
        "now": result.now,
        "store": result.started.store_path if result.started.kept else None,
        "shops": [dataclasses.asdict(s) for s in result.started.shops],
        "missing": list(result.started.missing),
        "backfills": [r.as_dict() for r in result.backfills],
        "summary": dataclasses.asdict(result.summary.ledger),
        "replay": dataclasses.asdict(result.summary.replay),
        "applied": [
            {
                "source": a.source,
                "ok": a.ok,
                "kinds": [dataclasses.asdict(k) for k in a.kinds],
                "not_attempted": a.not_attempted,
                "stopped": a.stopped,
                "warnings": list(a.warnings),
                "after": dict(a.after),
            }
            for a in result.applied
        ],
        "changes": {c.source: list(c.changes) for c in result.changes},
        "syncs": [{**s.report.as_dict(), "entries": export_rows(s.entries)} for s in result.syncs],
        "seconds": round(result.seconds, 3),
        "timings": {name: round(seconds, 3) for name, seconds in result.timings},
    }
