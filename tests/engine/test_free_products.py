"""Free-product thresholds: reaching, progress, modes, groups, date windows, once per customer."""

from __future__ import annotations

from collections.abc import Set
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from loyalty_connector.domain import LineKind
from loyalty_connector.engine.cart import Cart, CartEvaluator, CartLine, CartResult
from loyalty_connector.engine.conditions import convert_amount
from loyalty_connector.engine.free_products import FreeProductIndex, threshold_in_currency
from loyalty_connector.program import Program, load_program

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "loyalty.yaml"
NOW = datetime(2025, 6, 2, 9, 0, tzinfo=timezone.utc)
D = Decimal

STAPLER = {"id": "gift-stapler", "threshold": 500, "gift_sku": "STAPLER-HD"}
PENS = {"id": "gift-pens", "threshold": 1500, "gift_sku": "PEN-BLUE-50", "gift_qty": 2}


def program(
    *thresholds: dict[str, Any], mode: str = "highest", base: str = "after_discounts", **extra: Any
) -> Program:
    return Program.model_validate(
        {
            "name": "test",
            "currency": "EUR",
            "timezone": "Europe/Berlin",
            "free_products": {"mode": mode, "base": base, "thresholds": list(thresholds)},
            **extra,
        }
    )


def evaluate(
    prog: Program,
    *lines: CartLine,
    group: str | None = None,
    now: datetime = NOW,
    granted: Set[str] = frozenset(),
    currency: str = "EUR",
) -> CartResult:
    return CartEvaluator(prog).evaluate(
        Cart(currency, lines), customer_group=group, now=now, granted_gifts=frozenset(granted)
    )


def goods(amount: str, sku: str = "CHAIR") -> CartLine:
    return CartLine(sku, D(1), D(amount))


def outcome(result: CartResult, rule_id: str) -> Any:
    return next(o for o in result.outcomes if o.rule_id == rule_id)


def test_subtotal_exactly_at_the_threshold_earns_the_gift() -> None:
    result = evaluate(program(STAPLER), goods("500.00"))
    assert [(g.rule_id, g.sku, g.qty, g.unit_price) for g in result.gifts] == [
        ("gift-stapler", "STAPLER-HD", D(1), D(0))
    ]
    assert (
        outcome(result, "gift-stapler").reason
        == "free STAPLER-HD: subtotal 500.00 EUR >= 500.00 EUR threshold"
    )


def test_one_cent_below_the_threshold_earns_nothing_and_says_how_close() -> None:
    result = evaluate(program(STAPLER), goods("499.99"))
    assert result.gifts == ()
    miss = outcome(result, "gift-stapler")
    assert not miss.applied
    assert miss.missing == "add 0.01 EUR to reach the free STAPLER-HD"
    assert miss.progress == D("0.9999")


def test_missing_amount_reads_like_advice() -> None:
    miss = outcome(evaluate(program(STAPLER), goods("380.00")), "gift-stapler")
    assert miss.missing == "add 120.00 EUR to reach the free STAPLER-HD"
    assert miss.progress == D("0.76")
    assert miss.reason == "subtotal 380.00 EUR is below the 500.00 EUR threshold for the free STAPLER-HD"


def test_gift_line_does_not_count_toward_its_own_threshold() -> None:
    gift = CartLine("STAPLER-HD", D(1), D("39.50"), kind=LineKind.GIFT)
    result = evaluate(program(STAPLER), goods("470.00"), gift)
    assert result.qualifying_subtotal == D("470.00")
    assert result.gifts == ()


def test_threshold_is_checked_on_the_tier_priced_cart() -> None:
    paper = {"id": "paper", "skus": ["PAPER"], "breaks": [{"min_qty": 100, "percent_off": 10}]}
    result = evaluate(program(STAPLER, tier_prices=[paper]), CartLine("PAPER", D(100), D("5.20")))
    assert result.subtotal_before == D("520.00")
    assert result.qualifying_subtotal == D("468.00")
    assert result.gifts == ()


def test_base_before_discounts_ignores_line_discounts_after_discounts_subtracts_them() -> None:
    line = CartLine("CHAIR", D(1), D("520.00"), discount=D("30.00"))
    assert evaluate(program(STAPLER, base="before_discounts"), line).gifts != ()
    after = evaluate(program(STAPLER, base="after_discounts"), line)
    assert after.qualifying_subtotal == D("490.00")
    assert after.gifts == ()


def test_highest_mode_gives_only_the_highest_reached_gift() -> None:
    result = evaluate(program(STAPLER, PENS), goods("1600.00"))
    assert [g.rule_id for g in result.gifts] == ["gift-pens"]
    superseded = outcome(result, "gift-stapler")
    assert not superseded.applied
    assert "only the highest gift is given (gift-pens)" in superseded.reason


