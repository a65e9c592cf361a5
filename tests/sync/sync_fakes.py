"""Helpers of the sync tests: an in-memory shop behind the ShopAdapter protocol, with keyset pages,
mutation and fault injection.

:class:`FakeShop` holds records by stream with their keyset positions and answers reads exactly as
the adapter contract says (records strictly after the cursor, before ``until``, in
``(changed_at, tiebreak)`` order, ``has_more`` when the page is full). Tests change it between
pages (``after_read``), make a read fail (``fail_on_read``) or misbehave (``misbehave``).
:meth:`FakeShop.generated` builds the same shop from the same seed in any process, which the
subprocess crash test relies on.
"""

from __future__ import annotations

import functools
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from loyalty_connector.adapter import Capabilities, Cursor, Page, ReadRecord, Record, Stream
from loyalty_connector.domain import (
    Customer,
    CustomerGroup,
    LineKind,
    Money,
    Order,
    OrderLine,
    OrderStatus,
    Refund,
)
from loyalty_connector.engine.customer import CustomerResult
from loyalty_connector.engine.referrals import referral_code
from loyalty_connector.engine.results import IntentKind, LedgerIntent, intent_key
from loyalty_connector.errors import ShopUnavailableError
from loyalty_connector.program import Program, parse_program
from loyalty_connector.synthetic import generate_history

SOURCE = "fake"
SECRET = b"test-referral-secret"
T0 = datetime(2025, 1, 6, 9, 0, tzinfo=timezone.utc)
NOW = datetime(2025, 7, 1, tzinfo=timezone.utc)
"""Evaluation time of most tests: after every generated record."""

PROGRAM_YAML = """
name: Sync test programme
currency: EUR
timezone: Europe/Berlin
points:
  earn:
    - id: spend
      rate: 1
      pending_days: 14
  bonuses:
    - id: first-order
      points: 100
  expiry_days: 365
levels:
  window_days: 365
  grace_days: 30
  levels:
    - {id: bronze, name: Bronze, customer_group: Bronze, min_orders: 1}
    - {id: silver, name: Silver, customer_group: Silver, min_spend: 20000, min_orders: 3}
referrals:
  referee_discount: {percent: 10}
  referrer_reward: {points: 500}
coupons:
  birthday:
    id: birthday
    discount: {percent: 5}
"""

_TYPES: dict[type[Any], Stream] = {Customer: Stream.CUSTOMERS, Order: Stream.ORDERS, Refund: Stream.REFUNDS}


@functools.cache
def program() -> Program:
    return parse_program(PROGRAM_YAML)


def code_of(customer_key: str, source: str = SOURCE) -> str:
    rules = program().referrals
    assert rules is not None
    return referral_code(SECRET, source, customer_key, prefix=rules.code_prefix, length=rules.code_length)


@dataclass
class Row:
    position: Cursor
    record: Record | None
    error: str | None = None
    raw: str | None = None


