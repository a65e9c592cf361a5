"""Changes a test makes to the sandbox shop directly, as the shop's own users or back office would.

Each one is a mutation: it takes the next instant of the sandbox clock. ``touch`` bumps ``updatedAt``;
``set_transaction_state`` changes a payment (and records a refund) without touching the order's
``updatedAt``, exactly the Shopware behaviour that makes payments a stream of their own.
"""

from __future__ import annotations

__all__ = ["add_customer", "add_order", "set_transaction_state", "touch"]

import random
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from .catalogue import (
    CURRENCIES,
    STANDARD_GROUP_ID,
    STATES,
    STOREFRONT_ID,
    country_id,
    group_ids,
    payment_method_id,
    salutation_id,
    state_id,
)
from .clock import format_ms, ms_of
from .data import ShopSeed
from .ids import uuid7
from .orders import CustomerSnapshot, OrderLine, OrderSeed, TransactionSeed
from .products import PRODUCTS
from .refunds import add_refund
from .schema import DEFAULT_LANGUAGE_ID, ENTITIES, blank_record
from .store import Record, ShopStore

_COUNTRY_ISO = {country_id(iso): iso for iso in ("DE", "AT", "CH", "NL", "GB", "US")}


def _entity(name: str) -> str:
    entity = name.replace("-", "_")
    if entity not in ENTITIES:
        raise ValueError(f"unknown entity {name!r}")
    return entity


def _value(value: Any) -> Any:
    if isinstance(value, datetime):
        return format_ms(ms_of(value))
    if isinstance(value, Decimal):
        return float(value)
    return value


def touch(store: ShopStore, entity: str, record_id: str, changes: dict[str, Any]) -> Record:
    """Change fields of a record and set its ``updatedAt`` to the next clock instant."""
    name = _entity(entity)
    definition = ENTITIES[name]
    unknown = sorted(set(changes) - set(definition.keys))
    if unknown:
        raise ValueError(f"{name} has no field(s) {', '.join(unknown)}")
    store.tables[name][record_id]  # builds a lazy order before it changes
    values = {key: _value(value) for key, value in changes.items()}
    values.setdefault("updatedAt", format_ms(store.clock.tick()))
    return store.update(name, record_id, values)


def add_customer(store: ShopStore, rng: random.Random, fields: dict[str, Any]) -> Record:
    """Register a new customer (with a default address) created at the next clock instant."""
    now = store.clock.tick()
    auto_increment = store.next_auto_increment("customer")
    customer_id = str(fields.pop("id", None) or uuid7(now, rng))
    address_id = uuid7(now, rng)
    company = fields.get("company")
    values: dict[str, Any] = {
        "createdAt": format_ms(now),
        "groupId": STANDARD_GROUP_ID,
        "defaultPaymentMethodId": payment_method_id("invoice"),
        "salesChannelId": STOREFRONT_ID,
        "languageId": DEFAULT_LANGUAGE_ID,
        "defaultBillingAddressId": address_id,
        "defaultShippingAddressId": address_id,
        "customerNumber": str(20000 + auto_increment),
        "salutationId": salutation_id("not_specified"),
        "firstName": "New",
        "lastName": "Customer",
        "email": f"new.customer{auto_increment}@example.com",
        "active": True,
        "doubleOptInRegistration": False,
        "guest": False,
        "accountType": "business" if company else "private",
        "orderCount": 0,
        "orderTotalAmount": 0,
        "reviewCount": 0,
        "autoIncrement": auto_increment,
        "remoteAddress": "::",
    }
    unknown = sorted(set(fields) - set(ENTITIES["customer"].keys))
    if unknown:
        raise ValueError(f"customer has no field(s) {', '.join(unknown)}")
    values.update({key: _value(value) for key, value in fields.items()})
    record = blank_record("customer", customer_id, **values)
    store.insert("customer", record)
    store.insert(
        "customer_address",
        blank_record(
            "customer_address",
            address_id,
            createdAt=format_ms(now),
            customerId=customer_id,
            countryId=country_id("DE"),
            salutationId=record["salutationId"],
            firstName=record["firstName"],
            lastName=record["lastName"],
            zipcode="20457",
            city="Hamburg",
            company=record["company"],
            street="Hafenweg 1",
        ),
    )
    return record


def _line(item: Any, units: dict[str, float], factor: float) -> OrderLine:
    if isinstance(item, str):
        item = {"sku": item}
    elif isinstance(item, tuple | list):
        item = {"sku": item[0], "quantity": item[1]}
    if not isinstance(item, dict):
        raise ValueError(f"an order line is a SKU, (sku, quantity) or a dict, not {item!r}")
    kind = str(item.get("type", "product"))
    quantity = int(item.get("quantity", 1))
    if kind == "product":
        sku = str(item.get("sku") or item.get("productNumber"))
        index = next((i for i, p in enumerate(PRODUCTS) if p.number == sku), None)
        if index is None:
            raise ValueError(
                f"unknown product number {sku!r}; the catalogue has {[p.number for p in PRODUCTS]}"
            )
        unit = float(item.get("unitPrice", units[sku]))
        return OrderLine(
            "product",
            PRODUCTS[index].name,
            quantity,
            unit,
            round(unit * quantity, 2),
            PRODUCTS[index].tax_rate,
            index,
        )
    amount = float(item.get("amount", item.get("totalPrice")) or 0.0)
    line = OrderLine(
        kind, str(item.get("label", kind.title())), quantity, amount, round(amount * quantity, 2), 19.0
    )
    line.code = item.get("code")
    line.promotion_id = item.get("promotionId")
    if item.get("percent") is not None:
        line.discount_value = float(item["percent"])
    return line


