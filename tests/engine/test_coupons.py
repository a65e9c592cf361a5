"""Next-purchase and birthday coupons: boundaries, leap days, New Year, time zones, abuse checks."""

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import engine_kit as kit
import pytest
from engine_kit import one_line_order

from loyalty_connector.domain import Customer, Order, OrderStatus
from loyalty_connector.engine.coupons import birthday_in
from loyalty_connector.engine.customer import CustomerEvaluator, CustomerResult, History
from loyalty_connector.engine.results import IntentKind, LedgerIntent
from loyalty_connector.program import Program

UTC = timezone.utc
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
DAY = timedelta(days=1)

COUPONS = """
coupons:
  next_purchase:
    - {id: thanks, discount: {percent: 5}, valid_days: 30, min_subtotal: 1000}
  birthday:
    id: bday
    discount: {amount: 20}
    days_before: 7
    days_after: 14
    min_days_since_birthday_set: 30
"""


def program(body: str = COUPONS) -> Program:
    return kit.program(body)


def order(oid: str, placed: datetime, amount: str, status: OrderStatus = OrderStatus.COMPLETE) -> Order:
    return one_line_order(oid, placed, amount, sku="CHAIR-ERGO", status=status)


def customer(
    *,
    birthday: date | None = None,
    birthday_set_at: datetime | None = None,
    created: datetime = datetime(2020, 1, 1, tzinfo=UTC),
) -> Customer:
    return Customer(
        source="shop",
        external_id="c1",
        email="buyer@kontor.example",
        birthday=birthday,
        birthday_set_at=birthday_set_at,
        created_at=created,
        updated_at=created,
    )


def evaluate(
    who: Customer,
    now: datetime,
    orders: tuple[Order, ...] = (),
    prog: Program | None = None,
    **options: object,
) -> CustomerResult:
    evaluator = CustomerEvaluator(prog or program())
    return evaluator.evaluate(who, History(orders), now, **options)  # type: ignore[arg-type]


def coupons(result: CustomerResult, rule_id: str) -> list[LedgerIntent]:
    return [i for i in result.intents if i.kind is IntentKind.COUPON and i.rule_id == rule_id]


def test_a_next_purchase_coupon_is_issued_for_an_order_exactly_at_the_minimum() -> None:
    [coupon] = coupons(evaluate(customer(), T0 + DAY, (order("o1", T0, "1000.00"),)), "thanks")
    assert coupon.key == "thanks/coupon/shop/c1/order:o1"
    assert (coupon.percent, coupon.amount) == (Decimal(5), None)
    assert (coupon.available_at, coupon.expires_at) == (T0, T0 + 30 * DAY)


def test_no_next_purchase_coupon_below_the_minimum_and_the_outcome_says_what_is_missing() -> None:
    result = evaluate(customer(), T0 + DAY, (order("o1", T0, "999.99"),))
    assert coupons(result, "thanks") == []
    [why] = [o for o in result.outcomes if o.rule_id == "thanks"]
    assert (why.applied, why.missing) == (False, "0.01 EUR")


def test_no_next_purchase_coupon_before_the_order_reached_the_qualifying_status() -> None:
    processing = order("o1", T0, "5000.00", OrderStatus.PROCESSING)
    assert coupons(evaluate(customer(), T0 + DAY, (processing,)), "thanks") == []


def test_one_next_purchase_coupon_per_order() -> None:
    orders = (order("o1", T0, "1500.00"), order("o2", T0 + DAY, "1500.00"))
    result = evaluate(customer(), T0 + 2 * DAY, orders)
    assert [c.record for c in coupons(result, "thanks")] == ["order:o1", "order:o2"]


@pytest.mark.parametrize(
    ("year", "expected"), [(2027, date(2027, 2, 28)), (2028, date(2028, 2, 29)), (2100, date(2100, 2, 28))]
)
def test_a_leap_day_birthday_is_celebrated_on_28_february_in_common_years(year: int, expected: date) -> None:
    assert birthday_in(date(2000, 2, 29), year) == expected


def test_leap_day_birthday_coupons_follow_the_calendar_of_each_year() -> None:
    who = customer(birthday=date(2000, 2, 29), created=datetime(2026, 6, 1, tzinfo=UTC))
    result = evaluate(who, datetime(2028, 12, 31, tzinfo=UTC))
    found = {c.record: c.attribute("birthday") for c in coupons(result, "bday")}
    assert found == {"birthday:2027": "2027-02-28", "birthday:2028": "2028-02-29"}


