"""What each rule did: ledger tallies per rule, levels held, referrals, and the cart replay of orders."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from loyalty_connector.domain import Customer, Money, Order, OrderLine, OrderStatus
from loyalty_connector.engine.results import IntentKind
from loyalty_connector.ledger import LedgerEntry
from loyalty_connector.program import Program, load_program
from loyalty_connector.store import StoredHistory
from loyalty_connector.summary import (
    CustomerFacts,
    explain_customer,
    level_groups,
    replay_orders,
    summarize_ledger,
)

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "loyalty.yaml"
T0 = datetime(2025, 3, 3, 10, 0, tzinfo=timezone.utc)
NOW = datetime(2025, 9, 1, tzinfo=timezone.utc)
D = Decimal
_ids = itertools.count(1)


@pytest.fixture(scope="module")
def program() -> Program:
    return load_program(EXAMPLE)


def entry(
    kind: IntentKind,
    rule_id: str,
    customer: str,
    *,
    points: int = 0,
    at: datetime = T0,
    amount: str | None = None,
    percent: str | None = None,
    available_at: datetime | None = None,
    attributes: tuple[tuple[str, str], ...] = (),
    reason: str = "",
) -> LedgerEntry:
    n = next(_ids)
    return LedgerEntry(
        id=n,
        key=f"{rule_id}/{kind.value}/shop/{customer}/r{n}",
        kind=kind,
        rule_id=rule_id,
        source="shop",
        customer_key=customer,
        record=f"r{n}",
        points=points,
        effective_at=at,
        reason=reason or f"{rule_id} {kind.value} for {customer}",
        recorded_at=NOW,
        amount=D(amount) if amount else None,
        currency="EUR" if amount else None,
        percent=D(percent) if percent else None,
        available_at=available_at,
        attributes=attributes,
    )


def level(customer: str, to: str, at: datetime) -> LedgerEntry:
    return entry(IntentKind.LEVEL, to, customer, at=at, attributes=(("from", "none"), ("to", to)))


def test_entries_are_tallied_per_rule_and_kind_in_programme_order(program: Program) -> None:
    entries = [
        entry(IntentKind.BONUS, "welcome-bonus", "1", points=500),
        entry(IntentKind.EARN, "spend-points", "1", points=120, reason="120 points for order 1"),
        entry(IntentKind.EARN, "spend-points", "2", points=80, reason="80 points for order 2"),
        entry(IntentKind.EARN, "spend-points", "2", points=30, reason="30 points for order 3"),
        entry(IntentKind.REVERSAL, "spend-points", "2", points=-30),
        entry(IntentKind.COUPON, "birthday-20", "1", amount="20"),
        entry(IntentKind.COUPON, "birthday-20", "2", amount="20"),
        entry(IntentKind.COUPON, "thank-you-5", "2", percent="5"),
    ]
    summary = summarize_ledger(program, entries, NOW)
    rows = [(t.rule_id, t.kind.value, t.entries, t.customers, t.points) for t in summary.rules]
    assert rows == [
        ("spend-points", "earn", 3, 2, 230),
        ("spend-points", "reversal", 1, 1, -30),
        ("welcome-bonus", "bonus", 1, 1, 500),
        ("thank-you-5", "coupon", 1, 1, 0),
        ("birthday-20", "coupon", 2, 2, 0),
    ]
    earn = summary.rules[0]
    assert earn.examples == ("120 points for order 1", "80 points for order 2")
    assert summary.rules[4].amount == D(40)
    assert summary.rules[3].percents == (D(5),)
    assert summary.points.earned == 730
    assert summary.points.reversed == 30
    assert summary.entries == 8
    assert summary.customers == 2


def test_entries_after_the_instant_are_left_out(program: Program) -> None:
    later = entry(IntentKind.EARN, "spend-points", "1", points=99, at=NOW + timedelta(days=1))
    summary = summarize_ledger(program, [later], NOW)
    assert summary.entries == 0
    assert summary.rules == ()


def test_points_are_available_or_pending_by_the_holding_period(program: Program) -> None:
    held = entry(IntentKind.EARN, "spend-points", "1", points=100, available_at=NOW + timedelta(days=3))
    free = entry(IntentKind.EARN, "spend-points", "1", points=40, available_at=T0)
    summary = summarize_ledger(program, [held, free], NOW)
    assert (summary.points.available, summary.points.pending) == (40, 100)


def test_the_level_held_is_the_latest_change_and_customers_without_one_have_no_level(
    program: Program,
) -> None:
    entries = [
        level("1", "bronze", T0),
        level("1", "silver", T0 + timedelta(days=30)),
        level("2", "bronze", T0),
        level("3", "gold", T0),
        entry(
            IntentKind.LEVEL,
            "gold",
            "3",
            at=T0 + timedelta(days=90),
            attributes=(("from", "gold"), ("to", "none")),
        ),
        level("4", "gold", NOW + timedelta(days=1)),
    ]
    summary = summarize_ledger(program, entries, NOW, customers=6)
    assert [(c.level_id, c.customers) for c in summary.levels] == [
        ("gold", 0),
        ("silver", 1),
        ("bronze", 1),
        (None, 4),
    ]


def test_referrals_are_counted_as_rewards_and_rejections_by_reason(program: Program) -> None:
    rule = "refer-a-business"
    entries = [
        entry(IntentKind.REFERRAL_REWARD, rule, "1", points=2000, reason="referral reward for referee 9"),
        entry(IntentKind.REFERRAL_REJECTED, rule, "1", attributes=(("reason", "self_referral:company"),),
              reason="referral rejected (self_referral:company): referee 8"),
        entry(IntentKind.REFERRAL_REJECTED, rule, "2", attributes=(("reason", "self_referral:company"),)),
        entry(IntentKind.REFERRAL_REJECTED, rule, "2", attributes=(("reason", "cap"),)),
    ]  # fmt: skip
    referrals = summarize_ledger(program, entries, NOW).referrals
    assert referrals is not None
    assert (referrals.rewarded, referrals.reward_points) == (1, 2000)
    assert [(r.reason, r.count) for r in referrals.rejected] == [("self_referral:company", 2), ("cap", 1)]
    assert referrals.rejected[0].example == "referral rejected (self_referral:company): referee 8"
    assert referrals.examples == ("referral reward for referee 9",)


def money(amount: str, currency: str = "EUR") -> Money:
    return Money(amount=D(amount), currency=currency)


def line(sku: str, qty: int, price: str, n: int = 1) -> OrderLine:
    total = D(price) * qty
    return OrderLine(
        line_id=f"l{n}", sku=sku, qty=D(qty), unit_price=money(price), row_total=money(str(total)),
        discount=money("0"), tax=money("0"),
    )  # fmt: skip


def order(
    oid: str,
    customer: str | None,
    placed: datetime,
    *lines: OrderLine,
    status: OrderStatus = OrderStatus.COMPLETE,
    codes: tuple[str, ...] = (),
    currency: str = "EUR",
) -> Order:
    subtotal = sum((ln.row_total.amount for ln in lines), D(0))
    return Order(
        source="shop", external_id=oid, number=f"N{oid}", customer_id=customer,
        email=f"{customer or 'guest'}@example.com", status=status, raw_status=status.value, currency=currency,
        placed_at=placed, updated_at=placed, lines=lines, subtotal=money(str(subtotal), currency),
        discount=money("0", currency), shipping=money("0", currency), tax=money("0", currency),
        grand_total=money(str(subtotal), currency), coupon_codes=codes, group_id="1",
    )  # fmt: skip


def test_replay_tallies_tier_breaks_with_their_discount_value(program: Program) -> None:
    orders = [
        order("1", "7", T0, line("PAPER-A4", 1000, "4.20")),
        order("2", "8", T0, line("PAPER-A4", 600, "4.20"), line("PAPER-A3", 100, "8.90", 2)),
        order("3", "9", T0, line("PAPER-A4", 10, "4.20")),
    ]
    replay = replay_orders(program, orders)
    paper = next(t for t in replay.tiers if t.rule_id == "paper-volume")
    assert (paper.lines, paper.orders) == (2, 2)
    # 1,000 x 4.20 x 5 % + 600 x (4.20 - 4.07) after the 3 % break rounds 4.074 to 4.07
    assert paper.discount == D("210.00") + D("78.00")
    assert paper.examples[0].startswith("order N1: 5 % off PAPER-A4: qty 1,000")
    toner = next(t for t in replay.tiers if t.rule_id == "toner-gold")
    assert (toner.lines, toner.discount, toner.examples) == (0, D(0), ())


def test_replay_prices_a_cart_for_the_level_held_just_before_the_order(program: Program) -> None:
    toner = line("TONER-BLK", 12, "64.00")
    before, after = T0 - timedelta(days=1), T0 + timedelta(days=1)
    orders = [order("1", "7", before, toner), order("2", "7", after, toner)]
    replay = replay_orders(program, orders, entries=[level("7", "gold", T0)])
    gold = next(t for t in replay.tiers if t.rule_id == "toner-gold")
    assert (gold.lines, gold.discount) == (1, D("14.10") * 12)
    assert "group Loyalty Gold" in gold.examples[0]
    assert level_groups(program, [level("7", "gold", T0)]) == {("shop", "7"): [(T0, "Loyalty Gold")]}


def test_replay_counts_gifts_per_threshold_and_skips_canceled_orders(program: Program) -> None:
    orders = [
        order("1", "7", T0, line("CHAIR-ERGO", 2, "349.00")),
        order("2", "8", T0, line("CHAIR-ERGO", 1, "349.00")),
        order("3", "9", T0, line("CHAIR-ERGO", 5, "349.00"), status=OrderStatus.CANCELED),
    ]
    replay = replay_orders(program, orders)
    assert (replay.orders, replay.skipped) == (2, 1)
    stapler = next(g for g in replay.gifts if g.rule_id == "gift-stapler")
    assert (stapler.orders, stapler.qty, stapler.sku) == (1, D(1), "STAPLER-HD")
    assert stapler.examples == ("order N1: free STAPLER-HD: subtotal reached the 500.00 EUR threshold",)


def test_replay_gives_the_referee_discount_only_on_a_first_order_with_a_known_code(program: Program) -> None:
    code = "KONTOR-ABC123"
    orders = [
        order("1", "20", T0, line("PAPER-A4", 100, "4.20"), codes=(code,)),
        order("2", "20", T0 + timedelta(days=2), line("PAPER-A4", 100, "4.20"), codes=(code,)),
        order("3", "21", T0, line("PAPER-A4", 100, "4.20"), codes=("SPRING",)),
        order("4", "5", T0, line("PAPER-A4", 100, "4.20"), codes=(code,)),
    ]
    replay = replay_orders(program, orders, referral_codes={"shop": {code: "5"}})
    assert replay.referee is not None
    assert (replay.referee.orders, replay.referee.amount) == (1, D("42.00"))
    assert "referred by customer 5" in replay.referee.examples[0]


def test_explain_customer_lines_the_engine_up_with_the_ledger(program: Program) -> None:
    customer = Customer(
        source="shop", external_id="7", email="a@hafen.example", company="Hafen GmbH",
        created_at=T0 - timedelta(days=400), updated_at=T0,
    )  # fmt: skip
    orders = (order("1", "7", T0, line("PAPER-A4", 300, "4.20")),)
    history = StoredHistory("7", customer, customer.email, orders, (), ())
    recorded = entry(IntentKind.BONUS, "welcome-bonus", "7", points=500)
    facts = CustomerFacts("shop", history, (), None, (recorded,))
    view = explain_customer(program, facts, NOW, referral_secret=b"s")
    assert view.level is not None
    assert view.level.level_id == "bronze"
    assert view.referral_code is not None
    assert view.referral_code.startswith("KONTOR-")
    assert view.points_available == 500
    assert view.points_value == D("5.00")
    assert {o.rule_id for o in view.outcomes} >= {"spend-points", "welcome-bonus", "bronze", "silver"}
    assert view.unrecorded
    assert all(i.key != recorded.key for i in view.unrecorded)
