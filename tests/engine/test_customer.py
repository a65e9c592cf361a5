"""CustomerEvaluator end to end: the example programme, stable keys, determinism, as-of evaluation."""

import random
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from loyalty_connector.domain import Customer, Money, Order, OrderLine, OrderStatus
from loyalty_connector.engine.customer import CustomerEvaluator, CustomerResult, History
from loyalty_connector.engine.results import IntentKind, intent_key
from loyalty_connector.program import Program, load_program, parse_program
from loyalty_connector.synthetic import SyntheticHistory, generate_history

UTC = timezone.utc
DAY = timedelta(days=1)
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "loyalty.yaml"
NOW = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def example() -> Program:
    return load_program(EXAMPLE)


@pytest.fixture(scope="module")
def synthetic() -> SyntheticHistory:
    return generate_history(seed=11, customers=40, orders=600)


def history_of(data: SyntheticHistory, customer: Customer) -> History:
    orders = [o for o in data.orders if o.customer_id == customer.external_id]
    ids = {o.external_id for o in orders}
    return History(orders, [r for r in data.refunds if r.order_id in ids])


def busiest(data: SyntheticHistory, n: int = 5) -> list[Customer]:
    counts = {c.external_id: 0 for c in data.customers}
    for o in data.orders:
        counts[o.customer_id or ""] = counts.get(o.customer_id or "", 0) + 1
    return sorted(data.customers, key=lambda c: (-counts[c.external_id], c.external_id))[:n]


def money(amount: str, currency: str = "EUR") -> Money:
    return Money.of(amount, currency)


def order(oid: str, placed: datetime, amount: str, currency: str = "EUR") -> Order:
    line = OrderLine(
        line_id=f"{oid}-1",
        sku="PAPER-A4",
        qty=Decimal(100),
        unit_price=money("1", currency),
        row_total=money(amount, currency),
        discount=money("0", currency),
        tax=money("0", currency),
    )
    return Order(
        source="magento-de",
        external_id=oid,
        number=oid,
        customer_id="1042",
        email="einkauf@hafenblick.example",
        status=OrderStatus.COMPLETE,
        raw_status="complete",
        currency=currency,
        placed_at=placed,
        updated_at=placed,
        lines=(line,),
        subtotal=money(amount, currency),
        discount=money("0", currency),
        shipping=money("0", currency),
        tax=money("0", currency),
        grand_total=money(amount, currency),
        group_id="1",
    )


KONTOR = Customer(
    source="magento-de",
    external_id="1042",
    email="einkauf@hafenblick.example",
    company="Hafenblick Logistik GmbH",
    birthday=date(1979, 11, 20),
    created_at=datetime(2025, 1, 10, tzinfo=UTC),
    updated_at=datetime(2025, 1, 10, tzinfo=UTC),
)


def test_the_example_programme_rewards_a_b2b_customer_end_to_end(example: Program) -> None:
    orders = [
        order("100000001", datetime(2025, 2, 3, 9, 0, tzinfo=UTC), "1800.00"),
        order("100000002", datetime(2025, 4, 7, 9, 0, tzinfo=UTC), "2400.50"),
        order("100000003", datetime(2025, 6, 2, 9, 0, tzinfo=UTC), "900.00"),
        order("100000004", datetime(2025, 9, 1, 9, 0, tzinfo=UTC), "300.00", currency="USD"),
    ]
    result = CustomerEvaluator(example).evaluate(
        KONTOR, History(orders), datetime(2025, 12, 1, tzinfo=UTC), referral_secret=b"s3cret"
    )
    by_key = {i.key: i for i in result.intents}
    first = by_key["spend-points/earn/magento-de/1042/order:100000001"]
    assert (first.points, first.available_at) == (1800, datetime(2025, 2, 17, 9, 0, tzinfo=UTC))
    assert by_key["welcome-bonus/bonus/magento-de/1042/order:100000001"].points == 500
    assert by_key["spend-points/earn/magento-de/1042/order:100000004"].points == 345  # 276 EUR x 1.25
    assert {i.record for i in result.intents if i.rule_id == "thank-you-5"} == {
        "order:100000001",
        "order:100000002",
    }
    assert [i.attribute("to") for i in result.intents if i.kind is IntentKind.LEVEL] == ["bronze", "silver"]
    assert by_key["spend-points/earn/magento-de/1042/order:100000004"].attribute("multiplier") == "1.25"
    assert by_key["birthday-20/coupon/magento-de/1042/birthday:2025"].amount == Decimal(20)
    assert result.level is not None
    assert (result.level.level_id, result.level.customer_group) == ("silver", "Loyalty Silver")
    assert result.referral_code is not None
    assert result.referral_code.startswith("KONTOR-")
    assert any(o.rule_id == "gold" and "for Gold" in o.reason for o in result.outcomes)


