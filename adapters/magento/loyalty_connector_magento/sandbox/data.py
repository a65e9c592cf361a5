"""Seeded generation of the whole shop: customers, orders, credit memos, promotions, tier prices.

Deterministic: one ``random.Random(seed)`` drives everything, so the same seed gives byte-identical
data. Records span about three years ending 2026-10-31. Orders are mostly ``complete``; recent ones
are still ``pending``/``processing``; some are ``canceled``, ``holded``, partially refunded or
``closed`` by a full credit memo. A few mass actions stamp many records with the same ``updated_at``
second, so keyset readers must drain ties across pages. Generating 100,000 orders takes seconds.
"""

from __future__ import annotations

__all__ = ["END", "START", "SeedState", "gc_paused", "generate", "new_order_row"]

import contextlib
import gc
import itertools
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .catalog import ORDER_CURRENCIES, Country, Product, build_catalogue
from .clock import format_ts, parse_ts
from .creditmemos import RefundLine, create_creditmemo
from .orders import Address, OrderLine, OrderRow
from .people import CustomerPlan, build_address, make_customers, pick_country
from .sales_rules import seed_promotions
from .tier_prices import TierPriceRow, seed_tier_prices
from .weighted import Weighted

END = parse_ts("2026-10-31 23:59:59")
START = END - 3 * 365 * 86400
_DAY = 86400
_WHOLESALE_FACTOR = Decimal("0.90")
_FREE_SHIPPING_FROM = Decimal(150)
_SHIPPING = Decimal("9.90")
_CENT = Decimal("0.01")


@dataclass
class SeedState:
    """Everything the sandbox starts with, plus the next free ids."""

    catalogue: dict[str, Product]
    customers: list[dict[str, Any]]
    orders: list[OrderRow]
    creditmemos: list[dict[str, Any]]
    rules: list[dict[str, Any]]
    coupons: list[dict[str, Any]]
    tier_prices: list[TierPriceRow]
    next_ids: dict[str, int] = field(default_factory=dict)
    newest: int = START


def new_order_row(
    entity_id: int,
    created_at: str,
    updated_at: str,
    customer: dict[str, Any] | None,
    address: Address | None,
    lines: Sequence[tuple[Product, Product | None, int, Decimal]],
    first_item_id: int,
    *,
    guest: tuple[str, str, str] | None = None,
    discount_percent: Decimal = Decimal(0),
    coupon_code: str | None = None,
    applied_rule_ids: str | None = None,
    currency: str = "EUR",
    rate: Decimal = Decimal(1),
    tax_percent: Decimal = Decimal(0),
    payment_method: str = "banktransfer",
) -> tuple[OrderRow, int]:
    """A new order row (state ``new``/``pending``) and the next free order item id.

    ``lines`` are (product, configurable parent or None, qty, base unit price); ``guest`` is the
    (email, firstname, lastname) of a guest checkout when ``customer`` is None.
    """
    row = OrderRow(entity_id, created_at, updated_at)
    if customer is not None:
        row.customer_id = customer["id"]
        row.customer_email = customer["email"]
        row.customer_firstname = customer["firstname"]
        row.customer_lastname = customer["lastname"]
        row.customer_group_id = customer["group_id"]
        row.customer_dob = customer.get("dob")
        row.customer_gender = customer.get("gender")
        row.customer_taxvat = customer.get("taxvat")
        billing = customer.get("default_billing")
        row.customer_address_id = int(billing) if billing else None
    elif guest is not None:
        row.customer_email, row.customer_firstname, row.customer_lastname = guest
    row.address = address
    item_id = first_item_id
    subtotal = Decimal(0)
    for product, parent, qty, price in lines:
        line = OrderLine(product, parent, qty, price, discount_percent)
        line.item_id = item_id
        item_id += 2 if parent is not None else 1
        row.lines.append(line)
        subtotal += price * qty
    row.coupon_code = coupon_code
    row.applied_rule_ids = applied_rule_ids
    row.currency = currency
    row.rate = rate
    row.tax_percent = tax_percent
    row.payment_method = payment_method
    row.base_shipping = Decimal(0) if subtotal >= _FREE_SHIPPING_FROM else _SHIPPING
    row.quote_id = entity_id + entity_id // 3
    return row, item_id


