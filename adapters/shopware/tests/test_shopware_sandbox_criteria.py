"""Criteria searches behave like Shopware's DAL on MySQL: filters, paths, NULL ordering, includes, limits."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from loyalty_connector_shopware.sandbox import ShopwareSandbox

JSON = {"Accept": "application/json"}


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
    return {"Authorization": f"Bearer {answer['access_token']}"}


@pytest.fixture(scope="module")
def shop():
    with ShopwareSandbox(seed=5, customers=50, orders=400) as running:
        running.test_headers = bearer(running)  # type: ignore[attr-defined]
        yield running


def post(shop: ShopwareSandbox, path: str, body: Any, accept: dict[str, str] = JSON) -> requests.Response:
    headers = {**shop.test_headers, **accept}  # type: ignore[attr-defined]
    return requests.post(f"{shop.base_url}/api{path}", json=body, headers=headers, timeout=30)


def found(shop: ShopwareSandbox, entity: str, criteria: dict[str, Any]) -> list[dict[str, Any]]:
    response = post(shop, f"/search/{entity}", {"limit": 500, **criteria})
    assert response.status_code == 200, response.text
    return response.json()["data"]


def ids(shop: ShopwareSandbox, entity: str, criteria: dict[str, Any]) -> set[str]:
    return {row["id"] for row in found(shop, entity, criteria)}


def orders(shop: ShopwareSandbox) -> list[dict[str, Any]]:
    return list(shop.entities["order"].values())


def test_equals_null_finds_records_never_updated(shop):
    expected = {o["id"] for o in orders(shop) if o["updatedAt"] is None}
    assert expected, "seed has never-updated orders"
    assert (
        ids(shop, "order", {"filter": [{"type": "equals", "field": "updatedAt", "value": None}]}) == expected
    )


def test_equals_and_equals_any(shop):
    eur = "b7d2554b0ce847cd82f3ac9bd1c0dfca"
    expected = {o["id"] for o in orders(shop) if o["currencyId"] == eur}
    assert (
        ids(shop, "order", {"filter": [{"type": "equals", "field": "currencyId", "value": eur}]}) == expected
    )
    numbers = sorted(o["orderNumber"] for o in orders(shop))[:3]
    by_list = ids(
        shop, "order", {"filter": [{"type": "equalsAny", "field": "orderNumber", "value": numbers}]}
    )
    by_pipe = ids(
        shop,
        "order",
        {"filter": [{"type": "equalsAny", "field": "order.orderNumber", "value": "|".join(numbers)}]},
    )
    assert len(by_list) == 3
    assert by_list == by_pipe


def test_string_equality_ignores_case_as_mysql_collation_does(shop):
    customer = next(iter(shop.entities["customer"].values()))
    shouted = customer["email"].upper()
    matched = ids(shop, "customer", {"filter": [{"type": "equals", "field": "email", "value": shouted}]})
    assert customer["id"] in matched


def test_contains_prefix_and_suffix(shop):
    customers = list(shop.entities["customer"].values())
    with_company = [c for c in customers if c["company"]]
    word = with_company[0]["company"].split()[0]
    contains = ids(
        shop, "customer", {"filter": [{"type": "contains", "field": "company", "value": word.lower()}]}
    )
    assert contains == {c["id"] for c in with_company if word.lower() in c["company"].lower()}
    prefix = ids(
        shop, "customer", {"filter": [{"type": "prefix", "field": "customerNumber", "value": "2000"}]}
    )
    assert prefix == {c["id"] for c in customers if c["customerNumber"].startswith("2000")}
    suffix = ids(shop, "customer", {"filter": [{"type": "suffix", "field": "email", "value": ".de"}]})
    assert suffix == {c["id"] for c in customers if c["email"].lower().endswith(".de")}


def test_range_compares_utc_datetime_strings_and_ignores_offsets(shop):
    created = sorted(o["createdAt"] for o in orders(shop))
    pivot = created[len(created) // 2]
    as_criteria = pivot[:10] + " " + pivot[11:23]  # Y-m-d H:i:s.v
    gt = ids(
        shop,
        "order",
        {"filter": [{"type": "range", "field": "createdAt", "parameters": {"gt": as_criteria}}]},
    )
    assert gt == {o["id"] for o in orders(shop) if o["createdAt"] > pivot}
    gte_lte = ids(
        shop,
        "order",
        {
            "filter": [
                {
                    "type": "range",
                    "field": "createdAt",
                    "parameters": {"gte": as_criteria, "lte": as_criteria},
                }
            ]
        },
    )
    assert gte_lte == {o["id"] for o in orders(shop) if o["createdAt"] == pivot}
    with_offset = pivot[:23] + "+05:00"
    lt = ids(
        shop,
        "order",
        {"filter": [{"type": "range", "field": "createdAt", "parameters": {"lt": with_offset}}]},
    )
    assert lt == {o["id"] for o in orders(shop) if o["createdAt"] < pivot}


def test_nested_multi_and_not_filters(shop):
    open_or_cancelled = {
        "type": "multi",
        "operator": "or",
        "queries": [
            {"type": "equals", "field": "stateMachineState.technicalName", "value": "open"},
            {"type": "equals", "field": "stateMachineState.technicalName", "value": "cancelled"},
        ],
    }
    states = {s["id"]: s["technicalName"] for s in shop.entities["state_machine_state"].values()}
    expected = {o["id"] for o in orders(shop) if states[o["stateId"]] in ("open", "cancelled")}
    assert ids(shop, "order", {"filter": [open_or_cancelled]}) == expected
    negated = {"type": "not", "operator": "or", "queries": open_or_cancelled["queries"]}
    assert ids(shop, "order", {"filter": [negated]}) == {o["id"] for o in orders(shop)} - expected
    both = {
        "type": "multi",
        "operator": "and",
        "queries": [open_or_cancelled, {"type": "equals", "field": "updatedAt", "value": None}],
    }
    assert ids(shop, "order", {"filter": [both]}) == {
        o["id"] for o in orders(shop) if o["id"] in expected and o["updatedAt"] is None
    }


def test_dotted_paths_through_to_one_and_to_many_associations(shop):
    refunded = ids(
        shop,
        "order",
        {
            "filter": [
                {
                    "type": "equals",
                    "field": "transactions.stateMachineState.technicalName",
                    "value": "refunded_partially",
                }
            ]
        },
    )
    states = {s["id"]: s["technicalName"] for s in shop.entities["state_machine_state"].values()}
    expected = {
        t["orderId"]
        for t in shop.entities["order_transaction"].values()
        if states[t["stateId"]] == "refunded_partially"
    }
    assert refunded
    assert refunded == expected
    customer = next(o for o in shop.entities["order_customer"].values() if o["customerId"] is not None)
    by_email = ids(
        shop,
        "order",
        {"filter": [{"type": "equals", "field": "orderCustomer.email", "value": customer["email"]}]},
    )
    assert customer["orderId"] in by_email
    toner = ids(
        shop,
        "order",
        {"filter": [{"type": "equals", "field": "lineItems.payload.productNumber", "value": "TONER-BLK"}]},
    )
    assert toner == {
        li["orderId"]
        for li in shop.entities["order_line_item"].values()
        if (li["payload"] or {}).get("productNumber") == "TONER-BLK"
    }


def test_guest_orders_have_no_customer_id(shop):
    guests = ids(
        shop, "order", {"filter": [{"type": "equals", "field": "orderCustomer.customerId", "value": None}]}
    )
    assert guests
    assert guests == {
        oc["orderId"] for oc in shop.entities["order_customer"].values() if oc["customerId"] is None
    }


def test_sorting_puts_nulls_first_ascending_and_last_descending(shop):
    ascending = found(
        shop,
        "order",
        {"sort": [{"field": "updatedAt", "order": "ASC"}, {"field": "autoIncrement", "order": "ASC"}]},
    )
    values = [o["updatedAt"] for o in ascending]
    nulls = values.count(None)
    assert nulls
    assert values[:nulls] == [None] * nulls
    assert values[nulls:] == sorted(values[nulls:])
    descending = found(shop, "order", {"sort": [{"field": "updatedAt", "order": "DESC"}]})
    values = [o["updatedAt"] for o in descending]
    assert values[-nulls:] == [None] * nulls
    assert values[: len(values) - nulls] == sorted(values[: len(values) - nulls], reverse=True)


def test_natural_sorting_orders_numbers_inside_strings(shop):
    rows = found(
        shop, "product", {"sort": [{"field": "productNumber", "order": "ASC", "naturalSorting": True}]}
    )
    numbers = [r["productNumber"] for r in rows]
    assert numbers.index("PAPER-A3") < numbers.index("PAPER-A4")
    assert numbers == sorted(numbers, key=str.lower)


def test_includes_keep_only_listed_fields_and_the_api_alias(shop):
    criteria = {
        "limit": 3,
        "associations": {"stateMachineState": {}, "currency": {}},
        "includes": {
            "order": ["id", "orderNumber", "stateMachineState", "currency"],
            "state_machine_state": ["technicalName"],
        },
    }
    for order in found(shop, "order", criteria):
        assert set(order) == {"id", "orderNumber", "stateMachineState", "currency", "apiAlias"}
        assert set(order["stateMachineState"]) == {"technicalName", "apiAlias"}
        assert "itemRounding" in order["currency"], "entities without includes stay whole"


def test_associations_are_null_unless_requested_and_take_their_own_criteria(shop):
    plain = found(shop, "order", {"limit": 5})
    for order in plain:
        assert order["lineItems"] is None
        assert order["orderCustomer"] is None
        assert order["transactions"] is None
        assert order["stateMachineState"] is None
    nested = {
        "limit": 20,
        "associations": {
            "lineItems": {
                "filter": [{"type": "equals", "field": "type", "value": "product"}],
                "sort": [{"field": "position", "order": "DESC"}],
                "limit": 1,
            }
        },
    }
    for order in found(shop, "order", nested):
        lines = [
            li
            for li in shop.entities["order_line_item"].values()
            if li["orderId"] == order["id"] and li["type"] == "product"
        ]
        assert len(order["lineItems"]) == 1
        assert order["lineItems"][0]["position"] == max(li["position"] for li in lines)


def test_accept_header_selects_json_or_json_api(shop):
    plain = post(shop, "/search/customer-group", {})
    assert plain.headers["Content-Type"].startswith("application/json")
    assert set(plain.json()) == {"total", "data", "aggregations"}
    for accept in ("*/*", "application/vnd.api+json"):
        api = post(shop, "/search/customer-group", {}, accept={"Accept": accept})
        assert api.headers["Content-Type"].startswith("application/vnd.api+json")
        body = api.json()
        assert set(body) == {"data", "included", "links", "meta", "aggregations"}
        assert {"id", "type", "attributes", "relationships", "links", "meta"} == set(body["data"][0])


def test_json_api_puts_loaded_associations_in_included(shop):
    body = post(
        shop,
        "/search/order",
        {"limit": 2, "associations": {"stateMachineState": {}}},
        accept={"Accept": "application/vnd.api+json"},
    ).json()
    state = body["data"][0]["relationships"]["stateMachineState"]["data"]
    assert state["type"] == "state_machine_state"
    assert {"type": "state_machine_state", "id": state["id"]} in [
        {"type": i["type"], "id": i["id"]} for i in body["included"]
    ]


def test_total_count_modes(shop):
    total = len(shop.entities["order"])
    default = post(shop, "/search/order", {"limit": 10}).json()
    assert default["total"] == 10, "without total-count-mode Shopware counts only the page"
    exact = post(shop, "/search/order", {"limit": 10, "page": 2, "total-count-mode": 1}).json()
    assert exact["total"] == total
    none = post(shop, "/search/order", {"limit": 10, "page": 2, "total-count-mode": 0}).json()
    assert none["total"] == 10
    next_pages = post(shop, "/search/order", {"limit": 10, "page": 2, "total-count-mode": 2}).json()
    assert next_pages["total"] == 61
    near_end = post(shop, "/search/order", {"limit": 100, "page": 4, "total-count-mode": 2}).json()
    assert near_end["total"] == total - 300


def test_paging_walks_disjoint_pages(shop):
    sort = [{"field": "autoIncrement", "order": "ASC"}]
    first = [o["id"] for o in found(shop, "order", {"limit": 7, "page": 1, "sort": sort})]
    second = [o["id"] for o in found(shop, "order", {"limit": 7, "page": 2, "sort": sort})]
    assert len(first) == len(second) == 7
    assert not set(first) & set(second)


def test_ids_criteria_fetches_exactly_those_records(shop):
    wanted = [o["id"] for o in orders(shop)[:4]]
    assert ids(shop, "order", {"ids": wanted}) == set(wanted)


def test_unknown_fields_and_unsupported_parameters_are_400_with_pointers(shop):
    unknown = post(shop, "/search/order", {"filter": [{"type": "equals", "field": "nope", "value": 1}]})
    assert unknown.status_code == 400
    assert unknown.json()["errors"][0]["source"] == {"pointer": "/filter/0"}
    assert unknown.json()["errors"][0]["code"] == "FRAMEWORK__UNMAPPED_FIELD"
    association = post(shop, "/search/order", {"associations": {"nope": {}}})
    assert association.json()["errors"][0]["code"] == "FRAMEWORK__ASSOCIATION_NOT_FOUND"
    aggregations = post(
        shop, "/search/order", {"aggregations": [{"name": "n", "type": "count", "field": "id"}]}
    )
    assert aggregations.status_code == 400
    assert aggregations.json()["errors"][0]["source"] == {"pointer": "/aggregations"}


@pytest.mark.parametrize("version", ["6.6", "6.7"])
def test_limits_above_500_are_refused_from_6_6_on(version):
    with ShopwareSandbox(seed=1, customers=10, orders=620, version=version) as shop:
        shop.test_headers = bearer(shop)  # type: ignore[attr-defined]
        refused = post(shop, "/search/order", {"limit": 1000})
        assert refused.status_code == 400
        assert refused.json() == {
            "errors": [
                {
                    "status": "400",
                    "code": "FRAMEWORK__QUERY_LIMIT_EXCEEDED",
                    "title": "Bad Request",
                    "detail": "The limit must be lower than or equal to MAX_LIMIT(=500). Given: 1000",
                    "source": {"pointer": "/limit"},
                    "meta": {"parameters": {"maxLimit": 500, "limit": 1000}},
                }
            ]
        }
        unlimited = post(shop, "/search/order", {"total-count-mode": 1}).json()
        assert len(unlimited["data"]) == 500
        assert unlimited["total"] == 620


def test_version_6_5_has_no_max_limit_and_no_limit_means_everything():
    with ShopwareSandbox(seed=1, customers=10, orders=620, version="6.5") as shop:
        shop.test_headers = bearer(shop)  # type: ignore[attr-defined]
        assert len(post(shop, "/search/order", {"limit": 1000}).json()["data"]) == 620
        assert len(post(shop, "/search/order", {}).json()["data"]) == 620
        version = requests.get(f"{shop.base_url}/api/_info/version", headers=shop.test_headers, timeout=10)  # type: ignore[attr-defined]
        assert version.json() == {"version": "6.5.8.13"}