def test_foreign_orders_are_left_out_with_one_outcome_per_rule_when_the_programme_excludes_them(
    example: Program,
) -> None:
    excluding = example.model_copy(update={"foreign_currency": "exclude"})
    usd = order("100000009", datetime(2025, 2, 3, tzinfo=UTC), "5000.00", currency="USD")
    result = CustomerEvaluator(excluding).evaluate(KONTOR, History([usd]), NOW)
    assert [i.kind for i in result.intents if i.record == "order:100000009"] == []
    explained = {o.rule_id for o in result.outcomes if "USD" in o.reason and not o.applied}
    assert {"spend-points", "welcome-bonus", "thank-you-5", "bronze"} <= explained


def test_every_key_derives_from_rule_kind_source_customer_and_record_and_is_unique(
    example: Program, synthetic: SyntheticHistory
) -> None:
    evaluator = CustomerEvaluator(example)
    for customer in busiest(synthetic):
        result = evaluator.evaluate(
            customer, history_of(synthetic, customer), NOW, group_codes=synthetic.group_codes
        )
        keys = [i.key for i in result.intents]
        assert len(keys) == len(set(keys))
        for i in result.intents:
            assert i.key == intent_key(i.rule_id, i.kind, i.source, i.customer_key, i.record)
            assert "T" not in i.record.split(":", 1)[0]


def test_the_same_history_twice_or_shuffled_yields_identical_intents(
    example: Program, synthetic: SyntheticHistory
) -> None:
    evaluator = CustomerEvaluator(example)
    rng = random.Random(5)
    for customer in busiest(synthetic):
        history = history_of(synthetic, customer)
        shuffled = History(
            rng.sample(list(history.orders), len(history.orders)), list(reversed(history.refunds))
        )
        first = evaluator.evaluate(customer, history, NOW, group_codes=synthetic.group_codes)
        again = evaluator.evaluate(customer, history, NOW, group_codes=synthetic.group_codes)
        mixed = evaluator.evaluate(customer, shuffled, NOW, group_codes=synthetic.group_codes)
        assert first.intents == again.intents == mixed.intents
        assert first.level == mixed.level


def test_intents_never_change_or_disappear_as_now_moves_on(
    example: Program, synthetic: SyntheticHistory
) -> None:
    evaluator = CustomerEvaluator(example)
    for customer in busiest(synthetic, 3):
        history = history_of(synthetic, customer)
        earlier: set[object] = set()
        for now in (
            datetime(2025, 3, 1, tzinfo=UTC),
            datetime(2025, 11, 1, tzinfo=UTC),
            NOW,
            NOW + 800 * DAY,
        ):
            current = set(
                evaluator.evaluate(customer, history, now, group_codes=synthetic.group_codes).intents
            )
            assert earlier <= current
            earlier = current


def test_records_dated_after_now_are_ignored(example: Program) -> None:
    later = order("100000002", datetime(2025, 6, 1, tzinfo=UTC), "500.00")
    result = CustomerEvaluator(example).evaluate(
        KONTOR,
        History([order("100000001", datetime(2025, 2, 3, tzinfo=UTC), "500.00"), later]),
        datetime(2025, 5, 1, tzinfo=UTC),
    )
    assert all(i.record != "order:100000002" for i in result.intents)


def test_the_latest_read_of_an_order_wins_when_it_appears_twice(example: Program) -> None:
    placed = datetime(2025, 2, 3, tzinfo=UTC)
    processing = order("100000001", placed, "500.00").model_copy(update={"status": OrderStatus.PROCESSING})
    complete = order("100000001", placed, "500.00").model_copy(update={"updated_at": placed + DAY})
    result = CustomerEvaluator(example).evaluate(KONTOR, History([complete, processing]), NOW)
    assert [i.points for i in result.intents if i.kind is IntentKind.EARN] == [500]


def test_the_balance_never_goes_negative_on_synthetic_histories(
    example: Program, synthetic: SyntheticHistory
) -> None:
    evaluator = CustomerEvaluator(example)
    for customer in synthetic.customers:
        result: CustomerResult = evaluator.evaluate(customer, history_of(synthetic, customer), NOW)
        instants = {i.effective_at for i in result.intents} | {
            i.available_at for i in result.intents if i.available_at
        }
        assert all(result.points_balance(at) >= 0 for at in instants)


def test_a_programme_without_customer_rules_yields_nothing() -> None:
    bare = parse_program("version: 1\nname: bare\ncurrency: EUR\n")
    result = CustomerEvaluator(bare).evaluate(
        KONTOR, History([order("1", datetime(2025, 2, 3, tzinfo=UTC), "9.00")]), NOW
    )
    assert (result.intents, result.level, result.referral_code) == ((), None, None)


def test_now_must_be_timezone_aware(example: Program) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        CustomerEvaluator(example).evaluate(KONTOR, History(()), datetime(2026, 1, 1))  # noqa: DTZ001