def test_stacked_mode_gives_every_reached_gift() -> None:
    result = evaluate(program(STAPLER, PENS, mode="stacked"), goods("1600.00"))
    assert [(g.rule_id, g.qty) for g in result.gifts] == [("gift-stapler", D(1)), ("gift-pens", D(2))]


def test_gift_for_another_group_falls_back_to_the_next_reached_one() -> None:
    prog = program(STAPLER, {**PENS, "customer_groups": ["Loyalty Gold"]})
    assert [g.rule_id for g in evaluate(prog, goods("1600"), group="loyalty GOLD").gifts] == ["gift-pens"]
    retail = evaluate(prog, goods("1600"), group="Retail")
    assert [g.rule_id for g in retail.gifts] == ["gift-stapler"]
    assert outcome(retail, "gift-pens").reason == "free 2 x PEN-BLUE-50 is for groups Loyalty Gold only"


@pytest.mark.parametrize(
    ("now", "given"),
    [
        (datetime(2025, 12, 31, 22, 30, tzinfo=timezone.utc), True),  # 23:30 in Berlin, last valid day
        (datetime(2025, 12, 31, 23, 30, tzinfo=timezone.utc), False),  # 00:30 on 1 January in Berlin
    ],
)
def test_valid_until_is_the_last_day_in_the_programme_time_zone(now: datetime, given: bool) -> None:
    prog = program({**STAPLER, "valid_until": "2025-12-31"})
    result = evaluate(prog, goods("600"), now=now)
    assert bool(result.gifts) is given
    if not given:
        assert outcome(result, "gift-stapler").reason == (
            "free STAPLER-HD ended on 2025-12-31 (today is 2026-01-01)"
        )


@pytest.mark.parametrize(
    ("now", "given"),
    [
        (datetime(2025, 5, 31, 21, 30, tzinfo=timezone.utc), False),  # 23:30 on 31 May in Berlin (CEST)
        (datetime(2025, 5, 31, 22, 30, tzinfo=timezone.utc), True),  # 00:30 on 1 June in Berlin
    ],
)
def test_valid_from_starts_at_local_midnight(now: datetime, given: bool) -> None:
    prog = program({**STAPLER, "valid_from": "2025-06-01"})
    assert bool(evaluate(prog, goods("600"), now=now).gifts) is given


def test_once_per_customer_gift_is_not_given_twice_and_the_next_one_is() -> None:
    prog = program(STAPLER, {**PENS, "once_per_customer": True})
    first = evaluate(prog, goods("1600"))
    again = evaluate(prog, goods("1600"), granted={"gift-pens"})
    assert [g.rule_id for g in first.gifts] == ["gift-pens"]
    assert [g.rule_id for g in again.gifts] == ["gift-stapler"]
    assert "already received it" in outcome(again, "gift-pens").reason


def test_threshold_in_a_foreign_currency_matches_converting_the_subtotal() -> None:
    prog = program(STAPLER, exchange_rates={"USD": "0.92"}, foreign_currency="convert")
    assert threshold_in_currency(D(500), "EUR", "USD", D("0.92")) == D("543.48")
    assert convert_amount(prog, D("543.47"), "USD") == D("499.99")
    assert convert_amount(prog, D("543.48"), "USD") == D("500.00")
    assert evaluate(prog, goods("543.47"), currency="USD").gifts == ()
    reached = evaluate(prog, goods("543.48"), currency="USD")
    assert [g.rule_id for g in reached.gifts] == ["gift-stapler"]
    assert outcome(evaluate(prog, goods("443.48"), currency="USD"), "gift-stapler").missing == (
        "add 100.00 USD to reach the free STAPLER-HD"
    )


def test_foreign_currency_excluded_gives_no_gift_and_says_why() -> None:
    prog = program(STAPLER, exchange_rates={"USD": "0.92"}, foreign_currency="exclude")
    result = evaluate(prog, goods("5000"), currency="USD")
    assert result.gifts == ()
    assert "excludes other currencies" in outcome(result, "gift-stapler").reason


def test_example_programme_thresholds() -> None:
    prog = load_program(EXAMPLE)
    assert prog.free_products is not None
    index = FreeProductIndex.build(prog.free_products, program_currency="EUR", currency="EUR")
    assert [t.rule_id for t in index.descending] == ["gift-pens", "gift-stapler"]
    assert [g.rule_id for g in index.select(D("1500.00"), "retail", None, frozenset())] == ["gift-stapler"]
    assert [g.rule_id for g in index.select(D("1500.00"), "loyalty silver", None, frozenset())] == [
        "gift-pens"
    ]


def test_select_needs_the_local_day_when_thresholds_have_windows() -> None:
    prog = program({**STAPLER, "valid_until": "2025-12-31"})
    assert prog.free_products is not None
    index = FreeProductIndex.build(prog.free_products, program_currency="EUR", currency="EUR")
    with pytest.raises(ValueError, match="local day"):
        index.select(D(600), None, None, frozenset())
