"""Tier pricing: quantity breaks, lowest price wins, never up, groups, categories, rounding, reasons."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest

from loyalty_connector.domain import LineKind, quantize
from loyalty_connector.engine.cart import Cart, CartEvaluator, CartLine, CartResult
from loyalty_connector.engine.tier_pricing import TierPriceIndex, best_tier_price, format_qty
from loyalty_connector.program import Program, load_program

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "loyalty.yaml"
NOW = datetime(2025, 6, 2, 9, 0, tzinfo=timezone.utc)
D = Decimal


def program(*tier_prices: dict[str, Any], **extra: Any) -> Program:
    return Program.model_validate(
        {"name": "test", "currency": "EUR", "tier_prices": list(tier_prices), **extra}
    )


def price(prog: Program, *lines: CartLine, group: str | None = None, currency: str = "EUR") -> CartResult:
    return CartEvaluator(prog).evaluate(Cart(currency, lines), customer_group=group, now=NOW)


@pytest.fixture(scope="module")
def example() -> Program:
    return load_program(EXAMPLE)


PAPER = {
    "id": "paper-volume",
    "skus": ["PAPER-A4"],
    "breaks": [{"min_qty": 500, "percent_off": 3}, {"min_qty": 1000, "percent_off": 5}],
}


def test_paper_a4_at_1000_reams_gets_5_percent_off(example: Program) -> None:
    line = price(example, CartLine("PAPER-A4", D(1000), D("4.20"))).lines[0]
    assert line.unit_price == D("3.99")
    assert line.rule_id == "paper-volume"
    assert line.reason == "5 % off PAPER-A4: qty 1,000 >= 1,000 break for all groups"


def test_paper_a4_at_999_reams_gets_the_3_percent_break(example: Program) -> None:
    line = price(example, CartLine("PAPER-A4", D(999), D("4.20"))).lines[0]
    assert line.unit_price == D("4.07")  # 4.20 x 0.97 = 4.074
    assert line.reason == "3 % off PAPER-A4: qty 999 >= 500 break for all groups"


def test_qty_exactly_at_the_break_applies_and_one_below_does_not() -> None:
    prog = program(PAPER)
    at = price(prog, CartLine("PAPER-A4", D(500), D("10.00"))).lines[0]
    below = price(prog, CartLine("PAPER-A4", D(499), D("10.00"))).lines[0]
    assert (at.unit_price, at.rule_id) == (D("9.70"), "paper-volume")
    assert (below.unit_price, below.rule_id) == (D("10.00"), None)


def test_line_below_every_break_says_how_many_more_to_order() -> None:
    line = price(program(PAPER), CartLine("PAPER-A4", D(380), D("4.20"))).lines[0]
    outcome = line.outcome
    assert outcome is not None
    assert not outcome.applied
    assert outcome.missing == "order 120 more PAPER-A4 for 3 % off"
    assert outcome.progress == D("0.76")
    assert line.reason == "no tier price yet: order 120 more PAPER-A4 for 3 % off"


def test_applied_line_names_the_next_better_break() -> None:
    line = price(program(PAPER), CartLine("PAPER-A4", D(600), D("4.20"))).lines[0]
    assert line.outcome is not None
    assert line.outcome.applied
    assert line.outcome.missing == "order 400 more PAPER-A4 for 5 % off"


def test_percent_rounds_half_up_to_the_minor_unit() -> None:
    rule = {"id": "clip", "skus": ["CLIP"], "breaks": [{"min_qty": 10, "percent_off": 5}]}
    line = price(program(rule), CartLine("CLIP", D(10), D("0.30"))).lines[0]
    assert D("0.30") * D("0.95") == D("0.2850")
    assert D("0.2850").quantize(D("0.01"), rounding=ROUND_HALF_UP) == D("0.29")  # half-even would give 0.28
    assert line.unit_price == D("0.29")


def test_percent_that_rounds_back_to_the_current_price_is_not_applied() -> None:
    rule = {"id": "clip", "skus": ["CLIP"], "breaks": [{"min_qty": 10, "percent_off": 3}]}
    line = price(program(rule), CartLine("CLIP", D(10), D("0.15"))).lines[0]
    assert quantize(D("0.15") * D("0.97"), "EUR") == D("0.15")  # 0.1455 -> 0.15 half-up
    assert line.unit_price == D("0.15")
    assert line.rule_id is None
    assert line.reason == "3 % off CLIP gives 0.15 EUR, not below the current 0.15 EUR"


def test_break_that_would_raise_the_price_is_ignored() -> None:
    rule = {"id": "toner", "skus": ["TONER"], "breaks": [{"min_qty": 10, "unit_price": "70.00"}]}
    line = price(program(rule), CartLine("TONER", D(12), D("64.00"))).lines[0]
    assert line.unit_price == D("64.00")
    assert line.rule_id is None
    assert line.reason == "unit price 70.00 EUR for TONER gives 70.00 EUR, not below the current 64.00 EUR"


def test_lowest_price_across_several_rules_wins() -> None:
    by_sku = {"id": "by-sku", "skus": ["TONER"], "breaks": [{"min_qty": 5, "percent_off": 10}]}
    by_category = {"id": "by-category", "categories": ["toner"], "breaks": [{"min_qty": 5, "unit_price": 55}]}
    line = price(program(by_sku, by_category), CartLine("TONER", D(6), D("64.00"), ("toner",))).lines[0]
    assert (line.unit_price, line.rule_id) == (D("55.00"), "by-category")  # 64 x 0.9 = 57.60 > 55
    loser = next(o for o in line.outcomes if o.rule_id == "by-sku")
    assert loser.reason == "10 % off TONER (57.60 EUR) loses to by-category (55.00 EUR)"


def test_percent_breaks_are_off_the_current_price_never_compounded() -> None:
    three = {"id": "three", "skus": ["X"], "breaks": [{"min_qty": 1, "percent_off": 3}]}
    five = {"id": "five", "skus": ["X"], "breaks": [{"min_qty": 1, "percent_off": 5}]}
    line = price(program(three, five), CartLine("X", D(1), D("100.00"))).lines[0]
    assert (line.unit_price, line.rule_id) == (D("95.00"), "five")


def test_best_break_within_a_rule_wins_even_when_a_higher_break_is_worse() -> None:
    odd = {
        "id": "odd",
        "skus": ["X"],
        "breaks": [{"min_qty": 10, "unit_price": 8}, {"min_qty": 20, "unit_price": 9}],
    }
    assert price(program(odd), CartLine("X", D(25), D("10.00"))).lines[0].unit_price == D("8.00")


def test_category_rule_prices_every_sku_in_the_category() -> None:
    rule = {"id": "paper", "categories": ["paper"], "breaks": [{"min_qty": 100, "percent_off": 10}]}
    result = price(
        program(rule),
        CartLine("PAPER-A3", D(100), D("8.90"), ("office", "paper")),
        CartLine("PEN", D(100), D("1.00"), ("writing",)),
    )
    assert [line.unit_price for line in result.lines] == [D("8.01"), D("1.00")]
    assert result.lines[1].outcomes == ()
    assert result.lines[1].reason == "no tier price for PEN"


def test_group_codes_match_case_insensitively_and_the_reason_names_the_group() -> None:
    rule = {**PAPER, "customer_groups": ["Wholesale"]}
    line = price(program(rule), CartLine("PAPER-A4", D(1000), D("4.20")), group="WHOLESALE").lines[0]
    assert line.rule_id == "paper-volume"
    assert line.reason == "5 % off PAPER-A4: qty 1,000 >= 1,000 break for group Wholesale"


def test_rule_for_another_group_does_not_apply_and_says_why() -> None:
    rule = {**PAPER, "customer_groups": ["Wholesale"]}
    retail = price(program(rule), CartLine("PAPER-A4", D(1000), D("4.20")), group="Retail").lines[0]
    guest = price(program(rule), CartLine("PAPER-A4", D(1000), D("4.20"))).lines[0]
    assert retail.unit_price == guest.unit_price == D("4.20")
    assert retail.reason == "tier prices for PAPER-A4 are for group Wholesale only, not for group Retail"
    assert guest.reason.endswith("not for customers without a group")


def test_gold_partner_gets_the_fixed_toner_price_from_the_example(example: Program) -> None:
    line = price(example, CartLine("TONER-BLK", D(10), D("64.00")), group="loyalty gold").lines[0]
    assert line.unit_price == D("49.90")
    assert line.reason == "unit price 49.90 EUR for TONER-BLK: qty 10 >= 10 break for group Loyalty Gold"


def test_non_product_lines_are_never_tier_priced() -> None:
    line = CartLine("PAPER-A4", D(1000), D("4.20"), kind=LineKind.PROMOTION)
    priced = price(program(PAPER), line).lines[0]
    assert (priced.unit_price, priced.rule_id, priced.outcomes) == (D("4.20"), None, ())


def test_fixed_break_is_converted_into_the_cart_currency() -> None:
    rule = {"id": "toner", "skus": ["TONER"], "breaks": [{"min_qty": 1, "unit_price": "49.90"}]}
    prog = program(rule, exchange_rates={"USD": "0.92"}, foreign_currency="convert")
    line = price(prog, CartLine("TONER", D(1), D("70.00")), currency="USD").lines[0]
    assert line.unit_price == D("54.24")  # 49.90 / 0.92 = 54.239... rounded half-up
    assert line.reason == "unit price 54.24 USD for TONER: qty 1 >= 1 break for all groups"


def test_index_and_one_shot_function_agree() -> None:
    rules = program(PAPER).tier_prices
    index = TierPriceIndex.build(rules, currency="EUR")
    found = index.best("PAPER-A4", D(1000), D("4.20"))
    assert found is not None
    assert found[0] == D("3.99")
    assert found[1].min_qty == 1000
    assert best_tier_price(rules, sku="PAPER-A4", qty=D(1000), unit_price=D("4.20"), currency="EUR") == found
    assert index.best("PAPER-A4", D(10), D("4.20")) is None


@pytest.mark.parametrize(
    ("qty", "shown"), [(D(1000), "1,000"), (D("1000.00"), "1,000"), (D("2.50"), "2.5"), (D(7), "7")]
)
def test_quantities_are_shown_as_people_write_them(qty: Decimal, shown: str) -> None:
    assert format_qty(qty) == shown