def add_order(
    store: ShopStore,
    shop: ShopSeed,
    customer_id: str | None,
    lines: Sequence[Any],
    *,
    state: str = "open",
    transaction_state: str = "open",
    currency: str = "EUR",
    tax_status: str | None = None,
    payment: str = "invoice",
    email: str | None = None,
    created_at: datetime | None = None,
) -> Record:
    """Place an order (``customer_id`` ``None`` for a guest) at the next clock instant (or ``created_at``)."""
    now = store.clock.tick()
    created = ms_of(created_at) if created_at is not None else now
    if customer_id is not None:
        customer = store.tables["customer"][customer_id]
        address = store.get("customer_address", customer.get("defaultBillingAddressId"))
        snapshot = CustomerSnapshot(
            customer_id,
            customer["email"],
            customer["firstName"],
            customer["lastName"],
            customer.get("company"),
            customer["customerNumber"],
            customer.get("vatIds"),
            customer.get("salutationId") or salutation_id("not_specified"),
            _COUNTRY_ISO.get(str((address or {}).get("countryId")), "DE"),
        )
        group = customer.get("groupId")
    else:
        snapshot = CustomerSnapshot(
            None,
            email or "guest@example.com",
            "Guest",
            "Buyer",
            None,
            "",
            None,
            salutation_id("not_specified"),
            "DE",
        )
        group = STANDARD_GROUP_ID
    currency_index = next((i for i, c in enumerate(CURRENCIES) if c.iso == currency), None)
    if currency_index is None:
        raise ValueError(f"unknown currency {currency!r}; the sandbox has {[c.iso for c in CURRENCIES]}")
    if state not in dict(STATES["order.state"]) or transaction_state not in dict(
        STATES["order_transaction.state"]
    ):
        raise ValueError(f"unknown order or transaction state: {state!r}, {transaction_state!r}")
    status = tax_status or ("net" if group in group_ids()[1:] else "gross")
    factor = CURRENCIES[currency_index].factor
    key = "gross" if status == "gross" else "net"
    units = {
        p.number: round((p.gross if key == "gross" else p.gross / (1 + p.tax_rate / 100)) * factor, 2)
        for p in PRODUCTS
    }
    order_lines = [_line(item, units, factor) for item in lines]
    rng = shop.rng
    transaction = TransactionSeed(
        uuid7(created, rng), created, None if transaction_state == "open" else now, transaction_state, payment
    )
    seed = OrderSeed(
        index=len(shop.orders),
        id=uuid7(created, rng),
        auto_increment=store.next_auto_increment("order"),
        created=created,
        updated=None,
        order_time=created,
        customer=snapshot,
        state=state,
        currency=currency_index,
        factor=factor,
        tax_status=status,
        lines=order_lines,
        shipping=0.0,
        transactions=[transaction],
        rng_seed=rng.getrandbits(64),
        sales_channel_id=STOREFRONT_ID,
    )
    shop.orders.append(seed)
    return shop.builder.build(seed, keyset=True)


def set_transaction_state(
    store: ShopStore, rng: random.Random, order_id: str, state: str, amount: Any = None
) -> Record:
    """Move the order's latest payment to ``state``; refunds are recorded as capture refunds.

    ``amount`` is the refunded amount for ``refunded``/``refunded_partially`` (default: the rest of the
    payment, or for a partial refund the first product line when there are several, else half). The
    order's ``updatedAt`` does not change, as in Shopware.
    """
    if state not in dict(STATES["order_transaction.state"]):
        raise ValueError(f"unknown transaction state {state!r}")
    order = store.tables["order"][order_id]
    transactions = store.children("order_transaction", "orderId", order_id)
    if not transactions:
        raise ValueError(f"order {order_id} has no transaction")
    transaction = max(transactions, key=lambda t: str(t["createdAt"]))
    now = store.clock.tick()
    record = store.update(
        "order_transaction",
        transaction["id"],
        {"stateId": state_id("order_transaction.state", state), "updatedAt": format_ms(now)},
    )
    if state in ("refunded", "refunded_partially"):
        total = float(transaction["amount"]["totalPrice"])
        if amount is not None:
            refund = float(amount)
        elif state == "refunded":
            captures = store.children("order_transaction_capture", "orderTransactionId", transaction["id"])
            done = sum(
                float(refund_row["amount"]["totalPrice"])
                for capture in captures
                for refund_row in store.children(
                    "order_transaction_capture_refund", "captureId", capture["id"]
                )
            )
            refund = round(total - done, 2)
        else:
            lines = [
                line
                for line in store.children("order_line_item", "orderId", order_id)
                if line["type"] == "product" and line["parentId"] is None
            ]
            refund = float(lines[0]["totalPrice"]) if len(lines) > 1 else round(total / 2, 2)
        add_refund(store, rng, transaction["id"], transaction["amount"], refund, str(order["taxStatus"]), now)
    return record
