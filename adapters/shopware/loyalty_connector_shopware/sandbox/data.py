"""Seeded generation of the sandbox shop: a B2B office-supplies wholesaler's customers and orders.

The same seed always gives the same shop. About three years of history end on 2026-10-31: company
customers with VAT ids and customer-group memberships, private and guest buyers, near-duplicate
accounts whose emails differ only in case, ``+tags`` or dots, deleted customers whose orders keep
only the snapshot, orders in four states and four currencies with float-noise money, promotion,
custom, credit, discount and container lines, payments that are paid in daily bank-import batches,
refunded or partly refunded. Clusters of records share one ``createdAt``/``updatedAt`` millisecond
(bulk imports, ERP status updates) so keyset tie-breaking on ``autoIncrement`` is exercised.
``updatedAt`` is ``NULL`` for records never changed after creation, as in Shopware.
"""

from __future__ import annotations

__all__ = ["ShopSeed", "seed_shop"]

import bisect
import itertools
import random
from dataclasses import dataclass
from typing import Any

from .catalogue import (
    CURRENCIES,
    STOREFRONT_ID,
    group_ids,
    install_reference_data,
)
from .clock import DAY_MS, END_MS, HOUR_MS, INSTALL_MS, START_MS, format_ms
from .customers import delete_some_customers, guest_snapshot, seed_customers
from .ids import uuid7
from .marketing import PromotionInfo, seed_marketing
from .orders import OrderBuilder, OrderSeed, TransactionSeed
from .pricing import OrderLine, compute_totals
from .products import PRODUCTS, install_products
from .store import ShopStore

_CURRENCY_OF = {"CH": 3, "GB": 2, "US": 1}
_COMMENTS = ("Bitte an Rampe 3 liefern.", "Deliver to reception, 2nd floor.", "PO 4711-2291", None)


@dataclass
class ShopSeed:
    """The result of seeding: order seeds (built lazily), promotions and the newest seeded instant."""

    orders: list[OrderSeed]
    builder: OrderBuilder
    promotions: list[PromotionInfo]
    newest_ms: int
    rng: random.Random


class _Pricer:
    """Unit prices per currency and tax status, computed once (orders only look them up)."""

    def __init__(self) -> None:
        self.unit: dict[tuple[int, str], list[float]] = {}
        for index, currency in enumerate(CURRENCIES):
            gross = [round(p.gross * currency.factor, 2) for p in PRODUCTS]
            net = [round(p.gross / (1 + p.tax_rate / 100) * currency.factor, 2) for p in PRODUCTS]
            self.unit[(index, "gross")] = gross
            self.unit[(index, "net")] = net
            self.unit[(index, "tax-free")] = net


def _lines(
    rng: random.Random, pricer: _Pricer, currency: int, status: str, business: bool
) -> list[OrderLine]:
    units = pricer.unit[(currency, status)]
    draw = rng.random
    lines: list[OrderLine] = []
    for _ in range(1 + int(draw() ** 2 * (6 if business else 3))):
        index = int(draw() * len(PRODUCTS))
        product = PRODUCTS[index]
        top = product.max_qty if business else max(product.min_qty, 5)
        quantity = product.min_qty + int(draw() * (top - product.min_qty + 1))
        unit = units[index]
        lines.append(
            OrderLine(
                "product", product.name, quantity, unit, round(unit * quantity, 2), product.tax_rate, index
            )
        )
    return lines


def _extras(
    rng: random.Random, lines: list[OrderLine], factor: float, created: int, promotions: list[PromotionInfo]
) -> None:
    draw = rng.random()
    subtotal = sum(line.total_price for line in lines)
    if draw < 0.07:
        usable = [p for p in promotions if p.valid_at(created) and (p.fixed_code or p.free_codes)]
        promotion = rng.choice(usable)
        code = promotion.fixed_code or promotion.free_codes.pop(rng.randrange(len(promotion.free_codes)))
        if promotion.percent is not None:
            value = -round(subtotal * promotion.percent / 100, 2)
        else:
            value = -round((promotion.absolute or 0.0) * factor, 2)
        line = OrderLine(
            "promotion", promotion.name, 1, value, value, 19.0, code=code, promotion_id=promotion.id
        )
        line.discount_value = promotion.percent
        lines.append(line)
    elif draw < 0.09:
        fee = round(9.90 * factor, 2)
        lines.append(OrderLine("custom", "Express handling", 1, fee, fee, 19.0))
    elif draw < 0.105:
        credit = -round(20.0 * factor, 2)
        lines.append(OrderLine("credit", "Goodwill credit (late delivery)", 1, credit, credit, 19.0))
    elif draw < 0.115:
        discount = -round(min(subtotal * 0.03, 50.0), 2)
        lines.append(OrderLine("discount", "Key account discount 3%", 1, discount, discount, 19.0))
    elif draw < 0.13:
        children = [OrderLine("product", PRODUCTS[i].name, 2, 0.0, 0.0, 19.0, i) for i in (0, 5, 7)]
        for child in children:
            child.unit_price = round(PRODUCTS[child.product_index or 0].gross * factor * 0.9, 2)
            child.total_price = round(child.unit_price * child.quantity, 2)
        total = sum(child.total_price for child in children)
        container = OrderLine("container", "Starter office kit", 1, total, total, 19.0)
        container_index = len(lines)
        lines.append(container)
        for child in children:
            child.parent = container_index
            container.children.append(len(lines))
            lines.append(child)


