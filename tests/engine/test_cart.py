"""The cart evaluator end to end: order of rules, referee discount, currencies, inputs, outcomes."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from loyalty_connector.domain import LineKind, Money, Order, OrderLine, OrderStatus
from loyalty_connector.engine.cart import Cart, CartEvaluator, CartLine, CartResult
from loyalty_connector.program import Program, load_program

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "loyalty.yaml"
NOW = datetime(2025, 6, 2, 9, 0, tzinfo=timezone.utc)
D = Decimal
CODES = {"KONTOR-7QX2M9": "1042"}


@pytest.fixture(scope="module")
def example() -> Program:
    return load_program(EXAMPLE)


@pytest.fixture(scope="module")
def evaluator(example: Program) -> CartEvaluator:
    return CartEvaluator(example)


def referral_program(discount: dict[str, Any], **extra: Any) -> Program:
    return Program.model_validate(
        {
            "name": "test",
            "currency": "EUR",
            "referrals": {"referee_discount": discount, "referrer_reward": {"points": 100}},
            **extra,
        }
    )


def refer(
    prog: Program | CartEvaluator,
    *lines: CartLine,
    codes: tuple[str, ...] = ("KONTOR-7QX2M9",),
    customer_key: str | None = "2001",
    has_previous_orders: bool = False,
    currency: str = "EUR",
) -> CartResult:
    evaluator = prog if isinstance(prog, CartEvaluator) else CartEvaluator(prog)
    return evaluator.evaluate(
        Cart(currency, lines, codes),
        customer_key=customer_key,
        now=NOW,
        has_previous_orders=has_previous_orders,
        referral_codes=CODES,
    )


def referral_outcome(result: CartResult) -> Any:
    return result.outcomes[-1]


def test_example_cart_is_priced_gifted_and_explained(evaluator: CartEvaluator) -> None:
    cart = Cart(
        "EUR",
        (
            CartLine("PAPER-A4", D(1000), D("4.20"), ("paper",)),
            CartLine("PAPER-A3", D(380), D("8.90"), ("paper",)),
            CartLine("TONER-BLK", D(12), D("64.00"), ("toner",)),
        ),
    )
    result = evaluator.evaluate(cart, customer_group="Loyalty Gold", customer_key="7", now=NOW)
    assert [(line.sku, line.unit_price_before, line.unit_price, line.rule_id) for line in result.lines] == [
        ("PAPER-A4", D("4.20"), D("3.99"), "paper-volume"),
        ("PAPER-A3", D("8.90"), D("8.90"), None),
        ("TONER-BLK", D("64.00"), D("49.90"), "toner-gold"),
    ]
    assert result.subtotal_before == D("8350.00")  # 4,200 + 3,382 + 768
    assert result.subtotal == result.qualifying_subtotal == D("3990.00") + D("3382.00") + D("598.80")
    assert [(g.rule_id, g.sku, g.qty) for g in result.gifts] == [("gift-pens", "PEN-BLUE-50", D(2))]
    assert [(o.rule_id, o.applied) for o in result.outcomes] == [
        ("paper-volume", True),
        ("paper-volume", False),
        ("toner-gold", True),
        ("gift-stapler", False),
        ("gift-pens", True),
        ("refer-a-business", False),
    ]
    assert result.lines[1].reason == "no tier price yet: order 120 more PAPER-A3 for 3 % off"


def test_referee_gets_the_percent_discount_on_a_first_order(evaluator: CartEvaluator) -> None:
    result = refer(evaluator, CartLine("CHAIR-ERGO", D(1), D("349.00")))
    assert [(d.rule_id, d.amount, d.code) for d in result.discounts] == [
        ("refer-a-business", D("34.90"), "KONTOR-7QX2M9")
    ]
    assert result.subtotal == D("314.10")
    assert result.discounts[0].reason == (
        "10 % off the first order with referral code KONTOR-7QX2M9 (referred by customer 1042)"
    )
    assert referral_outcome(result).applied


def test_referral_code_matches_case_insensitively(evaluator: CartEvaluator) -> None:
    result = refer(evaluator, CartLine("CHAIR-ERGO", D(1), D("349.00")), codes=(" kontor-7qx2m9 ",))
    assert [d.code for d in result.discounts] == ["KONTOR-7QX2M9"]
    mixed = Program.model_validate(evaluator.program.model_dump())
    found = CartEvaluator(mixed).evaluate(
        Cart("EUR", (CartLine("X", D(1), D(100)),), ("REF-ABC",)),
        now=NOW,
        referral_codes={"Ref-Abc": "9"},
    )
    assert [d.code for d in found.discounts] == ["Ref-Abc"]


def test_returning_customer_gets_no_referee_discount(evaluator: CartEvaluator) -> None:
    result = refer(evaluator, CartLine("CHAIR-ERGO", D(1), D("349.00")), has_previous_orders=True)
    assert result.discounts == ()
    assert result.subtotal == D("349.00")
    assert referral_outcome(result).reason.startswith("returning customer:")


def test_own_referral_code_gives_no_discount(evaluator: CartEvaluator) -> None:
    result = refer(evaluator, CartLine("CHAIR-ERGO", D(1), D("349.00")), customer_key="1042")
    assert result.discounts == ()
    assert referral_outcome(result).reason == "own code: referral code KONTOR-7QX2M9 belongs to this customer"


def test_unknown_code_gives_no_discount(evaluator: CartEvaluator) -> None:
    result = refer(evaluator, CartLine("CHAIR-ERGO", D(1), D("349.00")), codes=("SUMMER10",))
    assert result.discounts == ()
    assert referral_outcome(result).reason == "unknown code: SUMMER10 is not a known referral code"


def test_cart_without_codes_says_no_referral_code(evaluator: CartEvaluator) -> None:
    result = refer(evaluator, CartLine("CHAIR-ERGO", D(1), D("349.00")), codes=())
    assert referral_outcome(result).reason == "no referral code"


def test_fixed_referee_discount_is_capped_at_the_subtotal() -> None:
    prog = referral_program({"amount": 50})
    small = refer(prog, CartLine("PEN", D(2), D("12.90")))
    assert [d.amount for d in small.discounts] == [D("25.80")]
    assert small.subtotal == D("0.00")
    assert "capped at the 25.80 EUR subtotal" in small.discounts[0].reason
    big = refer(prog, CartLine("CHAIR", D(1), D("349.00")))
    assert [d.amount for d in big.discounts] == [D("50.00")]


def test_fixed_referee_discount_is_converted_into_the_cart_currency() -> None:
    prog = referral_program({"amount": 46}, exchange_rates={"USD": "0.92"}, foreign_currency="convert")
    result = refer(prog, CartLine("CHAIR", D(1), D("400.00")), currency="USD")
    assert [d.amount for d in result.discounts] == [D("50.00")]
    assert result.discounts[0].reason.startswith("50.00 USD off the first order")


def test_referee_discount_is_on_the_subtotal_after_line_discounts_and_lowers_the_gift_base() -> None:
    prog = referral_program(
        {"percent": 10},
        free_products={"thresholds": [{"id": "gift", "threshold": 500, "gift_sku": "STAPLER"}]},
    )
    result = refer(prog, CartLine("CHAIR", D(1), D("560.00"), discount=D("10.00")))
    assert [d.amount for d in result.discounts] == [D("55.00")]
    assert result.qualifying_subtotal == result.subtotal == D("495.00")
    assert result.gifts == ()


def test_foreign_cart_excluded_by_the_programme_gets_no_rule_and_says_why(example: Program) -> None:
    excluded = Program.model_validate({**example.model_dump(), "foreign_currency": "exclude"})
    result = refer(
        CartEvaluator(excluded), CartLine("PAPER-A4", D(1000), D("4.50")), currency="USD", customer_key="1"
    )
    assert [(line.unit_price, line.rule_id) for line in result.lines] == [(D("4.50"), None)]
    assert (result.gifts, result.discounts) == ((), ())
    assert result.subtotal == D("4500.00")
    assert result.outcomes
    assert all(not o.applied and "excludes other currencies" in o.reason for o in result.outcomes)


def test_foreign_cart_without_a_rate_gets_no_rule(evaluator: CartEvaluator) -> None:
    result = evaluator.evaluate(Cart("CHF", (CartLine("PAPER-A4", D(1000), D("4.50")),)), now=NOW)
    assert result.lines[0].rule_id is None
    assert result.lines[0].reason == (
        "no tier price for PAPER-A4: the cart is in CHF and the programme has no exchange rate for it"
    )


def test_foreign_cart_is_converted_when_the_programme_says_so(evaluator: CartEvaluator) -> None:
    result = evaluator.evaluate(Cart("USD", (CartLine("PAPER-A4", D(1000), D("4.50")),)), now=NOW)
    assert result.lines[0].unit_price == D("4.28")  # 5 % off 4.50 = 4.275, half-up
    assert [g.rule_id for g in result.gifts] == ["gift-stapler"]  # 4,280 USD x 0.92 >= 500 EUR


def test_non_product_lines_count_in_the_subtotal_but_not_toward_rules(evaluator: CartEvaluator) -> None:
    cart = Cart(
        "EUR",
        (
            CartLine("CHAIR-ERGO", D(1), D("349.00")),
            CartLine("SETUP-FEE", D(1), D("200.00"), kind=LineKind.CUSTOM),
        ),
    )
    result = evaluator.evaluate(cart, now=NOW)
    assert result.qualifying_subtotal == D("349.00")
    assert result.subtotal == D("549.00")
    assert result.gifts == ()


def test_promotion_line_may_be_negative_and_lowers_the_subtotal_only(evaluator: CartEvaluator) -> None:
    promotion = CartLine("PROMO-SPRING", D(1), D("-50.00"), kind=LineKind.PROMOTION)
    result = evaluator.evaluate(Cart("EUR", (CartLine("CHAIR-ERGO", D(2), D("349.00")), promotion)), now=NOW)
    assert result.qualifying_subtotal == D("698.00")
    assert result.subtotal == D("648.00")
    assert [g.rule_id for g in result.gifts] == ["gift-stapler"]
    with pytest.raises(ValueError, match="must not be negative"):
        CartLine("CHAIR-ERGO", D(1), D("-1.00"))


def test_naive_now_is_refused(evaluator: CartEvaluator) -> None:
    naive = datetime(2025, 6, 2, 9, 0)  # noqa: DTZ001 - the point of the test
    with pytest.raises(ValueError, match="timezone-aware"):
        evaluator.evaluate(Cart("EUR", ()), now=naive)


def test_float_money_and_unknown_currency_are_refused() -> None:
    with pytest.raises(TypeError, match="never a float"):
        CartLine("X", D(1), 4.2)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown currency"):
        Cart("EUO", ())
    with pytest.raises(ValueError, match="must be positive"):
        CartLine("X", D(0), D(1))


def test_ints_and_lists_are_accepted_as_cart_input() -> None:
    line = CartLine("X", 3, 10, ["a"])  # type: ignore[arg-type]
    assert (line.qty, line.unit_price, line.category_ids) == (D(3), D(10), ("a",))
    assert Cart("EUR", [line]).lines == (line,)  # type: ignore[arg-type]


def test_cart_from_order_keeps_parent_lines_and_coupon_codes() -> None:
    def line(line_id: str, sku: str, parent: str | None = None) -> OrderLine:
        return OrderLine(
            line_id=line_id,
            sku=sku,
            qty=D(2),
            unit_price=Money.of("10.00", "EUR"),
            row_total=Money.of("20.00", "EUR"),
            discount=Money.of("1.00", "EUR"),
            tax=Money.of("3.61", "EUR"),
            parent_line_id=parent,
            category_ids=("c",),
        )

    placed = datetime(2025, 6, 1, tzinfo=timezone.utc)
    order = Order(
        source="demo",
        external_id="1",
        number="1",
        customer_id="5",
        email="a@b.example",
        status=OrderStatus.COMPLETE,
        raw_status="complete",
        currency="EUR",
        placed_at=placed,
        updated_at=placed + timedelta(hours=1),
        lines=(line("1", "SHIRT-M"), line("2", "SHIRT-M-CHILD", parent="1")),
        subtotal=Money.of("20.00", "EUR"),
        discount=Money.of("1.00", "EUR"),
        shipping=Money.zero("EUR"),
        tax=Money.of("3.61", "EUR"),
        grand_total=Money.of("22.61", "EUR"),
        coupon_codes=("KONTOR-X",),
    )
    cart = Cart.from_order(order)
    assert cart == Cart("EUR", (CartLine("SHIRT-M", D(2), D("10.00"), ("c",), D("1.00")),), ("KONTOR-X",))


def test_results_are_values(evaluator: CartEvaluator) -> None:
    cart = Cart("EUR", (CartLine("PAPER-A4", D(1000), D("4.20")),))
    first = evaluator.evaluate(cart, customer_group="Wholesale", now=NOW)
    second = CartEvaluator(evaluator.program).evaluate(cart, customer_group="Wholesale", now=NOW)
    assert first == second
    assert hash(first) == hash(second)
    assert first.outcomes == second.outcomes
    assert first.lines == second.lines
