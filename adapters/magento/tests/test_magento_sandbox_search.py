"""searchCriteria over HTTP: every condition type, OR/AND, sorting, paging, limits, fields, keyset walks."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from magento_sandbox_client import ShopClient, criteria

from loyalty_connector_magento.sandbox import MagentoSandbox

KEYSET = [("updated_at", "ASC"), ("entity_id", "ASC")]


@pytest.fixture(scope="module")
def shop() -> Iterator[MagentoSandbox]:
    with MagentoSandbox(seed=7, customers=50, orders=400) as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def client(shop: MagentoSandbox) -> ShopClient:
    return ShopClient(shop)


@pytest.fixture(scope="module")
def orders(shop: MagentoSandbox) -> list[dict[str, Any]]:
    return list(shop.orders.values())


def ids(body: dict[str, Any], key: str = "entity_id") -> list[int]:
    return [item[key] for item in body["items"] or []]


CASES: list[tuple[str, str | None, str | None, Callable[[dict[str, Any]], bool]]] = [
    ("entity_id", "010", None, lambda o: o["entity_id"] == 10),
    ("entity_id", "10", "eq", lambda o: o["entity_id"] == 10),
    ("status", "complete", "neq", lambda o: o["status"] != "complete"),
    ("entity_id", "390", "gt", lambda o: o["entity_id"] > 390),
    ("entity_id", "390", "gteq", lambda o: o["entity_id"] >= 390),
    ("entity_id", "12", "lt", lambda o: o["entity_id"] < 12),
    ("entity_id", "12", "lteq", lambda o: o["entity_id"] <= 12),
    ("grand_total", "900", "gt", lambda o: o["grand_total"] > 900),
    ("status", "closed,canceled", "in", lambda o: o["status"] in ("closed", "canceled")),
    (
        "status",
        "closed,canceled,complete",
        "nin",
        lambda o: o["status"] not in ("closed", "canceled", "complete"),
    ),
    ("increment_id", "00000002%", "like", lambda o: o["increment_id"].startswith("00000002")),
    (
        "customer_email",
        "%@EXAMPLE.NET",
        "like",
        lambda o: o["customer_email"].lower().endswith("@example.net"),
    ),
    ("coupon_code", "welcome10", "eq", lambda o: o.get("coupon_code") == "WELCOME10"),
    ("coupon_code", "WELCOME10", "neq", lambda o: o.get("coupon_code") not in (None, "WELCOME10")),
    ("customer_id", None, "null", lambda o: "customer_id" not in o),
    ("customer_id", None, "notnull", lambda o: "customer_id" in o),
    ("created_at", "2025-06-01 00:00:00", "from", lambda o: o["created_at"] >= "2025-06-01 00:00:00"),
    ("created_at", "2024-01-01 00:00:00", "to", lambda o: o["created_at"] <= "2024-01-01 00:00:00"),
    ("updated_at", "2025-06-01 00:00:00", "gt", lambda o: o["updated_at"] > "2025-06-01 00:00:00"),
    ("updated_at", "2024-06-01 00:00:00", "lteq", lambda o: o["updated_at"] <= "2024-06-01 00:00:00"),
]


@pytest.mark.parametrize(("field", "value", "condition", "expected"), CASES)
def test_each_condition_type_selects_what_mysql_would(
    client: ShopClient,
    orders: list[dict[str, Any]],
    field: str,
    value: str | None,
    condition: str | None,
    expected: Callable[[dict[str, Any]], bool],
) -> None:
    body = client.get("/orders", criteria([[(field, value, condition)]], [("entity_id", "ASC")])).json()
    wanted = [o["entity_id"] for o in orders if expected(o)]
    assert wanted, "the seeded data should contain matches for every case"
    assert ids(body) == wanted
    assert body["total_count"] == len(wanted)


def test_an_omitted_condition_type_is_echoed_as_eq(client: ShopClient) -> None:
    body = client.get("/orders", criteria([[("entity_id", "7", None)]])).json()
    assert body["search_criteria"]["filter_groups"] == [
        {"filters": [{"field": "entity_id", "value": "7", "condition_type": "eq"}]}
    ]


def test_filters_in_one_group_are_ored_and_groups_are_anded(
    client: ShopClient, orders: list[dict[str, Any]]
) -> None:
    groups = [
        [("status", "canceled", "eq"), ("status", "closed", "eq")],
        [("entity_id", "200", "gt")],
    ]
    body = client.get("/orders", criteria(groups, [("entity_id", "ASC")])).json()
    assert ids(body) == [
        o["entity_id"] for o in orders if o["status"] in ("canceled", "closed") and o["entity_id"] > 200
    ]


def test_a_sort_order_without_direction_sorts_descending(client: ShopClient) -> None:
    body = client.get("/orders", criteria(sort=[("entity_id", None)], page_size=5)).json()
    assert ids(body) == [400, 399, 398, 397, 396]
    assert body["search_criteria"]["sort_orders"] == [{"field": "entity_id"}]


def test_sorting_by_a_money_column_is_numeric(client: ShopClient) -> None:
    body = client.get("/orders", criteria(sort=[("grand_total", "desc")], page_size=50)).json()
    totals = [order["grand_total"] for order in body["items"]]
    assert totals == sorted(totals, reverse=True)
    assert body["search_criteria"]["sort_orders"] == [{"field": "grand_total", "direction": "DESC"}]


def test_an_invalid_direction_is_magentos_400(client: ShopClient) -> None:
    response = client.get("/orders", criteria(sort=[("entity_id", "UP")]))
    assert response.status_code == 400
    assert response.json() == {
        "message": "The sort order has to be specified as %1 for ascending order or %2 for descending order.",
        "parameters": ["ASC", "DESC"],
    }


def test_camel_case_and_snake_case_spellings_are_the_same_query(client: ShopClient) -> None:
    groups = [[("status", "complete", "neq")], [("entity_id", "100", "gt")]]
    snake = client.get("/orders", criteria(groups, [("entity_id", "ASC")], 10, 2)).json()
    camel = client.get("/orders", criteria(groups, [("entity_id", "ASC")], 10, 2, snake=False)).json()
    assert ids(snake) == ids(camel)
    assert len(ids(snake)) == 10
    assert snake["search_criteria"] == camel["search_criteria"]


def test_without_page_size_the_whole_table_comes_back(client: ShopClient) -> None:
    body = client.get("/orders", criteria(page=3)).json()
    assert body["total_count"] == 400
    assert ids(body) == list(range(1, 401))


def test_a_page_past_the_end_is_empty_in_2_4(client: ShopClient) -> None:
    body = client.get("/orders", criteria(sort=[("entity_id", "ASC")], page_size=100, page=5)).json()
    assert body["items"] == []
    assert body["total_count"] == 400


def test_a_page_past_the_end_repeats_the_last_page_in_2_3_mode() -> None:
    with MagentoSandbox(seed=7, customers=10, orders=45, past_end="clamp") as shop:
        client = ShopClient(shop)
        last = client.get("/orders", criteria(sort=[("entity_id", "ASC")], page_size=20, page=3)).json()
        beyond = client.get("/orders", criteria(sort=[("entity_id", "ASC")], page_size=20, page=9)).json()
        assert ids(last) == [41, 42, 43, 44, 45]
        assert ids(beyond) == ids(last)


def test_with_input_limits_a_page_size_above_the_cap_is_refused() -> None:
    with MagentoSandbox(seed=7, customers=10, orders=45, page_size_cap=30) as shop:
        client = ShopClient(shop)
        refused = client.get("/orders", criteria(page_size=31))
        assert refused.status_code == 400
        assert refused.json() == {
            "message": "Maximum SearchCriteria pageSize is %max",
            "parameters": {"max": 30},
        }
        assert len(client.get("/orders", criteria(page_size=30)).json()["items"]) == 30
        assert len(client.get("/orders", [("searchCriteria", "")]).json()["items"]) == 20


def test_search_criteria_is_a_required_parameter(client: ShopClient) -> None:
    missing = client.get("/orders")
    assert missing.status_code == 400
    assert missing.json() == {
        "message": '"%fieldName" is required. Enter and try again.',
        "parameters": {"fieldName": "searchCriteria"},
    }
    assert client.get("/orders", [("searchCriteria", "")]).json()["total_count"] == 400


def test_a_non_integer_page_size_is_a_type_error(client: ShopClient) -> None:
    response = client.get("/orders", [("searchCriteria[pageSize]", "ten")])
    assert response.status_code == 400
    assert response.json()["parameters"] == {"value": "ten", "type": "int"}


def test_the_fields_parameter_trims_the_response(client: ShopClient) -> None:
    params = [
        *criteria(sort=[("entity_id", "ASC")], page_size=2),
        ("fields", "items[entity_id,updated_at],total_count"),
    ]
    body = client.get("/orders", params).json()
    assert set(body) == {"items", "total_count"}
    assert [set(item) for item in body["items"]] == [{"entity_id", "updated_at"}] * 2
    nested = client.get("/orders/3", [("fields", "entity_id,items[sku,qty_ordered]")]).json()
    assert set(nested) == {"entity_id", "items"}
    assert all(set(item) == {"sku", "qty_ordered"} for item in nested["items"])


def test_the_fields_parameter_quirks_match_magento(client: ShopClient) -> None:
    empty = client.get(
        "/orders", [*criteria([[("entity_id", "0", "lt")]]), ("fields", "items[entity_id],total_count")]
    ).json()
    assert empty == {"items": None, "total_count": 0}
    malformed = client.get("/orders/3", [("fields", "items[entity_id")]).json()
    assert malformed == []


def test_an_unknown_column_is_a_masked_internal_error(client: ShopClient) -> None:
    response = client.get("/orders", criteria([[("no_such_column", "1", "eq")]]))
    assert response.status_code == 500
    assert response.json()["message"].startswith("Internal Error. Details are available in Magento log file.")


def test_unknown_routes_and_store_codes_are_no_route_but_known_prefixes_work(client: ShopClient) -> None:
    no_route = {"message": "Request does not match any route."}
    assert client.get("/orders/3", store="nosuchstore").json() == no_route
    assert client.get("/orders/3", store="nosuchstore").status_code == 404
    assert client.get("/nothing/here").json() == no_route
    assert client.delete("/orders/3").status_code == 404
    for store in ("all", "default", ""):
        assert client.get("/orders/3", store=store).json()["entity_id"] == 3


def test_customers_and_credit_memos_search_with_the_same_criteria(
    shop: MagentoSandbox, client: ShopClient
) -> None:
    customers = client.get(
        "/customers/search", criteria([[("id", "5", "lteq")]], [("entity_id", "ASC")])
    ).json()
    assert ids(customers, "id") == [1, 2, 3, 4, 5]
    memos = client.get("/creditmemos", criteria([[("order_id", "1", "gteq")]], [("entity_id", "ASC")])).json()
    assert ids(memos) == sorted(shop.creditmemos)


def keyset_walk(
    client: ShopClient, path: str, page_size: int, key: str = "entity_id"
) -> list[dict[str, Any]]:
    """Read a whole stream the way the sync engine does: drain ties, then move past the timestamp."""
    fields = ("fields", f"items[{key},updated_at],total_count")
    seen: list[dict[str, Any]] = []
    cursor: tuple[str, int] | None = None
    for _ in range(10_000):
        if cursor is None:
            params = criteria(sort=KEYSET, page_size=page_size, page=1)
            items = client.get(path, [*params, fields]).json()["items"] or []
        else:
            stamp, last = cursor
            ties = criteria(
                [[("updated_at", stamp, "eq")], [("entity_id", last, "gt")]], KEYSET, page_size, 1
            )
            items = client.get(path, [*ties, fields]).json()["items"] or []
            if not items:
                after = criteria([[("updated_at", stamp, "gt")]], KEYSET, page_size, 1)
                items = client.get(path, [*after, fields]).json()["items"] or []
        if not items:
            return seen
        seen.extend(items)
        cursor = (items[-1]["updated_at"], items[-1][key])
    raise AssertionError("the walk did not finish")


@pytest.mark.parametrize("page_size", [100, 17])
def test_a_keyset_walk_returns_every_order_exactly_once(client: ShopClient, page_size: int) -> None:
    walked = keyset_walk(client, "/orders", page_size)
    keys = [(item["updated_at"], item["entity_id"]) for item in walked]
    assert len(keys) == 400
    assert len(set(keys)) == 400
    assert keys == sorted(keys)


def test_keyset_walks_cover_customers_and_credit_memos(shop: MagentoSandbox, client: ShopClient) -> None:
    assert sorted(c["id"] for c in keyset_walk(client, "/customers/search", 7, key="id")) == sorted(
        shop.customers
    )
    assert sorted(m["entity_id"] for m in keyset_walk(client, "/creditmemos", 7)) == sorted(shop.creditmemos)


def test_touch_moves_a_record_to_the_end_of_the_keyset_order() -> None:
    with MagentoSandbox(seed=8, customers=20, orders=80) as shop:
        client = ShopClient(shop)
        touched = shop.touch("orders", 1, status="closed")
        last = client.get(
            "/orders", criteria(sort=[("updated_at", "DESC"), ("entity_id", "DESC")], page_size=1)
        )
        assert ids(last.json()) == [1]
        assert touched["updated_at"] == shop.now().strftime("%Y-%m-%d %H:%M:%S")
        assert client.get("/orders/1").json()["status"] == "closed"
        walked = keyset_walk(client, "/orders", 25)
        assert walked[-1]["entity_id"] == 1
        assert len(walked) == 80
