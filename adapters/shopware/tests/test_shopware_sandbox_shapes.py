"""The sandbox answers in the exact shapes of real Shopware payloads (test_shopware_sandbox_samples/)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests

from loyalty_connector_shopware.sandbox import ShopwareSandbox

SAMPLES = Path(__file__).parent / "test_shopware_sandbox_samples"
JSON = {"Accept": "application/json"}


def sample(name: str) -> Any:
    return json.loads((SAMPLES / name).read_text(encoding="utf-8"))


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__


def mismatches(actual: Any, expected: Any, path: str = "$") -> list[str]:
    """Where ``actual`` differs in shape from ``expected``: keys at every level, and value types.

    ``null`` on either side matches anything (nullable fields and associations not loaded in one of
    them); lists compare every actual item with the first expected item.
    """
    if actual is None or expected is None:
        return []
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{path}: expected an object, got {_kind(actual)}"]
        found = []
        missing, extra = expected.keys() - actual.keys(), actual.keys() - expected.keys()
        if missing:
            found.append(f"{path}: missing keys {sorted(missing)}")
        if extra:
            found.append(f"{path}: unexpected keys {sorted(extra)}")
        for key in expected.keys() & actual.keys():
            found += mismatches(actual[key], expected[key], f"{path}.{key}")
        return found
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return [f"{path}: expected a list, got {_kind(actual)}"]
        if not expected:
            return []
        return [
            m for index, item in enumerate(actual) for m in mismatches(item, expected[0], f"{path}[{index}]")
        ]
    if _kind(actual) != _kind(expected):
        return [f"{path}: expected {_kind(expected)}, got {_kind(actual)} ({actual!r})"]
    return []


@pytest.fixture(scope="module")
def shop():
    with ShopwareSandbox(seed=11, customers=50, orders=400) as running:
        yield running


@pytest.fixture(scope="module")
def auth(shop):
    credentials = shop.credentials
    token = requests.post(
        f"{shop.base_url}/api/oauth/token",
        json={
            "grant_type": "client_credentials",
            "client_id": credentials["client_id"],
            "client_secret": credentials["client_secret"],
        },
        timeout=10,
    ).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def search(
    shop, auth, entity: str, criteria: dict[str, Any], accept: dict[str, str] = JSON
) -> requests.Response:
    return requests.post(
        f"{shop.base_url}/api/search/{entity}", json=criteria, headers={**auth, **accept}, timeout=30
    )


ORDER_LIKE_SAMPLE = {
    "associations": {
        "orderCustomer": {"associations": {"customer": {}, "salutation": {}}},
        "currency": {},
        "language": {},
        "billingAddress": {"associations": {"country": {}}},
        "deliveries": {
            "associations": {
                "shippingOrderAddress": {"associations": {"country": {}}},
                "stateMachineState": {},
            }
        },
        "lineItems": {},
        "transactions": {"associations": {"paymentMethod": {}, "stateMachineState": {}}},
        "stateMachineState": {},
    }
}


def test_order_with_the_samples_associations_has_the_real_orders_shape(shop, auth):
    body = search(shop, auth, "order", {**ORDER_LIKE_SAMPLE, "limit": 50}).json()
    orders = [o for o in body["data"] if o["orderCustomer"]["customer"] is not None]
    assert orders, "seeded orders with a registered customer"
    for order in orders:
        # the sample's only line is a product line; other line types have their own payload (tested below)
        order["lineItems"] = [line for line in order["lineItems"] if line["type"] == "product"]
        assert mismatches(order, sample("order.entity.app-php-sdk-payment.json")) == []


def test_customer_has_the_real_customers_shape(shop, auth):
    body = search(shop, auth, "customer", {"limit": 50}).json()
    assert body["total"] == 50
    for customer in body["data"]:
        assert mismatches(customer, sample("customer.entity.app-php-sdk-payment.json")) == []


def test_order_transaction_has_the_real_transactions_shape(shop, auth):
    criteria = {"limit": 60, "associations": {"paymentMethod": {}, "stateMachineState": {}}}
    body = search(shop, auth, "order-transaction", criteria).json()
    assert len(body["data"]) == 60
    for transaction in body["data"]:
        assert mismatches(transaction, sample("order-transaction.entity.app-php-sdk-payment.json")) == []


def test_promotion_line_items_match_the_constructed_promotion_line_shape(shop, auth):
    criteria = {"limit": 5, "filter": [{"type": "equals", "field": "type", "value": "promotion"}]}
    body = search(shop, auth, "order-line-item", criteria).json()
    assert body["data"], "some seeded orders used a promotion code"
    expected = sample("constructed.order-line-item.promotion.json")
    for line in body["data"]:
        assert set(expected) <= set(line)
        assert set(expected["payload"]) == set(line["payload"])
        assert line["referencedId"] == line["payload"]["code"]


def test_record_keys_keep_the_serializers_order(shop, auth):
    customer = search(shop, auth, "customer", {"limit": 1}).json()["data"][0]
    assert list(customer) == list(sample("customer.entity.app-php-sdk-payment.json"))


def test_json_api_search_has_the_real_envelope_and_resource_shape(shop, auth):
    response = search(
        shop,
        auth,
        "product",
        {"limit": 2, "page": 1, "total-count-mode": 1},
        accept={"Accept": "application/vnd.api+json"},
    )
    assert response.headers["Content-Type"].startswith("application/vnd.api+json")
    body = response.json()
    expected = sample("search-product.jsonapi.response.json")
    assert set(body) == set(expected)
    resource, expected_resource = body["data"][0], expected["data"][0]
    assert set(resource) == set(expected_resource)
    assert set(resource["attributes"]) == set(expected_resource["attributes"])
    assert set(resource["relationships"]) == set(expected_resource["relationships"])
    assert resource["relationships"]["prices"] == {
        "data": [],
        "links": {"related": f"{shop.base_url}/api/product/{resource['id']}/prices"},
    }
    assert set(body["links"]) >= {"first", "last", "next", "self"}
    assert body["meta"] == {"totalCountMode": 1, "total": len(shop.entities["product"])}


def test_search_ids_answers_total_and_ids_like_shopware(shop, auth):
    response = requests.post(
        f"{shop.base_url}/api/search-ids/product",
        json={"limit": 5, "total-count-mode": "exact"},
        headers=auth,
        timeout=10,
    )
    body = response.json()
    assert set(body) == set(sample("search-ids-product.response.json"))
    assert body["total"] == len(shop.entities["product"])
    assert len(body["data"]) == 5
    assert all(isinstance(i, str) and len(i) == 32 for i in body["data"])


def test_timestamps_are_written_as_shopware_writes_them(shop, auth):
    order = search(shop, auth, "order", {"limit": 1}).json()["data"][0]
    for key in ("createdAt", "orderDateTime", "orderDate"):
        value = order[key]
        assert len(value) == 29
        assert value[10] == "T"
        assert value[19] == "."
        assert value.endswith("+00:00")


def test_token_answers_have_the_documented_shape(shop):
    credentials = shop.credentials
    client = requests.post(
        f"{shop.base_url}/api/oauth/token",
        json={
            **sample("oauth-token.client-credentials.request.json"),
            **{k: credentials[k] for k in ("client_id", "client_secret")},
        },
        timeout=10,
    ).json()
    assert set(client) == set(sample("oauth-token.client-credentials.response.json"))
    password_request = {
        **sample("oauth-token.password.request.json"),
        "username": credentials["username"],
        "password": credentials["password"],
    }
    password = requests.post(f"{shop.base_url}/api/oauth/token", json=password_request, timeout=10).json()
    assert set(password) == set(sample("oauth-token.password.response.json"))
    assert mismatches(password, sample("oauth-token.password.response.json")) == []
    assert password["expires_in"] == 600
