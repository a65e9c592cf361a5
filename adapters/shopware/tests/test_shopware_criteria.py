"""Keyset criteria: two populations, UTC millisecond strings, ties on autoIncrement, bounded limits."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from loyalty_connector.adapter import Cursor, Stream
from loyalty_connector_shopware.criteria import (
    MAX_LIMIT,
    format_timestamp,
    keyset_criteria,
    listing_criteria,
    stream_query,
)

SAMPLES = Path("/work/shared/specs/shopware/samples")
T = datetime(2024, 5, 1, 10, 0, tzinfo=timezone.utc)


def test_timestamps_are_utc_milliseconds_without_offset() -> None:
    berlin = timezone(timedelta(hours=2))
    assert (
        format_timestamp(datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=berlin)) == "2024-05-01 10:00:00.123"
    )


def test_updated_population_compares_updated_at_with_the_auto_increment_tie() -> None:
    body = keyset_criteria(stream_query(Stream.ORDERS), "updated", Cursor(T, 41), 100)
    after = body["filter"][-1]
    assert after == {
        "type": "multi",
        "operator": "or",
        "queries": [
            {"type": "range", "field": "updatedAt", "parameters": {"gt": "2024-05-01 10:00:00.000"}},
            {
                "type": "multi",
                "operator": "and",
                "queries": [
                    {"type": "equals", "field": "updatedAt", "value": "2024-05-01 10:00:00.000"},
                    {"type": "range", "field": "autoIncrement", "parameters": {"gt": 41}},
                ],
            },
        ],
    }
    assert [s["field"] for s in body["sort"]] == ["updatedAt", "autoIncrement", "id"]
    assert (body["page"], body["limit"], body["total-count-mode"]) == (1, 100, 0)


def test_created_population_is_only_never_updated_records_sorted_by_created_at() -> None:
    body = keyset_criteria(stream_query(Stream.ORDERS), "created", Cursor(T, 41), 100)
    assert body["filter"][0] == {"type": "equals", "field": "updatedAt", "value": None}
    assert body["filter"][-1]["queries"][0]["field"] == "createdAt"
    assert [s["field"] for s in body["sort"]] == ["createdAt", "autoIncrement", "id"]


def test_the_two_populations_replace_the_single_or_query_of_the_sample() -> None:
    # The sample sorts by updatedAt first: MySQL puts every NULL updatedAt before every updated row,
    # which is not (updatedAt ?? createdAt) order. Its filter is the union of our two populations.
    single = json.loads((SAMPLES / "criteria.incremental-orders.request.json").read_text())
    assert [s["field"] for s in single["sort"]][:2] == ["updatedAt", "createdAt"]
    ours = [
        keyset_criteria(stream_query(Stream.ORDERS), p, Cursor(T, -1), 100) for p in ("created", "updated")
    ]
    assert {s["field"] for body in ours for s in body["sort"][:1]} == {"createdAt", "updatedAt"}
    assert single["associations"].keys() <= ours[0]["associations"].keys()


def test_a_sub_millisecond_cursor_sends_no_tie_clause() -> None:
    body = keyset_criteria(
        stream_query(Stream.CUSTOMERS), "updated", Cursor(T + timedelta(microseconds=1500), 3), 10
    )
    assert body["filter"][-1] == {
        "type": "range",
        "field": "updatedAt",
        "parameters": {"gt": "2024-05-01 10:00:00.001"},
    }


def test_until_is_an_exclusive_bound_rounded_up_to_the_next_millisecond() -> None:
    until = T + timedelta(microseconds=1500)
    body = keyset_criteria(stream_query(Stream.CUSTOMERS), "created", Cursor.start(), 10, until)
    assert body["filter"][-1] == {
        "type": "range",
        "field": "createdAt",
        "parameters": {"lt": "2024-05-01 10:00:00.002"},
    }


def test_customers_exclude_guest_accounts_and_fetch_only_needed_fields() -> None:
    body = keyset_criteria(stream_query(Stream.CUSTOMERS), "updated", Cursor.start(), 10)
    assert {"type": "equals", "field": "guest", "value": False} in body["filter"]
    assert "orderCount" not in body["includes"]["customer"]


def test_refunds_read_transactions_in_refund_states_tied_on_the_order_auto_increment() -> None:
    query = stream_query(Stream.REFUNDS)
    body = keyset_criteria(query, "updated", Cursor(T, 7), 10)
    assert query.entity == "order-transaction"
    assert body["filter"][0]["value"] == ["refunded", "refunded_partially"]
    assert body["filter"][-1]["queries"][1]["queries"][1]["field"] == "order.autoIncrement"
    assert "currency" in body["associations"]["order"]["associations"]


@pytest.mark.parametrize("limit", [0, MAX_LIMIT + 1])
def test_limits_outside_shopware_bounds_are_refused(limit: int) -> None:
    with pytest.raises(ValueError, match="limit"):
        keyset_criteria(stream_query(Stream.ORDERS), "updated", Cursor.start(), limit)
    with pytest.raises(ValueError, match="limit"):
        listing_criteria(page=1, limit=limit)


def test_order_includes_name_every_association_they_load() -> None:
    query = stream_query(Stream.ORDERS)
    for association in query.associations:
        assert association in query.includes["order"]