def _transactions(
    rng: random.Random, created: int, state: str, payment: str, retry: bool
) -> list[TransactionSeed]:
    transactions: list[TransactionSeed] = []
    start = created
    if retry:  # a first payment attempt failed; the customer switched to invoice
        transactions.append(
            TransactionSeed(uuid7(created, rng), created, created + 600_000, "cancelled", "debit")
        )
        start, payment = created + 600_000, "invoice"
    draw = rng.random()
    tx_state = "open"
    if state == "cancelled":
        tx_state = "cancelled"
    elif state == "completed":
        tx_state = (
            "refunded"
            if draw < 0.04
            else "refunded_partially"
            if draw < 0.1
            else "paid_partially"
            if draw < 0.12
            else "paid"
        )
    elif (state == "in_progress" and draw < 0.6) or (state == "open" and draw < 0.25):
        tx_state = "paid"
    updated: int | None = None
    if tx_state != "open":
        later = rng.random()
        if payment == "invoice":  # paid by the daily bank import at 06:00 UTC
            due = start + (2 + int(later * 19)) * DAY_MS
            updated = due - due % DAY_MS + DAY_MS + 6 * HOUR_MS
        else:
            updated = start + 60_000 + int(later * 6 * HOUR_MS)
        if tx_state.startswith("refunded"):
            updated += (5 + int(later * 35)) * DAY_MS
        if updated > END_MS:
            tx_state, updated = "open", None
    transactions.append(TransactionSeed(uuid7(start, rng), start, updated, tx_state, payment))
    return transactions


