"""Per-order facts: read once, they equal what the rules' own definitions give for every order."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from loyalty_connector.domain import LineKind, Money, Order, OrderLine, OrderStatus, Refund
from loyalty_connector.engine.conditions import convert_amount, qualifying_subtotal
from loyalty_connector.engine.facts import OrderReader, latest_orders, refunds_by_order
from loyalty_connector.program import Program

UTC = timezone.utc
T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
SKUS = ("PAPER", "TONER", "CARD", "PEN")
EXCLUSIONS = ((), ("CARD",), ("CARD", "PEN"), ("TONER",), ("PAPER", "CARD"))


def program(foreign: str, earn: list[dict[str, Any]]) -> Program:
    return Program.model_validate(
        {
            "name": "facts",
            "currency": "EUR",
            "exchange_rates": {"USD": Decimal("0.92"), "JPY": Decimal("0.0061")},
            "foreign_currency": foreign,
            "points": {"earn": earn},
        }
    )


def order(n: int, currency: str, lines: list[tuple[str, int, int, LineKind, bool]], **extra: Any) -> Order:
    """``lines``: (sku, row in minor units, discount in minor units, kind, child of the first line?)."""
    exponent = 0 if currency == "JPY" else -2

    def money(minor: int) -> Money:
        return Money.of(Decimal(minor).scaleb(exponent), currency)

    built = tuple(
        OrderLine(
            line_id=f"{n}-{i}",
            sku=sku,
            kind=kind,
            qty=Decimal(1),
            unit_price=money(row),
            row_total=money(row),
            discount=money(off),
            tax=money(0),
            parent_line_id=f"{n}-0" if child and i else None,
        )
        for i, (sku, row, off, kind, child) in enumerate(lines)
    )
    fields: dict[str, Any] = {
        "source": "shop",
        "external_id": f"o{n}",
        "number": f"N-{n}",
        "customer_id": "c1",
        "email": "c1@example.org",
        "status": OrderStatus.COMPLETE,
        "raw_status": "complete",
        "currency": currency,
        "placed_at": T0 + timedelta(hours=n),
        "updated_at": T0 + timedelta(hours=n),
        "lines": built,
        "subtotal": money(0),
        "discount": money(0),
        "shipping": money(0),
        "tax": money(0),
        "grand_total": money(0),
    }
    return Order(**{**fields, **extra})


line = st.tuples(
    st.sampled_from(SKUS),
    st.integers(0, 500_000),
    st.integers(0, 600_000),
    st.sampled_from([LineKind.PRODUCT, LineKind.PRODUCT, LineKind.GIFT, LineKind.PROMOTION]),
    st.booleans(),
)
earn_rule = st.fixed_dictionaries(
    {
        "rate": st.just(1),
        "base": st.sampled_from(["subtotal_after_discounts", "subtotal_before_discounts"]),
        "exclude_skus": st.sampled_from(EXCLUSIONS).map(list),
    }
)


@given(
    lines=st.lists(st.lists(line, max_size=5), min_size=1, max_size=4),
    currency=st.sampled_from(["EUR", "EUR", "USD", "JPY", "GBP"]),
    foreign=st.sampled_from(["convert", "exclude"]),
    rules=st.lists(earn_rule, min_size=0, max_size=4),
)
def test_subtotals_equal_qualifying_subtotal_then_convert_amount_digit_for_digit(
    lines: list[list[tuple[str, int, int, LineKind, bool]]],
    currency: str,
    foreign: str,
    rules: list[dict[str, Any]],
) -> None:
    prog = program(foreign, [{"id": f"r{i}", **rule} for i, rule in enumerate(rules)])
    reader = OrderReader(prog)
    indexes = [reader.base_index(r["base"].endswith("after_discounts"), r["exclude_skus"]) for r in rules]
    orders = [order(n, currency, spec) for n, spec in enumerate(lines)]
    facts = reader.read(orders, {}, None, {})
    for fact, source in zip(facts, orders, strict=True):
        spend = convert_amount(prog, qualifying_subtotal(source, "after_discounts"), currency)
        # same value and same exponent: reasons and attributes print them
        assert repr(fact.spend) == repr(spend)
        assert fact.spend_text == ("" if spend is None else f"{spend:,}")
        for rule, index in zip(rules, indexes, strict=True):
            base = convert_amount(
                prog, qualifying_subtotal(source, rule["base"], rule["exclude_skus"]), currency
            )
            assert repr(fact.bases[index]) == repr(base)


def test_an_order_reads_its_own_group_else_the_customers_mapped_through_group_codes() -> None:
    reader = OrderReader(program("convert", []))
    own, other = order(1, "EUR", []), order(2, "EUR", [], group_id="3")
    facts = reader.read([own, other], {}, "Wholesale", {"3": "Retailer"})
    assert [f.group for f in facts] == ["Wholesale", "Retailer"]


def test_the_latest_version_of_each_order_wins_and_orders_come_in_time_then_id_order() -> None:
    first = order(5, "EUR", [], external_id="b")
    same_time = order(5, "EUR", [], external_id="a")
    newer = first.model_copy(
        update={"status": OrderStatus.CANCELED, "updated_at": first.updated_at + timedelta(1)}
    )
    future = order(900, "EUR", [])
    found = latest_orders([newer, future, first, same_time], now=T0 + timedelta(hours=100))
    assert [(o.external_id, o.status) for o in found] == [
        ("a", OrderStatus.COMPLETE),
        ("b", OrderStatus.CANCELED),
    ]


def test_refunds_are_grouped_by_order_oldest_first_and_those_after_now_are_left_out() -> None:
    def refund(rid: str, order_id: str, hours: int) -> Refund:
        at = T0 + timedelta(hours=hours)
        return Refund(
            source="shop",
            external_id=rid,
            order_id=order_id,
            created_at=at,
            updated_at=at,
            amount=Money.of("1", "EUR"),
        )

    grouped = refunds_by_order(
        [refund("r2", "o1", 5), refund("r1", "o1", 3), refund("r3", "o2", 4), refund("r4", "o1", 50)],
        now=T0 + timedelta(hours=10),
    )
    assert {k: [r.external_id for r in v] for k, v in grouped.items()} == {"o1": ["r1", "r2"], "o2": ["r3"]}


@given(
    hours=st.lists(st.integers(0, 40), min_size=0, max_size=8),
    picks=st.lists(st.tuples(st.integers(0, 7), st.integers(-30, 30)), max_size=4),
    now_hour=st.integers(0, 60),
    shuffle=st.randoms(use_true_random=False),
)
def test_reading_a_raw_history_gives_the_facts_of_latest_orders_whatever_its_order(
    hours: list[int], picks: list[tuple[int, int]], now_hour: int, shuffle: Any
) -> None:
    """The usual history (each order once, in time order) is read as it comes; shuffled ones, re-read
    versions (even with another placed_at) and orders after ``now`` go through ``latest_orders``."""
    reader = OrderReader(program("convert", [{"id": "r", "rate": 1, "exclude_skus": ["CARD"]}]))
    reader.base_index(True, ["CARD"])
    base = [order(n, "EUR", [("PAPER", 100 * n, 0, LineKind.PRODUCT, False)]) for n in range(len(hours))]
    orders = [
        o.model_copy(update={"placed_at": T0 + timedelta(hours=h)}) for o, h in zip(base, hours, strict=True)
    ]
    for index, shift in picks:
        if orders:
            again = orders[index % len(orders)]
            orders.append(
                again.model_copy(
                    update={
                        "placed_at": again.placed_at + timedelta(hours=shift % 3),
                        "updated_at": again.updated_at + timedelta(hours=shift),
                        "status": OrderStatus.CANCELED,
                    }
                )
            )
    shuffled = list(orders)
    shuffle.shuffle(shuffled)
    now = T0 + timedelta(hours=now_hour)
    for history in (sorted(orders, key=lambda o: (o.placed_at, o.external_id)), shuffled):
        facts = reader.read(history, {}, None, {}, now)
        assert [f.order for f in facts] == latest_orders(history, now)
        assert all(f.placed_at == f.order.placed_at and f.status is f.order.status for f in facts)


def test_a_history_in_time_order_is_read_as_it_comes() -> None:
    reader = OrderReader(program("convert", []))
    orders = [order(n, "EUR", [("PAPER", 1000, 100, LineKind.PRODUCT, False)]) for n in range(3)]
    facts = reader.read(orders, {}, None, {}, T0 + timedelta(days=1))
    assert [f.order for f in facts] == orders
    assert [f.spend_text for f in facts] == ["9.00"] * 3