def test_a_birthday_window_runs_across_new_year_in_the_programme_time_zone() -> None:
    who = customer(birthday=date(1980, 1, 3))
    berlin_midnight = datetime(2026, 12, 26, 23, 0, tzinfo=UTC)
    assert (
        coupons(evaluate(who, berlin_midnight - timedelta(seconds=1)), "bday")[-1].record == "birthday:2026"
    )
    [coupon] = [c for c in coupons(evaluate(who, berlin_midnight), "bday") if c.record == "birthday:2027"]
    assert (coupon.available_at, coupon.expires_at) == (
        berlin_midnight,
        datetime(2027, 1, 17, 23, 0, tzinfo=UTC),
    )
    assert (coupon.amount, coupon.currency) == (Decimal(20), "EUR")


def test_no_birthday_coupon_when_the_birthday_was_entered_10_days_before_it() -> None:
    who = customer(birthday=date(1980, 6, 20), birthday_set_at=datetime(2026, 6, 10, 12, 0, tzinfo=UTC))
    result = evaluate(who, datetime(2027, 6, 30, tzinfo=UTC))
    assert [c.record for c in coupons(result, "bday")] == ["birthday:2027"]
    assert any(
        "no 2026 birthday coupon" in o.reason and "entered on 2026-06-10" in o.reason for o in result.outcomes
    )


def test_no_birthday_coupon_for_years_before_the_customer_existed() -> None:
    who = customer(birthday=date(1980, 3, 1), created=datetime(2026, 6, 1, tzinfo=UTC))
    result = evaluate(who, datetime(2027, 6, 1, tzinfo=UTC))
    assert [c.record for c in coupons(result, "bday")] == ["birthday:2027"]


def test_a_birthday_coupon_is_only_issued_once_now_reaches_the_window_start() -> None:
    who = customer(birthday=date(1980, 6, 20))
    start = datetime(2026, 6, 12, 22, 0, tzinfo=UTC)
    assert "birthday:2026" not in {
        c.record for c in coupons(evaluate(who, start - timedelta(seconds=1)), "bday")
    }
    assert "birthday:2026" in {c.record for c in coupons(evaluate(who, start), "bday")}


RESTRICTED = """
levels:
  levels:
    - {id: gold, name: Gold, customer_group: Loyalty Gold, min_orders: 1}
coupons:
  birthday: {id: bday, discount: {percent: 10}, customer_groups: [Loyalty Gold]}
"""


def test_a_group_restricted_birthday_coupon_counts_the_shop_group_or_the_level_group() -> None:
    who = customer(birthday=date(1980, 6, 20), created=datetime(2026, 1, 1, tzinfo=UTC))
    now = datetime(2026, 6, 20, tzinfo=UTC)
    prog = program(RESTRICTED)
    assert coupons(evaluate(who, now, prog=prog, customer_group="General"), "bday") == []
    assert len(coupons(evaluate(who, now, prog=prog, customer_group="loyalty gold"), "bday")) == 1
    as_member = evaluate(who, now, (order("o1", datetime(2026, 2, 1, tzinfo=UTC), "10.00"),), prog=prog)
    assert [c.percent for c in coupons(as_member, "bday")] == [Decimal(10)]


@pytest.mark.parametrize(
    "zone", ["Europe/Berlin", "Pacific/Kiritimati", "Pacific/Pago_Pago", "America/St_Johns", "UTC"]
)
def test_the_local_year_and_midnights_match_the_zone_around_every_new_year(zone: str) -> None:
    from zoneinfo import ZoneInfo

    from loyalty_connector.engine.coupons import CouponRules

    prog = program().model_copy(update={"timezone": zone})
    assert prog.coupons is not None
    rules = CouponRules(prog, prog.coupons)
    tz = ZoneInfo(zone)
    for year in range(2023, 2028):
        for start in (datetime(year, 12, 29, tzinfo=UTC), datetime(year, 6, 1, tzinfo=UTC)):
            for hours in range(0, 24 * 5, 5):
                moment = start + timedelta(hours=hours, minutes=17)
                assert rules._local_year(moment) == moment.astimezone(tz).year
        day = date(year, 3, 29)
        expected = datetime(year, 3, 29, tzinfo=tz).astimezone(UTC)
        assert rules._midnight(day) == expected
        assert rules._midnight(day) == expected  # remembered
