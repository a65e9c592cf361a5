"""Keyset page reads over mocked HTTP: the exact queries, page filling, quarantine."""

from __future__ import annotations

import copy
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import responses

from loyalty_connector.adapter import Cursor, Stream
from loyalty_connector.domain import Order
from loyalty_connector.http import RetryPolicy
from loyalty_connector_magento.adapter import MagentoAdapter
from loyalty_connector_magento.client import MagentoClient

BASE = "https://shop.example.com"
ORDERS = f"{BASE}/rest/all/V1/orders"
SAMPLES = Path(__file__).parent / "samples"
CREDS = {"access_token": "tok-123456"}


def sample(name: str) -> Any:
    return json.loads((SAMPLES / name).read_text())


def adapter(page_size: int = 100) -> MagentoAdapter:
    client = MagentoClient(
        BASE, source="m2", auth_mode="bearer", credentials=CREDS, retry=RetryPolicy(max_attempts=1)
    )
    return MagentoAdapter("m2", client, page_size=page_size)


def order(entity_id: int, updated_at: str) -> dict[str, Any]:
    payload = copy.deepcopy(sample("order.configurable-pending.ns8-2.3.json"))
    payload.update(entity_id=entity_id, increment_id=f"{entity_id:09d}", updated_at=updated_at)
    return payload


def envelope(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"items": items, "search_criteria": {}, "total_count": len(items)}


def queries() -> list[list[tuple[str, str]]]:
    return [parse_qsl(urlsplit(call.request.url).query) for call in responses.calls]


CURSOR = Cursor(datetime(2025, 3, 4, 10, 11, 12, tzinfo=timezone.utc), 1042)


@responses.activate
def test_a_read_drains_the_cursor_second_then_reads_after_it_with_the_documented_queries() -> None:
    spec = sample("constructed.search-criteria.keyset-orders.query.json")
    responses.get(ORDERS, json=envelope([order(1043, "2025-03-04 10:11:12")]))
    responses.get(ORDERS, json=envelope([order(7, "2025-03-04 10:11:13")]))
    page = adapter().read(Stream.ORDERS, CURSOR, 100)
    assert queries() == [
        [tuple(pair) for pair in spec["phase_1_drain_ties"]],
        [
            *[tuple(pair) for pair in spec["phase_2_after_tie"][:-2]],
            ("searchCriteria[pageSize]", "99"),
            ("searchCriteria[currentPage]", "1"),
        ],
    ]
    assert [item.external_id for item in page.items] == ["1043", "7"]
    assert page.has_more is False
    assert page.items[0].position == Cursor(CURSOR.changed_at, 1043)


@responses.activate
def test_a_full_tie_page_is_returned_without_reading_further() -> None:
    ties = [order(1043 + n, "2025-03-04 10:11:12") for n in range(3)]
    responses.get(ORDERS, json=envelope(ties))
    page = adapter().read(Stream.ORDERS, CURSOR, 3)
    assert len(responses.calls) == 1
    assert page.has_more is True
    assert len(page.items) == 3


@responses.activate
def test_from_the_start_one_query_reads_everything_at_or_after_the_epoch() -> None:
    responses.get(ORDERS, json=envelope([order(1, "2019-09-13 15:05:00")]))
    page = adapter().read(Stream.ORDERS, Cursor.start(), 5)
    [query] = queries()
    assert query[:3] == [
        ("searchCriteria[filter_groups][0][filters][0][field]", "updated_at"),
        ("searchCriteria[filter_groups][0][filters][0][value]", "1970-01-01 00:00:00"),
        ("searchCriteria[filter_groups][0][filters][0][condition_type]", "gteq"),
    ]
    assert isinstance(page.items[0].record, Order)
    assert page.has_more is False


@responses.activate
def test_until_adds_an_exclusive_upper_bound_rounded_up_to_the_next_second() -> None:
    responses.get(ORDERS, json=envelope([]))
    until = datetime(2025, 3, 5, 0, 0, 0, 250_000, tzinfo=timezone.utc)
    adapter().read(Stream.ORDERS, Cursor.at(datetime(2025, 3, 4, tzinfo=timezone.utc)), 10, until=until)
    [query] = queries()
    assert ("searchCriteria[filter_groups][1][filters][0][value]", "2025-03-05 00:00:01") in query
    assert ("searchCriteria[filter_groups][1][filters][0][condition_type]", "lt") in query


def test_until_at_or_before_the_cursor_reads_nothing() -> None:
    page = adapter().read(Stream.ORDERS, CURSOR, 10, until=CURSOR.changed_at)
    assert page.items == ()
    assert page.has_more is False


@responses.activate
def test_an_unreadable_payload_is_quarantined_with_its_raw_json_and_the_page_goes_on() -> None:
    broken = order(1044, "2025-03-04 10:11:12")
    broken["state"] = "teleported"
    responses.get(ORDERS, json=envelope([broken, order(1045, "2025-03-04 10:11:12")]))
    responses.get(ORDERS, json=envelope([]))
    page = adapter().read(Stream.ORDERS, CURSOR, 10)
    first, second = page.items
    assert first.record is None
    assert first.error is not None
    assert "teleported" in first.error
    assert first.raw is not None
    assert json.loads(first.raw)["entity_id"] == 1044
    assert first.position == Cursor(CURSOR.changed_at, 1044)
    assert isinstance(second.record, Order)


@responses.activate
def test_rows_at_or_before_the_cursor_are_never_returned() -> None:
    responses.get(
        ORDERS, json=envelope([order(1042, "2025-03-04 10:11:12"), order(1050, "2025-03-04 10:11:12")])
    )
    responses.get(ORDERS, json=envelope([]))
    page = adapter().read(Stream.ORDERS, CURSOR, 10)
    assert [item.external_id for item in page.items] == ["1050"]


@responses.activate
def test_customers_are_filtered_and_sorted_on_entity_id_and_keyed_by_id() -> None:
    url = f"{BASE}/rest/all/V1/customers/search"
    responses.get(url, json=sample("search-customers.response.adobedocs.json"))
    page = adapter().read(Stream.CUSTOMERS, Cursor.start(), 10)
    [query] = queries()
    assert ("searchCriteria[sortOrders][1][field]", "entity_id") in query
    assert page.items[0].external_id == "1"
    assert page.items[0].record is not None
    assert page.items[0].record.raw is not None


@responses.activate
def test_credit_memos_are_read_as_refunds() -> None:
    responses.get(
        f"{BASE}/rest/all/V1/creditmemos",
        json=envelope([sample("creditmemo.get.response.kb-mdva-36572.json")]),
    )
    page = adapter().read(Stream.REFUNDS, Cursor.start(), 10)
    assert page.items[0].record is not None
    assert page.items[0].record.order_id == "1"


@pytest.mark.parametrize("limit", [1, 250])
@responses.activate
def test_the_configured_page_size_caps_the_limit(limit: int) -> None:
    responses.get(ORDERS, json=envelope([]))
    adapter(page_size=100).read(Stream.ORDERS, Cursor.start(), limit)
    assert dict(queries()[0])["searchCriteria[pageSize]"] == str(min(limit, 100))
