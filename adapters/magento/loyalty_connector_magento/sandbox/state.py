"""The sandbox shop's state: seeded tables plus every mutation, each stamped by the sandbox clock.

Both the HTTP routes and the test-facing methods of :class:`~.server.MagentoSandbox` change the shop
only through here, so ``updated_at`` and the keyset index always move together.
"""

from __future__ import annotations

__all__ = ["ShopState"]

import random
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from .catalog import DEFAULT_GROUPS, WEBSITE_ID, Product
from .clock import SandboxClock
from .creditmemos import CREDITMEMO_COLUMNS, RefundLine, create_creditmemo
from .customers import CUSTOMER_COLUMNS, billing_snapshot, customer_value, replace_customer
from .data import gc_paused, generate, new_order_row
from .errors import WebapiError, input_errors, no_such_entity_field, required_field
from .order_columns import ORDER_COLUMNS, order_value
from .order_render import render_order
from .orders import OrderRow
from .promotions import COUPON_COLUMNS, Promotions
from .sales_rules import RULE_COLUMNS
from .tables import RecordTable
from .tier_prices import TierPriceStore

_ORDER_SLOTS = {
    "state",
    "status",
    "customer_email",
    "customer_firstname",
    "customer_lastname",
    "customer_group_id",
    "customer_dob",
    "customer_gender",
    "customer_taxvat",
    "coupon_code",
    "applied_rule_ids",
    "remote_ip",
}
_STATUS = {
    "new": "pending",
    "processing": "processing",
    "complete": "complete",
    "canceled": "canceled",
    "holded": "holded",
}
_KINDS = {
    "orders": "orders",
    "order": "orders",
    "customers": "customers",
    "customer": "customers",
    "creditmemos": "creditmemos",
    "creditmemo": "creditmemos",
    "refunds": "creditmemos",
}


def _dict_value(record: dict[str, Any], column: str) -> Any:
    value = record.get(column)
    return None if isinstance(value, (list, dict)) else value


def _same(record: dict[str, Any]) -> dict[str, Any]:
    return record


def _stamp_of(record: dict[str, Any]) -> str:
    return str(record["updated_at"])


