"""Coupon writes look codes up in batches (``code in (...)``) and post only the missing ones."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import responses

from loyalty_connector.adapter import Change
from loyalty_connector.http import RetryPolicy
from loyalty_connector.program import SourceConfig
from loyalty_connector.sandbox_server import SandboxRequest
from loyalty_connector_magento import MagentoAdapter, MagentoClient, create, referral_rule
from loyalty_connector_magento.coupons import CODES_PER_SEARCH
from loyalty_connector_magento.sales_rules import KEY_MARK
from loyalty_connector_magento.sandbox import MagentoSandbox

SEARCH = "/rest/all/V1/coupons/search"
POST = "/rest/all/V1/coupons"
BASE = "https://shop.example.com/rest/all"


@pytest.fixture
def shop() -> Iterator[MagentoSandbox]:
    with MagentoSandbox(seed=9, customers=5, orders=0) as shop:
        yield shop


@pytest.fixture
def adapter(shop: MagentoSandbox) -> MagentoAdapter:
    config = SourceConfig(adapter="magento", base_url=shop.base_url)
    adapter = create("m2", config, shop.credentials, None)
    rule = referral_rule("referral 10%", website_ids=[1], customer_group_ids=[1], percent=Decimal(10))
    [made] = adapter.write_managed([Change("create", "cart_rule", "referral-10", fields=rule)])
    assert made.ok
    return adapter


def coupon(code: str, action: str = "create") -> Change:
    return Change(action, "coupon", code, fields={"code": code, "rule_key": "referral-10"})


def requests_since(shop: MagentoSandbox, start: int) -> Counter[tuple[str, str]]:
    return Counter((record.method, record.path) for record in shop.requests[start:])


def test_a_batch_of_new_coupons_costs_one_search_per_hundred_codes_and_one_post_each(
    shop: MagentoSandbox, adapter: MagentoAdapter
) -> None:
    codes = [f"REF-{n:04d}-X" for n in range(CODES_PER_SEARCH + 50)]
    start = len(shop.requests)
    results = adapter.write_managed([coupon(code) for code in codes])
    assert all(r.ok for r in results), [r.error for r in results if not r.ok]
    counts = requests_since(shop, start)
    assert counts[("GET", SEARCH)] == 2
    assert counts[("POST", POST)] == len(codes)
    assert {c["code"] for c in shop.coupons.values()} >= set(codes)


def test_applying_the_same_coupons_again_searches_in_batches_and_posts_nothing(
    shop: MagentoSandbox, adapter: MagentoAdapter
) -> None:
    changes = [coupon(f"REF-{n:04d}-Y") for n in range(CODES_PER_SEARCH + 1)]
    first = adapter.write_managed(changes)
    start = len(shop.requests)
    again = adapter.write_managed(changes)
    assert all(r.ok for r in again)
    assert [r.shop_id for r in again] == [r.shop_id for r in first]
    counts = requests_since(shop, start)
    assert counts[("GET", SEARCH)] == 2
    assert counts[("POST", POST)] == 0


def test_the_lookup_asks_with_an_in_filter_over_the_codes(
    shop: MagentoSandbox, adapter: MagentoAdapter
) -> None:
    asked: list[dict[str, str]] = []

    def hook(request: SandboxRequest) -> None:
        if request.path == SEARCH:
            asked.append(dict(request.query))

    shop.hooks.append(hook)
    adapter.write_managed([coupon("REF-A"), coupon("REF-B")])
    [query] = asked
    prefix = "searchCriteria[filter_groups][0][filters][0]"
    assert (query[f"{prefix}[field]"], query[f"{prefix}[condition_type]"]) == ("code", "in")
    assert query[f"{prefix}[value]"] == "REF-A,REF-B"


def test_a_delete_then_a_create_of_the_same_code_in_one_write_recreates_it(
    shop: MagentoSandbox, adapter: MagentoAdapter
) -> None:
    [made] = adapter.write_managed([coupon("REF-AGAIN")])
    deleted, recreated = adapter.write_managed([coupon("REF-AGAIN", "delete"), coupon("REF-AGAIN")])
    assert deleted.ok
    assert recreated.ok
    assert recreated.shop_id != made.shop_id
    assert [c["code"] for c in shop.coupons.values()].count("REF-AGAIN") == 1


# -- over mocked HTTP: what the shop's collation and the comma separator mean -----------------------


def mocked_adapter() -> MagentoAdapter:
    client = MagentoClient(
        "https://shop.example.com",
        source="m2",
        auth_mode="bearer",
        credentials={"access_token": "tok-123456"},
        retry=RetryPolicy(max_attempts=1),
    )
    return MagentoAdapter("m2", client)


def managed_rule() -> dict[str, Any]:
    return {
        "rule_id": 12,
        "name": "[loyalty] referral",
        "description": f"{KEY_MARK}referral-10",
        "use_auto_generation": True,
        "uses_per_coupon": 1,
        "uses_per_customer": 1,
    }


def searches() -> list[dict[str, str]]:
    return [
        dict(parse_qsl(urlsplit(call.request.url).query))
        for call in responses.calls
        if urlsplit(call.request.url).path.endswith("/V1/coupons/search")
    ]


@responses.activate
def test_a_code_holding_a_comma_is_looked_up_alone_with_eq() -> None:
    responses.get(f"{BASE}/V1/salesRules/search", json={"items": [managed_rule()], "total_count": 1})
    responses.get(f"{BASE}/V1/coupons/search", json={"items": [], "total_count": 0})
    responses.post(f"{BASE}/V1/coupons", json={"coupon_id": 7, "rule_id": 12, "code": "X"})
    results = mocked_adapter().write_managed([coupon("REF,1"), coupon("REF-2")])
    assert all(r.ok for r in results)
    first = "searchCriteria[filter_groups][0][filters][0]"
    conditions = sorted((q[f"{first}[value]"], q[f"{first}[condition_type]"]) for q in searches())
    assert conditions == [("REF,1", "eq"), ("REF-2", "in")]


@responses.activate
def test_a_coupon_that_differs_only_in_case_is_not_taken_for_ours() -> None:
    theirs = {"coupon_id": 3, "rule_id": 99, "code": "ref-anna"}
    responses.get(f"{BASE}/V1/salesRules/search", json={"items": [managed_rule()], "total_count": 1})
    responses.get(f"{BASE}/V1/coupons/search", json={"items": [theirs], "total_count": 1})
    responses.post(f"{BASE}/V1/coupons", json={"coupon_id": 8, "rule_id": 12, "code": "REF-ANNA"})
    [result] = mocked_adapter().write_managed([coupon("REF-ANNA")])
    assert result.ok
    assert result.shop_id == "8"
    assert json.loads(responses.calls[-1].request.body or b"{}")["coupon"]["code"] == "REF-ANNA"
