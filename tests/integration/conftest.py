"""Sync-engine reliability against the real sandbox shops over HTTP: programme, stores, shops, adapters.

Each shop is wrapped in a *kit* (a :class:`ShopKit`: :class:`MagentoKit` here, ``ShopwareKit`` in the
Shopware test module) that builds adapters for it (with an injected ``sleep`` so retries never really
wait), changes records the way its shop does, and reads the sandbox's current in-memory state for
comparison with a store.
:class:`SandboxSyncSuite` holds the reliability tests every shop runs; a shop's test module
subclasses it and provides the ``kit`` fixture (the pattern of ``loyalty_connector.testing``).

Sizes are small (``CUSTOMERS``, ``ORDERS``) so the whole integration set stays well under a minute.

Test modules import this module as ``integration_conftest``, the alias it registers when pytest loads
it: every test directory's ``conftest.py`` is a module named ``conftest``, and with several test paths
on the command line ``from conftest import ...`` would find whichever was loaded last.
"""

from __future__ import annotations

import functools
import shutil
import sqlite3
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from loyalty_connector.adapter import Record, ShopAdapter, Stream, create_adapter
from loyalty_connector.errors import AuthenticationError, MappingError
from loyalty_connector.http import RequestBudget, RetryPolicy
from loyalty_connector.program import Program, SourceConfig, parse_program
from loyalty_connector.sandbox_server import SandboxRequest
from loyalty_connector.store import Store, open_store
from loyalty_connector.sync import AdapterFactory, Backfill, BackfillReport, SyncReport, SyncRunner

sys.modules.setdefault("integration_conftest", sys.modules[__name__])

SOURCE = "shop"
SECRET = b"integration-referral-secret"
SEED = 11
CUSTOMERS = 80
ORDERS = 600
PAGE_SIZE = 50
WINDOW = timedelta(days=120)
EVALUATION_DELAY = timedelta(days=30)
"""Evaluation's ``now`` is this long after the sandbox's clock at start: after every seeded record."""

PROGRAM_YAML = """
name: Integration test programme
currency: EUR
timezone: Europe/Berlin
exchange_rates: {USD: 0.92, GBP: 1.17}
foreign_currency: convert
levels:
  window_days: 365
  grace_days: 60
  levels:
    - {id: bronze, name: Bronze, customer_group: Loyalty Bronze, min_orders: 1}
    - {id: silver, name: Silver, customer_group: Loyalty Silver, min_spend: 5000, min_orders: 3}
    - {id: gold, name: Gold, customer_group: Loyalty Gold, min_spend: 15000, min_orders: 6}
referrals:
  referee_discount: {percent: 10}
  referrer_reward: {points: 2000}
  min_subtotal: 250
points:
  earn:
    - {id: spend-points, rate: 1, pending_days: 14}
  bonuses:
    - {id: welcome-bonus, points: 500, trigger: first_order, min_subtotal: 100}
  expiry_days: 730
coupons:
  next_purchase:
    - {id: thank-you-5, discount: {percent: 5}, valid_days: 30, min_subtotal: 1000}
  birthday: {id: birthday-20, discount: {amount: 20}, days_before: 7, days_after: 14}
"""

SNAPSHOT_QUERIES = {
    "customers": "SELECT external_id, changed_at, data FROM customers ORDER BY external_id",
    "orders": "SELECT external_id, customer_key, changed_at, status, data FROM orders ORDER BY external_id",
    "refunds": "SELECT external_id, order_id, changed_at, data FROM refunds ORDER BY external_id",
    "ledger": "SELECT key, kind, customer_key, points, amount, effective_at, available_at, expires_at, "
    "reverses, attributes FROM ledger ORDER BY key",
    "quarantine": "SELECT stream, external_id, reason, resolved_at IS NULL FROM quarantine "
    "ORDER BY external_id",
    "referral_codes": "SELECT customer_key, code FROM referral_codes ORDER BY customer_key",
    "dirty": "SELECT customer_key FROM dirty_customers ORDER BY customer_key",
    "reviews": "SELECT customer_key, next_review_at FROM customer_reviews ORDER BY customer_key",
}
"""Everything a run decides, without row ids, run ids or wall-clock columns."""


