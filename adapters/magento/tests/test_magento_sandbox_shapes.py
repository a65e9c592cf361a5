"""The sandbox's JSON matches real Magento payloads field by field (keys present, JSON types agree).

``magento_sandbox_samples.json`` holds the key names and JSON types of the shared real samples
(values dropped). Every key a sample has must exist in the sandbox's object at the same path with
the same type (integers and decimals are both "number"); the sandbox may have more keys.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from magento_sandbox_client import ShopClient, criteria

from loyalty_connector_magento.sandbox import MagentoSandbox

SAMPLES: dict[str, Any] = json.loads(Path(__file__).with_name("magento_sandbox_samples.json").read_text())


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def mismatches(sample: Any, actual: Any, path: str = "$", loose: frozenset[str] = frozenset()) -> list[str]:
    """Where ``actual`` lacks a key of ``sample`` or has another JSON type (paths in ``loose`` skip types)."""
    if isinstance(sample, dict):
        if not isinstance(actual, dict):
            return [f"{path}: expected an object, got {json_type(actual)}"]
        problems = []
        for key, child in sample.items():
            if key not in actual:
                problems.append(f"{path}.{key}: missing")
            else:
                problems += mismatches(child, actual[key], f"{path}.{key}", loose)
        return problems
    if isinstance(sample, list):
        if not isinstance(actual, list):
            return [f"{path}: expected an array, got {json_type(actual)}"]
        if sample and not actual:
            return [f"{path}: empty, the sample has elements"]
        problems = []
        for index, element in enumerate(sample[: len(actual)]):
            problems += mismatches(element, actual[index], f"{path}[]", loose)
        return problems
    if path in loose or sample == json_type(actual):
        return []
    return [f"{path}: sample type {sample}, sandbox {json_type(actual)}"]


@pytest.fixture(scope="module")
def shop() -> Iterator[MagentoSandbox]:
    with MagentoSandbox(seed=3, customers=40, orders=200) as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def client(shop: MagentoSandbox) -> ShopClient:
    return ShopClient(shop)


@pytest.fixture(scope="module")
def buyer(shop: MagentoSandbox) -> dict[str, Any]:
    return shop.add_customer(
        email="veronika.costa@kontorbedarf.de",
        firstname="Veronika",
        lastname="Costa",
        dob="1973-12-15",
        gender=2,
        taxvat="DE123456789",
        company="Kontorbedarf GmbH",
    )


def test_a_pending_configurable_order_has_every_field_of_the_real_order(
    shop: MagentoSandbox, client: ShopClient, buyer: dict[str, Any]
) -> None:
    placed = shop.add_order(
        buyer["id"], [{"sku": "CHAIR-ERGO-BLK", "qty": 1}], state="new", applied_rule_ids="1", tax_percent=19
    )
    order = client.get(f"/orders/{placed['entity_id']}").json()
    assert mismatches(SAMPLES["order"], order) == []
    parent, child = order["items"]
    assert (parent["product_type"], child["product_type"]) == ("configurable", "simple")
    assert child["parent_item_id"] == parent["item_id"]
    assert child["price"] == 0
    assert parent["price"] == 249
    assert child["parent_item"] == parent


def test_a_discounted_order_has_negative_order_discount_and_positive_item_discount(
    shop: MagentoSandbox, client: ShopClient, buyer: dict[str, Any]
) -> None:
    placed = shop.add_order(
        buyer["id"],
        [{"sku": "NOTEBOOK-A5-RED", "qty": 2}, {"sku": "DESK-SIT-STAND-160", "qty": 1}],
        state="new",
        discount_percent=20,
        applied_rule_ids="2,3",
        coupon_code="B2B-SPRING",
    )
    order = client.get(f"/orders/{placed['entity_id']}").json()
    assert mismatches(SAMPLES["order_discounted"], order) == []
    assert order["discount_amount"] < 0
    assert order["items"][0]["discount_amount"] > 0
    assert order["discount_amount"] == -sum(item["discount_amount"] for item in order["items"])


def test_a_customer_matches_the_real_customer(client: ShopClient, buyer: dict[str, Any]) -> None:
    customer = client.get(f"/customers/{buyer['id']}").json()
    assert mismatches(SAMPLES["customer"], customer) == []
    assert isinstance(customer["default_billing"], str)
    assert customer["addresses"][0]["company"] == "Kontorbedarf GmbH"


def test_the_customer_search_envelope_echoes_the_criteria_like_the_documented_response(
    client: ShopClient, buyer: dict[str, Any]
) -> None:
    body = client.get("/customers/search", criteria([[("firstname", "%ver%", "like")]])).json()
    assert set(body) == {"items", "search_criteria", "total_count"}
    assert mismatches(SAMPLES["customers_search"], body) == []
    assert body["search_criteria"] == {
        "filter_groups": [{"filters": [{"field": "firstname", "value": "%ver%", "condition_type": "like"}]}]
    }


def test_a_credit_memo_matches_the_real_credit_memo(shop: MagentoSandbox, client: ShopClient) -> None:
    memo_id = min(shop.creditmemos)
    memo = client.get(f"/creditmemo/{memo_id}").json()
    assert mismatches(SAMPLES["creditmemo"], memo) == []
    assert memo["state"] == 2
    assert memo["items"][0]["base_cost"] is None
    assert memo["items"][0]["weee_tax_applied"] == "[]"


def test_the_group_search_returns_the_four_default_groups(client: ShopClient) -> None:
    body = client.get("/customerGroups/search", criteria(page_size=100, page=1)).json()
    assert mismatches(SAMPLES["groups_search"], body) == []
    assert [(g["id"], g["code"]) for g in body["items"][:4]] == [
        (0, "NOT LOGGED IN"),
        (1, "General"),
        (2, "Wholesale"),
        (3, "Retailer"),
    ]
    assert body["search_criteria"] == {"filter_groups": [], "page_size": 100, "current_page": 1}


RULE_REQUEST = {
    "rule": {
        "name": "40% Off on Large Orders",
        "store_labels": [
            {"store_id": 0, "store_label": "TestRule_Label"},
            {"store_id": 1, "store_label": "TestRule_Label_default"},
        ],
        "description": "Test sales rule",
        "website_ids": [1],
        "customer_group_ids": [0, 1, 3],
        "from_date": "2015-06-09",
        "to_date": "2018-06-09",
        "uses_per_customer": 2,
        "is_active": 1,
        "condition": {
            "condition_type": "Magento\\SalesRule\\Model\\Rule\\Condition\\Combine",
            "conditions": [
                {
                    "condition_type": "Magento\\SalesRule\\Model\\Rule\\Condition\\Address",
                    "operator": ">",
                    "attribute_name": "base_subtotal",
                    "value": 800,
                }
            ],
            "aggregator_type": "all",
            "operator": None,
            "value": None,
        },
        "action_condition": {
            "condition_type": "Magento\\SalesRule\\Model\\Rule\\Condition\\Product\\Combine",
            "conditions": [
                {
                    "condition_type": "Magento\\SalesRule\\Model\\Rule\\Condition\\Product",
                    "operator": "==",
                    "attribute_name": "attribute_set_id",
                    "value": "4",
                }
            ],
            "aggregator_type": "all",
            "operator": None,
            "value": None,
        },
        "stop_rules_processing": True,
        "is_advanced": True,
        "sort_order": 2,
        "simple_action": "cart_fixed",
        "discount_amount": 40,
        "discount_qty": 2,
        "discount_step": 0,
        "apply_to_shipping": False,
        "times_used": 1,
        "is_rss": True,
        "coupon_type": "SPECIFIC_COUPON",
        "use_auto_generation": False,
        "uses_per_coupon": 0,
        "simple_free_shipping": 0,
    }
}
"""The body of Magento's own ``RuleRepositoryTest`` (sales-rule.create.request.api-functional.json)."""


