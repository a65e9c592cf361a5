"""Building full Shopware order records (and their children) from compact order seeds.

An :class:`OrderSeed` holds what an order *is* (customer, lines, currency, states, timestamps); the
:class:`OrderBuilder` turns it into an ``order`` with its ``order_customer``, billing address,
delivery, line items, transactions and, for refunded payments, captures, refunds and refund
positions, all in the exact shape of a real Shopware 6.5 order. Ids and incidental details come from
a random generator seeded per order, so an order looks the same whenever it is built.
"""

from __future__ import annotations

__all__ = [
    "CustomerSnapshot",
    "OrderBuilder",
    "OrderLine",
    "OrderSeed",
    "TransactionSeed",
    "add_refund",
    "uuid7",
]

import random
from dataclasses import dataclass
from typing import Any

from .catalogue import (
    CURRENCIES,
    country_id,
    payment_method_id,
    rounding,
    stable_id,
    state_id,
)
from .clock import format_ms
from .ids import uuid7
from .line_items import line_payload, price_definition
from .pricing import OrderLine, calculated_price, cart_price, compute_totals, num
from .products import PRODUCTS
from .refunds import add_refund
from .schema import DEFAULT_LANGUAGE_ID, LIVE_VERSION_ID, blank_record
from .store import ShopStore

_STREETS = (
    "Hauptstraße",
    "Bahnhofstraße",
    "Industriestraße",
    "Hafenweg",
    "Marktplatz",
    "Lindenallee",
    "Kanalstraße",
)
_CITIES = {
    "DE": (
        ("Hamburg", "20457"),
        ("Berlin", "10115"),
        ("Köln", "50667"),
        ("München", "80331"),
        ("Bremen", "28195"),
    ),
    "AT": (("Wien", "1010"), ("Graz", "8010")),
    "CH": (("Zürich", "8001"), ("Basel", "4051")),
    "NL": (("Amsterdam", "1012 AB"), ("Utrecht", "3511 AA")),
    "GB": (("London", "EC1A 1BB"), ("Leeds", "LS1 4AP")),
    "US": (("Chicago", "60601"), ("Boston", "02108")),
}
_RULE_IDS = [stable_id("rule", "Always valid (Default)")]


@dataclass
class TransactionSeed:
    id: str
    created: int
    updated: int | None
    state: str
    payment: str


@dataclass
class CustomerSnapshot:
    """What ``order_customer`` copies from the customer at order time (or a guest's entered data)."""

    customer_id: str | None
    email: str
    first_name: str
    last_name: str
    company: str | None
    customer_number: str
    vat_ids: list[str] | None
    salutation_id: str
    country: str


@dataclass
class OrderSeed:
    index: int
    id: str
    auto_increment: int
    created: int
    updated: int | None
    order_time: int
    customer: CustomerSnapshot
    state: str
    currency: int
    """Index into :data:`~.catalogue.CURRENCIES`."""
    factor: float
    tax_status: str
    lines: list[OrderLine]
    shipping: float
    transactions: list[TransactionSeed]
    rng_seed: int
    sales_channel_id: str
    comment: str | None = None


