"""Managed changes -> sync operations: deterministic ids, marks, payload shapes, batching, safety."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from loyalty_connector.adapter import Change
from loyalty_connector.errors import ShopRequestError
from loyalty_connector_shopware.client import DEFAULT_CURRENCY_ID
from loyalty_connector_shopware.managed import canonical_fields, managed_id
from loyalty_connector_shopware.writers import ManagedWriter, _request_body, operations_for

SAMPLES = Path("/work/shared/specs/shopware/samples")
CHANNEL = "98432def39fc4624b33213a56b8c944d"
PRODUCT = "4aa38f2ec4554d01a3e109f52923dbeb"


def canonical(kind: str, key: str, fields: dict[str, Any]) -> dict[str, Any]:
    return canonical_fields(kind, key, fields, default_currency_id=DEFAULT_CURRENCY_ID)


def ops(change: Change) -> list[Any]:
    fields = canonical(change.kind, change.key, dict(change.fields)) if change.action != "delete" else {}
    return operations_for(change, fields, sales_channel_id=CHANNEL)


def test_managed_ids_are_deterministic_32_hex_and_distinct_per_kind() -> None:
    assert managed_id("rule", "gold") == managed_id("rule", "gold")
    assert managed_id("rule", "gold") != managed_id("customer_group", "gold")
    assert len(managed_id("rule", "gold")) == 32
    int(managed_id("rule", "gold"), 16)


def test_customer_group_is_named_with_the_prefix_and_marked_with_its_key() -> None:
    (op,) = ops(Change("create", "customer_group", "gold", {"name": "Gold"}))
    assert op.payload == {
        "id": managed_id("customer_group", "gold"),
        "name": "[loyalty] Gold",
        "displayGross": True,
        "customFields": {"loyalty_connector_key": "gold"},
    }


def test_rule_conditions_are_a_flat_tree_like_the_administration_writes() -> None:
    change = Change(
        "update",
        "rule",
        "gold",
        {
            "name": "Gold",
            "conditions": [
                {"type": "customer_group", "group_keys": ["gold"]},
                {"type": "cart_amount", "amount": "100"},
            ],
        },
    )
    stale, upsert = ops(change)
    conditions = upsert.payload["conditions"]
    real = json.loads((SAMPLES / "rule.with-conditions.request.json").read_text())["conditions"]
    assert (
        [c["type"] for c in conditions[:2]]
        == [c["type"] for c in real[:2]]
        == ["orContainer", "andContainer"]
    )
    assert conditions[1]["parentId"] == conditions[0]["id"]
    assert conditions[2] == {
        "id": managed_id("rule_condition", "gold#0"),
        "type": "customerCustomerGroup",
        "parentId": conditions[1]["id"],
        "position": 0,
        "value": {"operator": "=", "customerGroupIds": [managed_id("customer_group", "gold")]},
    }
    assert conditions[3]["type"] == "cartCartAmount"
    assert conditions[3]["value"] == {"operator": ">=", "amount": Decimal("100")}
    # conditions the rule no longer has are deleted, and only those of this rule
    assert stale.entity == "rule_condition"
    assert stale.action == "delete"
    assert stale.criteria[0] == {"type": "equals", "field": "ruleId", "value": managed_id("rule", "gold")}
    assert stale.criteria[1]["type"] == "not"
    assert stale.criteria[1]["queries"][0]["value"] == [c["id"] for c in conditions]


def test_tier_price_needs_a_default_currency_price() -> None:
    with pytest.raises(ValueError, match="default currency"):
        canonical(
            "tier_price",
            "p1",
            {
                "product_id": PRODUCT,
                "rule_key": "gold",
                "prices": [{"currency_id": "a" * 32, "gross": 1, "net": 1}],
            },
        )


def test_tier_price_payload_matches_the_product_price_sync_shape() -> None:
    fields = {
        "product_id": PRODUCT,
        "rule_key": "gold",
        "quantity_start": 10,
        "prices": [{"currency_id": DEFAULT_CURRENCY_ID, "gross": "4.00", "net": "3.36"}],
    }
    (op,) = ops(Change("create", "tier_price", "sku-10", fields))
    body = _request_body([[op]])
    sample = json.loads((SAMPLES / "constructed.product-price-tiers.sync.request.json").read_text())[0][
        "payload"
    ][1]
    assert body[0]["entity"] == "product_price"
    payload = body[0]["payload"][0]
    assert set(sample) <= set(payload)
    assert payload["ruleId"] == managed_id("rule", "gold")
    assert payload["quantityEnd"] is None
    assert payload["price"] == [{"currencyId": DEFAULT_CURRENCY_ID, "gross": 4, "net": 3.36, "linked": False}]


def test_free_item_is_a_full_discount_on_a_set_group_like_the_constructed_sample() -> None:
    fields = {
        "name": "Buy 3 get the cheapest free",
        "customer_rule_keys": ["gold"],
        "set_groups": [{"packager": "COUNT", "value": 3, "sorter": "PRICE_ASC"}],
        "discounts": [
            {"type": "percentage", "value": 100, "scope": "setgroup", "set_group": 0, "applier": 1}
        ],
    }
    *stale, upsert = ops(Change("create", "promotion", "free-item", fields))
    sample = json.loads((SAMPLES / "constructed.promotion-free-item-setgroup.request.json").read_text())
    payload = json.loads(json.dumps(_request_body([[upsert]])[0]["payload"][0]))
    group_id = payload["setgroups"][0]["id"]
    assert payload["useSetGroups"] is sample["useSetGroups"] is True
    assert payload["discounts"][0]["scope"] == f"setgroup-{group_id}"
    for name in (
        "type",
        "value",
        "considerAdvancedRules",
        "sorterKey",
        "applierKey",
        "usageKey",
        "pickerKey",
    ):
        assert payload["discounts"][0][name] == sample["discounts"][0][name], name
    assert payload["salesChannels"] == [
        {
            "id": managed_id("promotion_sales_channel", f"free-item#{CHANNEL}"),
            "salesChannelId": CHANNEL,
            "priority": 1,
        }
    ]
    assert payload["personaRules"] == [{"id": managed_id("rule", "gold")}]
    assert {op.entity for op in stale} >= {
        "promotion_discount",
        "promotion_setgroup",
        "promotion_persona_rule",
    }


def test_promotions_need_the_sales_channel_setting() -> None:
    fields = canonical("promotion", "p", {"name": "P", "discounts": [{"type": "percentage", "value": 5}]})
    with pytest.raises(ValueError, match="sales_channel_id"):
        operations_for(Change("create", "promotion", "p", fields), fields, sales_channel_id=None)


def test_individual_codes_are_upserted_rows_with_our_codes_and_keys_tie_code_to_promotion() -> None:
    (op,) = ops(
        Change(
            "create",
            "promotion_code",
            "referral/REF-ABCD-123",
            {"promotion_key": "referral", "code": "REF-ABCD-123"},
        )
    )
    assert op.entity == "promotion_individual_code"
    assert op.action == "upsert"
    assert op.payload == {
        "id": managed_id("promotion_code", "referral/REF-ABCD-123"),
        "promotionId": managed_id("promotion", "referral"),
        "code": "REF-ABCD-123",
    }
    with pytest.raises(ValueError, match="<promotion_key>/<code>"):
        canonical("promotion_code", "whatever", {"promotion_key": "referral", "code": "REF-1"})


def test_group_assignment_sets_only_the_group_of_an_existing_customer() -> None:
    customer = "c" * 32
    (op,) = ops(Change("create", "group_assignment", customer, {"group_key": "gold"}))
    assert (op.entity, op.action) == ("customer", "upsert")
    assert op.payload == {"id": customer, "groupId": managed_id("customer_group", "gold")}


def test_request_body_puts_stale_deletes_first_and_groups_upserts_by_entity() -> None:
    a = ops(
        Change("create", "rule", "a", {"name": "A", "conditions": [{"type": "cart_amount", "amount": 1}]})
    )
    b = ops(
        Change("create", "rule", "b", {"name": "B", "conditions": [{"type": "cart_amount", "amount": 2}]})
    )
    body = _request_body([a, b])
    assert [(o["action"], o["entity"]) for o in body] == [
        ("delete", "rule_condition"),
        ("delete", "rule_condition"),
        ("upsert", "rule"),
    ]
    assert "criteria" in body[0]
    assert len(body[2]["payload"]) == 2
    json.dumps(body)  # Decimals became JSON numbers


@pytest.mark.parametrize(
    ("kind", "fields", "message"),
    [
        ("customer_group", {}, "fields.name"),
        ("rule", {"name": "x", "conditions": []}, "at least one condition"),
        (
            "rule",
            {"name": "x", "conditions": [{"type": "cart_amount", "amount": "-1"}]},
            "conditions\\[0\\].amount",
        ),
        (
            "promotion",
            {"name": "x", "discounts": [{"type": "percentage", "value": 150}]},
            "between 0 and 100",
        ),
        ("promotion", {"name": "x", "discounts": [{"type": "bogus", "value": 1}]}, "discounts\\[0\\].type"),
        (
            "promotion",
            {
                "name": "x",
                "discounts": [{"type": "absolute", "value": 1, "scope": "setgroup", "set_group": 0}],
            },
            "set_group",
        ),
        (
            "promotion",
            {
                "name": "x",
                "code": "A",
                "individual_codes": True,
                "discounts": [{"type": "absolute", "value": 1}],
            },
            "code",
        ),
        ("group_assignment", {"group_key": "gold"}, "customer's Shopware id"),
        ("nonsense", {}, "unknown managed kind"),
    ],
)
def test_invalid_fields_name_kind_key_and_field(kind: str, fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        canonical(kind, "k" if kind != "group_assignment" else "not-an-id", fields)


class FakeClient:
    source = "sw"

    def __init__(self, reject: set[str] | None = None) -> None:
        self.requests: list[tuple[list[dict[str, Any]], str | None]] = []
        self.reject = reject or set()

    def sync(
        self, operations: list[dict[str, Any]], *, indexing_behavior: str | None = None
    ) -> dict[str, Any]:
        self.requests.append((operations, indexing_behavior))
        text = json.dumps(operations)
        if any(bad in text for bad in self.reject):
            raise ShopRequestError("HTTP 400: Constraint violation", source="sw", status=400)
        return {"data": {}, "notFound": [], "deleted": []}


def writer(client: FakeClient, batch_size: int = 100) -> ManagedWriter:
    return ManagedWriter(client, sales_channel_id=CHANNEL, batch_size=batch_size)  # type: ignore[arg-type]


def test_changes_are_applied_in_dependency_order_and_deletes_last_in_reverse() -> None:
    client = FakeClient()
    changes = [
        Change("delete", "customer_group", "old"),
        Change("create", "group_assignment", "c" * 32, {"group_key": "gold"}),
        Change(
            "create",
            "rule",
            "gold",
            {"name": "G", "conditions": [{"type": "customer_group", "group_keys": ["gold"]}]},
        ),
        Change("create", "customer_group", "gold", {"name": "Gold"}),
        Change("delete", "group_assignment", "d" * 32, {"fallback_group_id": "e" * 32}),
    ]
    results = writer(client).apply(changes)
    assert [r.ok for r in results] == [True] * 5
    assert [r.change for r in results] == changes
    sequence = [ops[-1]["entity"] for ops, _ in client.requests]
    assert sequence == ["customer_group", "rule", "customer", "customer", "customer_group"]
    assert client.requests[2][1] == "use-queue-indexing"  # bulk assignments index in the background
    assert client.requests[4][0][0]["action"] == "delete"


def test_a_rejected_batch_is_retried_change_by_change_so_only_the_bad_one_fails() -> None:
    client = FakeClient(reject={"BROKEN"})
    changes = [
        Change("create", "customer_group", k, {"name": name})
        for k, name in [("a", "A"), ("b", "BROKEN"), ("c", "C")]
    ]
    results = writer(client).apply(changes)
    assert [r.ok for r in results] == [True, False, True]
    assert "Constraint violation" in (results[1].error or "")
    assert len(client.requests) == 4  # the batch, then each change alone


def test_batches_respect_the_batch_size() -> None:
    client = FakeClient()
    changes = [Change("create", "group_assignment", f"{i:032x}", {"group_key": "gold"}) for i in range(250)]
    writer(client, batch_size=100).apply(changes)
    assert [len(ops[0]["payload"]) for ops, _ in client.requests] == [100, 100, 50]


def test_invalid_changes_fail_alone_without_a_request() -> None:
    client = FakeClient()
    results = writer(client).apply(
        [
            Change("create", "customer_group", "x", {"name": ""}),
            Change("delete", "group_assignment", "f" * 32),
        ]
    )
    assert [r.ok for r in results] == [False, False]
    assert "fallback_group_id" in (results[1].error or "")
    assert client.requests == []


def test_a_change_aimed_at_an_object_we_did_not_create_is_refused() -> None:
    client = FakeClient()
    change = Change("update", "customer_group", "gold", {"name": "Gold"}, shop_id="0" * 32)
    (result,) = writer(client).apply([change])
    assert not result.ok
    assert "did not create" in (result.error or "")
    assert client.requests == []
