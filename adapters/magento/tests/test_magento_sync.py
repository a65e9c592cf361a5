"""Reading the Magento sandbox over HTTP: keyset paging under change, ties, limits, auth, real orders."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from loyalty_connector.adapter import Cursor, Stream
from loyalty_connector.domain import Money, Order, OrderStatus, Refund
from loyalty_connector.errors import AuthenticationError
from loyalty_connector.http import RetryPolicy
from loyalty_connector.program import SourceConfig
from loyalty_connector.sandbox_server import SandboxRequest
from loyalty_connector.testing import read_all
from loyalty_connector_magento import MagentoAdapter, MagentoClient, create
from loyalty_connector_magento.sandbox import MagentoSandbox


def connect(shop: MagentoSandbox, *, page_size: int = 100, **settings: Any) -> MagentoAdapter:
    config = SourceConfig(
        adapter="magento", base_url=shop.base_url, settings={"page_size": page_size, **settings}
    )
    credentials = dict(shop.credentials)
    credentials.update(username=credentials["admin_username"], password=credentials["admin_password"])
    return create("m2", config, credentials, None)


@pytest.fixture(scope="module")
def shop() -> Iterator[MagentoSandbox]:
    """One shop for the tests that only add records or read; each cleans up what it configures."""
    with MagentoSandbox(seed=5, customers=12, orders=30) as shop:
        yield shop


@pytest.fixture
def fresh_shop() -> Iterator[MagentoSandbox]:
    """A shop of its own, for tests that move many records in time."""
    with MagentoSandbox(seed=5, customers=12, orders=30) as shop:
        yield shop


def order_ids(shop: MagentoSandbox) -> set[str]:
    return {str(order_id) for order_id in shop.orders}


def test_records_changing_between_pages_are_neither_lost_nor_stuck(fresh_shop: MagentoSandbox) -> None:
    shop = fresh_shop
    adapter = connect(shop)
    before = [item.external_id for item in read_all(adapter, Stream.ORDERS, limit=100)]
    read_first, unread = before[0], before[-3]
    calls = 0

    def touch_mid_read(request: SandboxRequest) -> None:
        nonlocal calls
        if request.path.endswith("/V1/orders"):
            calls += 1
            if calls == 3:  # after the first page: move one read and one unread order to "now"
                shop.touch("orders", int(read_first))
                shop.touch("orders", int(unread))

    shop.hooks.append(touch_mid_read)
    items = read_all(adapter, Stream.ORDERS, limit=7)
    ids = [item.external_id for item in items]
    assert set(ids) == order_ids(shop)
    assert ids.count(unread) == 1
    assert ids.count(read_first) == 2
    assert ids[-2:] == [read_first, unread]
    positions = [item.position for item in items]
    assert positions == sorted(positions)
    assert len(set(positions)) == len(positions)


def test_more_records_in_one_second_than_fit_a_page_are_drained_across_pages(
    fresh_shop: MagentoSandbox,
) -> None:
    shop = fresh_shop
    tied = sorted(shop.orders)[:20]
    for order_id in tied:
        shop.touch("orders", order_id, updated_at="2030-01-01 00:00:00")
    items = read_all(connect(shop), Stream.ORDERS, limit=7)
    ids = [item.external_id for item in items]
    assert len(ids) == len(set(ids)) == len(shop.orders)
    tail = items[-20:]
    assert [item.external_id for item in tail] == [str(i) for i in tied]
    assert {item.position.changed_at.isoformat() for item in tail} == {"2030-01-01T00:00:00+00:00"}


def test_a_page_size_above_the_shops_input_limit_adapts_once_and_reads_everything(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with MagentoSandbox(seed=5, customers=12, orders=30, page_size_cap=8) as shop:
        adapter = connect(shop, page_size=50)
        with caplog.at_level(logging.WARNING):
            items = read_all(adapter, Stream.ORDERS, limit=50)
            read_all(adapter, Stream.CUSTOMERS, limit=50)
        assert {item.external_id for item in items} == order_ids(shop)
        assert adapter.capabilities.max_page_size == 8
        warnings = [r.getMessage() for r in caplog.records if "pageSize" in r.getMessage()]
        assert len(warnings) == 1
        assert "8" in warnings[0]


def test_reading_past_the_end_on_a_2_3_shop_that_repeats_the_last_page_still_ends() -> None:
    with MagentoSandbox(seed=5, customers=12, orders=30, past_end="clamp") as shop:
        items = read_all(connect(shop), Stream.ORDERS, limit=7)
        assert len(items) == len(shop.orders)


def read_order(adapter: MagentoAdapter, order_id: int) -> Order:
    [item] = [i for i in read_all(adapter, Stream.ORDERS) if i.external_id == str(order_id)]
    assert isinstance(item.record, Order)
    return item.record


def test_a_guest_order_of_a_configurable_product_in_a_foreign_currency_maps_faithfully(
    shop: MagentoSandbox,
) -> None:
    placed = shop.add_order(
        None,
        [{"sku": "CHAIR-ERGO-BLU", "qty": 2}, {"sku": "PAPER-A4", "qty": 3}],
        email="Buyer@Example.net",
        order_currency_code="USD",
        base_to_order_rate="1.1000",
    )
    order = read_order(connect(shop), placed["entity_id"])
    assert order.is_guest
    assert order.customer_key == "guest:buyer@example.net"
    assert (order.currency, order.base_currency) == ("USD", "EUR")
    products = [line for line in order.lines if line.counts_as_product]
    assert [(line.sku, line.qty) for line in products] == [("CHAIR-ERGO-BLU", 2), ("PAPER-A4", 3)]
    children = [line for line in order.lines if line.parent_line_id is not None]
    assert len(children) == 1
    assert children[0].parent_line_id == products[0].line_id
    assert sum((line.row_total for line in order.lines), Money.zero("USD")) == order.subtotal
    assert order.grand_total == Money.of(placed["grand_total"], "USD")
    assert order.base_grand_total == Money.of(placed["base_grand_total"], "EUR")


def test_a_partial_refund_is_read_as_the_refunded_goods_value(shop: MagentoSandbox) -> None:
    customer_id = min(shop.customers)
    placed = shop.add_order(customer_id, [{"sku": "TONER-BLK", "qty": 4}], state="complete", tax_percent=19)
    memo = shop.add_creditmemo(placed["entity_id"], [{"sku": "TONER-BLK", "qty": 1}])
    adapter = connect(shop)
    [refund] = [
        i.record for i in read_all(adapter, Stream.REFUNDS) if i.external_id == str(memo["entity_id"])
    ]
    assert isinstance(refund, Refund)
    assert refund.order_id == str(placed["entity_id"])
    assert refund.amount == Money.of("89.00", "EUR")
    assert [(line.sku, line.qty) for line in refund.lines] == [("TONER-BLK", Decimal(1))]
    order = read_order(adapter, placed["entity_id"])
    assert order.status is OrderStatus.COMPLETE
    assert order.lines[0].qty_refunded == 1


def test_a_customer_reads_company_and_group_from_the_shop(shop: MagentoSandbox) -> None:
    added = shop.add_customer(
        email="anna@kontor.example", firstname="Anna", lastname="Berg", company="Kontor AG", group_id=2
    )
    items = read_all(connect(shop), Stream.CUSTOMERS)
    [customer] = [i.record for i in items if i.external_id == str(added["id"])]
    assert customer is not None
    assert customer.company == "Kontor AG"
    assert customer.group_id == "2"


def test_bearer_tokens_refused_by_the_shop_fail_with_both_causes_named() -> None:
    with (
        MagentoSandbox(seed=5, customers=3, orders=3, bearer_tokens_enabled=False) as shop,
        pytest.raises(AuthenticationError) as caught,
    ):
        connect(shop, auth="bearer").read(Stream.ORDERS, Cursor.start(), 5)
    text = str(caught.value)
    assert "standalone Bearer tokens" in text
    assert "ACL resource" in text
    assert shop.credentials["access_token"] not in text


def test_bearer_tokens_work_when_the_shop_allows_them(shop: MagentoSandbox) -> None:
    assert len(read_all(connect(shop, auth="bearer"), Stream.ORDERS)) == len(shop.orders)


def test_admin_tokens_are_re_requested_after_they_expire(shop: MagentoSandbox) -> None:
    adapter = connect(shop, auth="admin_token")
    assert adapter.read(Stream.CUSTOMERS, Cursor.start(), 5).items
    shop.expire_admin_tokens()
    assert adapter.read(Stream.CUSTOMERS, Cursor.start(), 5).items
    assert sum(r.path.endswith("/integration/admin/token") for r in shop.requests) == 2


def test_admin_tokens_with_two_factor_auth_on_recommend_an_integration() -> None:
    with (
        MagentoSandbox(seed=5, customers=3, orders=3, two_factor_auth=True) as shop,
        pytest.raises(AuthenticationError, match="Two-Factor"),
    ):
        connect(shop, auth="admin_token").read(Stream.ORDERS, Cursor.start(), 5)


def test_a_missing_acl_grant_names_the_resource(shop: MagentoSandbox) -> None:
    shop.deny_resource("Magento_Sales::sales_creditmemo")
    try:
        with pytest.raises(AuthenticationError, match="Magento_Sales::sales_creditmemo"):
            connect(shop).read(Stream.REFUNDS, Cursor.start(), 5)
    finally:
        shop.allow_resource("Magento_Sales::sales_creditmemo")


def test_an_unknown_store_code_points_at_the_setting(shop: MagentoSandbox) -> None:
    with pytest.raises(Exception, match="store_code") as caught:
        connect(shop, store_code="nowhere").read(Stream.ORDERS, Cursor.start(), 5)
    assert "Request does not match any route" in str(caught.value)


def test_a_store_view_code_reads_through_that_scope(shop: MagentoSandbox) -> None:
    assert connect(shop, store_code="default").read(Stream.ORDERS, Cursor.start(), 5).items


def test_transient_gateway_errors_are_retried_with_the_wait_the_shop_asks_for(shop: MagentoSandbox) -> None:
    sleeps: list[float] = []
    client = MagentoClient(
        shop.base_url,
        source="m2",
        credentials=shop.credentials,
        retry=RetryPolicy(max_attempts=4, backoff=0.01),
        sleep=sleeps.append,
    )
    shop.faults.configure(retry_after="3")
    shop.faults.fail_next("503")
    shop.faults.fail_next("502")
    try:
        page = MagentoAdapter("m2", client).read(Stream.ORDERS, Cursor.start(), 5)
    finally:
        shop.faults.clear()
    assert len(page.items) == 5
    assert sleeps[0] >= 3
    assert len(sleeps) == 2
