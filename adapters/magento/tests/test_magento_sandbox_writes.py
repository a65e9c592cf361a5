"""Writes with Magento's semantics: customer groups, customer replace, tier prices, sales rules, coupons."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from magento_sandbox_client import ShopClient, criteria

from loyalty_connector_magento.sandbox import MagentoSandbox

ROW_ID = "Row ID: SKU = %SKU, Website ID: %websiteId, Customer Group: %customerGroup, Quantity: %qty."


@pytest.fixture
def shop() -> Iterator[MagentoSandbox]:
    with MagentoSandbox(seed=5, customers=20, orders=40) as sandbox:
        yield sandbox


@pytest.fixture
def client(shop: MagentoSandbox) -> ShopClient:
    return ShopClient(shop)


def price(sku: str, amount: float, group: str = "General", qty: float = 3, **extra: Any) -> dict[str, Any]:
    return {
        "price": amount,
        "price_type": "fixed",
        "website_id": 0,
        "sku": sku,
        "customer_group": group,
        "quantity": qty,
        **extra,
    }


# -- customer groups -------------------------------------------------------------------------------


def test_a_customer_group_is_created_once_per_code(client: ShopClient) -> None:
    created = client.post("/customerGroups", {"group": {"code": "Gold", "tax_class_id": 3}})
    assert created.status_code == 200
    assert created.json() == {"id": 4, "code": "Gold", "tax_class_id": 3, "tax_class_name": "Retail Customer"}
    assert client.get("/customerGroups/4").json()["code"] == "Gold"
    duplicate = client.post("/customerGroups", {"group": {"code": "gold", "tax_class_id": 3}})
    assert duplicate.status_code == 400
    assert duplicate.json() == {"message": "Customer Group already exists."}
    missing = client.post("/customerGroups", {"group": {"tax_class_id": 3}})
    assert missing.json() == {
        "message": '"%fieldName" is required. Enter and try again.',
        "parameters": {"fieldName": "code"},
    }
    unknown = client.get("/customerGroups/99")
    assert unknown.status_code == 404
    assert unknown.json() == {
        "message": "No such entity with %fieldName = %fieldValue",
        "parameters": {"fieldName": "id", "fieldValue": 99},
    }


# -- customers -------------------------------------------------------------------------------------


def test_putting_the_full_customer_back_changes_only_what_was_changed(
    shop: MagentoSandbox, client: ShopClient
) -> None:
    customer_id = next(cid for cid, c in shop.customers.items() if "dob" in c and "taxvat" in c)
    before = client.get(f"/customers/{customer_id}").json()
    sent = {**before, "group_id": 3}
    after = client.put(f"/customers/{customer_id}", {"customer": sent}).json()
    assert after["group_id"] == 3
    assert {k: v for k, v in after.items() if k not in ("group_id", "updated_at")} == {
        k: v for k, v in before.items() if k not in ("group_id", "updated_at")
    }
    assert after["updated_at"] == shop.now().strftime("%Y-%m-%d %H:%M:%S")
    newest = client.get("/customers/search", criteria(sort=[("updated_at", "DESC")], page_size=1)).json()
    assert newest["items"][0]["id"] == customer_id


def test_fields_left_out_of_a_customer_put_are_dropped(shop: MagentoSandbox, client: ShopClient) -> None:
    customer_id = next(cid for cid, c in shop.customers.items() if "dob" in c and "taxvat" in c)
    before = client.get(f"/customers/{customer_id}").json()
    partial = {key: before[key] for key in ("email", "firstname", "lastname", "website_id")}
    after = client.put(f"/customers/{customer_id}", {"customer": partial}).json()
    assert "dob" not in after
    assert "taxvat" not in after
    assert after["group_id"] == before["group_id"]
    assert after["addresses"] == before["addresses"]
    assert after["created_at"] == before["created_at"]


def test_a_customer_put_is_validated_like_magento(shop: MagentoSandbox, client: ShopClient) -> None:
    first, second = list(shop.customers.values())[:2]
    taken = client.put(f"/customers/{first['id']}", {"customer": {**first, "email": second["email"].upper()}})
    assert taken.status_code == 400
    assert taken.json() == {
        "message": "A customer with the same email address already exists in an associated website."
    }
    empty = client.put(f"/customers/{first['id']}", {"customer": {"website_id": 1}})
    assert [e["parameters"]["fieldName"] for e in empty.json()["errors"]] == [
        "email",
        "firstname",
        "lastname",
    ]
    unknown = client.put("/customers/9999", {"customer": first})
    assert unknown.status_code == 404
    assert unknown.json()["parameters"] == {"fieldName": "customerId", "fieldValue": 9999}


# -- tier prices -----------------------------------------------------------------------------------


def test_tier_prices_are_added_updated_and_read_back(client: ShopClient) -> None:
    rows = [
        price("STAPLER-HD", 30, qty=3),
        price("STAPLER-HD", 28, qty=5),
        price("STAPLER-HD", 26, "ALL GROUPS", 10),
    ]
    assert client.post("/products/tier-prices", {"prices": rows}).json() == []
    assert client.post("/products/tier-prices", {"prices": [price("STAPLER-HD", 29.5, qty=3)]}).json() == []
    read = client.post("/products/tier-prices-information", {"skus": ["STAPLER-HD"]}).json()
    assert sorted((r["customer_group"], r["quantity"], r["price"]) for r in read) == [
        ("General", 3, 29.5),
        ("General", 5, 28),
        ("all groups", 10, 26),
    ]


def test_invalid_tier_price_rows_come_back_as_failures_and_valid_ones_are_saved(
    shop: MagentoSandbox, client: ShopClient
) -> None:
    rows = [
        price("NO-SUCH-SKU", 5),
        price("PEN-BLUE-50", 5, "Platinum"),
        price("PEN-BLUE-50", 9, "ALL GROUPS", 3, website_id=1),
        price("PEN-BLUE-50", -1, qty=4),
        price("PEN-BLUE-50", 5, qty=0),
        price("CHAIR-ERGO", 200, qty=2),
        price("PEN-BLUE-50", 10.5, qty=7),
    ]
    failures = client.post("/products/tier-prices", {"prices": rows}).json()
    assert failures == [
        {
            "message": f"Invalid attribute SKU = %SKU. {ROW_ID}",
            "parameters": ["NO-SUCH-SKU", "0", "General", "3"],
        },
        {
            "message": f"No such entity with Customer Group = %customerGroup. {ROW_ID}",
            "parameters": ["PEN-BLUE-50", "0", "Platinum", "3"],
        },
        {
            "message": f"Invalid attribute Website ID = %websiteId. {ROW_ID}",
            "parameters": ["PEN-BLUE-50", "1", "ALL GROUPS", "3"],
        },
        {
            "message": f"Invalid attribute Price = %price. {ROW_ID}",
            "parameters": ["-1", "PEN-BLUE-50", "0", "General", "4"],
        },
        {
            "message": f"Invalid attribute Quantity = %qty. {ROW_ID}",
            "parameters": ["PEN-BLUE-50", "0", "General", "0"],
        },
        {
            "message": f"Invalid attribute SKU = %SKU. {ROW_ID}",
            "parameters": ["CHAIR-ERGO", "0", "General", "2"],
        },
    ]
    saved = [r for r in shop.tier_prices if r["sku"] == "PEN-BLUE-50" and r["customer_group"] == "General"]
    assert saved == [
        {
            "price": 10.5,
            "price_type": "fixed",
            "website_id": 0,
            "sku": "PEN-BLUE-50",
            "customer_group": "General",
            "quantity": 7,
        }
    ]


def test_website_tier_prices_need_the_website_price_scope() -> None:
    with MagentoSandbox(seed=5, customers=3, orders=3, price_scope_website=True) as shop:
        row = price("PEN-BLUE-50", 9, "Wholesale", 3, website_id=1)
        assert ShopClient(shop).post("/products/tier-prices", {"prices": [row]}).json() == []


def test_a_tier_price_is_deleted_only_when_everything_including_the_price_matches(
    shop: MagentoSandbox, client: ShopClient
) -> None:
    existing = [r for r in shop.tier_prices if r["sku"] == "PAPER-A4"]
    assert len(existing) == 2
    wrong_price = price("PAPER-A4", 21.00, "Wholesale", 10)
    assert client.post("/products/tier-prices-delete", {"prices": [wrong_price]}).json() == []
    assert len([r for r in shop.tier_prices if r["sku"] == "PAPER-A4"]) == 2
    exact = price("PAPER-A4", 22.5, "wholesale", 10)
    assert client.post("/products/tier-prices-delete", {"prices": [exact]}).json() == []
    assert [r["quantity"] for r in shop.tier_prices if r["sku"] == "PAPER-A4"] == [50]


def test_replacing_tier_prices_keeps_exactly_the_sent_rows_of_each_sku(
    shop: MagentoSandbox, client: ShopClient
) -> None:
    rows = [price("PAPER-A4", 8, "NOT LOGGED IN", 5), price("PAPER-A4", 5, "NOT LOGGED IN", 310)]
    assert client.put("/products/tier-prices", {"prices": rows}).json() == []
    paper = sorted((r["customer_group"], r["quantity"]) for r in shop.tier_prices if r["sku"] == "PAPER-A4")
    assert paper == [("NOT LOGGED IN", 5), ("NOT LOGGED IN", 310)]
    assert any(r["sku"] == "TONER-BLK" for r in shop.tier_prices)


def test_reading_tier_prices_of_an_unknown_sku_is_404(client: ShopClient) -> None:
    response = client.post("/products/tier-prices-information", {"skus": ["PAPER-A4", "NOPE"]})
    assert response.status_code == 404
    assert response.json() == {
        "message": "Requested products don't exist: %sku",
        "parameters": {"sku": "NOPE"},
    }


# -- sales rules and coupons -----------------------------------------------------------------------

CONSTRUCTED_COUPON_RESPONSE_KEYS = (
    "coupon_id",
    "rule_id",
    "code",
    "usage_limit",
    "usage_per_customer",
    "times_used",
    "is_primary",
    "created_at",
    "type",
)
"""Keys of constructed.coupon.create.response.json (a rule without ``to_date`` gives no expiration_date)."""

REFERRAL_RULE = {
    "name": "loyalty: referral 10%",
    "website_ids": [1],
    "customer_group_ids": [0, 1, 2, 3],
    "uses_per_customer": 1,
    "uses_per_coupon": 1,
    "is_active": True,
    "simple_action": "by_percent",
    "discount_amount": 10,
    "coupon_type": "SPECIFIC_COUPON",
    "use_auto_generation": True,
}


def test_sales_rules_are_created_read_merged_searched_and_deleted(client: ShopClient) -> None:
    rule = client.post("/salesRules", {"rule": REFERRAL_RULE}).json()
    rule_id = rule["rule_id"]
    assert rule_id == 4
    assert rule["stop_rules_processing"] is True
    assert rule["condition"]["condition_type"].endswith("Rule\\Condition\\Combine")
    assert client.get(f"/salesRules/{rule_id}").json() == rule
    updated = client.put(f"/salesRules/{rule_id}", {"rule": {"discount_amount": 15}}).json()
    assert updated["discount_amount"] == 15
    assert updated["name"] == REFERRAL_RULE["name"]
    found = client.get("/salesRules/search", criteria([[("name", "loyalty:%", "like")]])).json()
    assert [r["rule_id"] for r in found["items"]] == [rule_id]
    assert client.delete(f"/salesRules/{rule_id}").json() is True
    gone = client.get(f"/salesRules/{rule_id}")
    assert gone.status_code == 404
    assert gone.json() == {"message": "No such entity."}


def test_coupons_follow_the_rules_auto_generation_setting(shop: MagentoSandbox, client: ShopClient) -> None:
    rule_id = client.post("/salesRules", {"rule": REFERRAL_RULE}).json()["rule_id"]
    manual = client.post(
        "/coupons", {"coupon": {"rule_id": rule_id, "code": "REF-ANNA", "is_primary": False}}
    )
    assert manual.status_code == 400
    assert manual.json() == {
        "message": "Error occurred when saving coupon: %1",
        "parameters": ["Specified rule only allows auto generated coupons"],
    }
    body = {
        "coupon": {
            "rule_id": rule_id,
            "code": "REF-7Q4K-ANNA",
            "type": 1,
            "is_primary": False,
            "times_used": 0,
        }
    }
    coupon = client.post("/coupons", body).json()
    assert set(coupon) == set(CONSTRUCTED_COUPON_RESPONSE_KEYS)
    assert (coupon["usage_limit"], coupon["usage_per_customer"], coupon["type"]) == (1, 1, 1)
    again = client.post("/coupons", {"coupon": {**body["coupon"], "code": "ref-7q4k-anna"}})
    assert again.status_code == 400
    assert again.json() == {"message": "%1 already exists.", "parameters": ["Coupon with the same code"]}
    no_coupons = client.post("/coupons", {"coupon": {"rule_id": 3, "code": "NOPE", "type": 0}})
    assert no_coupons.json()["parameters"] == ["Specified rule does not allow coupons"]
    assert client.delete(f"/coupons/{coupon['coupon_id']}").json() is True
    assert client.delete(f"/coupons/{coupon['coupon_id']}").status_code == 404


def test_generated_coupons_come_back_as_a_list_of_codes(shop: MagentoSandbox, client: ShopClient) -> None:
    rule_id = client.post("/salesRules", {"rule": REFERRAL_RULE}).json()["rule_id"]
    spec = {"couponSpec": {"rule_id": rule_id, "quantity": 10, "length": 12, "format": "alphanum"}}
    codes = client.post("/coupons/generate", spec).json()
    assert len(codes) == 10
    assert all(re.fullmatch(r"[A-Z0-9]{12}", code) for code in codes)
    listed = client.get("/coupons/search", criteria([[("rule_id", rule_id, "eq")]])).json()
    assert sorted(c["code"] for c in listed["items"]) == sorted(codes)
    assert all(c["type"] == 1 and c["usage_limit"] == 1 for c in listed["items"])
    refused = client.post("/coupons/generate", {"couponSpec": {**spec["couponSpec"], "rule_id": 1}})
    assert refused.json()["parameters"] == ["Specified rule does not allow automatic coupon generation"]
    client.delete(f"/salesRules/{rule_id}")
    assert not [c for c in shop.coupons.values() if c["rule_id"] == rule_id]


# -- orders and credit memos added by tests ------------------------------------------------------


def test_a_refund_updates_the_order_and_appears_as_a_credit_memo(
    shop: MagentoSandbox, client: ShopClient
) -> None:
    buyer = next(iter(shop.customers.values()))
    order = shop.add_order(buyer["id"], [{"sku": "TONER-BLK", "qty": 4}, {"sku": "CHAIR-ERGO-GRY", "qty": 1}])
    partial = shop.add_creditmemo(
        order["entity_id"], [{"sku": "TONER-BLK", "qty": 1}], adjustment_negative="5"
    )
    after = client.get(f"/orders/{order['entity_id']}").json()
    assert after["state"] == "complete"
    assert after["items"][0]["qty_refunded"] == 1
    assert after["total_refunded"] == partial["grand_total"] == 89 - 5
    assert after["updated_at"] == partial["created_at"]
    full = shop.add_creditmemo(order["entity_id"])
    closed = client.get(f"/orders/{order['entity_id']}").json()
    assert closed["state"] == "closed"
    assert closed["total_refunded"] == closed["grand_total"] - 5
    memos = client.get("/creditmemos", criteria([[("order_id", order["entity_id"], "eq")]])).json()
    assert [m["entity_id"] for m in memos["items"]] == [partial["entity_id"], full["entity_id"]]
    assert [i["order_item_id"] for i in full["items"]] == [i["item_id"] for i in closed["items"]][0:3]


def test_a_guest_order_has_no_customer_id(shop: MagentoSandbox, client: ShopClient) -> None:
    order = shop.add_order(None, [{"sku": "PAPER-A4", "qty": 2}], email="Guest@Example.net", state="new")
    fetched = client.get(f"/orders/{order['entity_id']}").json()
    assert "customer_id" not in fetched
    assert fetched["customer_is_guest"] == 1
    assert fetched["customer_group_id"] == 0
    assert fetched["total_due"] == fetched["grand_total"]