@dataclass
class FakeShop:
    """Records by stream and external id, read by keyset like a real shop's API."""

    source: str = SOURCE
    rows: dict[Stream, dict[str, Row]] = field(default_factory=lambda: {s: {} for s in Stream})
    reads: list[tuple[Stream, Cursor, datetime | None]] = field(default_factory=list)
    after_read: Callable[[FakeShop, int], None] | None = None
    """Called after the n-th read (1-based), outside the lock: change the shop between pages."""
    fail_on_read: int | None = None
    misbehave: str | None = None
    """``reorder``: pages come back reversed; ``stuck``: a full page that never moves."""
    groups: tuple[CustomerGroup, ...] = (
        CustomerGroup(source=SOURCE, external_id="1", code="General"),
        CustomerGroup(source=SOURCE, external_id="2", code="Wholesale"),
    )
    lock: threading.Lock = field(default_factory=threading.Lock)

    def put(self, record: Record, *, at: datetime | None = None) -> None:
        """Store ``record`` at position ``(at or record.updated_at, int(external_id))``."""
        stream = _TYPES[type(record)]
        if at is not None:
            record = record.model_copy(update={"updated_at": at})
        with self.lock:
            self.rows[stream][record.external_id] = Row(
                Cursor(record.updated_at, int(record.external_id)), record
            )

    def put_bad(
        self, stream: Stream, external_id: str, at: datetime, error: str = "unreadable status"
    ) -> None:
        with self.lock:
            self.rows[stream][external_id] = Row(
                Cursor(at, int(external_id)), None, error, f'{{"id": "{external_id}", "status": "???"}}'
            )

    def touch(self, stream: Stream, external_id: str, at: datetime, **changes: Any) -> None:
        """Change a record: its change timestamp moves to ``at`` (and its fields as given)."""
        row = self.rows[stream][external_id]
        assert row.record is not None
        self.put(row.record.model_copy(update={**changes, "updated_at": at}))

    def records(self, stream: Stream) -> dict[str, Record]:
        return {key: row.record for key, row in self.rows[stream].items() if row.record is not None}

    def read(self, stream: Stream, cursor: Cursor, limit: int, until: datetime | None) -> Page:
        with self.lock:
            self.reads.append((stream, cursor, until))
            number = len(self.reads)
            if number == self.fail_on_read:
                raise ShopUnavailableError("the shop went away (injected)", source=self.source)
            rows = sorted(
                (
                    row
                    for row in self.rows[stream].values()
                    if row.position > cursor and (until is None or row.position.changed_at < until)
                ),
                key=lambda row: row.position,
            )
            chosen = rows[:limit]
            items = tuple(
                ReadRecord(row.position, _external_id(row), row.record, row.error, row.raw) for row in chosen
            )
            if self.misbehave == "reorder" and len(items) > 1:
                items = tuple(reversed(items))
            if self.misbehave == "stuck":
                items = ()
            page = Page(items=items, has_more=len(chosen) == limit or self.misbehave == "stuck")
        if self.after_read is not None:
            self.after_read(self, number)
        return page

    @classmethod
    def generated(cls, seed: int, *, customers: int = 24, orders: int = 120) -> FakeShop:
        """A reproducible shop: synthetic B2B history plus guests, referral codes, ties and a bad record."""
        history = generate_history(
            seed=seed,
            customers=customers,
            orders=orders,
            source=SOURCE,
            start=datetime(2024, 1, 1, tzinfo=timezone.utc),
            end=datetime(2025, 6, 1, tzinfo=timezone.utc),
        )
        shop = cls()
        for person in history.customers:
            shop.put(person)
        tie = datetime(2024, 9, 1, 12, 0, tzinfo=timezone.utc)
        for n, sale in enumerate(history.orders):
            changes: dict[str, Any] = {}
            if n % 13 == 5:
                changes.update(customer_id=None, email=f"Guest{n}@Walk-In.example")
            if n % 9 == 4:
                referrer = str(n % customers + 1)
                if referrer != sale.customer_id:
                    changes["coupon_codes"] = (code_of(referrer).lower(),)
            if n % 17 == 0 and sale.placed_at < tie:
                changes["updated_at"] = tie
            shop.put(sale.model_copy(update=changes))
        for money_back in history.refunds:
            shop.put(money_back)
        shop.put_bad(Stream.ORDERS, "999999001", datetime(2024, 6, 1, tzinfo=timezone.utc))
        return shop


def _external_id(row: Row) -> str:
    if row.record is not None:
        return row.record.external_id
    return str(row.position.tiebreak)


class FakeAdapter:
    """The ShopAdapter protocol over a :class:`FakeShop`; one per worker, drawing on the shared budget."""

    def __init__(self, shop: FakeShop, budget: Any = None, *, max_page_size: int = 7) -> None:
        self.shop = shop
        self.source = shop.source
        self.budget = budget
        self.closed = False
        self._capabilities = Capabilities(streams=frozenset(Stream), max_page_size=max_page_size)

    @property
    def capabilities(self) -> Capabilities:
        return self._capabilities

    def read(self, stream: Stream, cursor: Cursor, limit: int, *, until: datetime | None = None) -> Page:
        if self.budget is not None:
            self.budget.acquire()
        return self.shop.read(stream, cursor, limit, until)

    def read_groups(self) -> list[CustomerGroup]:
        return list(self.shop.groups)

    def read_managed(self, kinds: Any) -> list[Any]:
        return []

    def write_managed(self, changes: Any) -> list[Any]:
        return []

    def close(self) -> None:
        self.closed = True


