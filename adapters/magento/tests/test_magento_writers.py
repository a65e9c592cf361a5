"""Managed writes over mocked HTTP: tier-price failure lists, delete verification, ownership checks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import responses

from loyalty_connector.adapter import Change
from loyalty_connector.http import RetryPolicy
from loyalty_connector_magento.adapter import MagentoAdapter
from loyalty_connector_magento.client import MagentoClient
from loyalty_connector_magento.sales_rules import KEY_MARK, RULE_PREFIX, referral_rule
from loyalty_connector_magento.writers import ManagedScope

BASE = "https://shop.example.com/rest/all"
SAMPLES = Path(__file__).parent / "samples"


def sample(name: str) -> Any:
    return json.loads((SAMPLES / name).read_text())


def adapter(scope: ManagedScope | None = None) -> MagentoAdapter:
    client = MagentoClient(
        "https://shop.example.com",
        source="m2",
        auth_mode="bearer",
        credentials={"access_token": "tok-123456"},
        retry=RetryPolicy(max_attempts=1),
    )
    return MagentoAdapter("m2", client, scope=scope)


def tier(price: str = "8", qty: str = "5", group: str = "General", website: int = 0) -> dict[str, Any]:
    return {
        "sku": "24-UG04",
        "customer_group": group,
        "website_id": website,
        "quantity": qty,
        "price": price,
        "price_type": "fixed",
    }


def body(call_index: int) -> Any:
    return json.loads(responses.calls[call_index].request.body)


@responses.activate
def test_tier_prices_are_added_with_post_never_put() -> None:
    responses.post(
        f"{BASE}/V1/products/tier-prices", json=sample("tier-prices.post.response.ok.adobedocs.json")
    )
    [result] = adapter().write_managed([Change("create", "tier_price", "24-UG04|0|general|5", fields=tier())])
    assert result.ok
    assert result.shop_id == "24-UG04|0|general|5"
    assert responses.calls[0].request.method == "POST"
    assert body(0) == {
        "prices": [
            {
                "price": 8,
                "price_type": "fixed",
                "website_id": 0,
                "sku": "24-UG04",
                "customer_group": "General",
                "quantity": 5,
            }
        ]
    }


@responses.activate
def test_a_200_with_failures_fails_exactly_the_rows_it_names() -> None:
    failure = {
        "message": "Invalid attribute Website ID = %websiteId. Row ID: SKU = %SKU, Website ID: %websiteId, "
        "Customer Group: %customerGroup, Quantity: %qty.",
        "parameters": ["24-UG04", "1", "General", "10"],
    }
    responses.post(f"{BASE}/V1/products/tier-prices", json=[failure])
    ok_change = Change("create", "tier_price", "a", fields=tier())
    bad_change = Change("create", "tier_price", "b", fields=tier(qty="10", website=1))
    ok, bad = adapter().write_managed([ok_change, bad_change])
    assert ok.ok
    assert not bad.ok
    assert bad.error is not None
    assert "SKU 24-UG04, website 1, group General, qty 10" in bad.error
    assert "Catalog Price Scope = Website" in bad.error


@responses.activate
def test_a_tier_price_delete_that_magento_silently_ignored_is_reported_and_left_alone() -> None:
    responses.post(f"{BASE}/V1/products/tier-prices-delete", json=[])
    responses.post(
        f"{BASE}/V1/products/tier-prices-information",
        json=[{**tier(price="7.5"), "quantity": 5, "price": 7.5}],
    )
    [result] = adapter().write_managed(
        [Change("delete", "tier_price", "24-UG04|0|general|5", before=tier(price="8"))]
    )
    assert body(0)["prices"][0]["price"] == 8
    assert not result.ok
    assert result.error is not None
    assert "7.5" in result.error
    assert "changed by hand" in result.error


@responses.activate
def test_a_verified_tier_price_delete_succeeds() -> None:
    responses.post(f"{BASE}/V1/products/tier-prices-delete", json=[])
    responses.post(f"{BASE}/V1/products/tier-prices-information", json=[])
    [result] = adapter().write_managed([Change("delete", "tier_price", "k", before=tier())])
    assert result.ok


@responses.activate
def test_tier_prices_read_back_all_groups_in_lower_case_and_keep_only_the_managed_scope() -> None:
    rows = sample("tier-prices-information.response.adobedocs.json")
    rows.append({**rows[0], "customer_group": "all groups"})
    rows.append({**rows[0], "customer_group": "Retailer"})
    responses.post(f"{BASE}/V1/products/tier-prices-information", json=rows)
    objects = adapter(ManagedScope(groups=("General", "ALL GROUPS"), skus=("24-UG04",))).read_managed(
        ["tier_price"]
    )
    groups = sorted({obj.fields["customer_group"] for obj in objects})
    assert groups == ["General", "all groups"]
    assert "24-UG04|0|all groups|5" in {obj.key for obj in objects}
    assert body(0) == {"skus": ["24-UG04"]}


def rule(rule_id: int, name: str, description: str = "", **extra: Any) -> dict[str, Any]:
    return {"rule_id": rule_id, "name": name, "description": description, **extra}


@responses.activate
def test_only_rules_with_prefix_and_key_are_read_as_managed() -> None:
    rules = [
        rule(1, "[loyalty] referral", f"{KEY_MARK}referral-10"),
        rule(2, "[loyalty] look-alike without key"),
        rule(3, "Spring sale", f"{KEY_MARK}stolen"),
    ]
    responses.get(f"{BASE}/V1/salesRules/search", json={"items": rules, "total_count": 3})
    objects = adapter().read_managed(["cart_rule"])
    assert [(o.key, o.shop_id, o.fields["name"]) for o in objects] == [("referral-10", "1", "referral")]


@responses.activate
def test_an_unmanaged_rule_is_never_updated_even_when_asked_by_id() -> None:
    responses.get(f"{BASE}/V1/salesRules/search", json={"items": [], "total_count": 0})
    responses.get(f"{BASE}/V1/salesRules/3", json=rule(3, "Spring sale"))
    [result] = adapter().write_managed(
        [Change("update", "cart_rule", "spring", fields={"name": "x"}, shop_id="3")]
    )
    assert not result.ok
    assert result.error is not None
    assert "not managed" in result.error
    assert all(call.request.method == "GET" for call in responses.calls)


@responses.activate
def test_a_new_rule_is_created_with_prefix_and_key_in_the_description() -> None:
    responses.get(f"{BASE}/V1/salesRules/search", json={"items": [], "total_count": 0})
    responses.post(f"{BASE}/V1/salesRules", json={"rule_id": 12})
    fields = referral_rule("referral 10%", website_ids=[1], customer_group_ids=[0, 1], percent=10)  # type: ignore[arg-type]
    [result] = adapter().write_managed([Change("create", "cart_rule", "referral-10", fields=fields)])
    assert result.ok
    assert result.shop_id == "12"
    sent = body(1)["rule"]
    assert sent["name"] == RULE_PREFIX + "referral 10%"
    assert sent["description"].endswith(KEY_MARK + "referral-10")
    assert (sent["coupon_type"], sent["use_auto_generation"], sent["uses_per_coupon"]) == (
        "SPECIFIC_COUPON",
        True,
        1,
    )


@responses.activate
def test_a_coupon_with_its_own_usage_limit_is_refused_because_the_rule_overwrites_it() -> None:
    managed = rule(
        12, "[loyalty] referral", f"{KEY_MARK}referral-10", use_auto_generation=True, uses_per_coupon=1
    )
    responses.get(f"{BASE}/V1/salesRules/search", json={"items": [managed], "total_count": 1})
    responses.get(f"{BASE}/V1/coupons/search", json={"items": [], "total_count": 0})
    change = Change(
        "create",
        "coupon",
        "REF-ANNA",
        fields={"code": "REF-ANNA", "rule_key": "referral-10", "usage_limit": 3},
    )
    [result] = adapter().write_managed([change])
    assert not result.ok
    assert result.error is not None
    assert "each distinct limit needs its own rule" in result.error


@responses.activate
def test_a_deterministic_coupon_is_created_as_type_1_on_the_auto_generation_rule() -> None:
    managed = rule(
        12, "[loyalty] referral", f"{KEY_MARK}referral-10", use_auto_generation=True, uses_per_coupon=1
    )
    responses.get(f"{BASE}/V1/salesRules/search", json={"items": [managed], "total_count": 1})
    responses.get(f"{BASE}/V1/coupons/search", json={"items": [], "total_count": 0})
    responses.post(f"{BASE}/V1/coupons", json=sample("constructed.coupon.create.response.json"))
    change = Change(
        "create", "coupon", "REF-7Q4K-ANNA", fields={"code": "REF-7Q4K-ANNA", "rule_key": "referral-10"}
    )
    [result] = adapter().write_managed([change])
    assert result.ok
    assert result.shop_id == "345"
    assert body(2) == {
        "coupon": {"rule_id": 12, "code": "REF-7Q4K-ANNA", "type": 1, "is_primary": False, "times_used": 0}
    }


@responses.activate
def test_group_assignment_puts_the_full_customer_back_with_only_the_group_changed() -> None:
    customer = sample("customer.luma-4-addresses.ns8-2.3.json")
    responses.get(
        f"{BASE}/V1/customerGroups/search", json=sample("customer-groups.search.response.reconstructed.json")
    )
    responses.get(f"{BASE}/V1/customers/1", json=customer)
    responses.put(f"{BASE}/V1/customers/1", json={**customer, "group_id": 2})
    [result] = adapter().write_managed(
        [Change("update", "group_assignment", "1", fields={"group_code": "Wholesale"})]
    )
    assert result.ok
    sent = json.loads(responses.calls[-1].request.body)
    assert sent == sample("constructed.customer.put-group-change.request.json")


@responses.activate
def test_a_customer_already_in_the_group_is_not_written() -> None:
    responses.get(
        f"{BASE}/V1/customerGroups/search", json=sample("customer-groups.search.response.reconstructed.json")
    )
    responses.get(f"{BASE}/V1/customers/1", json=sample("customer.luma-4-addresses.ns8-2.3.json"))
    [result] = adapter().write_managed([Change("update", "group_assignment", "1", fields={"group_id": 1})])
    assert result.ok
    assert [call.request.method for call in responses.calls] == ["GET", "GET"]


@responses.activate
def test_customer_groups_are_adopted_by_code_and_never_deleted() -> None:
    responses.get(
        f"{BASE}/V1/customerGroups/search", json=sample("customer-groups.search.response.reconstructed.json")
    )
    adopt, delete = adapter().write_managed(
        [
            Change("create", "customer_group", "wholesale", fields={"code": "Wholesale", "tax_class_id": 3}),
            Change("delete", "customer_group", "Retailer"),
        ]
    )
    assert adopt.ok
    assert adopt.shop_id == "2"
    assert not delete.ok
    assert delete.error is not None
    assert "never deletes customer groups" in delete.error
    assert all(call.request.method == "GET" for call in responses.calls)


def test_an_unknown_kind_fails_its_change_only() -> None:
    [result] = adapter().write_managed([Change("create", "gift_card", "x")])
    assert not result.ok
    assert result.error is not None
    assert "gift_card" in result.error


@responses.activate
def test_removing_an_assignment_without_a_target_moves_the_customer_to_the_default_group() -> None:
    customer = {**sample("customer.luma-4-addresses.ns8-2.3.json"), "group_id": 4}
    responses.get(
        f"{BASE}/V1/customerGroups/search", json=sample("customer-groups.search.response.reconstructed.json")
    )
    responses.get(f"{BASE}/V1/customerGroups/default", json={"id": 1, "code": "General", "tax_class_id": 3})
    responses.get(f"{BASE}/V1/customers/1", json=customer)
    responses.put(f"{BASE}/V1/customers/1", json={**customer, "group_id": 1})
    [result] = adapter().write_managed([Change("delete", "group_assignment", "1")])
    assert result.ok
    assert json.loads(responses.calls[-1].request.body)["customer"]["group_id"] == 1


@responses.activate
def test_a_group_update_puts_code_and_tax_class_to_the_group_found_by_code() -> None:
    groups = sample("customer-groups.search.response.reconstructed.json")
    groups["items"].append({"id": 4, "code": "Gold", "tax_class_id": 3, "tax_class_name": "Retail Customer"})
    responses.get(f"{BASE}/V1/customerGroups/search", json=groups)
    responses.put(f"{BASE}/V1/customerGroups/4", json={"id": 4, "code": "Gold", "tax_class_id": 5})
    [result] = adapter().write_managed(
        [Change("update", "customer_group", "gold", fields={"code": "Gold", "tax_class_id": 5})]
    )
    assert result.ok
    assert result.shop_id == "4"
    assert body(1) == {"group": {"id": 4, "code": "Gold", "tax_class_id": 5}}