@functools.cache
def program() -> Program:
    return parse_program(PROGRAM_YAML)


def snapshot(path: str | Path) -> dict[str, list[tuple[Any, ...]]]:
    """The decided content of a store file, for comparing two stores table by table."""
    conn = sqlite3.connect(str(path))
    try:
        return {name: [tuple(row) for row in conn.execute(sql)] for name, sql in SNAPSHOT_QUERIES.items()}
    finally:
        conn.close()


def assert_same_store(actual: str | Path, expected: str | Path) -> None:
    """Table by table, so a failure names the table that differs."""
    got, want = snapshot(actual), snapshot(expected)
    assert want["ledger"], "the comparison must cover a real ledger"
    for table, rows in want.items():
        assert got[table] == rows, f"{table} differs"


def copy_store(store: Store, target: Path) -> Path:
    """A consistent copy of ``store``'s file (WAL included) at ``target``."""
    source = sqlite3.connect(store.path)
    copy = sqlite3.connect(str(target))
    try:
        source.backup(copy)
    finally:
        copy.close()
        source.close()
    return target


class VirtualTime:
    """Seconds that pass only when something sleeps: retries and budget pauses never really wait.

    ``sleep`` is injected into the adapters' HTTP clients and ``clock``/``sleep`` into request
    budgets; ``slept`` records every wait so a test can see that ``Retry-After`` was honoured.
    """

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []
        self._lock = threading.Lock()

    def clock(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.slept.append(seconds)
            self.now += max(seconds, 1e-3)

    def budget(self, rate: float = 500.0, burst: int = 8) -> RequestBudget:
        return RequestBudget(rate=rate, burst=burst, clock=self.clock, sleep=self.sleep)


@dataclass
class StreamState:
    """A record as the shop holds it right now: change timestamp and status (orders only)."""

    changed_at: datetime
    status: str | None = None


@dataclass
class ShopKit:
    """One started sandbox shop and what the tests need from it. Subclasses fill in the shop specifics."""

    shop: Any
    """The started sandbox (a :class:`~loyalty_connector.sandbox_server.SandboxServer` with ``describe``)."""
    source: str = SOURCE
    now: datetime = field(init=False)
    """Evaluation's fixed ``now``: after every seeded record and every change a test makes."""

    name = "shop"
    stream_paths: dict[Stream, str] = field(default_factory=dict)
    """A path fragment of each stream's read requests, to count or intercept them."""

    def __post_init__(self) -> None:
        self.now = self.shop_time() + EVALUATION_DELAY

    def shop_time(self) -> datetime:
        """The sandbox's own clock (both sandboxes keep one, so changes get shop-side timestamps)."""
        moment: datetime = self.shop.now()
        return moment

    def source_config(self, **settings: Any) -> SourceConfig:
        """The sandbox's ready ``sources`` entry, with ``settings`` laid over its own."""
        described = self.shop.describe()["source"]
        return SourceConfig(**{**described, "settings": {**described["settings"], **settings}})

    # what every kit provides

    def adapter(
        self,
        *,
        budget: RequestBudget | None = None,
        sleep: Callable[[float], None] | None = None,
        retry: RetryPolicy | None = None,
        wrong_credentials: bool = False,
    ) -> ShopAdapter:
        raise NotImplementedError

    def change_order(self, external_id: str) -> None:
        """Change an order's status the way the shop would (its change timestamp moves to now)."""
        raise NotImplementedError

    def change_customer(self, external_id: str) -> None:
        raise NotImplementedError

    def add_order(self, customer_id: str) -> str:
        raise NotImplementedError

    def add_customer(self, number: int) -> str:
        raise NotImplementedError

    def refund_order(self, external_id: str) -> str | None:
        """Refund what is left of an order (a new refund record); ``None`` if the shop cannot here."""
        raise NotImplementedError

    def expected(self, stream: Stream) -> dict[str, Record]:
        """Every record of ``stream`` the shop holds now, mapped as the adapter maps it (compared by
        ``model_dump``, which leaves out the shop payload a ``Customer`` carries but the store drops)."""
        raise NotImplementedError

    def raw_state(self, stream: Stream) -> dict[str, StreamState]:
        """Every record of ``stream`` the shop holds now, read straight from its in-memory tables."""
        raise NotImplementedError

    def superseded(self, stream: Stream) -> set[str]:
        """Records a store may rightly keep though the shop no longer shows them (none by default)."""
        return set()

    # shared
    def credentials_env(self) -> dict[str, str]:
        described: dict[str, str] = self.shop.describe()["env"]
        return described

    def public_adapter(self, budget: RequestBudget | None = None) -> ShopAdapter:
        """An adapter built the way the CLI builds it: programme source + credentials from the env."""
        from loyalty_connector.adapter import discover_adapters

        plugins = {name: p for name, p in discover_adapters().items() if name == self.name}
        config = self.source_config(page_size=PAGE_SIZE)
        return create_adapter(
            self.source, config, environ=self.credentials_env(), budget=budget, plugins=plugins
        )

    def factory(self, **options: Any) -> AdapterFactory:
        return lambda budget: self.adapter(budget=budget, **options)

    def span(self) -> tuple[datetime, datetime]:
        """A backfill span covering every record: from the day before the earliest to just after now."""
        earliest = min(state.changed_at for stream in Stream for state in self.raw_state(stream).values())
        since = earliest.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=1)
        return since, self.shop_time() + timedelta(seconds=1)

    def sync(self, store: Store, adapter: ShopAdapter | None = None) -> SyncReport:
        return SyncRunner(
            store,
            adapter or self.adapter(),
            program(),
            referral_secret=SECRET,
            page_size=PAGE_SIZE,
            clock=lambda: self.now,
        ).run()

    def backfill(
        self,
        store: Store,
        *,
        workers: int = 1,
        factory: AdapterFactory | None = None,
        budget: RequestBudget | None = None,
        restart: bool = False,
    ) -> BackfillReport:
        since, until = self.span()
        return run_backfill(
            store,
            factory or self.factory(),
            now=self.now,
            since=since,
            until=until,
            workers=workers,
            budget=budget,
            restart=restart,
        )


