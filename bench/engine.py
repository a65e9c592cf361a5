"""Engine benchmark: the rule engine against a hand-written minimal loop, in one run, on the same inputs.

What it does
    1. Generates ``--orders`` orders (default 200,000) for ``orders / 15`` customers with
       :func:`loyalty_connector.synthetic.generate_history` (fixed seed), and builds every input before
       any timing: per customer a :class:`History` (orders and refunds) and per order
       ``Cart.from_order(order)``. Generation is never timed.
    2. Engine, timed in two phases:
       - customers: ``Engine.evaluate_customer(customer, history, NOW)`` for every customer over the
         whole history: points (level multipliers, holding period, FIFO expiry, reversals), bonuses,
         levels (rolling window, grace), next-purchase and birthday coupons, referral rules (the
         generated shop has no referees) — every ledger intent with its key and reason, every rule
         outcome;
       - carts: ``engine.carts.evaluate(cart, customer_group=..., now=order.placed_at)`` for every
         order: tier prices and free-product gifts (and the referee-discount check). The group is the
         one the customer had when ordering: the shop group of the level held just before the order
         (read from the LEVEL intents of the customer phase, outside the timing), else the order's
         own shop group.
    3. Minimal loop, timed: plain Python over the same inputs computing, per order, the same tier
       unit prices (the lowest break offer per line), the same gift (the highest threshold reached
       whose group matches) and the same spend points (rate x after-discount subtotal without
       excluded SKUs, in programme currency, floored; qualifying status, excluded groups, shop-awarded
       points; times the multiplier of the level held just before the order). For that multiplier and
       for the cart group it computes levels exactly as the engine defines them — rolling-window spend
       and order count with refunds and closures, membership days, the grace-period maximum — but
       only the level held before each order: no level history, reasons, ledger intents, keys,
       outcomes, bonuses, coupons, expiry, reversals or referrals. It reads the programme's
       parameters from the same file and refuses programmes with features it does not implement.
    4. Checks, outside the timing, that engine and minimal loop agree on every order: tier prices per
       line, gift SKU, spend points, and the level held before the order. Any difference stops the run.

Timing: ``time.process_time()`` (CPU time of this process, so other processes on the machine cost
less noise than with wall time), best of ``--repeats`` (default 3) per phase, repeats interleaved.
Each timed run lets every result go once computed, as a sync that writes results to the store does;
the checks use a separate, untimed run. The generated inputs are moved out of the garbage
collector's sight (``gc.freeze()``) once built. Both keep the collector from re-scanning heaps that
only the benchmark holds (200,000 orders, or every result of a run), which would measure the
benchmark's memory rather than the code; collection of what each run allocates stays on.

Figures: ``orders_per_s`` = orders / (customer phase + cart phase); ``ratio`` = engine time /
minimal-loop time. Run: ``.venv/bin/python bench/engine.py [--orders 200000] [--json]``.
"""

from __future__ import annotations

import argparse
import bisect
import gc
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from timing import best_of  # bench/ is on sys.path

from loyalty_connector.domain import Customer, LineKind, Order, OrderStatus, Refund, minor_unit, quantize
from loyalty_connector.engine import Cart, CartResult, CustomerResult, Engine, History, IntentKind
from loyalty_connector.engine.conditions import QUALIFYING
from loyalty_connector.engine.free_products import threshold_in_currency
from loyalty_connector.engine.tier_pricing import to_currency
from loyalty_connector.program import Program, load_program
from loyalty_connector.synthetic import generate_history

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "loyalty.yaml"
SEED = 7
ORDERS_PER_CUSTOMER = 15
NOW = datetime(2026, 11, 1, tzinfo=timezone.utc)
"""The end of the generated period: every order is in the past."""
_ZERO = Decimal(0)
_PRODUCT = LineKind.PRODUCT
_CLOSED = OrderStatus.CLOSED
_CANCELED = OrderStatus.CANCELED


@dataclass(frozen=True)
class Account:
    """One customer's inputs, built before any timing."""

    customer: Customer
    history: History
    orders: tuple[Order, ...]
    """The customer's orders in time order (each order once, as generated)."""
    carts: tuple[Cart, ...]
    """``Cart.from_order`` of each order."""
    shop_groups: tuple[str | None, ...]
    """Each order's shop customer-group code (the order's own, else the customer's)."""