class CountingEvaluator:
    """A tiny stand-in for the engine: one EARN per complete order, one REVERSAL per refund.

    Counts calls per customer, and raises for the keys in ``fail_for``.
    """

    def __init__(self, fail_for: frozenset[str] = frozenset()) -> None:
        self.calls: list[str] = []
        self.referees: dict[str, tuple[str, ...]] = {}
        self.fail_for = fail_for
        self.lock = threading.Lock()

    def evaluate(
        self,
        customer,
        history,
        now,
        *,
        customer_group=None,
        referees=(),
        referral_secret=None,
        group_codes=None,
    ) -> CustomerResult:
        with self.lock:
            self.calls.append(customer.key)
            self.referees[customer.key] = tuple(sorted(r.email for r in referees))
        if customer.key in self.fail_for:
            raise ValueError(f"cannot evaluate {customer.key}")
        intents = []
        for order in history.orders:
            if order.status is OrderStatus.COMPLETE:
                record = f"order:{order.external_id}"
                intents.append(
                    LedgerIntent(
                        key=intent_key("fake", IntentKind.EARN, customer.source, customer.key, record),
                        kind=IntentKind.EARN,
                        rule_id="fake",
                        source=customer.source,
                        customer_key=customer.key,
                        record=record,
                        effective_at=order.placed_at,
                        reason="fake earn",
                        points=int(order.subtotal.amount),
                        available_at=order.placed_at + timedelta(days=14),
                    )
                )
        for money_back in history.refunds:
            record = f"refund:{money_back.external_id}"
            intents.append(
                LedgerIntent(
                    key=intent_key("fake", IntentKind.REVERSAL, customer.source, customer.key, record),
                    kind=IntentKind.REVERSAL,
                    rule_id="fake",
                    source=customer.source,
                    customer_key=customer.key,
                    record=record,
                    effective_at=money_back.created_at,
                    reason="fake reversal",
                    points=-int(money_back.amount.amount),
                    amount=money_back.amount.amount,
                    currency="EUR",
                )
            )
        return CustomerResult(tuple(intents), None, (), None)


def customer(n: int, changed: datetime = T0, **fields: Any) -> Customer:
    values: dict[str, Any] = {
        "source": SOURCE,
        "external_id": str(n),
        "email": f"einkauf@firma{n}.example",
        "company": f"Firma {n} GmbH",
        "vat_id": f"DE{100000000 + n}",
        "group_id": "2",
        "created_at": T0 - timedelta(days=400),
        "updated_at": changed,
    }
    values.update(fields)
    return Customer(**values)


def order(
    n: int,
    customer_id: str | None,
    changed: datetime = T0,
    *,
    amount: str = "200.00",
    status: OrderStatus = OrderStatus.COMPLETE,
    email: str = "walk-in@guest.example",
    coupons: tuple[str, ...] = (),
    placed: datetime | None = None,
) -> Order:
    money = Money.of(amount, "EUR")
    zero = Money.zero("EUR")
    line = OrderLine(
        line_id=f"{n}-1",
        sku="TONER-BLK",
        kind=LineKind.PRODUCT,
        qty=Decimal(1),
        unit_price=money,
        row_total=money,
        discount=zero,
        tax=zero,
    )
    return Order(
        source=SOURCE,
        external_id=str(n),
        number=f"1000{n}",
        customer_id=customer_id,
        email=email,
        status=status,
        raw_status=status.value,
        currency="EUR",
        placed_at=placed or changed,
        updated_at=changed,
        lines=(line,),
        subtotal=money,
        discount=zero,
        shipping=zero,
        tax=zero,
        grand_total=money,
        coupon_codes=coupons,
        group_id="2",
    )


def refund(n: int, order_id: str, changed: datetime, amount: str = "50.00") -> Refund:
    return Refund(
        source=SOURCE,
        external_id=str(n),
        order_id=order_id,
        created_at=changed,
        updated_at=changed,
        amount=Money.of(amount, "EUR"),
    )


class FixedClock:
    """A settable UTC clock: evaluation's ``now`` and every stored timestamp."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def snapshot(path: str) -> dict[str, list[tuple[Any, ...]]]:
    """Everything a run decides, without ids, run ids or wall-clock columns: for comparing stores."""
    queries = {
        "customers": "SELECT external_id, changed_at, data FROM customers ORDER BY external_id",
        "orders": "SELECT external_id, customer_key, changed_at, status, data FROM orders "
        "ORDER BY external_id",
        "refunds": "SELECT external_id, order_id, changed_at, data FROM refunds ORDER BY external_id",
        "ledger": "SELECT key, kind, customer_key, points, amount, effective_at, available_at, expires_at, "
        "reverses, attributes FROM ledger ORDER BY key",
        "quarantine": "SELECT stream, external_id, reason, resolved_at IS NULL FROM quarantine "
        "ORDER BY external_id",
        "referral_codes": "SELECT customer_key, code FROM referral_codes ORDER BY customer_key",
        "dirty": "SELECT customer_key FROM dirty_customers ORDER BY customer_key",
        "reviews": "SELECT customer_key, next_review_at FROM customer_reviews ORDER BY customer_key",
    }
    conn = sqlite3.connect(path)
    try:
        return {name: [tuple(row) for row in conn.execute(sql)] for name, sql in queries.items()}
    finally:
        conn.close()