_FRESH = Weighted(("new", "processing", "complete", "canceled", "holded"), (45, 40, 10, 3, 2))
_RECENT = Weighted(("new", "processing", "complete", "canceled", "holded"), (10, 30, 52, 5, 3))
_SETTLED = Weighted(
    ("complete", "closed", "partial", "canceled", "processing", "holded", "new"), (80, 6, 5, 6, 1, 1, 1)
)
_LINE_COUNT = Weighted((1, 2, 3, 4, 5), (35, 30, 20, 10, 5))
_METHOD = Weighted(("banktransfer", "purchaseorder", "checkmo"), (50, 30, 20))


def _choose_state(rng: random.Random, age: int) -> str:
    if age < _DAY:
        return _FRESH.pick(rng)
    if age < 7 * _DAY:
        return _RECENT.pick(rng)
    return _SETTLED.pick(rng)


def _before_end(rng: random.Random, since: int, moment: int) -> int:
    """``moment``, or a random second in ``[since, END]`` when it would lie after the shop's last day."""
    return moment if moment <= END else since + int((END - since) * rng.random())


_STATUS = {
    "new": "pending",
    "processing": "processing",
    "complete": "complete",
    "closed": "complete",
    "partial": "complete",
    "canceled": "canceled",
    "holded": "holded",
}


def _pick_lines(
    rng: random.Random,
    simples: list[Product],
    configurables: list[Product],
    catalogue: dict[str, Product],
    wholesale: bool,
) -> list[tuple[Product, Product | None, int, Decimal]]:
    chosen: list[tuple[Product, Product | None, int, Decimal]] = []
    seen: set[str] = set()
    for _ in range(_LINE_COUNT.pick(rng)):
        if rng.random() < 0.15:
            parent = configurables[int(rng.random() * len(configurables))]
            product: Product = catalogue[parent.children[int(rng.random() * len(parent.children))]]
            owner: Product | None = parent
        else:
            product, owner = simples[int(rng.random() * len(simples))], None
        if product.sku in seen:
            continue
        seen.add(product.sku)
        top = 40 if product.price < 20 else 12 if product.price < 120 else 4
        qty = 1 + int(top * rng.random() ** 2)
        price = (product.price * _WHOLESALE_FACTOR).quantize(_CENT) if wholesale else product.price
        chosen.append((product, owner, qty, price))
    return chosen


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many objects.

    Seeded data is acyclic, and the collector's repeated full passes over hundreds of thousands of
    fresh objects would otherwise cost about a third of the seeding time.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def generate(seed: int, customers: int, orders: int) -> SeedState:
    """The whole seeded shop; see the module docstring."""
    with gc_paused():
        return _generate(seed, customers, orders)