def run_backfill(
    store: Store,
    factory: AdapterFactory,
    *,
    now: datetime,
    since: datetime,
    until: datetime,
    workers: int = 1,
    budget: RequestBudget | None = None,
    restart: bool = False,
    evaluation_batch: int = 200,
) -> BackfillReport:
    """The one backfill every test runs (and the crash test's child process runs)."""
    return Backfill(
        store,
        factory,
        program(),
        since=since,
        until=until,
        window=WINDOW,
        workers=workers,
        budget=budget,
        referral_secret=SECRET,
        page_size=PAGE_SIZE,
        restart=restart,
        clock=lambda: now,
        evaluation_batch=evaluation_batch,
    ).run()


def record_order(external_id: str) -> tuple[int, str]:
    """A sort key for external ids: Magento's numerically, Shopware's (hex uuids) as text."""
    return (int(external_id), "") if external_id.isdigit() else (0, external_id)


def stored_state(store: Store, source: str, stream: Stream) -> dict[str, StreamState]:
    """What the store holds of ``stream``: change timestamp and (orders) the shop's raw status."""
    states: dict[str, StreamState] = {}
    for record in store.records(source, stream):
        status = getattr(record, "raw_status", None)
        assert record.external_id not in states, f"{stream.value} {record.external_id} stored twice"
        states[record.external_id] = StreamState(record.updated_at, status)
    return states


def assert_store_matches_shop(kit: ShopKit, store: Store) -> None:
    """Every record the shop holds now is stored exactly once, in its current version; nothing else is."""
    for stream in (Stream.CUSTOMERS, Stream.ORDERS, Stream.REFUNDS):
        raw = kit.raw_state(stream)
        held = stored_state(store, kit.source, stream)
        missing = sorted(set(raw) - set(held), key=record_order)
        assert not missing, f"{stream.value}: records lost: {missing[:10]}"
        extra = set(held) - set(raw)
        assert extra <= kit.superseded(stream), f"{stream.value}: records the shop does not hold: {extra}"
        stale = sorted((key for key in raw if held[key] != raw[key]), key=record_order)
        assert not stale, (
            f"{stream.value}: stale versions stored for {[(k, held[k], raw[k]) for k in stale[:10]]}"
        )
        expected = {key: record.model_dump() for key, record in kit.expected(stream).items()}
        stored = {record.external_id: record.model_dump() for record in store.records(kit.source, stream)}
        differing = sorted((key for key in expected if stored.get(key) != expected[key]), key=record_order)
        assert not differing, f"{stream.value}: stored records differ from the shop's for {differing[:10]}"


