"""Reading the Shopware sandbox over HTTP: keyset order, changes mid-read, guests, currencies, refunds."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from loyalty_connector.adapter import Cursor, Stream
from loyalty_connector.domain import Order, OrderStatus, Refund
from loyalty_connector.errors import AuthenticationError
from loyalty_connector.http import RetryPolicy
from loyalty_connector.testing import read_all
from loyalty_connector_shopware.adapter import ShopwareAdapter
from loyalty_connector_shopware.auth import ClientCredentialsGrant, PasswordGrant
from loyalty_connector_shopware.client import ShopwareClient
from loyalty_connector_shopware.mapping import parse_timestamp
from loyalty_connector_shopware.sandbox import ShopwareSandbox


@pytest.fixture
def shop() -> Iterator[ShopwareSandbox]:
    with ShopwareSandbox(seed=5, customers=30, orders=120) as shop:
        yield shop


@pytest.fixture
def sleeps() -> list[float]:
    return []


def connect(
    shop: ShopwareSandbox, sleeps: list[float], *, grant: Any = None, page_size: int = 100
) -> ShopwareAdapter:
    credentials = shop.credentials
    client = ShopwareClient(
        shop.base_url,
        grant or ClientCredentialsGrant(credentials["client_id"], credentials["client_secret"]),
        source="sw",
        retry=RetryPolicy(max_attempts=4, backoff=0.0, jitter=0.0),
        sleep=sleeps.append,
    )
    return ShopwareAdapter("sw", client, page_size=page_size)


@pytest.fixture
def adapter(shop: ShopwareSandbox, sleeps: list[float]) -> Iterator[ShopwareAdapter]:
    adapter = connect(shop, sleeps)
    yield adapter
    adapter.close()


def orders(items: list[Any]) -> list[Order]:
    return [item.record for item in items if isinstance(item.record, Order)]


def test_never_updated_and_updated_records_interleave_in_true_keyset_order(shop, adapter) -> None:
    rows = shop.entities["order"]
    customer = next(iter(shop.entities["customer"]))
    updated = sorted({parse_timestamp(r["updatedAt"]) for r in rows.values() if r["updatedAt"] is not None})
    # Never-updated orders created amid the updated ones: some strictly between two of them, some at
    # exactly the same millisecond as one (a tie across populations, broken by autoIncrement). MySQL
    # sorts NULL first, so one query sorted by updatedAt would list all of them before the others.
    for n, index in enumerate(range(5, len(updated) - 5, len(updated) // 8)):
        moment = updated[index] if n % 2 else updated[index] + (updated[index + 1] - updated[index]) / 2
        shop.add_order(customer, ["PAPER-A4"], created_at=moment)
    items = read_all(adapter, Stream.ORDERS, limit=7)
    positions = [item.position for item in items]
    assert positions == sorted(positions)
    assert len(set(positions)) == len(positions)
    assert {item.external_id for item in items} == set(rows)
    populations = [rows[item.external_id]["updatedAt"] is None for item in items]
    switches = sum(1 for a, b in itertools.pairwise(populations) if a != b)
    assert switches >= 10, "never-updated orders must be merged between updated ones, not listed first"
    ties = [a for a, b in itertools.pairwise(positions) if a.changed_at == b.changed_at]
    assert ties, "a never-updated order shares its millisecond with an updated one"
    mysql_order = sorted(
        rows.values(),
        key=lambda r: (r["updatedAt"] is not None, r["updatedAt"] or "", r["createdAt"], r["autoIncrement"]),
    )
    assert [r["id"] for r in mysql_order] != [item.external_id for item in items]


def test_a_new_order_created_before_the_cursor_time_is_not_lost_to_the_other_population(
    shop, adapter
) -> None:
    everything = read_all(adapter, Stream.ORDERS, limit=50)
    last = everything[-1].position
    customer = next(iter(shop.entities["customer"]))
    late = shop.add_order(customer, ["PAPER-A4"])  # never updated: positioned by createdAt
    touched = everything[0].external_id
    shop.touch("order", touched)  # updated: positioned by updatedAt, one instant later
    again = read_all(adapter, Stream.ORDERS, last, limit=1)
    assert [item.external_id for item in again] == [late["id"], touched]


def test_records_changed_between_pages_are_read_again_and_none_is_lost(shop, adapter) -> None:
    rows = shop.entities["order"]
    first_page = adapter.read(Stream.ORDERS, Cursor.start(), 10).items
    read_early = first_page[0].external_id
    unread = sorted(rows, key=lambda i: rows[i]["autoIncrement"])[-1]
    searches = {"count": 0}

    def mid_read(request: Any) -> None:
        if request.path.endswith("/search/order"):
            searches["count"] += 1
            if searches["count"] == 5:  # third page: change one record already read and one not yet read
                shop.touch("order", read_early, customerComment="called back")
                shop.touch("order", unread, customerComment="called back")

    shop.hooks.append(mid_read)
    items = list(first_page) + read_all(adapter, Stream.ORDERS, first_page[-1].position, limit=10)
    ids = [item.external_id for item in items]
    assert set(ids) == set(rows)
    assert ids.count(read_early) == 2  # read again at its new position
    assert ids.count(unread) == 1  # skipped at its old position, read once at its new one
    last = {item.external_id: item for item in items}
    assert last[read_early].position.changed_at == parse_timestamp(rows[read_early]["updatedAt"])


def test_a_guest_order_is_keyed_by_email(shop, adapter) -> None:
    start = read_all(adapter, Stream.ORDERS, limit=100)[-1].position
    order = shop.add_order(None, ["TONER-BLK"], email="Guest.Buyer@Example.com")
    (item,) = read_all(adapter, Stream.ORDERS, start)
    mapped = item.record
    assert isinstance(mapped, Order)
    assert mapped.external_id == order["id"]
    assert mapped.customer_id is None
    assert mapped.customer_key == "guest:guest.buyer@example.com"


def test_seeded_guest_accounts_are_not_customers(shop, adapter) -> None:
    customers = {item.external_id for item in read_all(adapter, Stream.CUSTOMERS, limit=50)}
    guests = {i for i, row in shop.entities["customer"].items() if row["guest"]}
    registered = {i for i, row in shop.entities["customer"].items() if not row["guest"]}
    assert customers == registered
    assert not customers & guests


def test_a_foreign_currency_order_keeps_its_currency_and_gets_a_base_total(shop, adapter) -> None:
    start = read_all(adapter, Stream.ORDERS, limit=100)[-1].position
    customer = next(iter(shop.entities["customer"]))
    shop.add_order(customer, [("TONER-BLK", 2)], currency="USD", state="completed", transaction_state="paid")
    (item,) = read_all(adapter, Stream.ORDERS, start)
    mapped = item.record
    assert isinstance(mapped, Order)
    assert mapped.currency == "USD"
    assert mapped.status is OrderStatus.COMPLETE
    assert mapped.base_grand_total is not None
    assert mapped.base_grand_total.currency == "EUR"
    expected = (mapped.grand_total.amount / Decimal("1.0873")).quantize(Decimal("0.01"))
    assert abs(mapped.base_grand_total.amount - expected) <= Decimal("0.01")


def test_promotion_lines_attribute_the_code_used(shop, adapter) -> None:
    start = read_all(adapter, Stream.ORDERS, limit=100)[-1].position
    customer = next(iter(shop.entities["customer"]))
    shop.add_order(
        customer, [("PAPER-A4", 10), {"type": "promotion", "amount": -5.0, "code": "REF-QKZT-418"}]
    )
    (item,) = read_all(adapter, Stream.ORDERS, start)
    mapped = item.record
    assert isinstance(mapped, Order)
    assert mapped.coupon_codes == ("REF-QKZT-418",)
    assert mapped.discount.amount > 0


def test_payment_changes_do_not_move_the_order_but_appear_as_refunds(shop, adapter) -> None:
    customer = next(iter(shop.entities["customer"]))
    order = shop.add_order(
        customer,
        [("TONER-BLK", 1), ("CHAIR-ERGO", 1)],
        state="completed",
        transaction_state="paid",
        tax_status="gross",
    )
    orders_end = read_all(adapter, Stream.ORDERS, limit=100)[-1].position
    refunds_end = read_all(adapter, Stream.REFUNDS, limit=100)[-1].position

    shop.set_transaction_state(order["id"], "refunded_partially", amount=59.50)
    assert read_all(adapter, Stream.ORDERS, orders_end) == []
    (partial,) = read_all(adapter, Stream.REFUNDS, refunds_end)
    shop.set_transaction_state(order["id"], "refunded")
    (full,) = read_all(adapter, Stream.REFUNDS, partial.position)

    assert isinstance(partial.record, Refund)
    assert isinstance(full.record, Refund)
    transaction = partial.external_id.split(":")[0]
    assert partial.external_id == f"{transaction}:refunded_partially"
    assert full.external_id == f"{transaction}:refunded"
    assert partial.record.amount.amount == Decimal("50.00")  # 59.50 gross at 19 %
    goods = Decimal(str(order["amountNet"]))
    assert partial.record.amount.amount + full.record.amount.amount == goods
    (reread,) = [
        o for o in orders(read_all(adapter, Stream.ORDERS, limit=200)) if o.external_id == order["id"]
    ]
    # the order's status follows its own state only, so a full re-read agrees with the stored copy
    assert reread.status is OrderStatus.COMPLETE


def test_an_unreadable_order_is_quarantined_with_its_position_and_raw_payload(shop, adapter) -> None:
    items = read_all(adapter, Stream.ORDERS, limit=100)
    victim = items[3].external_id
    shop.touch("order", victim, stateId="0" * 32)  # a state that does not exist: stateMachineState is null
    again = read_all(adapter, Stream.ORDERS, items[-1].position)
    (broken,) = again
    assert broken.external_id == victim
    assert broken.record is None
    assert "stateMachineState" in (broken.error or "")
    assert victim in (broken.raw or "")
    assert broken.position > items[-1].position


def test_until_bounds_a_backfill_window(shop, adapter) -> None:
    items = read_all(adapter, Stream.ORDERS, limit=100)
    middle = items[len(items) // 2].position.changed_at
    window = adapter.read(Stream.ORDERS, Cursor.start(), 100, until=middle)
    assert window.items
    assert all(item.position.changed_at < middle for item in window.items)
    assert len(window.items) == sum(1 for item in items if item.position.changed_at < middle)


def test_expired_tokens_are_renewed_mid_read(shop, adapter) -> None:
    first = adapter.read(Stream.CUSTOMERS, Cursor.start(), 5)
    shop.expire_tokens()
    second = adapter.read(Stream.CUSTOMERS, first.items[-1].position, 5)
    assert second.items
    tokens = [r for r in shop.requests if r.path == "/api/oauth/token"]
    assert len(tokens) == 2
    assert any(r.status == 401 for r in shop.requests)


def test_auth_throttling_waits_the_seconds_the_shop_names(shop, sleeps) -> None:
    shop.throttle_auth(7)
    adapter = connect(shop, sleeps)
    assert adapter.read(Stream.CUSTOMERS, Cursor.start(), 5).items
    assert sleeps == [7.0]


def test_the_password_grant_reads_too_and_wrong_passwords_fail_clearly(shop, sleeps) -> None:
    credentials = shop.credentials
    adapter = connect(shop, sleeps, grant=PasswordGrant(credentials["username"], credentials["password"]))
    assert adapter.read(Stream.CUSTOMERS, Cursor.start(), 5).items
    shop.expire_tokens()
    assert adapter.read(Stream.CUSTOMERS, Cursor.start(), 5).items  # refreshed with the refresh token
    wrong = connect(shop, sleeps, grant=PasswordGrant(credentials["username"], "wrong"))
    with pytest.raises(AuthenticationError) as caught:
        wrong.read(Stream.CUSTOMERS, Cursor.start(), 5)
    assert "wrong" not in str(caught.value)


def test_gateway_errors_on_a_search_are_retried(shop, adapter, sleeps) -> None:
    shop.faults.fail_next("503", count=2)
    assert adapter.read(Stream.CUSTOMERS, Cursor.start(), 5).items
    assert len(sleeps) == 2


@pytest.mark.parametrize("version", ["6.5", "6.7"])
def test_other_shopware_versions_read_the_same_way(version: str, sleeps) -> None:
    with ShopwareSandbox(seed=5, customers=10, orders=30, version=version) as shop:
        adapter = connect(shop, sleeps, page_size=500)
        for stream in Stream:
            items = read_all(adapter, stream, limit=500)
            assert all(item.error is None for item in items)
        assert len(read_all(adapter, Stream.ORDERS, limit=500)) == 30


def test_reading_respects_the_page_size_setting(shop, sleeps) -> None:
    adapter = connect(shop, sleeps, page_size=20)
    page = adapter.read(Stream.ORDERS, Cursor.start(), 500)
    assert len(page.items) == 20
    assert page.has_more
    assert adapter.capabilities.max_page_size == 20
    assert timedelta(0) <= page.items[-1].position.changed_at - page.items[0].position.changed_at
