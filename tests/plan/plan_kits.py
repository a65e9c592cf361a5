"""The two sandbox shops as plan kits (see :class:`plan_shops.PlanKit`): Magento and Shopware."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from plan_shops import CHANNEL, CUSTOMERS, ORDERS, SEED, SOURCE, PlanKit, Slot, fault_free, frozen

from loyalty_connector.adapter import ShopAdapter
from loyalty_connector_magento import MagentoAdapter, MagentoClient
from loyalty_connector_magento.sales_rules import rule_key_of
from loyalty_connector_magento.sandbox import MagentoSandbox
from loyalty_connector_shopware.adapter import ShopwareAdapter
from loyalty_connector_shopware.auth import ClientCredentialsGrant
from loyalty_connector_shopware.client import ShopwareClient
from loyalty_connector_shopware.managed import MARKER_FIELD, managed_id
from loyalty_connector_shopware.sandbox import ShopwareSandbox

_CREDENTIALS = ("consumer_key", "consumer_secret", "access_token", "access_token_secret")
_WRITES = ("PUT", "DELETE", "PATCH")


@dataclass
class MagentoPlanKit(PlanKit):
    @property
    def magento(self) -> MagentoSandbox:
        assert isinstance(self.shop, MagentoSandbox)
        return self.shop

    def shop_time(self) -> Any:
        return self.magento.now()

    def adapter(self, *, attempts: int = 3) -> ShopAdapter:
        values = self.magento.credentials
        client = MagentoClient(
            self.shop.base_url,
            source=SOURCE,
            auth_mode="oauth",
            credentials={name: values[name] for name in _CREDENTIALS},
            retry=fault_free(attempts),
            sleep=lambda seconds: None,
        )
        return MagentoAdapter(SOURCE, client, page_size=100)

    def _managed_rule_ids(self) -> set[int]:
        return {rule_id for rule_id, rule in self.magento.sales_rules.items() if rule_key_of(rule)}

    def merchant_objects(self) -> dict[str, Any]:
        managed = self._managed_rule_ids()
        loyalty = {g["id"] for g in self.magento.groups.values() if str(g["code"]).startswith("Loyalty ")}
        with self.shop.lock:
            return frozen(
                {
                    "rules": {k: v for k, v in self.magento.sales_rules.items() if k not in managed},
                    "coupons": {k: v for k, v in self.magento.coupons.items() if v["rule_id"] not in managed},
                    "tier_prices": sorted(
                        str(row)
                        for row in self.magento.tier_prices
                        if not str(row["customer_group"]).startswith("Loyalty ")
                        and (row["sku"], row["customer_group"]) != ("TONER-BLK", "all groups")
                    ),
                    "groups": {k: v for k, v in self.magento.groups.items() if k not in loyalty},
                }
            )

    def group_of(self, customer_key: str) -> str:
        return str(self.magento.customers[int(customer_key)]["group_id"])

    def writes_since(self, index: int) -> list[str]:
        return [
            f"{r.method} {r.path}"
            for r in self.shop.requests[index:]
            if r.method in _WRITES or (r.method == "POST" and not r.path.endswith("information"))
        ]

    def add_hand_made_rule(self) -> None:
        client = self.adapter().client  # type: ignore[attr-defined]
        base = {
            "website_ids": [1],
            "customer_group_ids": [1, 2],
            "is_active": True,
            "simple_action": "by_percent",
            "discount_amount": 15,
            "coupon_type": "NO_COUPON",
        }
        client.post(
            "/V1/salesRules", {"rule": {**base, "name": "[loyalty] staff 15 %", "description": "by hand"}}
        )
        copy = {**base, "name": "copy of our gift", "description": "loyalty-connector key: gift:gift-500"}
        client.post("/V1/salesRules", {"rule": copy})

    def edit_by_hand(self) -> tuple[str, str, str]:
        [rule_id] = [k for k, r in self.magento.sales_rules.items() if rule_key_of(r) == "referral:referral"]
        client = self.adapter().client  # type: ignore[attr-defined]
        client.put(f"/V1/salesRules/{rule_id}", {"rule": {"rule_id": rule_id, "discount_amount": 15}})
        return "cart_rule", "referral:referral", "discount_amount"

    def expected_changes(self, gold_customers: set[str]) -> set[Slot]:
        # Magento never deletes a customer group: Loyalty Gold stays, emptied of customers and prices.
        return {
            ("update", "cart_rule", "gift:gift-500"),
            ("delete", "tier_price", "PAPER-A4|0|loyalty gold|10"),
            ("delete", "tier_price", "PAPER-A4|0|loyalty gold|50"),
            *{("update", "group_assignment", key) for key in gold_customers},
        }


def magento_kit() -> Iterator[MagentoPlanKit]:
    with MagentoSandbox(seed=SEED, customers=CUSTOMERS, orders=ORDERS) as shop:
        yield MagentoPlanKit(shop)


_OWNED = {
    "customer_group": "customer_group",
    "rule": "rule",
    "promotion": "promotion",
    "product_price": "tier_price",
}
_CHILDREN = {
    "rule_condition": ("ruleId", "rule"),
    "promotion_discount": ("promotionId", "promotion"),
    "promotion_setgroup": ("promotionId", "promotion"),
    "promotion_sales_channel": ("promotionId", "promotion"),
    "promotion_individual_code": ("promotionId", "promotion"),
}


def _ours(kind: str, record: Mapping[str, Any]) -> bool:
    custom = record.get("customFields")
    key = custom.get(MARKER_FIELD) if isinstance(custom, Mapping) else None
    return isinstance(key, str) and record.get("id") == managed_id(kind, key)


@dataclass
class ShopwarePlanKit(PlanKit):
    @property
    def shopware(self) -> ShopwareSandbox:
        assert isinstance(self.shop, ShopwareSandbox)
        return self.shop

    def shop_time(self) -> Any:
        return self.shopware.now()

    def adapter(self, *, attempts: int = 3, channel: str | None = CHANNEL) -> ShopAdapter:
        credentials = self.shopware.credentials
        client = ShopwareClient(
            self.shop.base_url,
            ClientCredentialsGrant(credentials["client_id"], credentials["client_secret"]),
            source=SOURCE,
            retry=fault_free(attempts),
            sleep=lambda seconds: None,
        )
        return ShopwareAdapter(SOURCE, client, sales_channel_id=channel, write_batch_size=50)

    def merchant_objects(self) -> dict[str, Any]:
        entities = self.shopware.entities
        with self.shop.lock:
            found: dict[str, Any] = {}
            for entity, kind in _OWNED.items():
                found[entity] = {i: r for i, r in entities[entity].items() if not _ours(kind, r)}
            for entity, (parent, owner) in _CHILDREN.items():
                found[entity] = {i: r for i, r in entities[entity].items() if r[parent] in found[owner]}
            return frozen(found)

    def group_of(self, customer_key: str) -> str:
        return str(self.shopware.entities["customer"][customer_key]["groupId"])

    def writes_since(self, index: int) -> list[str]:
        return [
            f"{r.method} {r.path}"
            for r in self.shop.requests[index:]
            if r.method in ("PATCH", "DELETE")
            or (r.method == "POST" and "/search" not in r.path and "oauth" not in r.path)
        ]

    def add_hand_made_rule(self) -> None:
        client = self.adapter().client  # type: ignore[attr-defined]
        promotion = {
            "id": "0123456789abcdef0123456789abcdef",
            "name": "[loyalty] staff 15 %",
            "active": True,
            "customFields": {MARKER_FIELD: "gift:gift-500"},  # a copy of ours: marked, but not our id
            "salesChannels": [
                {"id": "0123456789abcdef0123456789abcde0", "salesChannelId": CHANNEL, "priority": 1}
            ],
            "discounts": [
                {"id": "fedcba9876543210fedcba9876543210", "scope": "cart", "type": "percentage", "value": 15}
            ],
        }
        client.sync([{"key": "hand", "entity": "promotion", "action": "upsert", "payload": [promotion]}])

    def edit_by_hand(self) -> tuple[str, str, str]:
        self.shopware.touch(
            "promotion", managed_id("promotion", "referral:referral"), maxRedemptionsPerCustomer=5
        )
        return "promotion", "referral:referral", "max_redemptions_per_customer"

    def expected_changes(self, gold_customers: set[str]) -> set[Slot]:
        return {
            ("update", "rule", "gift:gift-500"),
            ("update", "promotion", "gift:gift-500"),
            *{("delete", "tier_price", f"PAPER-A4|groups:loyalty gold|{start}") for start in (1, 10, 50)},
            ("delete", "rule", "groups:loyalty gold"),
            ("delete", "customer_group", "Loyalty Gold"),
            *{("update", "group_assignment", key) for key in gold_customers},
        }


def shopware_kit() -> Iterator[ShopwarePlanKit]:
    with ShopwareSandbox(seed=SEED, customers=CUSTOMERS, orders=ORDERS) as shop:
        yield ShopwarePlanKit(shop)