# --- Magento ---------------------------------------------------------------------------------------------


@dataclass
class MagentoKit(ShopKit):
    name = "magento"

    def __post_init__(self) -> None:
        self.stream_paths = {
            Stream.CUSTOMERS: "/V1/customers/search",
            Stream.ORDERS: "/V1/orders",
            Stream.REFUNDS: "/V1/creditmemos",
        }
        super().__post_init__()

    @property
    def magento(self) -> Any:
        return self.shop

    def adapter(
        self,
        *,
        budget: RequestBudget | None = None,
        sleep: Callable[[float], None] | None = None,
        retry: RetryPolicy | None = None,
        wrong_credentials: bool = False,
    ) -> ShopAdapter:
        from loyalty_connector_magento import MagentoAdapter, MagentoClient

        values = self.magento.credentials
        credentials = {
            name: values[name]
            for name in ("consumer_key", "consumer_secret", "access_token", "access_token_secret")
        }
        if wrong_credentials:
            credentials["access_token"] = "x" * len(credentials["access_token"])
        client = MagentoClient(
            self.shop.base_url,
            source=self.source,
            auth_mode="oauth",
            credentials=credentials,
            budget=budget,
            sleep=sleep,
            retry=retry,
        )
        return MagentoAdapter(self.source, client, page_size=PAGE_SIZE)

    def change_order(self, external_id: str) -> None:
        order = self.magento.orders[int(external_id)]
        if order["state"] == "canceled":
            self.magento.touch("orders", int(external_id), customer_lastname="Changed")
        else:
            self.magento.touch("orders", int(external_id), state="canceled", status="canceled")

    def change_customer(self, external_id: str) -> None:
        self.magento.touch("customers", int(external_id), lastname="Renamed")

    def add_order(self, customer_id: str) -> str:
        placed = self.magento.add_order(int(customer_id), [{"sku": "TONER-BLK", "qty": 3}], state="complete")
        return str(placed["entity_id"])

    def add_customer(self, number: int) -> str:
        added = self.magento.add_customer(
            email=f"buyer{number}@neu-kunde{number}.example", company=f"Neukunde {number} GmbH", group_id=2
        )
        return str(added["id"])

    def refund_order(self, external_id: str) -> str | None:
        try:
            memo = self.magento.add_creditmemo(int(external_id))
        except ValueError:
            return None
        return str(memo["entity_id"])

    def _payloads(self, stream: Stream) -> dict[str, dict[str, Any]]:
        with self.shop.lock:
            if stream is Stream.ORDERS:
                orders = self.magento.orders
                return {str(key): orders[key] for key in orders}
            table = self.magento.customers if stream is Stream.CUSTOMERS else self.magento.creditmemos
            return {str(key): dict(value) for key, value in table.items()}

    def expected(self, stream: Stream) -> dict[str, Record]:
        from loyalty_connector_magento.mapping import map_customer, map_order, map_refund

        mappers: dict[Stream, Callable[[Any, str], Record]] = {
            Stream.CUSTOMERS: map_customer,
            Stream.ORDERS: map_order,
            Stream.REFUNDS: map_refund,
        }
        mapper = mappers[stream]
        mapped: dict[str, Record] = {}
        for key, payload in self._payloads(stream).items():
            try:
                mapped[key] = mapper(payload, self.source)
            except MappingError:
                continue  # quarantined: compared through raw_state
        return mapped

    def raw_state(self, stream: Stream) -> dict[str, StreamState]:
        def moment(text: str) -> datetime:
            return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc)

        states = {}
        for key, payload in self._payloads(stream).items():
            status = payload.get("status") if stream is Stream.ORDERS else None
            states[key] = StreamState(moment(payload["updated_at"]), status)
        return states