class ShopState:
    """Tables, clock, promotions, tier prices and the mutations over them."""

    def __init__(self, *, seed: int, customers: int, orders: int, price_scope_website: bool = False) -> None:
        with gc_paused():
            self._load(seed, customers, orders, price_scope_website)

    def _load(self, seed: int, customers: int, orders: int, price_scope_website: bool) -> None:
        seeded = generate(seed, customers, orders)
        self.catalogue: dict[str, Product] = seeded.catalogue
        self.clock = SandboxClock(seeded.newest + 1)
        self.next_ids = seeded.next_ids
        self._rng = random.Random(seed * 7919 + 17)
        self.customers: RecordTable[dict[str, Any]] = RecordTable(
            "customers",
            columns=CUSTOMER_COLUMNS,
            value=customer_value,
            render=_same,
            updated_at=_stamp_of,
            aliases={"id": "entity_id"},
        )
        self.customers.load((c["id"], c) for c in seeded.customers)
        self.orders: RecordTable[OrderRow] = RecordTable(
            "orders",
            columns=ORDER_COLUMNS,
            value=order_value,
            render=render_order,
            updated_at=lambda r: r.updated_at,
        )
        self.orders.load((row.entity_id, row) for row in seeded.orders)
        self.creditmemos: RecordTable[dict[str, Any]] = RecordTable(
            "creditmemos", columns=CREDITMEMO_COLUMNS, value=_dict_value, render=_same, updated_at=_stamp_of
        )
        self.creditmemos.load((m["entity_id"], m) for m in seeded.creditmemos)
        self.groups: RecordTable[dict[str, Any]] = RecordTable(
            "groups",
            columns=("id", "code", "tax_class_id", "tax_class_name"),
            value=_dict_value,
            render=_same,
            aliases={
                "customer_group_id": "id",
                "customer_group_code": "code",
                "class_name": "tax_class_name",
            },
        )
        self.groups.load(
            (gid, {"id": gid, "code": code, "tax_class_id": 3, "tax_class_name": "Retail Customer"})
            for gid, code in DEFAULT_GROUPS
        )
        self.rules: RecordTable[dict[str, Any]] = RecordTable(
            "rules", columns=RULE_COLUMNS, value=_dict_value, render=_same
        )
        self.rules.load((r["rule_id"], r) for r in seeded.rules)
        self.coupons: RecordTable[dict[str, Any]] = RecordTable(
            "coupons", columns=COUPON_COLUMNS, value=_dict_value, render=_same
        )
        self.coupons.load((c["coupon_id"], c) for c in seeded.coupons)
        self.promotions = Promotions(
            self.rules.records, self.coupons.records, self.next_ids, self._rng, self.stamp
        )
        self.tier_prices = TierPriceStore(
            seeded.tier_prices, self.catalogue, self.group_codes, website_scope=price_scope_website
        )

    def stamp(self) -> str:
        """Advance the clock one second; the Magento text of the new time."""
        return self.clock.tick()

    def group_codes(self) -> dict[int, str]:
        return {gid: g["code"] for gid, g in self.groups.records.items()}

    def _new_id(self, kind: str) -> int:
        value = self.next_ids[kind]
        self.next_ids[kind] = value + 1
        return value

    # -- customers ---------------------------------------------------------------------------

    def add_customer(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        fields = dict(fields)
        customer_id = self._new_id("customer")
        company = fields.pop("company", None)
        country = fields.pop("country_id", "DE")
        email = str(fields.get("email") or f"buyer{customer_id}@example.com")
        if any(c["email"].casefold() == email.casefold() for c in self.customers.records.values()):
            raise ValueError(f"a customer with e-mail {email!r} already exists")
        now = self.stamp()
        record: dict[str, Any] = {"id": customer_id, "group_id": int(fields.pop("group_id", 1))}
        firstname, lastname = str(fields.pop("firstname", "New")), str(fields.pop("lastname", "Buyer"))
        addresses = fields.pop("addresses", None)
        if addresses is None and company is not None:
            address_id = self._new_id("address")
            addresses = [
                {
                    "id": address_id,
                    "customer_id": customer_id,
                    "region": {"region_code": "BER", "region": "Berlin", "region_id": 82},
                    "region_id": 82,
                    "country_id": country,
                    "street": ["Friedrichstraße 68"],
                    "company": company,
                    "telephone": "+49 301234567",
                    "postcode": "10117",
                    "city": "Berlin",
                    "firstname": firstname,
                    "lastname": lastname,
                    "default_shipping": True,
                    "default_billing": True,
                }
            ]
            record["default_billing"] = record["default_shipping"] = str(address_id)
        record.update({"created_at": now, "updated_at": now, "created_in": "Default Store View"})
        record.update({"email": email, "firstname": firstname, "lastname": lastname})
        record.update({"store_id": 1, "website_id": WEBSITE_ID})
        record.update({key: value for key, value in fields.items() if key != "email"})
        record["addresses"] = addresses or []
        record.setdefault("disable_auto_group_change", 0)
        record.setdefault("extension_attributes", {"is_subscribed": False})
        self.customers.insert(customer_id, record)
        return record

    def replace_customer(self, customer_id: int, sent: Any) -> dict[str, Any]:
        current = self.customers.records.get(customer_id)
        if current is None:
            raise no_such_entity_field("customerId", customer_id)
        record = replace_customer(
            current,
            sent,
            others=list(self.customers.records.values()),
            stamp=self.stamp,
            new_address_id=lambda: self._new_id("address"),
        )
        self.customers.records[customer_id] = record
        self.customers.restamp(customer_id, current["updated_at"], record["updated_at"])
        return record

    # -- groups ------------------------------------------------------------------------------

    def create_group(self, sent: Any) -> dict[str, Any]:
        if not isinstance(sent, dict) or not sent.get("code"):
            raise input_errors([required_field("code")])
        code = str(sent["code"])
        if any(g["code"].casefold() == code.casefold() for g in self.groups.records.values()):
            raise WebapiError.of(400, "Customer Group already exists.")
        tax_class = int(sent.get("tax_class_id") or 3)
        if tax_class != 3:
            raise WebapiError.of(
                400,
                'Invalid value of "%value" provided for the %fieldName field.',
                {"fieldName": "taxClassId", "value": tax_class},
            )
        self.stamp()
        group_id = self._new_id("group")
        group = {"id": group_id, "code": code, "tax_class_id": tax_class, "tax_class_name": "Retail Customer"}
        self.groups.insert(group_id, group)
        return group

    def update_group(self, group_id: int, sent: Any) -> dict[str, Any]:
        """``PUT /V1/customerGroups/:id``: rename a group (code unique, case-insensitively)."""
        group = self.groups.records.get(group_id)
        if group is None:
            raise WebapiError.of(
                404,
                "No such entity with %fieldName = %fieldValue",
                {"fieldName": "id", "fieldValue": group_id},
            )
        if not isinstance(sent, dict) or not sent.get("code"):
            raise input_errors([required_field("code")])
        code = str(sent["code"])
        if any(
            g["code"].casefold() == code.casefold() and gid != group_id
            for gid, g in self.groups.records.items()
        ):
            raise WebapiError.of(400, "Customer Group already exists.")
        self.stamp()
        group["code"] = code
        return group

    # -- orders and credit memos -------------------------------------------------------------

    def _line_products(self, spec: Mapping[str, Any]) -> tuple[Product, Product | None]:
        product = self.catalogue.get(str(spec.get("sku")))
        if product is None:
            raise ValueError(f"unknown SKU {spec.get('sku')!r}")
        if product.type_id == "configurable":
            return self.catalogue[product.children[0]], product
        if product.parent_sku is not None:
            return product, self.catalogue[product.parent_sku]
        return product, None

    def add_order(
        self,
        customer_id: int | None,
        lines: Sequence[Mapping[str, Any]],
        options: Mapping[str, Any],
    ) -> dict[str, Any]:
        customer = None
        if customer_id is not None:
            customer = self.customers.records.get(customer_id)
            if customer is None:
                raise ValueError(f"unknown customer {customer_id}")
        specs = []
        for spec in lines or [{"sku": "PAPER-A4", "qty": 1}]:
            product, parent = self._line_products(spec)
            price = Decimal(str(spec.get("price", product.price)))
            specs.append((product, parent, int(spec.get("qty", 1)), price))
        state = str(options.get("state", "complete"))
        if state not in _STATUS:
            raise ValueError(f"state must be one of {sorted(_STATUS)}; refund with add_creditmemo()")
        guest = None
        if customer is None:
            guest = (
                str(options.get("email", "guest@example.net")),
                str(options.get("firstname", "Guest")),
                str(options.get("lastname", "Buyer")),
            )
        now = self.stamp()
        entity_id = self._new_id("order")
        currency = str(options.get("order_currency_code", "EUR"))
        rate = Decimal(str(options.get("base_to_order_rate", "1" if currency == "EUR" else "1.1000")))
        row, next_item = new_order_row(
            entity_id,
            now,
            now,
            customer,
            billing_snapshot(customer) if customer else None,
            specs,
            self.next_ids["order_item"],
            guest=guest,
            discount_percent=Decimal(str(options.get("discount_percent", 0))),
            coupon_code=options.get("coupon_code"),
            applied_rule_ids=options.get("applied_rule_ids"),
            currency=currency,
            rate=rate,
            tax_percent=Decimal(str(options.get("tax_percent", 0))),
            payment_method=str(options.get("payment_method", "banktransfer")),
        )
        self.next_ids["order_item"] = next_item
        row.state, row.status = state, str(options.get("status") or _STATUS[state])
        for line in row.lines:
            if state == "canceled":
                line.qty_canceled = line.qty
            elif state in ("processing", "complete"):
                line.qty_invoiced = line.qty
                line.qty_shipped = line.qty if state == "complete" else 0
        self.orders.insert(entity_id, row)
        return render_order(row)

    def add_creditmemo(
        self,
        order_id: int,
        items: Sequence[Mapping[str, Any]] | None,
        *,
        adjustment_positive: Decimal = Decimal(0),
        adjustment_negative: Decimal = Decimal(0),
        refund_shipping: bool | None = None,
    ) -> dict[str, Any]:
        row = self.orders.records.get(order_id)
        if row is None:
            raise ValueError(f"unknown order {order_id}")
        if items is None:
            refunds = [RefundLine(line, line.qty_invoiced - line.qty_refunded) for line in row.lines]
            refunds = [refund for refund in refunds if refund.qty > 0]
        else:
            refunds = [RefundLine(self._order_line(row, spec), int(spec.get("qty", 1))) for spec in items]
        if not refunds:
            raise ValueError(f"order {order_id} has nothing left to refund")
        now = self.stamp()
        memo_id = self._new_id("creditmemo")
        old = row.updated_at
        memo = create_creditmemo(
            row,
            memo_id,
            self.next_ids["creditmemo_item"],
            now,
            refunds,
            refund_shipping=items is None if refund_shipping is None else refund_shipping,
            adjustment_positive=adjustment_positive,
            adjustment_negative=adjustment_negative,
        )
        self.next_ids["creditmemo_item"] += len(memo["items"])
        row.updated_at = now
        self.orders.restamp(order_id, old, now)
        self.creditmemos.insert(memo_id, memo)
        return memo

    @staticmethod
    def _order_line(row: OrderRow, spec: Mapping[str, Any]) -> Any:
        for line in row.lines:
            if (
                spec.get("order_item_id") in (line.item_id, line.item_id + 1)
                or spec.get("sku") == line.product.sku
            ):
                return line
        raise ValueError(f"order {row.entity_id} has no line matching {dict(spec)}")

    # -- touch -------------------------------------------------------------------------------

    def touch(self, kind: str, entity_id: Any, changes: Mapping[str, Any]) -> dict[str, Any]:
        table_name = _KINDS.get(kind)
        if table_name is None:
            raise ValueError(f"touch() takes one of {sorted(_KINDS)}, not {kind!r}")
        record_id = int(entity_id)
        changes = dict(changes)
        explicit = changes.pop("updated_at", None)
        stamp = str(explicit) if explicit is not None else self.stamp()
        if explicit is not None:
            self.stamp()
        if table_name == "orders":
            row = self.orders.records[record_id]
            old = row.updated_at
            for key, value in changes.items():
                if key in _ORDER_SLOTS:
                    setattr(row, key, value)
                elif key == "order_currency_code":
                    row.currency = str(value)
                else:
                    row.extra = {**(row.extra or {}), key: value}
            row.updated_at = stamp
            self.orders.restamp(record_id, old, stamp)
            return render_order(row)
        table = self.customers if table_name == "customers" else self.creditmemos
        record = table.records[record_id]
        old = record["updated_at"]
        for key, value in changes.items():
            if value is None:
                record.pop(key, None)
            else:
                record[key] = value
        record["updated_at"] = stamp
        table.restamp(record_id, old, stamp)
        return record