def test_a_created_sales_rule_echoes_its_input_typed_as_rule_interface(client: ShopClient) -> None:
    rule = client.post("/salesRules", RULE_REQUEST).json()
    # The reconstructed sample comes from a PHPUnit assertEquals, which compares 1 == true and 0 == "0";
    # RuleInterface declares is_active bool, simple_free_shipping string and condition value string.
    loose = frozenset({"$.is_active", "$.simple_free_shipping", "$.condition.conditions[].value"})
    assert mismatches(SAMPLES["sales_rule"], rule, loose=loose) == []
    assert set(rule) == set(RULE_REQUEST["rule"]) | {"rule_id"}
    assert rule["is_active"] is True
    assert rule["simple_free_shipping"] == "0"
    assert rule["condition"]["conditions"][0]["value"] == "800"
    assert rule["condition"]["operator"] is None


def test_tier_prices_read_back_in_the_documented_shape(client: ShopClient) -> None:
    rows = client.post("/products/tier-prices-information", {"skus": ["PAPER-A4"]}).json()
    assert rows
    assert mismatches(SAMPLES["tier_prices"], rows) == []


def test_the_order_list_uses_the_same_order_shape_as_the_single_get(
    shop: MagentoSandbox, client: ShopClient
) -> None:
    body = client.get("/orders", criteria([[("entity_id", "5", "eq")]])).json()
    assert body["total_count"] == 1
    assert body["items"][0] == client.get("/orders/5").json()
    assert body["items"][0] == shop.orders[5]


