"""Properties of cart evaluation over generated programmes and carts (Hypothesis, derandomized in CI)."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from loyalty_connector.engine.cart import Cart, CartEvaluator, CartLine
from loyalty_connector.engine.conditions import convert_amount
from loyalty_connector.engine.free_products import FreeProductIndex, threshold_in_currency
from loyalty_connector.engine.tier_pricing import TierPriceIndex
from loyalty_connector.program import Program

NOW = datetime(2025, 6, 2, 9, 0, tzinfo=timezone.utc)
SKUS = ("A", "B", "C", "D")
CATEGORIES = ("x", "y", "z")
GROUPS = ("Wholesale", "Gold")

cents = st.integers(min_value=0, max_value=50_000).map(lambda n: Decimal(n).scaleb(-2))
positive_cents = st.integers(min_value=1, max_value=300_000).map(lambda n: Decimal(n).scaleb(-2))
percent = st.integers(min_value=1, max_value=10_000).map(lambda n: Decimal(n).scaleb(-2))
quantity = st.one_of(
    st.integers(min_value=1, max_value=3000).map(Decimal),
    st.integers(min_value=1, max_value=30_000).map(lambda n: Decimal(n).scaleb(-1)),
)
groups = st.one_of(st.just("all"), st.lists(st.sampled_from(GROUPS), min_size=1, max_size=2, unique=True))
customer_group = st.sampled_from([None, "wholesale", "GOLD", "Retail"])


@st.composite
def tier_rule(draw: st.DrawFn, rule_id: str) -> dict[str, Any]:
    qtys = draw(st.lists(st.integers(min_value=1, max_value=2500), min_size=1, max_size=4, unique=True))
    breaks = [
        {"min_qty": q, "percent_off": draw(percent)}
        if draw(st.booleans())
        else {"min_qty": q, "unit_price": draw(cents)}
        for q in qtys
    ]
    skus = draw(st.lists(st.sampled_from(SKUS), max_size=2, unique=True))
    categories = draw(
        st.lists(st.sampled_from(CATEGORIES), min_size=0 if skus else 1, max_size=2, unique=True)
    )
    return {
        "id": rule_id,
        "skus": skus,
        "categories": categories,
        "customer_groups": draw(groups),
        "breaks": breaks,
    }


@st.composite
def programs(draw: st.DrawFn, *, simple_gifts: bool = False) -> Program:
    rules = [draw(tier_rule(f"tier-{n}")) for n in range(draw(st.integers(min_value=0, max_value=3)))]
    thresholds = [
        {
            "id": f"gift-{n}",
            "threshold": draw(positive_cents),
            "gift_sku": f"GIFT-{n}",
            "customer_groups": draw(groups),
            "once_per_customer": False if simple_gifts else draw(st.booleans()),
        }
        for n in range(draw(st.integers(min_value=1, max_value=3)))
    ]
    mode = "highest" if simple_gifts else draw(st.sampled_from(["highest", "stacked"]))
    data: dict[str, Any] = {
        "name": "generated",
        "currency": "EUR",
        "exchange_rates": {"USD": Decimal("0.92")},
        "foreign_currency": draw(st.sampled_from(["convert", "exclude"])),
        "tier_prices": rules,
        "free_products": {
            "mode": mode,
            "base": draw(st.sampled_from(["before_discounts", "after_discounts"])),
            "thresholds": thresholds,
        },
        "referrals": {
            "referee_discount": {"percent": draw(percent)}
            if draw(st.booleans())
            else {"amount": draw(positive_cents)},
            "referrer_reward": {"points": 10},
        },
    }
    return Program.model_validate(data)


@st.composite
def cart_lines(draw: st.DrawFn) -> CartLine:
    qty, price = draw(quantity), draw(cents)
    discount = draw(st.sampled_from([Decimal(0), (qty * price / 10).quantize(Decimal("0.01"))]))
    categories = tuple(draw(st.lists(st.sampled_from(CATEGORIES), max_size=2, unique=True)))
    return CartLine(draw(st.sampled_from(SKUS)), qty, price, categories, discount)


carts = st.builds(
    lambda lines, currency, codes: Cart(currency, tuple(lines), codes),
    st.lists(cart_lines(), max_size=5),
    st.sampled_from(["EUR", "EUR", "USD"]),
    st.sampled_from([(), ("ref-1",), ("NOPE",)]),
)


@given(programs(), carts, customer_group, st.booleans())
def test_a_price_never_goes_negative_or_up(
    program: Program, cart: Cart, group: str | None, returning: bool
) -> None:
    result = CartEvaluator(program).evaluate(
        cart,
        customer_group=group,
        customer_key="c1",
        now=NOW,
        has_previous_orders=returning,
        referral_codes={"REF-1": "c2"},
    )
    for line in result.lines:
        assert Decimal(0) <= line.unit_price <= line.unit_price_before
    assert result.subtotal >= 0
    assert result.qualifying_subtotal >= 0
    assert result.subtotal <= result.subtotal_before
    assert all(discount.amount > 0 for discount in result.discounts)
    assert all(gift.unit_price == 0 for gift in result.gifts)


@given(
    programs(),
    st.sampled_from(SKUS),
    cents,
    quantity,
    quantity,
    customer_group,
    st.lists(st.sampled_from(CATEGORIES)),
)
def test_tier_price_is_non_increasing_in_quantity(
    program: Program,
    sku: str,
    price: Decimal,
    q1: Decimal,
    q2: Decimal,
    group: str | None,
    categories: list[str],
) -> None:
    index = TierPriceIndex.build(program.tier_prices, currency="EUR")
    low, high = min(q1, q2), max(q1, q2)
    at_low = index.best(sku, low, price, tuple(categories), group)
    at_high = index.best(sku, high, price, tuple(categories), group)
    assert (price if at_high is None else at_high[0]) <= (price if at_low is None else at_low[0])
    if at_low is not None:
        assert at_high is not None  # a break once reached stays reached


@given(programs(), carts, customer_group, st.frozensets(st.sampled_from(["gift-0", "gift-1"])))
def test_evaluating_the_same_cart_twice_gives_equal_results(
    program: Program, cart: Cart, group: str | None, granted: frozenset[str]
) -> None:
    evaluator = CartEvaluator(program)
    first = evaluator.evaluate(cart, customer_group=group, now=NOW, granted_gifts=granted)
    again = evaluator.evaluate(cart, customer_group=group, now=NOW, granted_gifts=granted)
    assert first == again
    assert first.outcomes == again.outcomes
    assert [line.reason for line in first.lines] == [line.reason for line in again.lines]


@given(programs(simple_gifts=True), carts, customer_group)
def test_the_evaluators_gift_fast_path_agrees_with_select(
    program: Program, cart: Cart, group: str | None
) -> None:
    cart = Cart("EUR", cart.lines)
    result = CartEvaluator(program).evaluate(cart, customer_group=group, now=NOW)
    assert program.free_products is not None
    index = FreeProductIndex.build(program.free_products, program_currency="EUR", currency="EUR")
    key = None if group is None else group.casefold()
    assert result.gifts == index.select(result.qualifying_subtotal, key, None, frozenset())


@given(
    st.integers(min_value=1, max_value=10**8).map(lambda n: Decimal(n).scaleb(-2)),
    st.integers(min_value=1, max_value=10**6).map(lambda n: Decimal(n).scaleb(-3)),
    st.integers(min_value=1, max_value=10**7).map(lambda n: Decimal(n).scaleb(-2)),
    st.sampled_from(["USD", "JPY", "BHD"]),
)
def test_a_converted_threshold_is_reached_exactly_when_the_converted_subtotal_reaches_it(
    subtotal: Decimal, rate: Decimal, threshold: Decimal, currency: str
) -> None:
    program = Program.model_validate(
        {"name": "p", "currency": "EUR", "exchange_rates": {currency: rate}, "foreign_currency": "convert"}
    )
    minor = {"USD": 2, "JPY": 0, "BHD": 3}[currency]
    amount = subtotal.quantize(Decimal(1).scaleb(-minor))
    converted = convert_amount(program, amount, currency)
    assert converted is not None
    assert (amount >= threshold_in_currency(threshold, "EUR", currency, rate)) == (converted >= threshold)
