"""Writing managed objects into the Magento sandbox over HTTP, and leaving everything else alone."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from decimal import Decimal

import pytest

from loyalty_connector.adapter import Change
from loyalty_connector.program import SourceConfig
from loyalty_connector_magento import MagentoAdapter, create, free_product_rule, referral_rule
from loyalty_connector_magento.sandbox import MagentoSandbox


@pytest.fixture
def shop() -> Iterator[MagentoSandbox]:
    with MagentoSandbox(seed=9, customers=20, orders=10) as shop:
        yield shop


@pytest.fixture
def adapter(shop: MagentoSandbox) -> MagentoAdapter:
    settings = {"managed_groups": ["Gold"], "managed_skus": ["PAPER-A4", "TONER-BLK"]}
    return create(
        "m2",
        SourceConfig(adapter="magento", base_url=shop.base_url, settings=settings),
        shop.credentials,
        None,
    )


def tier(
    price: str, qty: str = "10", group: str = "Gold", sku: str = "PAPER-A4", website: int = 0
) -> dict[str, object]:
    return {
        "sku": sku,
        "customer_group": group,
        "website_id": website,
        "quantity": qty,
        "price": price,
        "price_type": "fixed",
    }


def apply(adapter: MagentoAdapter, *changes: Change) -> None:
    results = adapter.write_managed(changes)
    assert all(r.ok for r in results), [r.error for r in results if not r.ok]


def test_a_loyalty_group_is_created_once_and_read_back_as_managed(
    shop: MagentoSandbox, adapter: MagentoAdapter
) -> None:
    change = Change("create", "customer_group", "Gold", fields={"code": "Gold"})
    first, again = adapter.write_managed([change, change])
    assert first.ok
    assert again.ok
    assert first.shop_id == again.shop_id
    assert [g["code"] for g in shop.groups.values()].count("Gold") == 1
    [managed] = adapter.read_managed(["customer_group"])
    assert (managed.key, managed.shop_id) == ("Gold", first.shop_id)


def test_tier_prices_are_added_updated_read_and_deleted_without_touching_other_rows(
    shop: MagentoSandbox, adapter: MagentoAdapter
) -> None:
    apply(adapter, Change("create", "customer_group", "Gold", fields={"code": "Gold"}))
    untouched = sorted(map(str, shop.tier_prices))
    apply(
        adapter,
        Change("create", "tier_price", "k1", fields=tier("22.50")),
        Change("create", "tier_price", "k2", fields=tier("21", qty="50")),
    )
    apply(adapter, Change("update", "tier_price", "k1", fields=tier("22.00"), before=tier("22.50")))
    managed = {o.key: o.fields for o in adapter.read_managed(["tier_price"])}
    assert managed["PAPER-A4|0|gold|10"]["price"] == "22"
    assert managed["PAPER-A4|0|gold|50"]["price"] == "21"
    apply(adapter, Change("delete", "tier_price", "PAPER-A4|0|gold|50", before=managed["PAPER-A4|0|gold|50"]))
    assert set({o.key for o in adapter.read_managed(["tier_price"])}) == {"PAPER-A4|0|gold|10"}
    others = sorted(str(row) for row in shop.tier_prices if str(row["customer_group"]).casefold() != "gold")
    assert others == untouched


def test_deleting_a_tier_price_someone_changed_by_hand_is_refused_and_the_row_stays(
    shop: MagentoSandbox, adapter: MagentoAdapter
) -> None:
    apply(adapter, Change("create", "customer_group", "Gold", fields={"code": "Gold"}))
    ours = tier("22.50")
    apply(adapter, Change("create", "tier_price", "k", fields=ours))
    adapter.client.post(
        "/V1/products/tier-prices", {"prices": [{**ours, "price": Decimal("19.99"), "quantity": 10}]}
    )
    [result] = adapter.write_managed([Change("delete", "tier_price", "PAPER-A4|0|gold|10", before=ours)])
    assert not result.ok
    assert result.error is not None
    assert "19.99" in result.error
    assert any(row["customer_group"] == "Gold" for row in shop.tier_prices)


def test_a_website_tier_price_without_website_price_scope_names_the_failed_row(
    shop: MagentoSandbox, adapter: MagentoAdapter
) -> None:
    apply(adapter, Change("create", "customer_group", "Gold", fields={"code": "Gold"}))
    good, bad = adapter.write_managed(
        [
            Change("create", "tier_price", "a", fields=tier("22")),
            Change("create", "tier_price", "b", fields=tier("20", qty="20", website=1)),
        ]
    )
    assert good.ok
    assert not bad.ok
    assert bad.error is not None
    assert "website 1" in bad.error
    assert "Price Scope" in bad.error


def test_cart_rules_are_created_updated_and_deleted_while_the_merchants_rules_stay(
    shop: MagentoSandbox, adapter: MagentoAdapter
) -> None:
    theirs = copy.deepcopy(shop.sales_rules)
    gift = free_product_rule(
        "gift over 500",
        gift_sku="GIFT-TOTE",
        threshold=Decimal(500),
        website_ids=[1],
        customer_group_ids=[1, 2],
    )
    referral = referral_rule(
        "referral 10%", website_ids=[1], customer_group_ids=[0, 1, 2, 3], percent=Decimal(10)
    )
    apply(
        adapter,
        Change("create", "cart_rule", "gift-500", fields=gift),
        Change("create", "cart_rule", "referral-10", fields=referral),
    )
    managed = {o.key: o for o in adapter.read_managed(["cart_rule"])}
    assert set(managed) == {"gift-500", "referral-10"}
    assert managed["gift-500"].fields["name"] == "gift over 500"
    stored = shop.sales_rules[int(managed["gift-500"].shop_id or 0)]
    assert stored["name"] == "[loyalty] gift over 500"
    assert "loyalty-connector key: gift-500" in stored["description"]
    apply(
        adapter,
        Change(
            "update",
            "cart_rule",
            "gift-500",
            fields={**gift, "discount_qty": 2},
            shop_id=managed["gift-500"].shop_id,
        ),
    )
    assert shop.sales_rules[int(managed["gift-500"].shop_id or 0)]["discount_qty"] == 2
    apply(adapter, Change("delete", "cart_rule", "gift-500", shop_id=managed["gift-500"].shop_id))
    assert {o.key for o in adapter.read_managed(["cart_rule"])} == {"referral-10"}
    assert {k: v for k, v in shop.sales_rules.items() if k in theirs} == theirs


def test_deterministic_and_generated_coupons_live_on_the_managed_referral_rule(
    shop: MagentoSandbox, adapter: MagentoAdapter
) -> None:
    referral = referral_rule("referral 10%", website_ids=[1], customer_group_ids=[1], percent=Decimal(10))
    apply(adapter, Change("create", "cart_rule", "referral-10", fields=referral))
    code = Change(
        "create", "coupon", "REF-7Q4K-ANNA", fields={"code": "REF-7Q4K-ANNA", "rule_key": "referral-10"}
    )
    apply(adapter, code, code)
    generated = adapter.generate_coupons("referral-10", 3, length=10)
    assert len(generated) == 3
    assert all(len(c) == 10 for c in generated)
    coupons = {o.key: o.fields for o in adapter.read_managed(["coupon"])}
    assert set(coupons) == {"REF-7Q4K-ANNA", *generated}
    assert coupons["REF-7Q4K-ANNA"]["usage_limit"] == 1
    assert coupons["REF-7Q4K-ANNA"]["usage_per_customer"] == 1
    apply(adapter, Change("delete", "coupon", "REF-7Q4K-ANNA", before=coupons["REF-7Q4K-ANNA"]))
    assert "REF-7Q4K-ANNA" not in {c["code"] for c in shop.coupons.values()}


def test_a_coupon_on_a_merchants_rule_is_never_touched(shop: MagentoSandbox, adapter: MagentoAdapter) -> None:
    theirs = next(c for c in shop.coupons.values())
    [result] = adapter.write_managed([Change("delete", "coupon", str(theirs["code"]))])
    assert not result.ok
    assert result.error is not None
    assert "not manage" in result.error
    assert theirs["coupon_id"] in shop.coupons


def test_group_assignment_moves_many_customers_keeping_every_other_field(
    shop: MagentoSandbox, adapter: MagentoAdapter
) -> None:
    [group] = adapter.write_managed([Change("create", "customer_group", "Gold", fields={"code": "Gold"})])
    ids = sorted(shop.customers)[:12]
    before = {i: copy.deepcopy(shop.customers[i]) for i in ids}
    apply(
        adapter, *(Change("update", "group_assignment", str(i), fields={"group_code": "Gold"}) for i in ids)
    )
    for customer_id in ids:
        after = dict(shop.customers[customer_id])
        assert after["group_id"] == int(group.shop_id or 0)
        strip = ("group_id", "updated_at")
        assert {k: v for k, v in after.items() if k not in strip} == {
            k: v for k, v in before[customer_id].items() if k not in strip
        }
    assert {o.key for o in adapter.read_managed(["group_assignment"])} == {str(i) for i in ids}
    apply(adapter, Change("delete", "group_assignment", str(ids[0]), fields={"group_id": 1}))
    assert shop.customers[ids[0]]["group_id"] == 1