class OrderBuilder:
    """Builds orders into the store; registered as the store's materializer for seeded orders."""

    def __init__(self, store: ShopStore, seeds: list[OrderSeed]) -> None:
        self.store = store
        self.seeds = seeds

    def materialize(self, index: int) -> None:
        self.build(self.seeds[index], keyset=False)

    def build(self, seed: OrderSeed, *, keyset: bool) -> dict[str, Any]:
        """Insert the order of ``seed`` and all its children; ``keyset`` also indexes order and payments."""
        rng = random.Random(seed.rng_seed)
        currency = CURRENCIES[seed.currency]
        created = format_ms(seed.created)
        totals = compute_totals(seed.lines, seed.shipping, seed.tax_status, currency.total_interval)
        price = cart_price(totals, seed.tax_status)
        address_id = uuid7(seed.created, rng)
        order = blank_record(
            "order",
            seed.id,
            createdAt=created,
            updatedAt=format_ms(seed.updated) if seed.updated is not None else None,
            orderNumber=str(10000 + seed.auto_increment),
            currencyId=currency.id,
            currencyFactor=num(seed.factor),
            salesChannelId=seed.sales_channel_id,
            billingAddressId=address_id,
            billingAddressVersionId=LIVE_VERSION_ID,
            orderDateTime=format_ms(seed.order_time),
            orderDate=format_ms(seed.order_time - seed.order_time % 86_400_000),
            price=price,
            amountTotal=num(totals.total),
            amountNet=num(totals.net),
            positionPrice=num(totals.position_price),
            taxStatus=seed.tax_status,
            shippingCosts=calculated_price(seed.shipping, 1, seed.shipping, 19.0, seed.tax_status),
            shippingTotal=num(seed.shipping),
            languageId=DEFAULT_LANGUAGE_ID,
            deepLinkCode=f"{rng.getrandbits(160):040x}"[:32],
            autoIncrement=seed.auto_increment,
            stateId=state_id("order.state", seed.state),
            customerComment=seed.comment,
            ruleIds=list(_RULE_IDS),
            itemRounding=rounding(0.01, True),
            totalRounding=rounding(currency.total_interval, currency.round_for_net),
        )
        self.store.insert("order", order, keyset=keyset)
        self._customer(seed, rng, created)
        self._addresses(seed, rng, created, address_id)
        line_ids = self._lines(seed, rng, created)
        amount = {
            "extensions": [],
            "unitPrice": num(totals.total),
            "quantity": 1,
            "totalPrice": num(totals.total),
            "calculatedTaxes": price["calculatedTaxes"],
            "taxRules": price["taxRules"],
            "referencePrice": None,
            "listPrice": None,
            "regulationPrice": None,
            "apiAlias": "calculated_price",
        }
        for transaction in seed.transactions:
            self._transaction(seed, rng, transaction, amount, totals.total, line_ids, keyset=keyset)
        return order

    def _customer(self, seed: OrderSeed, rng: random.Random, created: str) -> None:
        snapshot = seed.customer
        customer_id = snapshot.customer_id
        if customer_id is not None and self.store.get("customer", customer_id) is None:
            customer_id = None  # the customer was deleted: Shopware sets the reference to NULL
        self.store.insert(
            "order_customer",
            blank_record(
                "order_customer",
                uuid7(seed.created, rng),
                createdAt=created,
                email=snapshot.email,
                orderId=seed.id,
                salutationId=snapshot.salutation_id,
                firstName=snapshot.first_name,
                lastName=snapshot.last_name,
                vatIds=snapshot.vat_ids,
                company=snapshot.company,
                customerNumber=snapshot.customer_number,
                customerId=customer_id,
                remoteAddress="::",
                orderVersionId=LIVE_VERSION_ID,
            ),
        )

    def _addresses(self, seed: OrderSeed, rng: random.Random, created: str, address_id: str) -> None:
        snapshot = seed.customer
        city, zipcode = rng.choice(_CITIES.get(snapshot.country, _CITIES["DE"]))
        self.store.insert(
            "order_address",
            blank_record(
                "order_address",
                address_id,
                createdAt=created,
                countryId=country_id(snapshot.country),
                salutationId=snapshot.salutation_id,
                firstName=snapshot.first_name,
                lastName=snapshot.last_name,
                street=f"{rng.choice(_STREETS)} {rng.randint(1, 180)}",
                zipcode=zipcode,
                city=city,
                company=snapshot.company,
                vatId=snapshot.vat_ids[0] if snapshot.vat_ids else None,
                orderId=seed.id,
                orderVersionId=LIVE_VERSION_ID,
            ),
        )
        delivery_state = {"completed": "shipped", "cancelled": "cancelled"}.get(seed.state, "open")
        day = 86_400_000
        self.store.insert(
            "order_delivery",
            blank_record(
                "order_delivery",
                uuid7(seed.created, rng),
                createdAt=created,
                orderId=seed.id,
                orderVersionId=LIVE_VERSION_ID,
                shippingOrderAddressId=address_id,
                shippingOrderAddressVersionId=LIVE_VERSION_ID,
                shippingMethodId=stable_id("shipping_method", "standard"),
                trackingCodes=[f"00340434{rng.randint(10**9, 10**10 - 1)}"]
                if delivery_state == "shipped"
                else [],
                shippingDateEarliest=format_ms(seed.order_time - seed.order_time % day + day),
                shippingDateLatest=format_ms(seed.order_time - seed.order_time % day + 3 * day),
                shippingCosts=calculated_price(seed.shipping, 1, seed.shipping, 19.0, seed.tax_status),
                stateId=state_id("order_delivery.state", delivery_state),
            ),
        )

    def _lines(self, seed: OrderSeed, rng: random.Random, created: str) -> list[str]:
        ids = [uuid7(seed.created, rng) for _ in seed.lines]
        for position, (line, line_id) in enumerate(zip(seed.lines, ids, strict=True), start=1):
            product = PRODUCTS[line.product_index] if line.product_index is not None else None
            values: dict[str, Any] = {
                "createdAt": created,
                "orderId": seed.id,
                "identifier": product.id if product else line_id,
                "referencedId": product.id if product else line.code,
                "productId": product.id if product else None,
                "promotionId": line.promotion_id,
                "quantity": line.quantity,
                "unitPrice": num(line.unit_price),
                "totalPrice": num(line.total_price),
                "label": line.label,
                "good": line.kind in ("product", "container"),
                "removable": True,
                "stackable": line.kind != "promotion",
                "position": position,
                "price": calculated_price(
                    line.unit_price, line.quantity, line.total_price, line.tax_rate, seed.tax_status
                ),
                "priceDefinition": price_definition(line),
                "payload": line_payload(line, product),
                "parentId": ids[line.parent] if line.parent is not None else None,
                "type": line.kind,
                "states": ["is-physical"] if product is not None and product.tax_rate else [],
                "orderVersionId": LIVE_VERSION_ID,
                "productVersionId": LIVE_VERSION_ID if product else None,
                "parentVersionId": LIVE_VERSION_ID if line.parent is not None else None,
            }
            self.store.insert("order_line_item", blank_record("order_line_item", line_id, **values))
        return ids

    def _transaction(
        self,
        seed: OrderSeed,
        rng: random.Random,
        transaction: TransactionSeed,
        amount: dict[str, Any],
        total: float,
        line_ids: list[str],
        *,
        keyset: bool,
    ) -> None:
        self.store.insert(
            "order_transaction",
            blank_record(
                "order_transaction",
                transaction.id,
                createdAt=format_ms(transaction.created),
                updatedAt=format_ms(transaction.updated) if transaction.updated is not None else None,
                orderId=seed.id,
                orderVersionId=LIVE_VERSION_ID,
                paymentMethodId=payment_method_id(transaction.payment),
                amount=amount,
                stateId=state_id("order_transaction.state", transaction.state),
            ),
            keyset=keyset,
        )
        if transaction.state not in ("refunded", "refunded_partially"):
            return
        refund_at = transaction.updated if transaction.updated is not None else transaction.created
        products = [i for i, line in enumerate(seed.lines) if line.kind == "product" and line.parent is None]
        if transaction.state == "refunded_partially" and len(products) > 1:
            returned: OrderLine | None = seed.lines[products[0]]
            refund = returned.total_price if returned is not None else total
        else:
            returned = None
            refund = total if transaction.state == "refunded" else round(total / 2, 2)
        add_refund(
            self.store,
            rng,
            transaction.id,
            amount,
            refund,
            seed.tax_status,
            refund_at,
            returned=(line_ids[products[0]], returned) if returned is not None else None,
        )