def build_inputs(orders: int) -> tuple[list[Account], dict[str, str]]:
    """Generate the shop and build every engine and minimal-loop input."""
    data = generate_history(seed=SEED, customers=max(1, orders // ORDERS_PER_CUSTOMER), orders=orders)
    by_customer: dict[str, list[Order]] = {}
    for order in data.orders:
        by_customer.setdefault(order.customer_id or "", []).append(order)
    refunds: dict[str, list[Refund]] = {}
    for refund in data.refunds:
        refunds.setdefault(refund.order_id, []).append(refund)
    codes = data.group_codes
    accounts = []
    for customer in data.customers:
        mine = by_customer.get(customer.key, [])
        history = History(tuple(mine), tuple(r for o in mine for r in refunds.get(o.external_id, ())))
        own = None if customer.group_id is None else codes.get(customer.group_id, customer.group_id)
        accounts.append(
            Account(
                customer,
                history,
                tuple(mine),
                tuple(Cart.from_order(order) for order in mine),
                tuple(own if o.group_id is None else codes.get(o.group_id, o.group_id) for o in mine),
            )
        )
    return accounts, codes


# --- the engine ---------------------------------------------------------------------------------------


def engine_customer(engine: Engine, account: Account, codes: dict[str, str]) -> CustomerResult:
    """Everything the engine says about one customer's whole history."""
    return engine.evaluate_customer(account.customer, account.history, NOW, group_codes=codes)


def engine_carts(engine: Engine, account: Account, groups: Sequence[str | None]) -> list[CartResult]:
    """Each of the customer's orders priced as a cart, for the group the customer had then."""
    evaluate = engine.carts.evaluate
    return [
        evaluate(cart, customer_group=group, now=order.placed_at)
        for order, cart, group in zip(account.orders, account.carts, groups, strict=True)
    ]


def engine_levels_before(program: Program, account: Account, result: CustomerResult) -> list[int]:
    """The index of the level held just before each order, read from the customer's LEVEL intents."""
    assert program.levels is not None
    index = {level.id: i for i, level in enumerate(program.levels.levels)}
    changes = [i for i in result.intents if i.kind is IntentKind.LEVEL]
    instants = [i.effective_at for i in changes]
    held = [index.get(i.attribute("to") or "none", -1) for i in changes]
    found = []
    for order in account.orders:
        at = bisect.bisect_left(instants, order.placed_at) - 1
        found.append(held[at] if at >= 0 else -1)
    return found


# --- the minimal loop ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Minimal:
    """The example programme's parameters as plain values, for the minimal loop."""

    home: str
    rates: dict[str, Decimal | None]
    """Currency -> rate into programme currency (``None``: the programme currency)."""
    quants: dict[str, Decimal]
    tiers: dict[str, dict[str, list[tuple[frozenset[str] | None, list[tuple[Decimal, Decimal, bool]]]]]]
    """Currency -> SKU -> rules: (folded groups or None, breaks: (min_qty, factor or price, is a factor?))."""
    gifts: dict[str, list[tuple[Decimal, frozenset[str] | None, str]]]
    """Currency -> thresholds, highest first: (amount in that currency, folded groups or None, gift SKU)."""
    earn_rate: Decimal
    earn_statuses: frozenset[OrderStatus]
    earn_skus: frozenset[str]
    earn_groups: frozenset[str]
    window: timedelta
    grace: timedelta
    level_statuses: frozenset[OrderStatus]
    criteria: list[tuple[int, Decimal, int, timedelta]]
    """Highest level first: (index, min spend, min orders, min membership)."""
    milestones: list[timedelta]
    multipliers: list[Decimal]
    level_groups: list[str]


def compile_minimal(program: Program) -> Minimal:
    """Plain parameters of ``program``; refuses features the minimal loop does not implement."""
    points, levels, gifts = program.points, program.levels, program.free_products
    assert points is not None, "the minimal loop needs points"
    assert levels is not None, "the minimal loop needs levels"
    assert gifts is not None, "the minimal loop needs free-product thresholds"
    assert len(points.earn) == 1, "the minimal loop implements one earn rule"
    earn = points.earn[0]
    assert earn.rounding == "floor", "floor rounding only"
    assert earn.base == "subtotal_after_discounts", "points on the subtotal after discounts only"
    assert gifts.mode == "highest", "one gift per order only"
    assert gifts.base == "after_discounts", "gift thresholds after discounts only"
    assert not any(t.valid_from or t.valid_until or t.once_per_customer for t in gifts.thresholds)
    assert not any(rule.categories for rule in program.tier_prices), "SKU tier rules only"
    rates: dict[str, Decimal | None] = {program.currency: None}
    if program.foreign_currency == "convert":
        rates.update(program.exchange_rates)
    tiers: dict[str, dict[str, list[Any]]] = {}
    thresholds: dict[str, list[tuple[Decimal, frozenset[str] | None, str]]] = {}
    for currency, rate in rates.items():
        by_sku: dict[str, list[Any]] = {}
        for rule in program.tier_prices:
            groups = (
                None
                if rule.customer_groups == "all"
                else frozenset(g.casefold() for g in rule.customer_groups)
            )
            breaks = [
                (b.min_qty, (100 - b.percent_off) / Decimal(100), True)
                if b.percent_off is not None
                else (b.min_qty, to_currency(b.unit_price or _ZERO, rate or Decimal(1), currency), False)
                for b in rule.breaks
            ]
            for sku in dict.fromkeys(rule.skus):
                by_sku.setdefault(sku, []).append((groups, breaks))
        tiers[currency] = by_sku
        found = [
            (
                threshold_in_currency(t.threshold, program.currency, currency, rate or Decimal(1)),
                None if t.customer_groups == "all" else frozenset(g.casefold() for g in t.customer_groups),
                t.gift_sku,
            )
            for t in gifts.thresholds
        ]
        thresholds[currency] = sorted(found, key=lambda t: -t[0])  # stable: ties keep programme order
    ordered = list(enumerate(levels.levels))
    return Minimal(
        home=program.currency,
        rates=rates,
        quants={currency: Decimal(1).scaleb(-minor_unit(currency)) for currency in rates},
        tiers=tiers,
        gifts=thresholds,
        earn_rate=earn.rate,
        earn_statuses=QUALIFYING[earn.qualifying_status],
        earn_skus=frozenset(earn.exclude_skus),
        earn_groups=frozenset(g.casefold() for g in earn.exclude_customer_groups),
        window=timedelta(days=levels.window_days),
        grace=timedelta(days=levels.grace_days),
        level_statuses=QUALIFYING[levels.qualifying_status],
        criteria=[
            (i, lv.min_spend, lv.min_orders, timedelta(days=lv.min_membership_days))
            for i, lv in reversed(ordered)
        ],
        milestones=sorted({timedelta(days=lv.min_membership_days) for lv in levels.levels} - {timedelta(0)}),
        multipliers=[lv.points_multiplier for lv in levels.levels],
        level_groups=[lv.customer_group for lv in levels.levels],
    )


def _in_home(m: Minimal, amount: Decimal, currency: str) -> Decimal:
    """``amount`` in programme currency; zero when its currency is left out of rewards."""
    if currency not in m.rates:
        return _ZERO
    rate = m.rates[currency]
    return amount if rate is None else quantize(amount * rate, m.home)


def minimal_subtotals(m: Minimal, order: Order) -> tuple[Decimal, Decimal] | None:
    """(spend for levels, base for points) of an order in programme currency, in one pass over its
    lines: product lines after their discounts, the base without excluded SKUs; ``None`` when the
    order's currency is left out of rewards."""
    if order.currency not in m.rates:
        return None
    spend = base = _ZERO
    for line in order.lines:
        if line.kind is _PRODUCT and line.parent_line_id is None:
            value = line.row_total.amount - line.discount.amount
            spend += value
            if line.sku not in m.earn_skus:
                base += value
    spend, base = max(spend, _ZERO), max(base, _ZERO)
    rate = m.rates[order.currency]
    if rate is None:
        return spend, base
    return quantize(spend * rate, m.home), quantize(base * rate, m.home)


def minimal_levels(
    m: Minimal,
    account: Account,
    subtotals: Sequence[tuple[Decimal, Decimal] | None],
    refunds: dict[str, list[Refund]],
) -> list[int]:
    """The index of the level held just before each order (-1: none), as the engine defines levels."""
    window = m.window
    created = account.customer.created_at
    events: list[tuple[datetime, Decimal, int]] = []
    origin = created
    for order, amounts in zip(account.orders, subtotals, strict=True):
        if amounts is None or order.status not in m.level_statuses:
            continue
        spend = amounts[0]
        placed = order.placed_at
        origin = min(origin, placed)
        end = placed + window
        events.append((placed, spend, 1))
        left, counting = spend, True
        for refund in refunds.get(order.external_id, ()):
            if refund.created_at >= end:
                break
            amount = _in_home(m, refund.amount.amount, refund.amount.currency)
            at = max(refund.created_at, placed)
            part = min(amount, left)
            if part > 0:
                left -= part
                events.append((at, -part, 0))
            if left <= 0 and amount > 0:
                counting = False
                events.append((at, _ZERO, -1))
                break
        if counting and order.status is _CLOSED and order.updated_at < end:
            events.append((max(order.updated_at, placed), -left, -1))
            left, counting = _ZERO, False
        events.append((end, -left, -1 if counting else 0))
    events.extend((created + days, _ZERO, 0) for days in m.milestones)
    events.append((origin, _ZERO, 0))
    events.sort(key=lambda e: e[0])
    # runs of one qualified level: (start, level)
    starts: list[datetime] = []
    levels: list[int] = []
    spend, count = _ZERO, 0
    for i, (at, d_spend, d_count) in enumerate(events):
        spend += d_spend
        count += d_count
        if i + 1 < len(events) and events[i + 1][0] == at:
            continue
        level = next(
            (index for index, s, n, days in m.criteria if spend >= s and count >= n and at - created >= days),
            -1,
        )
        if not levels or levels[-1] != level:
            starts.append(at)
            levels.append(level)
    # held just before t: the highest run that started before t and ended at most ``grace`` before it
    grace, found, run = m.grace, [], 0
    for order in account.orders:
        t = order.placed_at
        while run < len(starts) and starts[run] < t:
            run += 1
        best, j = -1, run - 1
        while j >= 0 and (j == run - 1 or starts[j + 1] + grace >= t):
            best = max(best, levels[j])
            j -= 1
        found.append(best)
    return found


def minimal_account(m: Minimal, account: Account) -> list[tuple[list[Decimal | None], str | None, int, int]]:
    """Per order of one customer: (tier unit price per cart line, gift SKU, spend points, level before)."""
    out = []
    tiers, gifts, quants = m.tiers, m.gifts, m.quants
    refunds: dict[str, list[Refund]] = {}
    for refund in sorted(account.history.refunds, key=lambda r: (r.created_at, r.external_id)):
        refunds.setdefault(refund.order_id, []).append(refund)
    subtotals = [minimal_subtotals(m, order) for order in account.orders]
    levels = minimal_levels(m, account, subtotals, refunds)
    for order, cart, shop_group, level, amounts in zip(
        account.orders, account.carts, account.shop_groups, levels, subtotals, strict=True
    ):
        group = m.level_groups[level] if level >= 0 else shop_group
        key = None if group is None else group.casefold()
        # tier prices and the gift, on the cart
        currency = cart.currency
        quant, by_sku = quants[currency], tiers[currency]
        prices: list[Decimal | None] = []
        gross = discounts = _ZERO
        for line in cart.lines:
            if line.kind is not _PRODUCT:
                prices.append(None)
                continue
            price, best = line.unit_price, None
            for groups, breaks in by_sku.get(line.sku, ()):
                if groups is not None and key not in groups:
                    continue
                for min_qty, value, is_percent in breaks:
                    if line.qty >= min_qty:
                        offer = (
                            (line.unit_price * value).quantize(quant, ROUND_HALF_UP) if is_percent else value
                        )
                        if offer < price:
                            price = best = offer
            prices.append(best)
            row = price * line.qty
            gross += row
            if line.discount:
                discounts += min(line.discount, row)
        gross = gross.quantize(quant, ROUND_HALF_UP)
        net = (gross - discounts).quantize(quant, ROUND_HALF_UP) if discounts else gross
        gift = None
        for amount, groups, sku in gifts[currency]:
            if net >= amount and (groups is None or key in groups):
                gift = sku
                break
        # spend points, on the order
        points = 0
        if (
            amounts is not None
            and (order.status in m.earn_statuses or order.status is _CANCELED)
            and not order.native_reward_points
            and (shop_group is None or shop_group.casefold() not in m.earn_groups)
        ):
            multiplier = m.multipliers[level] if level >= 0 else Decimal(1)
            points = int((amounts[1] * m.earn_rate * multiplier).to_integral_value(rounding=ROUND_FLOOR))
        out.append((prices, gift, points, level))
    return out


# --- running and checking -----------------------------------------------------------------------------


def check(
    program: Program,
    accounts: Sequence[Account],
    customers: Sequence[CustomerResult],
    carts: Sequence[CartResult],
    minimal: Sequence[tuple[list[Decimal | None], str | None, int, int]],
) -> None:
    """Stop the run if engine and minimal loop disagree on any order."""
    assert program.points is not None
    rule = program.points.earn[0].id
    position = 0
    for account, result in zip(accounts, customers, strict=True):
        earned = {
            i.record: i.points for i in result.intents if i.kind is IntentKind.EARN and i.rule_id == rule
        }
        levels = engine_levels_before(program, account, result)
        for order, level in zip(account.orders, levels, strict=True):
            priced, (prices, gift, points, minimal_level) = carts[position], minimal[position]
            position += 1
            engine_says = (
                [None if tier is None else tier[0] for tier in priced.tier_prices],
                priced.gifts[0].sku if priced.gifts else None,
                earned.get(f"order:{order.external_id}", 0),
                level,
            )
            minimal_says = (prices, gift, points, minimal_level)
            if engine_says != minimal_says:
                sys.exit(
                    f"engine and minimal loop disagree on order {order.external_id} "
                    f"(tier prices, gift, spend points, level before): engine {engine_says!r}, "
                    f"minimal loop {minimal_says!r}"
                )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=200_000, help="orders to generate (default 200,000)")
    parser.add_argument(
        "--repeats", type=int, default=3, help="rounds per phase; the best counts (default 3)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    args = parser.parse_args(argv)

    program = load_program(EXAMPLE)
    engine, minimal = Engine(program), compile_minimal(program)
    began = time.perf_counter()
    accounts, codes = build_inputs(args.orders)
    generated = time.perf_counter() - began
    orders = sum(len(a.orders) for a in accounts)
    gc.collect()
    gc.freeze()

    # one untimed run of each side gives the cart groups and the results to compare
    results = [engine_customer(engine, account, codes) for account in accounts]
    assert program.levels is not None
    level_groups = [level.customer_group for level in program.levels.levels]
    groups = [
        [
            level_groups[i] if i >= 0 else shop
            for i, shop in zip(
                engine_levels_before(program, account, result), account.shop_groups, strict=True
            )
        ]
        for account, result in zip(accounts, results, strict=True)
    ]
    carts = [priced for a, g in zip(accounts, groups, strict=True) for priced in engine_carts(engine, a, g)]
    check(program, accounts, results, carts, [row for a in accounts for row in minimal_account(minimal, a)])
    del results, carts

    # timed runs let each result go once computed, as a sync that stores them does
    pairs = list(zip(accounts, groups, strict=True))

    def customers() -> None:
        for account in accounts:
            engine_customer(engine, account, codes)

    def priced() -> None:
        for account, account_groups in pairs:
            engine_carts(engine, account, account_groups)

    def baseline() -> None:
        for account in accounts:
            minimal_account(minimal, account)

    best = best_of(args.repeats, {"customers": customers, "carts": priced, "minimal": baseline})

    ours = best["customers"] + best["carts"]
    figures = {
        "orders": orders,
        "ratio": round(ours / best["minimal"], 3),
        "orders_per_s": round(orders / ours),
        "baseline_orders_per_s": round(orders / best["minimal"]),
        "cart_orders_per_s": round(orders / best["carts"]),
        "customer_orders_per_s": round(orders / best["customers"]),
    }
    if args.json:
        print(json.dumps(figures))
        return 0
    print(f"{orders:,} orders of {len(accounts):,} customers (generated in {generated:.1f} s, not timed)")
    rows = [
        ("engine, customers", figures["customer_orders_per_s"], best["customers"]),
        ("engine, carts", figures["cart_orders_per_s"], best["carts"]),
        ("engine, total", figures["orders_per_s"], ours),
        ("minimal loop", figures["baseline_orders_per_s"], best["minimal"]),
    ]
    for name, rate, seconds in rows:
        print(f"{name:<20}{rate:>10,} orders/s  ({seconds:.2f} s CPU)")
    print(
        f"ratio (engine / minimal loop time): {figures['ratio']:.2f}  (best of {args.repeats}, process_time)"
    )
    print("tier prices, gifts, spend points and levels before each order agree on every order")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