def _generate(seed: int, customers: int, orders: int) -> SeedState:
    rng = random.Random(seed)
    catalogue = build_catalogue()
    simples = [p for p in catalogue.values() if p.type_id == "simple" and p.parent_sku is None]
    simples = [p for p in simples if p.sku != "GIFT-TOTE"]
    configurables = [p for p in catalogue.values() if p.type_id == "configurable"]
    plans = make_customers(rng, customers, START, END)
    rules, coupons = seed_promotions()
    coupon_rules = [
        (c["code"], c["rule_id"], Decimal(r["discount_amount"]))
        for c in coupons
        for r in rules
        if r["rule_id"] == c["rule_id"]
    ]

    drafts: list[tuple[int, CustomerPlan | None]] = []
    registered = orders if not plans else int(orders * 0.9)
    if plans:
        picks = rng.choices(
            plans, cum_weights=list(itertools.accumulate(p.weight for p in plans)), k=registered
        )
        for buyer in picks:
            moment = buyer.created + 60 + int((buyer.active_until - buyer.created) * rng.random())
            drafts.append((min(moment, END - 60), buyer))
    for _ in range(orders - len(drafts)):
        drafts.append((START + int((END - START) * rng.random()), None))
    drafts.sort(key=lambda draft: draft[0])

    rows: list[OrderRow] = []
    stamps: list[int] = []
    refund_plans: list[tuple[int, OrderRow, bool]] = []
    item_id = 1
    for entity_id, (moment, plan) in enumerate(drafts, start=1):
        customer = plan.record if plan else None
        country: Country = plan.country if plan else pick_country(rng)
        address = plan.address if plan else None
        guest = None
        if plan is None:
            guest = _guest_identity(rng, country, plans)
            address = build_address(rng, country, guest[1], guest[2], None, None)
        group_id = customer["group_id"] if customer else 0
        lines = _pick_lines(rng, simples, configurables, catalogue, group_id == 2)
        coupon, rule_ids, percent = None, None, Decimal(0)
        if rng.random() < 0.12:
            coupon, rule_id, percent = rng.choice(coupon_rules)
            rule_ids = str(rule_id)
        elif group_id == 2 and rng.random() < 0.2:
            rule_ids, percent = "3", Decimal(3)
        currency, rate = "EUR", Decimal(1)
        wanted = {"GB": "GBP", "US": "USD"}.get(country.code)
        if wanted and rng.random() < 0.8:
            low, high = ORDER_CURRENCIES[wanted]
            currency = wanted
            rate = (low + (high - low) * Decimal(rng.randrange(10001)) / 10000).quantize(Decimal("0.0001"))
        method = _METHOD.pick(rng)
        created_text = format_ts(moment)
        row, item_id = new_order_row(
            entity_id,
            created_text,
            created_text,
            customer,
            address,
            lines,
            item_id,
            guest=guest,
            discount_percent=percent,
            coupon_code=coupon,
            applied_rule_ids=rule_ids,
            currency=currency,
            rate=rate,
            tax_percent=country.tax_percent,
            payment_method=method,
        )
        row.remote_ip = f"198.51.100.{entity_id % 254 + 1}"
        state = _choose_state(rng, END - moment)
        updated = _apply_state(rng, row, state, moment)
        if state in ("closed", "partial"):
            refund_at = _before_end(rng, updated, updated + rng.randrange(2 * _DAY, 40 * _DAY))
            refund_plans.append((refund_at, row, state == "closed"))
            updated = refund_at
        row.updated_at = format_ts(updated)
        rows.append(row)
        stamps.append(updated)

    memos = _refund(rng, refund_plans)
    _mass_update(rng, rows, stamps, orders)
    customer_records = [plan.record for plan in plans]
    _mass_update_records(rng, customer_records, END - 400 * _DAY, min(150, max(2, len(plans) // 6)))
    _mass_update_records(rng, memos, END - 90 * _DAY, min(40, max(2, len(memos) // 5)))
    for coupon_record in coupons:
        coupon_record["times_used"] = sum(1 for row in rows if row.coupon_code == coupon_record["code"])
    newest_text = max(
        [format_ts(max([START, *stamps]))]
        + [record["updated_at"] for record in customer_records]
        + [memo["updated_at"] for memo in memos]
    )
    newest = parse_ts(newest_text)
    seeded = SeedState(
        catalogue, customer_records, rows, memos, rules, coupons, seed_tier_prices(), newest=newest
    )
    seeded.next_ids = {
        "customer": len(plans) + 1,
        "address": 1 + max((p.address_id or 0 for p in plans), default=0),
        "order": len(rows) + 1,
        "order_item": item_id,
        "creditmemo": len(memos) + 1,
        "creditmemo_item": 1 + sum(len(m["items"]) for m in memos),
        "rule": 1 + max((r["rule_id"] for r in rules), default=0),
        "coupon": 1 + max((c["coupon_id"] for c in coupons), default=0),
        "group": 4,
    }
    return seeded


def _guest_identity(rng: random.Random, country: Country, plans: list[CustomerPlan]) -> tuple[str, str, str]:
    """A guest buyer; about a quarter are registered customers checking out as guest with their
    e-mail typed in different letter case."""
    if plans and rng.random() < 0.25:
        record = rng.choice(plans).record
        email: str = record["email"]
        variant = email.upper() if rng.random() < 0.3 else email[:1].upper() + email[1:].lower()
        if variant == email:
            variant = email.swapcase()
        return variant, record["firstname"], record["lastname"]
    first, last = rng.choice(country.first_names), rng.choice(country.last_names)
    number = rng.randrange(10, 9999)
    return f"{first.lower()}.{last.lower().replace(' ', '')}{number}@example.net", first, last


def _apply_state(rng: random.Random, row: OrderRow, state: str, moment: int) -> int:
    """Set quantities for ``state`` and return the order's ``updated_at`` second."""
    row.state = "complete" if state in ("closed", "partial") else state
    row.status = _STATUS[state]
    if state == "new":
        return _before_end(rng, moment, moment + rng.randrange(0, 90))
    if state == "holded":
        return _before_end(rng, moment, moment + rng.randrange(3600, 2 * _DAY))
    if state == "canceled":
        for line in row.lines:
            line.qty_canceled = line.qty
        return _before_end(rng, moment, moment + rng.randrange(3600, 4 * _DAY))
    for line in row.lines:
        line.qty_invoiced = line.qty
    if state == "processing":
        return _before_end(rng, moment, moment + rng.randrange(600, 3 * _DAY))
    cancel_one = state == "complete" and rng.random() < 0.03
    for line in row.lines:
        if cancel_one and line.qty > 1:
            line.qty_canceled = rng.randrange(1, line.qty)
            line.qty_invoiced = line.qty - line.qty_canceled
            cancel_one = False
        line.qty_shipped = line.qty_invoiced
    return _before_end(rng, moment, moment + rng.randrange(_DAY, 10 * _DAY))


def _refund(rng: random.Random, plans: list[tuple[int, OrderRow, bool]]) -> list[dict[str, Any]]:
    memos: list[dict[str, Any]] = []
    item_id = 1
    for memo_id, (moment, row, full) in enumerate(sorted(plans, key=lambda plan: plan[0]), start=1):
        if full:
            refunds = [RefundLine(line, line.qty_invoiced) for line in row.lines if line.qty_invoiced]
        else:
            line = rng.choice([line for line in row.lines if line.qty_invoiced])
            refunds = [RefundLine(line, rng.randrange(1, line.qty_invoiced + 1))]
        fee = Decimal("5.00") if not full and rng.random() < 0.2 else Decimal(0)
        memo = create_creditmemo(
            row, memo_id, item_id, format_ts(moment), refunds, refund_shipping=full, adjustment_negative=fee
        )
        item_id += len(memo["items"])
        memos.append(memo)
    return memos


def _mass_update(rng: random.Random, rows: list[OrderRow], stamps: list[int], total: int) -> None:
    """Two admin mass actions that each re-save many orders within one second."""
    moved: set[int] = set()
    for offset, size in (
        (200 * _DAY, min(250, max(2, total // 8))),
        (30 * _DAY, min(60, max(2, total // 25))),
    ):
        moment = END - offset
        eligible = [
            i
            for i, stamp in enumerate(stamps)
            if stamp < moment and i not in moved and rows[i].state in ("complete", "processing")
        ]
        for index in rng.sample(eligible, min(size, len(eligible))):
            moved.add(index)
            stamps[index] = moment
            rows[index].updated_at = format_ts(moment)


def _mass_update_records(rng: random.Random, records: list[dict[str, Any]], moment: int, size: int) -> None:
    stamp = format_ts(moment)
    eligible = [r for r in records if r["updated_at"] < stamp and r["created_at"] < stamp]
    for record in rng.sample(eligible, min(size, len(eligible))):
        record["updated_at"] = stamp