def _order_times(rng: random.Random, count: int) -> list[int]:
    days = (END_MS - START_MS) // DAY_MS
    times = []
    for _ in range(count):
        x = rng.random() ** 0.8 * days  # more orders in recent years: the business grows
        day = int(x)
        times.append(START_MS + day * DAY_MS + 6 * HOUR_MS + int((x - day) * 13 * HOUR_MS))
    times.sort()
    for start in rng.sample(range(count), max(1, count // 400)) if count else []:  # bulk imports
        size = rng.randint(20, 120)
        times[start : start + size] = [times[start]] * len(times[start : start + size])
    return times


def seed_shop(store: ShopStore, seed: int, customers: int, orders: int) -> ShopSeed:
    """Fill ``store`` with reference data, customers, promotions and (lazy) orders."""
    rng = random.Random(seed)
    install_reference_data(store, INSTALL_MS)
    install_products(store, INSTALL_MS)
    promotions = seed_marketing(store, rng, INSTALL_MS + DAY_MS)
    people = seed_customers(store, rng, customers)
    created_list = [created for created, _, _ in people]
    pricer = _Pricer()
    groups = {row["id"]: row["groupId"] for row in store.tables["customer"].rows.values()}
    wholesale = set(group_ids()[1:])
    seeds: list[OrderSeed] = []
    stats: dict[str, list[Any]] = {}
    for index, created in enumerate(_order_times(rng, orders)):
        available = bisect.bisect_right(created_list, created)
        draw = rng.random()
        payment = "prepayment"
        if available == 0 or draw < 0.06:
            snapshot = guest_snapshot(rng)
        else:
            _, snapshot, payment = people[int(available * rng.random() ** 1.6)]
        business = snapshot.company is not None
        currency = _CURRENCY_OF.get(snapshot.country, 0) if rng.random() < 0.9 else 0
        factor = CURRENCIES[currency].factor * (1 + (rng.random() - 0.5) / 50) if currency else 1.0
        tax_status = "gross"
        if snapshot.customer_id is not None and groups.get(snapshot.customer_id) in wholesale:
            tax_status = "net"
        if business and snapshot.country in ("CH", "GB", "US"):
            tax_status = "tax-free"
        lines = _lines(rng, pricer, currency, tax_status, business)
        _extras(rng, lines, factor, created, promotions)
        age = END_MS - created
        state_draw = rng.random()
        if age < 2 * DAY_MS:
            state = "open" if state_draw < 0.7 else "in_progress"
        else:
            state = (
                "completed"
                if state_draw < 0.82
                else "cancelled"
                if state_draw < 0.88
                else "in_progress"
                if state_draw < 0.92
                else "open"
            )
        updated: int | None = None
        if state != "open" or state_draw < 0.3:
            updated = min(END_MS, created + HOUR_MS + int(rng.random() * 10 * DAY_MS))
        shipping = (
            0.0
            if sum(line.total_price for line in lines) >= 250
            else round((5.83 if tax_status == "gross" else 4.90) * factor, 2)
        )
        auto_increment = store.next_auto_increment("order")
        order_seed = OrderSeed(
            index=index,
            id=uuid7(created, rng),
            auto_increment=auto_increment,
            created=created,
            updated=updated,
            order_time=created - int(rng.random() * 900),
            customer=snapshot,
            state=state,
            currency=currency,
            factor=factor,
            tax_status=tax_status,
            lines=lines,
            shipping=shipping,
            transactions=_transactions(rng, created, state, payment, rng.random() < 0.03),
            rng_seed=rng.getrandbits(64),
            sales_channel_id=STOREFRONT_ID,
            comment=rng.choice(_COMMENTS) if rng.random() < 0.05 else None,
        )
        seeds.append(order_seed)
        if snapshot.customer_id is not None and state != "cancelled":
            totals = compute_totals(lines, shipping, tax_status, CURRENCIES[currency].total_interval)
            entry = stats.setdefault(snapshot.customer_id, [0, 0.0, 0])
            entry[0] += 1
            entry[1] += totals.total
            entry[2] = max(entry[2], order_seed.order_time)
    _import_clusters(rng, seeds)
    _erp_clusters(rng, seeds)
    delete_some_customers(store, rng, people, stats)
    for customer_id, (count, total, last) in stats.items():
        row = store.tables["customer"].rows[customer_id]
        row["orderCount"], row["orderTotalAmount"], row["lastOrderDate"] = count, total, format_ms(last)
    builder = OrderBuilder(store, seeds)
    _register(store, seeds)
    store.set_materializer(builder.materialize)
    newest = max(
        [END_MS]
        + [s.updated or s.created for s in seeds]
        + [t.updated or 0 for s in seeds for t in s.transactions]
    )
    return ShopSeed(seeds, builder, promotions, newest, rng)


def _import_clusters(rng: random.Random, seeds: list[OrderSeed]) -> None:
    """Orders that share a ``createdAt`` were imported in bulk: their business time is earlier."""
    for previous, current in itertools.pairwise(seeds):
        if current.created == previous.created:
            current.order_time = current.created - rng.randrange(HOUR_MS, 5 * DAY_MS)


def _erp_clusters(rng: random.Random, seeds: list[OrderSeed]) -> None:
    """The ERP closes batches of orders in one statement: many ``updatedAt`` share one millisecond."""
    if not seeds:
        return
    for _ in range(max(1, len(seeds) // 1500)):
        first = rng.randrange(len(seeds))
        block = seeds[first : first + rng.randint(30, 200)]
        at = min(END_MS, block[-1].created + rng.randrange(HOUR_MS, 3 * DAY_MS))
        for order_seed in block:
            if order_seed.state in ("open", "in_progress"):
                order_seed.state = "completed"
            order_seed.updated = at


def _register(store: ShopStore, seeds: list[OrderSeed]) -> None:
    """Make seeded orders and payments known (and indexed) without building them."""
    orders = store.tables["order"]
    transactions = store.tables["order_transaction"]
    order_entries = []
    transaction_entries = []
    for order_seed in seeds:
        orders.pending[order_seed.id] = order_seed.index
        order_entries.append(
            (order_seed.id, order_seed.created, order_seed.updated, order_seed.auto_increment)
        )
        for transaction in order_seed.transactions:
            transactions.pending[transaction.id] = order_seed.index
            transaction_entries.append(
                (transaction.id, transaction.created, transaction.updated, transaction.id)
            )
    store.pending_owners.update(range(len(seeds)))
    store.indexes["order"].load(order_entries)
    store.indexes["order_transaction"].load(transaction_entries)
