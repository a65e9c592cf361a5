"""Writes: the sync API (idempotent upserts, one transaction, pointers, deletes), PATCH/DELETE, codes."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import requests

from loyalty_connector_shopware.sandbox import ShopwareSandbox

SAMPLES = Path(__file__).parent / "test_shopware_sandbox_samples"
DEFAULT_CURRENCY = "b7d2554b0ce847cd82f3ac9bd1c0dfca"
GOLD_GROUP = "9a8b7c6d5e4f40312a1b2c3d4e5f6a7b"


def sample(name: str) -> Any:
    return json.loads((SAMPLES / name).read_text(encoding="utf-8"))


@pytest.fixture
def shop():
    with ShopwareSandbox(seed=9, customers=30, orders=60) as running:
        credentials = running.credentials
        token = requests.post(
            f"{running.base_url}/api/oauth/token",
            json={
                "grant_type": "client_credentials",
                "client_id": credentials["client_id"],
                "client_secret": credentials["client_secret"],
            },
            timeout=10,
        ).json()["access_token"]
        running.test_headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}  # type: ignore[attr-defined]
        yield running


def call(shop: ShopwareSandbox, method: str, path: str, body: Any = None) -> requests.Response:
    headers = shop.test_headers  # type: ignore[attr-defined]
    return requests.request(method, f"{shop.base_url}/api{path}", json=body, headers=headers, timeout=30)


def sync(shop: ShopwareSandbox, body: Any) -> requests.Response:
    return call(shop, "POST", "/_action/sync", body)


def group_upsert(name: str, group_id: str | None = None) -> dict[str, Any]:
    record: dict[str, Any] = {"name": name, "displayGross": False}
    if group_id:
        record["id"] = group_id
    return {"entity": "customer_group", "action": "upsert", "payload": [record]}


def test_an_upsert_with_an_id_twice_updates_instead_of_duplicating(shop):
    before = len(shop.entities["customer_group"])
    first = sync(shop, {"groups": group_upsert("Loyalty: Gold", GOLD_GROUP)})
    assert first.status_code == 200
    body = first.json()
    assert set(body) == set(sample("sync.response.json"))
    assert body["data"]["customer_group"] == [GOLD_GROUP]
    assert body["data"]["customer_group_translation"] == [
        {"customerGroupId": GOLD_GROUP, "languageId": "2fbb5fe2e29a4d70aa5854ce7ce3e20b"}
    ]
    assert body["notFound"] == []
    assert body["deleted"] == []
    created = dict(shop.entities["customer_group"][GOLD_GROUP])
    assert created["updatedAt"] is None
    again = sync(shop, {"groups": group_upsert("Loyalty: Gold tier", GOLD_GROUP)})
    assert again.status_code == 200
    assert len(shop.entities["customer_group"]) == before + 1
    group = shop.entities["customer_group"][GOLD_GROUP]
    assert group["name"] == "Loyalty: Gold tier"
    assert group["translated"]["name"] == "Loyalty: Gold tier"
    assert group["createdAt"] == created["createdAt"]
    assert group["updatedAt"] is not None


def test_the_constructed_rule_and_tier_price_payloads_are_accepted(shop):
    assert sync(shop, {"g": group_upsert("Loyalty: Gold", GOLD_GROUP)}).status_code == 200
    rule = sync(shop, sample("constructed.rule-customer-group.sync.request.json"))
    assert rule.status_code == 200, rule.text
    rule_id = "3f1c2d4e5a6b47c8a9d0e1f2a3b4c5d6"
    conditions = [c for c in shop.entities["rule_condition"].values() if c["ruleId"] == rule_id]
    assert {c["type"] for c in conditions} == {"orContainer", "andContainer", "customerCustomerGroup"}
    leaf = next(c for c in conditions if c["type"] == "customerCustomerGroup")
    assert leaf["parentId"] == "1c1d2e3f405162738495a6b7c8d9e0f1"
    assert leaf["value"] == {"operator": "=", "customerGroupIds": [GOLD_GROUP]}
    prices = sync(shop, sample("constructed.product-price-tiers.sync.request.json"))
    assert prices.status_code == 200, prices.text
    written = prices.json()["data"]["product_price"]
    assert {
        "id": "5d1e2f3a4b5c46d7e8f90a1b2c3d4e5f",
        "versionId": "0fa91ce3e96a4bc2be4bd9ce752c3425",
    } in written
    by_number = [
        p
        for p in shop.entities["product_price"].values()
        if p["ruleId"] == rule_id and p["quantityEnd"] is None and p["quantityStart"] == 1
    ]
    assert [p["productId"] for p in by_number] == ["4aa38f2ec4554d01a3e109f52923dbeb"], (
        "product.number SW10004 resolved"
    )


def test_a_failing_record_rolls_back_the_whole_request_with_pointers(shop):
    groups_before = len(shop.entities["customer_group"])
    prices_before = len(shop.entities["product_price"])
    clock_before = shop.now()
    rule_id = next(iter(shop.entities["rule"]))
    product_id = next(iter(shop.entities["product"]))
    response = sync(
        shop,
        {
            "groups": group_upsert("Loyalty: Silver"),
            "tiers": {
                "entity": "product_price",
                "action": "upsert",
                "payload": [
                    {
                        "productId": product_id,
                        "ruleId": rule_id,
                        "quantityStart": 1,
                        "price": [
                            {"currencyId": DEFAULT_CURRENCY, "gross": 1.0, "net": 0.84, "linked": True}
                        ],
                    },
                    {
                        "productId": product_id,
                        "ruleId": rule_id,
                        "quantityStart": 10,
                        "price": [{"currencyId": "0" * 32, "gross": 1.0, "net": 0.84, "linked": True}],
                    },
                    {
                        "productId": product_id,
                        "ruleId": rule_id,
                        "price": [
                            {"currencyId": DEFAULT_CURRENCY, "gross": 1.0, "net": 0.84, "linked": True}
                        ],
                        "colour": "red",
                    },
                ],
            },
        },
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    pointers = {e["source"]["pointer"]: e for e in errors}
    assert set(pointers) == {"/tiers/1/price", "/tiers/2/colour"}
    assert pointers["/tiers/1/price"]["detail"] == "No price for default currency defined"
    assert pointers["/tiers/2/colour"]["code"] == "FRAMEWORK__WRITE_UNEXPECTED_FIELD_ERROR"
    assert all(e["status"] == "400" for e in errors)
    assert len(shop.entities["customer_group"]) == groups_before
    assert len(shop.entities["product_price"]) == prices_before
    assert shop.now() == clock_before, "a failed request is not a mutation"


def test_missing_required_fields_are_reported_as_not_blank(shop):
    response = sync(
        shop, {"rules": {"entity": "rule", "action": "upsert", "payload": [{"name": "No priority"}]}}
    )
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["source"] == {"pointer": "/rules/0/priority"}
    assert error["code"] == "c1051bb4-d103-4f74-8988-acbcafc7fdc3"
    assert error["detail"] == "This value should not be blank."


def test_delete_by_criteria_and_by_id_reports_deleted_and_not_found(shop):
    payload = [{"name": f"Loyalty: Tier {i}"} for i in range(3)]
    assert (
        sync(shop, [{"entity": "customer_group", "action": "upsert", "payload": payload}]).status_code == 200
    )
    ghost = "f" * 32
    response = sync(
        shop,
        {
            "cleanup": {
                "entity": "customer_group",
                "action": "delete",
                "criteria": [{"type": "prefix", "field": "name", "value": "Loyalty: Tier"}],
            },
            "ghost": {"entity": "customer_group", "action": "delete", "payload": [{"id": ghost}]},
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert len(body["deleted"]["customer_group"]) == 3
    assert body["notFound"] == {"customer_group": [ghost]}
    assert not [g for g in shop.entities["customer_group"].values() if g["name"].startswith("Loyalty: Tier")]


def test_deleting_a_group_in_use_is_restricted(shop):
    group_id = next(iter(shop.entities["customer"].values()))["groupId"]
    response = sync(
        shop, {"x": {"entity": "customer_group", "action": "delete", "payload": [{"id": group_id}]}}
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "FRAMEWORK__DELETE_RESTRICTED"
    assert group_id in shop.entities["customer_group"]


def test_promotion_with_discounts_sales_channel_and_individual_codes(shop):
    response = sync(
        shop,
        {
            "p": {
                "entity": "promotion",
                "action": "upsert",
                "payload": [sample("constructed.promotion-referral-individual-codes.request.json")],
            }
        },
    )
    assert response.status_code == 200, response.text
    promotion_id = "7e1f2a3b4c5d46e7f8091a2b3c4d5e6f"
    codes = {
        c["code"]
        for c in shop.entities["promotion_individual_code"].values()
        if c["promotionId"] == promotion_id
    }
    assert codes == {"REF-ABCD-123", "REF-EFGH-456"}
    criteria = {
        "ids": [promotion_id],
        "associations": {"discounts": {}, "salesChannels": {}, "individualCodes": {}},
    }
    found = call(shop, "POST", "/search/promotion", criteria).json()["data"][0]
    assert found["discounts"][0]["value"] == 10.0
    assert found["salesChannels"][0]["salesChannelId"] == "98432def39fc4624b33213a56b8c944d"
    assert len(found["individualCodes"]) == 2


def test_an_active_promotion_without_sales_channel_is_refused(shop):
    payload = {
        "name": "Loyalty: lonely",
        "active": True,
        "discounts": [{"scope": "cart", "type": "absolute", "value": 5.0}],
    }
    response = sync(shop, {"p": {"entity": "promotion", "action": "upsert", "payload": [payload]}})
    assert response.status_code == 400
    assert response.json()["errors"][0]["source"] == {"pointer": "/p/0/salesChannels"}
    assert not [p for p in shop.entities["promotion"].values() if p["name"] == "Loyalty: lonely"]


def test_set_group_promotion_links_persona_rules(shop):
    rule = {"id": "3f1c2d4e5a6b47c8a9d0e1f2a3b4c5d6", "name": "Loyalty: Gold tier", "priority": 100}
    assert sync(shop, {"r": {"entity": "rule", "action": "upsert", "payload": [rule]}}).status_code == 200
    response = sync(
        shop,
        {
            "p": {
                "entity": "promotion",
                "action": "upsert",
                "payload": [sample("constructed.promotion-free-item-setgroup.request.json")],
            }
        },
    )
    assert response.status_code == 200, response.text
    assert response.json()["data"]["promotion_persona_rule"] == [
        {"promotionId": "8e1f2a3b4c5d46e7f8091a2b3c4d5e6f", "ruleId": rule["id"]}
    ]
    assert shop.entities["promotion_setgroup"]["9f1a2b3c4d5e46f708192a3b4c5d6e7f"]["packagerKey"] == "COUNT"


def test_patch_assigns_a_customer_group_and_bumps_updated_at(shop):
    assert sync(shop, {"g": group_upsert("Loyalty: Gold", GOLD_GROUP)}).status_code == 200
    customer = next(iter(shop.entities["customer"].values()))
    response = call(
        shop,
        "PATCH",
        f"/customer/{customer['id']}",
        sample("constructed.customer-group-assign.patch.request.json"),
    )
    assert response.status_code == 204
    assert response.content == b""
    assert shop.entities["customer"][customer["id"]]["groupId"] == GOLD_GROUP
    detail = call(shop, "GET", f"/customer/{customer['id']}").json()["data"]
    assert detail["groupId"] == GOLD_GROUP
    assert detail["updatedAt"] is not None
    refused = call(shop, "PATCH", f"/customer/{customer['id']}", {"groupId": "e" * 32})
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["source"] == {"pointer": "/0/groupId"}


def test_create_get_and_delete_a_single_record(shop):
    created = call(shop, "POST", "/rule", sample("rule.with-conditions.request.json"))
    assert created.status_code == 204
    rule_id = created.headers["Location"].rsplit("/", 1)[-1]
    assert len([c for c in shop.entities["rule_condition"].values() if c["ruleId"] == rule_id]) == 3
    assert call(shop, "GET", f"/rule/{rule_id}").json()["data"]["name"] == "Ruler with simple condition"
    assert call(shop, "DELETE", f"/rule/{rule_id}").status_code == 204
    missing = call(shop, "GET", f"/rule/{rule_id}")
    assert missing.status_code == 404
    assert missing.json()["errors"][0]["code"] == "FRAMEWORK__RESOURCE_NOT_FOUND"
    assert not [c for c in shop.entities["rule_condition"].values() if c["ruleId"] == rule_id], (
        "conditions cascade"
    )


def test_orders_and_unknown_entities_cannot_be_written(shop):
    order_id = next(iter(shop.entities["order"]))
    refused = sync(
        shop,
        {"o": {"entity": "order", "action": "upsert", "payload": [{"id": order_id, "customerComment": "x"}]}},
    )
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["code"] == "SANDBOX__ENTITY_NOT_WRITABLE"
    unknown = sync(shop, {"t": {"entity": "tax_rule_nope", "action": "upsert", "payload": [{}]}})
    assert unknown.json()["errors"][0]["code"] == "FRAMEWORK__DEFINITION_NOT_FOUND"


def test_promotion_code_actions(shop):
    pattern = "REF-%s%s%s%s-%d%d%d"
    generated = requests.get(
        f"{shop.base_url}/api/_action/promotion/codes/generate-individual",
        params={"codePattern": pattern, "amount": 3},
        headers=shop.test_headers,  # type: ignore[attr-defined]
        timeout=10,
    )
    codes = generated.json()
    assert len(codes) == len(set(codes)) == 3
    assert all(re.fullmatch(r"REF-[A-Z]{4}-\d{3}", code) for code in codes)
    too_simple = requests.get(
        f"{shop.base_url}/api/_action/promotion/codes/generate-individual",
        params={"codePattern": "X-%d", "amount": 11},
        headers=shop.test_headers,  # type: ignore[attr-defined]
        timeout=10,
    )
    assert too_simple.status_code == 400
    welcome = next(p for p in shop.entities["promotion"].values() if p["name"] == "Welcome voucher 10 EUR")
    replaced = call(
        shop,
        "PATCH",
        "/_action/promotion/codes/replace-individual",
        {"promotionId": welcome["id"], "codePattern": "LOYAL-%s%s%s%d%d", "amount": 5},
    )
    assert replaced.status_code == 204
    assert (
        call(
            shop,
            "POST",
            "/_action/promotion/codes/add-individual",
            {"promotionId": welcome["id"], "amount": 2},
        ).status_code
        == 204
    )
    codes_now = [
        c["code"]
        for c in shop.entities["promotion_individual_code"].values()
        if c["promotionId"] == welcome["id"]
    ]
    assert len(codes_now) == 7
    assert all(code.startswith("LOYAL-") for code in codes_now)
    wrong_route = call(shop, "PATCH", f"/_action/promotion/{welcome['id']}/codes/replace-individual", {})
    assert wrong_route.status_code == 404
