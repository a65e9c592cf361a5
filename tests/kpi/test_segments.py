"""Segments for email campaigns: who is in each, why, and one row per email with the mailing fields."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from loyalty_connector.domain import Customer, LineKind, Money, Order, OrderLine, OrderStatus
from loyalty_connector.nps import NpsAnswer
from loyalty_connector.program import parse_program
from loyalty_connector.segments import EXPORT_FIELDS, SEGMENTS, segment_rows
from loyalty_connector.store.analytics import CustomerOrders

UTC = timezone.utc
NOW = datetime(2025, 6, 15, 12, tzinfo=UTC)
PROGRAM = parse_program(
    """
name: Segments
currency: EUR
timezone: Europe/Berlin
levels:
  window_days: 365
  grace_days: 0
  levels:
    - {id: bronze, name: Bronze, customer_group: Loyalty Bronze, min_orders: 1}
"""
)


def person(n: int, *, email: str | None = None, birthday: date | None = None) -> Customer:
    created = datetime(2023, 1, 1, tzinfo=UTC)
    return Customer(
        source="shop",
        external_id=str(n),
        email=email or f"buyer{n}@firma{n}.example",
        first_name="Anna",
        last_name=f"Meyer{n}",
        company=f"Firma {n} GmbH",
        birthday=birthday,
        created_at=created,
        updated_at=created,
    )


def order(n: int, who: int, days_ago: int) -> Order:
    placed = NOW - timedelta(days=days_ago)
    money = Money.of("120.00", "EUR")
    zero = Money.zero("EUR")
    line = OrderLine(
        line_id=f"{n}-1",
        sku="PAPER",
        qty=Decimal(1),
        unit_price=money,
        row_total=money,
        discount=zero,
        tax=zero,
        kind=LineKind.PRODUCT,
    )
    return Order(
        source="shop",
        external_id=str(n),
        number=str(n),
        customer_id=str(who),
        email=f"buyer{who}@firma{who}.example",
        status=OrderStatus.COMPLETE,
        raw_status="complete",
        currency="EUR",
        placed_at=placed,
        updated_at=placed,
        lines=(line,),
        subtotal=money,
        discount=zero,
        shipping=zero,
        tax=zero,
        grand_total=money,
    )


def history(customer: Customer, *orders: Order) -> CustomerOrders:
    return CustomerOrders("shop", customer.external_id, customer, orders, ())


def answer(email: str, score: int) -> NpsAnswer:
    return NpsAnswer(email, score, NOW - timedelta(days=3))


def test_latent_loyals_are_promoters_without_a_second_order() -> None:
    latent, loyal, guest = person(1), person(2), CustomerOrders("shop", "guest:g@x.example", None, (), ())
    histories = [history(latent, order(1, 1, 40)), history(loyal, order(2, 2, 40), order(3, 2, 20)), guest]
    answers = {
        latent.email_normalized: answer(latent.email_normalized, 9),
        loyal.email_normalized: answer(loyal.email_normalized, 10),
    }
    rows = segment_rows(SEGMENTS["latent-loyals"], PROGRAM, histories, now=NOW, nps_answers=answers)
    assert [r["customer_id"] for r in rows] == ["1"]
    row = rows[0]
    assert tuple(row) == EXPORT_FIELDS
    assert row["email"] == "buyer1@firma1.example"
    assert (row["first_name"], row["company"], row["nps_score"], row["loyalty_type"]) == (
        "Anna",
        "Firma 1 GmbH",
        "9",
        "latent",
    )
    assert row["reason"] == "promoter (scored 9) with 1 order: invite a second purchase"
    assert row["lifetime_value"] == "120.00"
    true = segment_rows(SEGMENTS["true-loyals"], PROGRAM, histories, now=NOW, nps_answers=answers)
    assert [r["customer_id"] for r in true] == ["2"]


def test_birthdays_next_month_are_in_the_calendar_month_after_now() -> None:
    july, june = person(1, birthday=date(1980, 7, 4)), person(2, birthday=date(1980, 6, 20))
    rows = segment_rows(SEGMENTS["birthdays-next-month"], PROGRAM, [history(july), history(june)], now=NOW)
    assert [(r["customer_id"], r["birthday"], r["reason"]) for r in rows] == [
        ("1", "1980-07-04", "birthday on 2025-07-04")
    ]


def test_level_drop_finds_customers_whose_level_ends_within_the_window() -> None:
    leaving, staying = person(1), person(2)
    histories = [history(leaving, order(1, 1, 350)), history(staying, order(2, 2, 100))]
    rows = segment_rows(SEGMENTS["level-drop"], PROGRAM, histories, now=NOW)
    assert [r["customer_id"] for r in rows] == ["1"]
    assert rows[0]["level"] == "Bronze"
    assert rows[0]["level_drop_date"] == "2025-06-30"
    assert rows[0]["reason"] == "Bronze ends on 2025-06-30: order again to keep it"
    assert segment_rows(SEGMENTS["level-drop"], PROGRAM, histories, now=NOW, days=10) == []


def test_lapsed_first_contact_and_one_time_buyers() -> None:
    histories = [
        history(person(1), order(1, 1, 400), order(2, 1, 200)),
        history(person(2)),
        history(person(3), order(3, 3, 45)),
        history(person(4), order(4, 4, 5)),
    ]
    lapsed = segment_rows(SEGMENTS["lapsed"], PROGRAM, histories, now=NOW)
    assert [(r["customer_id"], r["reason"]) for r in lapsed] == [
        ("1", "no order for 200 days (last 2024-11-27)")
    ]
    first = segment_rows(SEGMENTS["first-contact"], PROGRAM, histories, now=NOW)
    assert [r["customer_id"] for r in first] == ["2"]
    once = segment_rows(SEGMENTS["one-time-buyers"], PROGRAM, histories, now=NOW)
    assert [r["customer_id"] for r in once] == ["3"]


def test_one_row_per_email_address_across_sources() -> None:
    twin = Customer(
        source="other", external_id="9", email="BUYER1@firma1.example", created_at=NOW, updated_at=NOW
    )
    histories = [history(person(1)), CustomerOrders("other", "9", twin, (), ())]
    rows = segment_rows(SEGMENTS["first-contact"], PROGRAM, histories, now=NOW + timedelta(days=1))
    assert [(r["source"], r["email"]) for r in rows] == [("shop", "buyer1@firma1.example")]


def test_every_segment_has_a_description() -> None:
    assert all(segment.description for segment in SEGMENTS.values())
    assert {"latent-loyals", "level-drop", "birthdays-next-month"} <= set(SEGMENTS)
