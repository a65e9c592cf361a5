"""Keyset (incremental) reads: complete and duplicate-free under concurrent changes, and fast."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
import requests

from loyalty_connector_shopware.sandbox import ShopwareSandbox
from loyalty_connector_shopware.sandbox import search as search_module
from loyalty_connector_shopware.sandbox.criteria import parse_criteria
from loyalty_connector_shopware.sandbox.schema import ENTITIES

SAMPLES = Path(__file__).parent / "test_shopware_sandbox_samples"
JSON = {"Accept": "application/json"}
EPOCH = "1970-01-01 00:00:00.000"


def bearer(shop: ShopwareSandbox) -> dict[str, str]:
    credentials = shop.credentials
    answer = requests.post(
        f"{shop.base_url}/api/oauth/token",
        json={
            "grant_type": "client_credentials",
            "client_id": credentials["client_id"],
            "client_secret": credentials["client_secret"],
        },
        timeout=10,
    ).json()
    return {"Authorization": f"Bearer {answer['access_token']}", **JSON}


def criteria_time(value: str) -> str:
    """``2024-05-01T10:00:00.123+00:00`` -> ``2024-05-01 10:00:00.123`` (the criteria format)."""
    return value[:10] + " " + value[11:23]


def after(field: str, moment: str, tie: int) -> dict[str, Any]:
    return {
        "type": "multi",
        "operator": "or",
        "queries": [
            {"type": "range", "field": field, "parameters": {"gt": moment}},
            {
                "type": "multi",
                "operator": "and",
                "queries": [
                    {"type": "equals", "field": field, "value": moment},
                    {"type": "range", "field": "autoIncrement", "parameters": {"gt": tie}},
                ],
            },
        ],
    }


def read_page(
    shop: ShopwareSandbox, headers: dict[str, str], moment: str, tie: int, limit: int
) -> list[dict[str, Any]]:
    """One keyset page of orders after ``(moment, tie)`` in ``(updatedAt ?? createdAt, autoIncrement)`` order.

    MySQL sorts ``NULL`` first, so one query sorted by ``updatedAt`` cannot give that order; a reader
    asks for never-updated and updated orders separately and merges the two pages.
    """
    includes = {"order": ["id", "autoIncrement", "createdAt", "updatedAt"]}
    never_updated = {
        "limit": limit,
        "total-count-mode": 0,
        "filter": [{"type": "equals", "field": "updatedAt", "value": None}, after("createdAt", moment, tie)],
        "sort": [{"field": "createdAt", "order": "ASC"}, {"field": "autoIncrement", "order": "ASC"}],
        "includes": includes,
    }
    updated = {
        "limit": limit,
        "total-count-mode": 0,
        "filter": [after("updatedAt", moment, tie)],
        "sort": [{"field": "updatedAt", "order": "ASC"}, {"field": "autoIncrement", "order": "ASC"}],
        "includes": includes,
    }
    rows = []
    for criteria in (never_updated, updated):
        response = requests.post(
            f"{shop.base_url}/api/search/order", json=criteria, headers=headers, timeout=30
        )
        assert response.status_code == 200, response.text
        rows += response.json()["data"]
    rows.sort(key=lambda o: (o["updatedAt"] or o["createdAt"], o["autoIncrement"]))
    return rows[:limit]


def walk(shop: ShopwareSandbox, headers: dict[str, str], limit: int) -> list[dict[str, Any]]:
    moment, tie, seen = EPOCH, -1, []
    while True:
        page = read_page(shop, headers, moment, tie, limit)
        seen += page
        if len(page) < limit:
            return seen
        last = page[-1]
        moment, tie = criteria_time(last["updatedAt"] or last["createdAt"]), last["autoIncrement"]


def test_a_keyset_walk_reads_every_order_version_once_while_orders_change():
    with ShopwareSandbox(seed=21, customers=40, orders=900) as shop:
        headers = bearer(shop)
        rng = random.Random(4)
        touched: set[str] = set()
        order_ids = sorted(shop.entities["order"])

        def meddle(request: Any) -> None:
            if request.path == "/api/search/order" and rng.random() < 0.3:
                victim = rng.choice(order_ids)
                shop.touch("order", victim, customerComment=f"changed {len(touched)}")
                touched.add(victim)

        shop.hooks.append(meddle)
        reads = walk(shop, headers, limit=100)
        shop.hooks.remove(meddle)
        versions = [(o["id"], o["updatedAt"]) for o in reads]
        assert len(versions) == len(set(versions)), "no version of an order is read twice"
        final = {(o["id"], o["updatedAt"]) for o in shop.entities["order"].values()}
        assert final <= set(versions), "the last version of every order is read"
        untouched = [o for o in reads if o["id"] not in touched]
        assert (
            len(untouched) == len({o["id"] for o in untouched}) == len(shop.entities["order"]) - len(touched)
        )
        assert touched, "the walk really ran while orders changed"


def test_seeded_orders_share_timestamps_so_ties_cross_page_boundaries():
    with ShopwareSandbox(seed=21, customers=40, orders=300) as shop:
        changed = [o["updatedAt"] or o["createdAt"] for o in shop.entities["order"].values()]
        biggest_tie = max(changed.count(value) for value in set(changed))
        assert biggest_tie >= 20
        reads = walk(shop, bearer(shop), limit=7)
        keys = [(o["updatedAt"] or o["createdAt"], o["autoIncrement"]) for o in reads]
        assert keys == sorted(keys)
        assert len({o["id"] for o in reads}) == len(reads) == len(shop.entities["order"])


def test_the_sample_incremental_criteria_is_served_in_mysql_order():
    with ShopwareSandbox(seed=8, customers=30, orders=300) as shop:
        criteria = json.loads(
            (SAMPLES / "criteria.incremental-orders.request.json").read_text(encoding="utf-8")
        )
        moment = "2025-01-01 00:00:00.000"
        for branch in (
            criteria["filter"][0]["queries"][0],
            criteria["filter"][0]["queries"][1]["queries"][1],
        ):
            branch["parameters"]["gt"] = moment
        body = requests.post(
            f"{shop.base_url}/api/search/order", json=criteria, headers=bearer(shop), timeout=30
        ).json()
        stamp = "2025-01-01T00:00:00.000+00:00"
        expected = sorted(
            (o for o in shop.entities["order"].values() if (o["updatedAt"] or o["createdAt"]) > stamp),
            key=lambda o: (
                o["updatedAt"] is not None,
                o["updatedAt"] or "",
                o["createdAt"],
                o["autoIncrement"],
            ),
        )[:100]
        assert [o["id"] for o in body["data"]] == [o["id"] for o in expected]
        assert body["total"] == 100
        first = body["data"][0]
        assert set(first["stateMachineState"]) == {"technicalName", "apiAlias"}
        assert first["lineItems"] == sorted(first["lineItems"], key=lambda line: line["position"])
        assert all(t["stateMachineState"]["technicalName"] for t in first["transactions"])


@pytest.mark.parametrize(
    ("entity", "sort"),
    [
        ("order", ["updatedAt", "createdAt", "autoIncrement"]),
        ("order", ["createdAt", "autoIncrement"]),
        ("customer", ["updatedAt", "createdAt", "autoIncrement"]),
        ("order_transaction", ["updatedAt", "createdAt", "id"]),
        ("order_transaction", ["updatedAt", "id"]),
        # what the adapter sends: its keyset sorts end with ``id`` after the unique ``autoIncrement``
        ("order", ["createdAt", "autoIncrement", "id"]),
        ("order", ["updatedAt", "autoIncrement", "id"]),
        ("customer", ["createdAt", "autoIncrement", "id"]),
        ("customer", ["updatedAt", "autoIncrement", "id"]),
    ],
)
def test_the_index_fast_path_answers_exactly_what_a_full_scan_answers(entity, sort, monkeypatch):
    with ShopwareSandbox(seed=13, customers=60, orders=500) as shop:
        store = shop._store
        rows = list(shop.entities[entity].values())
        stamps = sorted({r["updatedAt"] or r["createdAt"] for r in rows})
        rng = random.Random(9)
        for _ in range(12):
            moment = criteria_time(rng.choice(stamps))
            until = criteria_time(rng.choice(stamps))
            filters: list[Any] = [
                {
                    "type": "multi",
                    "operator": "or",
                    "queries": [
                        {"type": "range", "field": "updatedAt", "parameters": {"gte": moment, "lt": until}},
                        {
                            "type": "multi",
                            "operator": "and",
                            "queries": [
                                {"type": "equals", "field": "updatedAt", "value": None},
                                {"type": "range", "field": "createdAt", "parameters": {"gt": moment}},
                            ],
                        },
                    ],
                }
            ]
            if sort[0] == "updatedAt" and sort[1] != "createdAt":
                filters = [{"type": "range", "field": "updatedAt", "parameters": {"gt": moment}}]
            payload = {
                "limit": rng.choice([1, 7, 50]),
                "page": rng.choice([1, 2]),
                "total-count-mode": rng.choice([0, 1, 2]),
                "filter": filters,
                "sort": [{"field": name} for name in sort],
            }
            criteria = parse_criteria(store, ENTITIES[entity], payload, max_limit=500)
            assert search_module._keyset_plan(store, criteria) is not None
            fast = search_module.execute(store, criteria)
            with monkeypatch.context() as patched:
                patched.setattr(search_module, "_keyset_plan", lambda *args: None)
                slow = search_module.execute(store, criteria)
            assert [r["id"] for r in fast.rows] == [r["id"] for r in slow.rows]
            assert fast.total == slow.total


def test_an_incremental_page_near_the_end_builds_only_the_orders_it_returns():
    with ShopwareSandbox(seed=2, customers=400, orders=20_000) as shop:
        pending_before = len(shop.entities["order"].pending)
        headers = bearer(shop)
        page = read_page(shop, headers, "2026-10-01 00:00:00.000", -1, 500)
        assert len(page) == 500
        built = pending_before - len(shop.entities["order"].pending)
        assert built <= 1000, f"built {built} orders for one page of 500"


@pytest.mark.parametrize("stream", ["customers", "orders"])
def test_the_adapters_own_keyset_criteria_take_the_index_fast_path(stream):
    """(Refunds sort on ``order.autoIncrement``, not the transaction's own columns: a full scan.)"""
    from datetime import datetime, timezone

    from loyalty_connector.adapter import Cursor, Stream
    from loyalty_connector_shopware.criteria import POPULATIONS, keyset_criteria, stream_query

    query = stream_query(Stream(stream))
    with ShopwareSandbox(seed=13, customers=20, orders=100) as shop:
        for population in POPULATIONS:
            body = keyset_criteria(
                query, population, Cursor.at(datetime(2024, 1, 1, tzinfo=timezone.utc)), 101, None
            )
            criteria = parse_criteria(shop._store, ENTITIES[query.entity], body, max_limit=500)
            assert search_module._keyset_plan(shop._store, criteria) is not None, (stream, population)