@contextmanager
def magento_kit(customers: int = CUSTOMERS, orders: int = ORDERS) -> Iterator[MagentoKit]:
    """A started Magento sandbox of the seeded size, as a kit."""
    from loyalty_connector_magento.sandbox import MagentoSandbox

    with MagentoSandbox(seed=SEED, customers=customers, orders=orders) as shop:
        yield MagentoKit(shop)


# --- the suite every shop runs ---------------------------------------------------------------------------


class SandboxSyncSuite:
    """Reliability of sync and backfill against one sandbox shop over HTTP.

    Subclasses provide :meth:`started` (a context manager giving a started shop as seeded) and may
    set ``fault_kinds``. Every test gets a shop of its own (tests change shops); the shop is seeded,
    so one clean backfill per class serves every test as the reference store.
    """

    fault_kinds: tuple[str, ...] = ("429", "503", "drop", "truncate")

    @classmethod
    def started(cls) -> AbstractContextManager[ShopKit]:
        raise NotImplementedError

    @pytest.fixture
    def kit(self) -> Iterator[ShopKit]:
        with self.started() as kit:
            yield kit

    @pytest.fixture(scope="class")
    @classmethod
    def clean_backfill(cls, tmp_path_factory: pytest.TempPathFactory) -> Path:
        """A store file built by one clean backfill of a freshly seeded shop, with no faults."""
        path = tmp_path_factory.mktemp("reference") / "reference.db"
        with cls.started() as kit:
            opened = open_store(path)
            kit.backfill(opened)
            opened.close()
        return path

    @pytest.fixture
    def store(self, tmp_path: Path) -> Iterator[Store]:
        opened = open_store(tmp_path / "loyalty.db")
        yield opened
        opened.close()

    @pytest.fixture
    def reference(self, clean_backfill: Path, tmp_path: Path) -> Iterator[Store]:
        """A copy of the clean backfill's store, for this test to compare with or to change."""
        opened = open_store(shutil.copy(clean_backfill, tmp_path / "reference.db"))
        yield opened
        opened.close()

    def test_a_backfill_through_twenty_percent_faults_builds_the_same_store_as_a_clean_one(
        self, kit: ShopKit, reference: Store, store: Store
    ) -> None:
        time = VirtualTime()
        start = len(kit.shop.requests)
        kit.shop.faults.configure(error_rate=0.2, kinds=self.fault_kinds, seed=SEED, retry_after="7")
        report = kit.backfill(
            store,
            workers=3,
            budget=time.budget(),
            factory=kit.factory(sleep=time.sleep, retry=RetryPolicy(max_attempts=12)),
        )
        kit.shop.faults.clear()
        injected = kit.shop.faults.injected
        assert all(injected.get(kind, 0) > 0 for kind in self.fault_kinds), injected
        served = kit.shop.requests[start:]
        assert sum(1 for r in served if r.fault is not None) >= 0.1 * len(served), injected
        asked = injected.get("429", 0) + injected.get("503", 0)
        assert sum(1 for wait in time.slept if wait >= 7.0) >= asked, "Retry-After: 7 was not honoured"
        assert report.quarantined == 0
        assert_same_store(store.path, reference.path)

    def test_a_401_fails_fast_with_one_clear_line_and_writes_nothing(
        self, kit: ShopKit, store: Store
    ) -> None:
        time = VirtualTime()
        before = len(kit.shop.requests)
        with pytest.raises(AuthenticationError) as caught:
            kit.sync(store, kit.adapter(wrong_credentials=True, sleep=time.sleep))
        message = str(caught.value)
        assert "\n" not in message.strip()
        assert "401" in message
        assert all(secret not in message for secret in kit.credentials_env().values())
        assert len(kit.shop.requests) - before <= 2, "a 401 must not be retried"
        assert time.slept == []
        [run] = store.runs(SOURCE)
        assert run.status == "failed"
        assert run.error is not None
        assert "AuthenticationError" in run.error
        assert store.lock_of(SOURCE) is None
        assert not any(snapshot(store.path)[table] for table in ("customers", "orders", "ledger"))

    def test_a_second_sync_reads_only_the_look_back_and_changes_nothing(
        self, kit: ShopKit, store: Store, tmp_path: Path
    ) -> None:
        first = kit.sync(store)
        assert first.ledger_entries_added > 0
        after_first = copy_store(store, tmp_path / "first.db")
        second = kit.sync(store)
        assert second.ledger_entries_added == 0
        assert second.totals.inserted == second.totals.updated == 0
        assert second.totals.read < first.totals.read
        assert_same_store(store.path, after_first)

    def test_backfilling_the_same_span_twice_leaves_the_ledger_unchanged(
        self, kit: ShopKit, reference: Store, tmp_path: Path
    ) -> None:
        after_first = copy_store(reference, tmp_path / "first.db")
        served = len(kit.shop.requests)
        resumed = kit.backfill(reference)
        assert resumed.windows_total == 0
        assert resumed.windows_skipped > 0
        assert len(kit.shop.requests) - served <= 2, "a finished backfill must not read its windows again"
        again = kit.backfill(reference, restart=True, workers=2)
        assert again.windows_total > 0
        assert again.totals.read > 0
        assert again.totals.inserted == again.totals.updated == 0
        assert again.ledger_entries_added == 0
        synced = kit.sync(reference)
        assert synced.ledger_entries_added == 0
        assert_same_store(reference.path, after_first)

    def test_a_parallel_backfill_builds_the_same_store_as_one_sync(
        self, kit: ShopKit, reference: Store, store: Store
    ) -> None:
        kit.sync(store, kit.public_adapter())
        assert_same_store(store.path, reference.path)

    def test_records_changed_between_pages_of_a_sync_are_neither_lost_nor_duplicated(
        self, kit: ShopKit, store: Store
    ) -> None:
        changes = ShopChanges(kit)
        kit.shop.hooks.append(changes.hook)
        kit.sync(store)
        kit.shop.hooks.clear()
        assert changes.done >= 8, "the hook must have changed records during the sync"
        kit.sync(store)
        assert_store_matches_shop(kit, store)

    def test_records_changed_during_a_parallel_backfill_are_caught_by_the_next_sync(
        self, kit: ShopKit, store: Store
    ) -> None:
        changes = ShopChanges(kit)
        kit.shop.hooks.append(changes.hook)
        kit.backfill(store, workers=2)
        kit.shop.hooks.clear()
        assert changes.done >= 8, "the hook must have changed records during the backfill"
        kit.sync(store)
        assert_store_matches_shop(kit, store)


