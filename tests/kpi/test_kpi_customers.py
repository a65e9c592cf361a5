"""Customer KPIs against hand-computed fixtures: retention, churn, repeat rate, frequency, AOV, CLV."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from loyalty_connector.domain import Customer, LineKind, Money, Order, OrderLine, OrderStatus, Refund
from loyalty_connector.kpi import (
    NO_LEVEL,
    CustomerFacts,
    GuestKpisCollector,
    KpiSettings,
    Period,
    Purchase,
    Rate,
    customer_facts,
    customer_kpis,
    order_revenue,
)
from loyalty_connector.program import parse_program
from loyalty_connector.store.analytics import CustomerOrders

UTC = timezone.utc
PROGRAM = parse_program("name: Test\ncurrency: EUR\ntimezone: Europe/Berlin\n")
CONVERT = parse_program(
    "name: Test\ncurrency: EUR\ntimezone: Europe/Berlin\n"
    "foreign_currency: convert\nexchange_rates: {USD: 0.5}\n"
)
YEAR = Period(date(2025, 1, 1), date(2026, 1, 1), "Europe/Berlin")


def at(y: int, m: int, d: int, h: int = 12) -> datetime:
    return datetime(y, m, d, h, tzinfo=UTC)


def order(
    n: int,
    placed: datetime,
    subtotal: str = "100.00",
    *,
    customer: str | None = "1",
    discount: str = "0",
    currency: str = "EUR",
    status: OrderStatus = OrderStatus.COMPLETE,
) -> Order:
    money = Money.of(subtotal, currency)
    zero = Money.zero(currency)
    line = OrderLine(line_id=f"{n}-1", sku="SKU", kind=LineKind.PRODUCT, qty=Decimal(1), unit_price=money,
                     row_total=money, discount=Money.of(discount, currency), tax=zero)  # fmt: skip
    return Order(
        source="shop",
        external_id=str(n),
        number=str(n),
        customer_id=customer,
        email=f"c{customer}@x.example",
        status=status,
        raw_status=status.value,
        currency=currency,
        placed_at=placed,
        updated_at=placed,
        lines=(line,),
        subtotal=money,
        discount=Money.of(discount, currency),
        shipping=Money.of("9.90", currency),
        tax=Money.of("19.00", currency),
        grand_total=money,
    )


def facts(key: str, *times: datetime, revenue: str | None = "100") -> CustomerFacts:
    purchases = tuple(
        Purchase(f"{key}-{i}", t, None if revenue is None else Decimal(revenue), Decimal(0), NO_LEVEL)
        for i, t in enumerate(times)
    )
    return CustomerFacts(
        "shop", key, None, f"{key}@x.example", purchases, sum(p.revenue is None for p in purchases)
    )


def test_repeat_rate_500_of_5000_customers_is_ten_percent() -> None:
    people = [facts(str(n), at(2025, 3, 1), at(2025, 4, 1)) for n in range(500)]
    people += [facts(str(n), at(2025, 3, 1)) for n in range(500, 5000)]
    kpis = customer_kpis(people, YEAR, "EUR")
    assert kpis.repeat_rate == Rate(500, 5000)
    assert kpis.repeat_rate.value == Decimal("0.1")
    assert kpis.repeat_rate.percent() == "10.0 %"
    assert kpis.purchase_frequency == Decimal("1.1")


def test_retention_and_churn_count_customers_active_before_the_period() -> None:
    people = [
        facts("retained", at(2024, 11, 1), at(2025, 2, 1)),
        facts("churned", at(2024, 6, 1)),
        facts("long-gone", at(2023, 1, 1)),  # last order more than 365 days before the start
        facts("new", at(2025, 5, 1)),
    ]
    kpis = customer_kpis(people, YEAR, "EUR")
    assert (kpis.customers_at_start, kpis.retained, kpis.churned) == (2, 1, 1)
    assert kpis.retention_rate.value == Decimal("0.5")
    assert kpis.churn_rate.value == Decimal("0.5")
    assert (kpis.active_customers, kpis.new_customers) == (2, 1)
    everyone = customer_kpis(people, YEAR, "EUR", KpiSettings(active_days=None))
    assert everyone.customers_at_start == 3
    assert everyone.churn_rate == Rate(2, 3)


def test_revenue_is_subtotal_after_discounts_without_tax_and_shipping_minus_refunds() -> None:
    o = order(1, at(2025, 3, 1), "100.00", discount="10.00")
    refund = Refund(source="shop", external_id="r1", order_id="1", created_at=at(2025, 3, 5),
                    updated_at=at(2025, 3, 5), amount=Money.of("20.00", "EUR"))  # fmt: skip
    assert order_revenue(PROGRAM, o, [refund]) == (Decimal("70.00"), Decimal("20.00"))
    history = CustomerOrders("shop", "1", None, (o, order(2, at(2025, 4, 1), "50.00")), (refund,))
    kpis = customer_kpis([customer_facts(PROGRAM, history, until=YEAR.until)], YEAR, "EUR")
    assert kpis.revenue == Money.of("120.00", "EUR")
    assert kpis.refunded == Money.of("20.00", "EUR")
    assert kpis.average_order_value == Money.of("60.00", "EUR")


def test_canceled_orders_are_not_purchases_and_refunds_after_the_period_are_not_seen() -> None:
    late = Refund(source="shop", external_id="r", order_id="1", created_at=at(2026, 2, 1),
                  updated_at=at(2026, 2, 1), amount=Money.of("100.00", "EUR"))  # fmt: skip
    history = CustomerOrders(
        "shop",
        "1",
        None,
        (order(1, at(2025, 3, 1)), order(2, at(2025, 3, 2), status=OrderStatus.CANCELED)),
        (late,),
    )
    found = customer_facts(PROGRAM, history, until=YEAR.until)
    assert [p.order_id for p in found.purchases] == ["1"]
    assert found.purchases[0].revenue == Decimal("100.00")


def test_foreign_currency_orders_are_excluded_from_money_kpis_and_counted() -> None:
    history = CustomerOrders(
        "shop", "1", None, (order(1, at(2025, 3, 1)), order(2, at(2025, 4, 1), currency="USD")), ()
    )
    kpis = customer_kpis([customer_facts(PROGRAM, history, until=YEAR.until)], YEAR, "EUR")
    assert (kpis.orders, kpis.priced_orders, kpis.excluded_orders) == (2, 1, 1)
    assert kpis.average_order_value == Money.of("100.00", "EUR")
    converted = customer_kpis([customer_facts(CONVERT, history, until=YEAR.until)], YEAR, "EUR")
    assert converted.excluded_orders == 0
    assert converted.revenue == Money.of("150.00", "EUR")


def test_clv_is_aov_times_purchases_per_year_times_relationship_years() -> None:
    people = [facts("a", at(2024, 6, 1), at(2025, 2, 1), at(2025, 8, 1)), facts("b", at(2024, 6, 1))]
    given = customer_kpis(people, YEAR, "EUR", KpiSettings(relationship_years=Decimal(3)))
    assert given.purchases_per_year == Decimal(2)
    assert given.clv == Money.of("600.00", "EUR")  # 100 x 2 x 3
    assert not given.relationship_years_estimated
    estimated = customer_kpis(people, YEAR, "EUR")
    assert estimated.churn_rate.value == Decimal("0.5")
    assert estimated.relationship_years == Decimal(2)  # 1 / 50 % churn
    assert estimated.clv == Money.of("400.00", "EUR")
    assert estimated.realized_clv == Money.of("200.00", "EUR")  # (300 + 100) / 2


def test_a_half_year_period_annualises_frequency_and_churn() -> None:
    half = Period(date(2025, 1, 1), date(2025, 7, 1), "UTC")
    assert half.years == Decimal("0.5")
    people = [facts("a", at(2024, 12, 1), at(2025, 2, 1), at(2025, 3, 1)), facts("b", at(2024, 12, 1))]
    kpis = customer_kpis(people, half, "EUR")
    assert kpis.purchases_per_year == Decimal(4)
    assert kpis.relationship_years is not None
    assert kpis.relationship_years == pytest.approx(Decimal(1) / (1 - Decimal("0.5") ** 2))


def test_empty_period_and_zero_customers_give_no_data_not_a_division_error() -> None:
    kpis = customer_kpis([], YEAR, "EUR")
    assert kpis.retention_rate.value is None
    assert kpis.churn_rate.percent() == "no data"
    assert kpis.repeat_rate.value is None
    assert kpis.purchase_frequency is None
    assert kpis.average_order_value is None
    assert kpis.clv is None
    assert kpis.realized_clv is None
    assert kpis.revenue == Money.zero("EUR")


def test_no_churn_leaves_the_relationship_length_and_clv_unknown() -> None:
    kpis = customer_kpis([facts("a", at(2024, 12, 1), at(2025, 3, 1))], YEAR, "EUR")
    assert kpis.churn_rate.value == 0
    assert kpis.relationship_years is None
    assert kpis.clv is None


def test_guests_are_kept_out_of_customer_kpis_and_tallied_apart() -> None:
    guest = facts("guest:a@x.example", at(2025, 3, 1), at(2025, 4, 1), revenue="30")
    kpis = customer_kpis([guest, facts("1", at(2025, 3, 1))], YEAR, "EUR")
    assert (kpis.active_customers, kpis.orders) == (1, 1)
    guests = GuestKpisCollector(YEAR, "EUR")
    guests.add(guest)
    result = guests.result()
    assert (result.guests, result.orders, result.revenue) == (1, 2, Money.of("60", "EUR"))
    assert result.average_order_value == Money.of("30", "EUR")


def test_period_boundaries_follow_the_programme_time_zone() -> None:
    march = Period(date(2025, 3, 1), date(2025, 4, 1), "Europe/Berlin")
    assert march.since == datetime(2025, 2, 28, 23, tzinfo=UTC)
    assert march.until == datetime(2025, 3, 31, 22, tzinfo=UTC)  # summer time began on 30 March
    early = facts("1", datetime(2025, 2, 28, 23, 30, tzinfo=UTC))  # 00:30 on 1 March in Berlin
    late = facts("2", datetime(2025, 3, 31, 22, 30, tzinfo=UTC))  # 00:30 on 1 April in Berlin
    kpis = customer_kpis([early, late], march, "EUR")
    assert kpis.active_customers == 1
    assert customer_kpis([early], Period(date(2025, 3, 1), date(2025, 4, 1), "UTC"), "EUR").orders == 0


def test_default_period_is_the_last_twelve_months_including_today() -> None:
    period = Period.last_months(date(2025, 6, 15), 12, "Europe/Berlin")
    assert (period.start, period.end) == (date(2024, 6, 16), date(2025, 6, 16))
    assert period.years == 1
    with pytest.raises(ValueError, match="empty period"):
        Period(date(2025, 1, 1), date(2025, 1, 1))


def test_customer_facts_take_the_level_held_before_each_order() -> None:
    changes = ((at(2025, 3, 1), "silver"), (at(2025, 5, 1), NO_LEVEL))
    history = CustomerOrders("shop", "1", None, (order(1, at(2025, 3, 1)), order(2, at(2025, 4, 1))), ())
    found = customer_facts(PROGRAM, history, until=YEAR.until, levels=changes)
    assert [p.level_id for p in found.purchases] == [NO_LEVEL, "silver"]
    assert found.level_before(at(2025, 6, 1)) == NO_LEVEL


def test_customer_record_email_is_used_and_normalized() -> None:
    person = Customer(
        source="shop",
        external_id="1",
        email=" Buyer@Firma.example ",
        created_at=at(2024, 1, 1),
        updated_at=at(2024, 1, 1),
    )
    found = customer_facts(PROGRAM, CustomerOrders("shop", "1", person, (), ()), until=YEAR.until)
    assert found.email == "buyer@firma.example"
    assert found.purchases == ()