def test_the_same_seed_gives_identical_data_and_credentials() -> None:
    first = MagentoSandbox(seed=21, customers=30, orders=120)
    second = MagentoSandbox(seed=21, customers=30, orders=120)
    other = MagentoSandbox(seed=22, customers=30, orders=120)
    assert dict(first.orders) == dict(second.orders)
    assert first.customers == second.customers
    assert first.creditmemos == second.creditmemos
    assert first.credentials == second.credentials
    assert dict(first.orders) != dict(other.orders)
    assert first.now() == second.now()


def test_the_clock_starts_after_the_newest_record_and_moves_one_second_per_change() -> None:
    shop = MagentoSandbox(seed=4, customers=20, orders=60)
    newest = max(
        [order["updated_at"] for order in shop.orders.values()]
        + [customer["updated_at"] for customer in shop.customers.values()]
    )
    start = shop.now()
    assert start.strftime("%Y-%m-%d %H:%M:%S") > newest
    assert newest <= "2026-10-31 23:59:59"
    touched = shop.touch("customers", 1, group_id=2)
    assert (shop.now() - start).total_seconds() == 1
    assert touched["updated_at"] == shop.now().strftime("%Y-%m-%d %H:%M:%S")


def test_describe_gives_a_programme_source_with_env_var_names_and_their_values() -> None:
    shop = MagentoSandbox(seed=1, customers=3, orders=3)
    with shop:
        described = shop.describe()
        source = described["source"]
        assert source["adapter"] == "magento"
        assert source["base_url"] == shop.base_url == described["base_url"]
        assert source["settings"] == {"store_code": "all", "auth": "oauth"}
        assert source["credentials"] == {
            "consumer_key": "MAGENTO_CONSUMER_KEY",
            "consumer_secret": "MAGENTO_CONSUMER_SECRET",
            "access_token": "MAGENTO_ACCESS_TOKEN",
            "access_token_secret": "MAGENTO_ACCESS_TOKEN_SECRET",
        }
        assert described["env"]["MAGENTO_CONSUMER_SECRET"] == shop.credentials["consumer_secret"]
        assert all(value not in source["credentials"].values() for value in shop.credentials.values())
    with MagentoSandbox(seed=1, customers=3, orders=3, auth_mode="admin_token") as admin_shop:
        admin = admin_shop.describe()
    assert admin["source"]["settings"]["auth"] == "admin_token"
    assert admin["source"]["credentials"] == {
        "username": "MAGENTO_ADMIN_USERNAME",
        "password": "MAGENTO_ADMIN_PASSWORD",
    }