class ShopChanges:
    """A sandbox hook that changes records while they are being read.

    On every third read request of orders or customers (before the shop answers it) it changes one
    record already read and one not read yet, adds an order, and every other time refunds an order
    or registers a customer; so pages move under the reader in every way a live shop moves them.
    """

    def __init__(self, kit: ShopKit) -> None:
        self.kit = kit
        self.reads = 0
        self.done = 0
        orders = sorted(
            kit.raw_state(Stream.ORDERS).items(), key=lambda item: (item[1].changed_at, record_order(item[0]))
        )
        self.order_ids = [key for key, _ in orders]
        self.customer_ids = sorted(kit.raw_state(Stream.CUSTOMERS), key=record_order)
        self.added = 0
        self._busy = threading.Lock()

    def hook(self, request: SandboxRequest) -> None:
        if request.method == "POST" and "oauth" in request.path:
            return
        paths = (self.kit.stream_paths[Stream.ORDERS], self.kit.stream_paths[Stream.CUSTOMERS])
        if not any(fragment in request.path for fragment in paths):
            return
        with self._busy:
            self.reads += 1
            if self.reads % 3 != 0 or self.done >= 40:
                return
            step = self.reads // 3
            kit = self.kit
            read_early = self.order_ids[(step * 7) % 40]
            unread = self.order_ids[-1 - (step * 11) % 40]
            kit.change_order(read_early)
            kit.change_order(unread)
            kit.change_customer(self.customer_ids[(step * 5) % len(self.customer_ids)])
            buyer = self.customer_ids[(step * 3) % len(self.customer_ids)]
            self.order_ids.append(kit.add_order(buyer))
            self.done += 4
            if step % 2:
                kit.refund_order(self.order_ids[(step * 13) % len(self.order_ids)])
            else:
                self.added += 1
                self.customer_ids.append(kit.add_customer(self.added))
            self.done += 1
