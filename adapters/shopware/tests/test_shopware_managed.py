"""Writing managed objects to the Shopware sandbox over HTTP and reading them back."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

from loyalty_connector.adapter import Change
from loyalty_connector.http import RetryPolicy
from loyalty_connector_shopware.adapter import ShopwareAdapter
from loyalty_connector_shopware.auth import ClientCredentialsGrant
from loyalty_connector_shopware.client import DEFAULT_CURRENCY_ID, ShopwareClient
from loyalty_connector_shopware.managed import KINDS, canonical_fields, managed_id
from loyalty_connector_shopware.sandbox import ShopwareSandbox

CHANNEL = "98432def39fc4624b33213a56b8c944d"  # the sandbox storefront
PRODUCT = "4aa38f2ec4554d01a3e109f52923dbeb"  # SW10004
MANAGED_ENTITIES = (
    "customer_group",
    "rule",
    "rule_condition",
    "product_price",
    "promotion",
    "promotion_discount",
    "promotion_setgroup",
    "promotion_sales_channel",
    "promotion_individual_code",
)


@pytest.fixture
def shop() -> Iterator[ShopwareSandbox]:
    with ShopwareSandbox(seed=3, customers=40, orders=10) as shop:
        yield shop


def connect(shop: ShopwareSandbox, *, channel: str | None = CHANNEL, batch: int = 100) -> ShopwareAdapter:
    credentials = shop.credentials
    client = ShopwareClient(
        shop.base_url,
        ClientCredentialsGrant(credentials["client_id"], credentials["client_secret"]),
        source="sw",
        retry=RetryPolicy(max_attempts=4, backoff=0.0, jitter=0.0),
        sleep=lambda seconds: None,
    )
    return ShopwareAdapter("sw", client, sales_channel_id=channel, write_batch_size=batch)


@pytest.fixture
def adapter(shop: ShopwareSandbox) -> Iterator[ShopwareAdapter]:
    adapter = connect(shop)
    yield adapter
    adapter.close()


def customers(shop: ShopwareSandbox, count: int) -> list[str]:
    return sorted(i for i, row in shop.entities["customer"].items() if not row["guest"])[:count]


def programme(shop: ShopwareSandbox) -> list[Change]:
    return [
        Change("create", "customer_group", "gold", {"name": "Gold"}),
        Change(
            "create",
            "rule",
            "gold",
            {
                "name": "Gold members",
                "conditions": [
                    {"type": "customer_group", "group_keys": ["gold"]},
                    {"type": "cart_amount", "operator": ">=", "amount": "100.50"},
                ],
            },
        ),
        Change(
            "create",
            "tier_price",
            "sw10004-gold-10",
            {
                "product_id": PRODUCT,
                "rule_key": "gold",
                "quantity_start": 10,
                "prices": [{"currency_id": DEFAULT_CURRENCY_ID, "gross": "4.00", "net": "3.36"}],
            },
        ),
        Change(
            "create",
            "promotion",
            "free-item",
            {
                "name": "Buy 3, the cheapest is free",
                "customer_rule_keys": ["gold"],
                "set_groups": [{"packager": "COUNT", "value": 3, "sorter": "PRICE_ASC"}],
                "discounts": [
                    {"type": "percentage", "value": 100, "scope": "setgroup", "set_group": 0, "applier": 1}
                ],
            },
        ),
        Change(
            "create",
            "promotion",
            "referral",
            {
                "name": "Referral 10 %",
                "individual_codes": True,
                "max_redemptions_per_customer": 1,
                "valid_from": "2026-06-01T00:00:00+00:00",
                "valid_until": "2026-12-31T23:59:59.999+00:00",
                "discounts": [{"type": "percentage", "value": "10"}],
            },
        ),
        Change(
            "create",
            "promotion_code",
            "referral/REF-AAAA-111",
            {"promotion_key": "referral", "code": "REF-AAAA-111"},
        ),
        Change(
            "create",
            "promotion_code",
            "referral/REF-BBBB-222",
            {"promotion_key": "referral", "code": "REF-BBBB-222"},
        ),
        *[Change("create", "group_assignment", c, {"group_key": "gold"}) for c in customers(shop, 3)],
    ]


def snapshot(shop: ShopwareSandbox) -> dict[str, dict[str, Any]]:
    return {name: copy.deepcopy(dict(shop.entities[name])) for name in (*MANAGED_ENTITIES, "customer")}


def test_everything_written_reads_back_in_the_same_canonical_form(shop, adapter) -> None:
    changes = programme(shop)
    results = adapter.write_managed(changes)
    assert [r.error for r in results if not r.ok] == []
    read = {(o.kind, o.key): o for o in adapter.read_managed(list(KINDS))}
    assert set(read) == {(c.kind, c.key) for c in changes}
    for change in changes:
        expected = canonical_fields(
            change.kind, change.key, change.fields, default_currency_id=DEFAULT_CURRENCY_ID
        )
        assert read[(change.kind, change.key)].fields == expected, change.key
        assert read[(change.kind, change.key)].shop_id == next(
            r.shop_id for r in results if r.change is change
        )


def test_shop_objects_carry_the_marks_and_deterministic_ids(shop, adapter) -> None:
    adapter.write_managed(programme(shop))
    group = shop.entities["customer_group"][managed_id("customer_group", "gold")]
    assert group["name"] == "[loyalty] Gold"
    assert group["customFields"] == {"loyalty_connector_key": "gold"}
    promotion = shop.entities["promotion"][managed_id("promotion", "free-item")]
    assert promotion["useSetGroups"] is True
    links = [
        r for r in shop.entities["promotion_sales_channel"].values() if r["promotionId"] == promotion["id"]
    ]
    assert [link["salesChannelId"] for link in links] == [CHANNEL]
    codes = {
        r["code"]
        for r in shop.entities["promotion_individual_code"].values()
        if r["promotionId"] == managed_id("promotion", "referral")
    }
    assert codes == {"REF-AAAA-111", "REF-BBBB-222"}
    for customer in customers(shop, 3):
        assert shop.entities["customer"][customer]["groupId"] == group["id"]


def test_applying_the_same_changes_twice_changes_nothing(shop, adapter) -> None:
    adapter.write_managed(programme(shop))
    counts = {name: len(shop.entities[name]) for name in MANAGED_ENTITIES}
    first = adapter.read_managed(list(KINDS))
    results = adapter.write_managed(programme(shop))
    assert all(r.ok for r in results)
    assert {name: len(shop.entities[name]) for name in MANAGED_ENTITIES} == counts
    assert adapter.read_managed(list(KINDS)) == first


@pytest.mark.parametrize("fault", ["503", "truncate"])
def test_a_sync_batch_retried_after_a_failure_creates_no_duplicates(shop, adapter, fault) -> None:
    adapter.client.auth.access_token()  # so that the fault hits the sync request, not the login
    before = {name: len(shop.entities[name]) for name in MANAGED_ENTITIES}
    # "truncate": the shop applied the batch but its answer was cut off, so the client cannot know
    shop.faults.fail_next(fault)
    results = adapter.write_managed(programme(shop)[:4])
    assert all(r.ok for r in results)
    after = {name: len(shop.entities[name]) - before[name] for name in MANAGED_ENTITIES}
    assert after["customer_group"] == 1
    assert after["rule"] == 1
    assert after["rule_condition"] == 4  # or, and, two conditions
    assert after["promotion"] == 1
    syncs = [r for r in shop.requests if r.path == "/api/_action/sync"]
    assert syncs[0].fault == fault
    assert len(syncs) == 4 + 1  # one request per kind, plus the one retry


def test_an_update_removes_children_the_object_no_longer_has(shop, adapter) -> None:
    adapter.write_managed(programme(shop))
    rule_id = managed_id("rule", "gold")
    smaller = Change(
        "update",
        "rule",
        "gold",
        {"name": "Gold members", "conditions": [{"type": "cart_amount", "amount": 250}]},
    )
    promotion = Change(
        "update",
        "promotion",
        "free-item",
        {"name": "Simpler", "discounts": [{"type": "absolute", "value": "5.00"}]},
    )
    assert all(r.ok for r in adapter.write_managed([smaller, promotion]))
    conditions = [c for c in shop.entities["rule_condition"].values() if c["ruleId"] == rule_id]
    assert sorted(c["type"] for c in conditions) == ["andContainer", "cartCartAmount", "orContainer"]
    promotion_id = managed_id("promotion", "free-item")
    assert not [g for g in shop.entities["promotion_setgroup"].values() if g["promotionId"] == promotion_id]
    assert (
        len([d for d in shop.entities["promotion_discount"].values() if d["promotionId"] == promotion_id])
        == 1
    )
    read = {(o.kind, o.key): o.fields for o in adapter.read_managed(["rule", "promotion"])}
    assert read[("rule", "gold")]["conditions"] == [{"type": "cart_amount", "operator": ">=", "amount": 250}]
    assert read[("promotion", "free-item")]["customer_rule_keys"] == []


def test_unmanaged_objects_are_neither_read_nor_changed(shop, adapter) -> None:
    seeded_promotion = next(iter(shop.entities["promotion"].values()))
    copied = copy.deepcopy(seeded_promotion)  # a person's copy of ours, with our mark but its own id
    adapter.write_managed(programme(shop))
    before = snapshot(shop)
    impostor_id = "ab" * 16
    shop.entities["customer_group"][impostor_id] = {
        **copy.deepcopy(shop.entities["customer_group"][managed_id("customer_group", "gold")]),
        "id": impostor_id,
        "_uniqueIdentifier": impostor_id,
    }
    keys = {(o.kind, o.key, o.shop_id) for o in adapter.read_managed(list(KINDS))}
    assert all(shop_id != impostor_id for _, _, shop_id in keys)
    assert shop.entities["promotion"][seeded_promotion["id"]] == copied
    del shop.entities["customer_group"][impostor_id]
    assert snapshot(shop) == before


def test_deletes_run_last_in_reverse_dependency_order(shop, adapter) -> None:
    adapter.write_managed(programme(shop))
    standard = "cfbd5018d38d41d8adca10d94fc8bdd6"
    changes = [
        Change("delete", "customer_group", "gold"),
        Change("delete", "rule", "gold"),
        Change("delete", "promotion", "referral"),
        Change("delete", "promotion", "free-item"),
        Change("delete", "tier_price", "sw10004-gold-10"),
        *[
            Change("delete", "group_assignment", c, {"fallback_group_id": standard})
            for c in customers(shop, 3)
        ],
    ]
    results = adapter.write_managed(changes)
    assert [r.error for r in results if not r.ok] == []
    assert adapter.read_managed(list(KINDS)) == []
    assert managed_id("customer_group", "gold") not in shop.entities["customer_group"]
    assert all(shop.entities["customer"][c]["groupId"] == standard for c in customers(shop, 3))
    assert not [
        c
        for c in shop.entities["promotion_individual_code"].values()
        if c["promotionId"] == managed_id("promotion", "referral")
    ]


def test_thousands_of_assignments_go_in_batches(shop) -> None:
    adapter = connect(shop, batch=15)
    adapter.write_managed([Change("create", "customer_group", "silver", {"name": "Silver"})])
    targets = customers(shop, 37)
    results = adapter.write_managed(
        [Change("create", "group_assignment", c, {"group_key": "silver"}) for c in targets]
    )
    assert all(r.ok for r in results)
    syncs = [r for r in shop.requests if r.path == "/api/_action/sync"]
    assert len(syncs) == 1 + 3  # the group, then 15 + 15 + 7 assignments
    assigned = {o.key for o in adapter.read_managed(["group_assignment"])}
    assert assigned == set(targets)


def test_one_bad_change_fails_alone_and_names_the_problem(shop, adapter) -> None:
    unknown_product = "0" * 32
    changes = [
        Change("create", "customer_group", "gold", {"name": "Gold"}),
        Change(
            "create", "rule", "gold", {"name": "Gold", "conditions": [{"type": "cart_amount", "amount": 1}]}
        ),
        Change(
            "create",
            "tier_price",
            "ghost",
            {
                "product_id": unknown_product,
                "rule_key": "gold",
                "prices": [{"currency_id": DEFAULT_CURRENCY_ID, "gross": 1, "net": 1}],
            },
        ),
        Change(
            "create",
            "tier_price",
            "real",
            {
                "product_id": PRODUCT,
                "rule_key": "gold",
                "prices": [{"currency_id": DEFAULT_CURRENCY_ID, "gross": 1, "net": 1}],
            },
        ),
    ]
    results = adapter.write_managed(changes)
    assert [r.ok for r in results] == [True, True, False, True]
    assert "productId" in (results[2].error or "") or unknown_product in (results[2].error or "")


def test_promotions_without_a_sales_channel_setting_are_refused_before_writing(shop) -> None:
    adapter = connect(shop, channel=None)
    before = len(shop.entities["promotion"])
    (result,) = adapter.write_managed(
        [Change("create", "promotion", "p", {"name": "P", "discounts": [{"type": "percentage", "value": 5}]})]
    )
    assert not result.ok
    assert "sales_channel_id" in (result.error or "")
    assert len(shop.entities["promotion"]) == before
