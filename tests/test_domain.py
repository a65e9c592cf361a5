"""Money and the domain records: quantization, currency safety, UTC timestamps, identities."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from loyalty_connector.domain import (
    Customer,
    LineKind,
    Money,
    Order,
    OrderLine,
    OrderStatus,
    guest_key,
    minor_unit,
    quantize,
)
from loyalty_connector.errors import CurrencyMismatchError

T0 = datetime(2026, 3, 1, 12, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("currency", "raw", "expected"),
    [
        ("EUR", "10.005", "10.01"),
        ("EUR", "10.004", "10.00"),
        ("EUR", "-0.005", "-0.01"),
        ("JPY", "1234.5", "1235"),
        ("BHD", "1.0005", "1.001"),
        ("KWD", "2.0004", "2.000"),
    ],
)
def test_money_is_quantized_half_up_to_the_currency_minor_unit(
    currency: str, raw: str, expected: str
) -> None:
    assert Money.of(raw, currency).amount == Decimal(expected)
    assert str(Money.of(raw, currency).amount) == expected


def test_minor_units_of_common_currencies() -> None:
    assert (minor_unit("EUR"), minor_unit("JPY"), minor_unit("BHD")) == (2, 0, 3)


def test_unknown_currency_is_refused_with_the_code_named() -> None:
    with pytest.raises(ValidationError, match="EUO"):
        Money.of("1", "EUO")


def test_money_refuses_floats() -> None:
    with pytest.raises(ValidationError, match="float"):
        Money(amount=0.1, currency="EUR")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="float"):
        Money.of(1, "EUR") * 0.5  # type: ignore[operator]


def test_money_refuses_infinite_amounts() -> None:
    with pytest.raises(ValidationError, match="finite"):
        Money.of("Infinity", "EUR")


def test_arithmetic_across_currencies_raises_a_clear_error() -> None:
    with pytest.raises(CurrencyMismatchError, match="cannot add EUR and USD"):
        Money.of(1, "EUR") + Money.of(1, "USD")
    with pytest.raises(CurrencyMismatchError, match="compare"):
        assert Money.of(1, "EUR") < Money.of(2, "GBP")


def test_money_arithmetic_keeps_currency_and_quantizes() -> None:
    a, b = Money.of("10.10", "EUR"), Money.of("0.05", "EUR")
    assert a + b == Money.of("10.15", "EUR")
    assert a - b == Money.of("10.05", "EUR")
    assert a * Decimal("0.333") == Money.of("3.36", "EUR")
    assert -a == Money.of("-10.10", "EUR")
    assert str(Money.of("1234.5", "EUR")) == "1,234.50 EUR"


@given(st.decimals(min_value=-(10**9), max_value=10**9, allow_nan=False, allow_infinity=False, places=6))
def test_quantize_is_idempotent_and_within_half_a_minor_unit(value: Decimal) -> None:
    once = quantize(value, "EUR")
    assert quantize(once, "EUR") == once
    assert abs(once - value) <= Decimal("0.005")


def _customer(**changes: object) -> Customer:
    fields: dict[str, object] = {
        "source": "shop",
        "external_id": "42",
        "email": "Einkauf@Example.COM ",
        "created_at": T0,
        "updated_at": T0,
    }
    fields.update(changes)
    return Customer.model_validate(fields)


def test_naive_timestamps_are_refused() -> None:
    with pytest.raises(ValidationError, match="timezone-aware"):
        _customer(created_at=datetime(2026, 1, 1))  # noqa: DTZ001 - the point of the test


def test_aware_timestamps_are_converted_to_utc() -> None:
    berlin = timezone(timedelta(hours=1))
    customer = _customer(updated_at=datetime(2026, 1, 1, 0, 30, tzinfo=berlin))
    assert customer.updated_at == datetime(2025, 12, 31, 23, 30, tzinfo=timezone.utc)
    assert customer.updated_at.tzinfo == timezone.utc


def test_records_are_frozen() -> None:
    customer = _customer()
    with pytest.raises(ValidationError):
        customer.email = "other@example.com"  # type: ignore[misc]


def _order(customer_id: str | None, email: str = "Buyer@Example.com") -> Order:
    eur = Money.of("100", "EUR")
    zero = Money.zero("EUR")
    line = OrderLine(
        line_id="1",
        sku="PAPER-A4",
        qty=Decimal(10),
        unit_price=Money.of("10", "EUR"),
        row_total=eur,
        discount=zero,
        tax=zero,
    )
    return Order(
        source="shop",
        external_id="1001",
        number="1001",
        customer_id=customer_id,
        email=email,
        status=OrderStatus.COMPLETE,
        raw_status="complete",
        currency="EUR",
        placed_at=T0,
        updated_at=T0,
        lines=(line,),
        subtotal=eur,
        discount=zero,
        shipping=zero,
        tax=zero,
        grand_total=eur,
    )


def test_guests_are_keyed_by_normalized_email() -> None:
    order = _order(None, " Buyer@Example.COM")
    assert order.is_guest
    assert order.customer_key == "guest:buyer@example.com" == guest_key("buyer@EXAMPLE.com ")


def test_registered_customers_are_keyed_by_their_shop_id() -> None:
    assert _order("42").customer_key == "42"
    assert _customer().key == "42"
    assert _customer().email_normalized == "einkauf@example.com"


def test_child_and_gift_lines_do_not_count_as_products() -> None:
    zero = Money.zero("EUR")
    child = OrderLine(
        line_id="2",
        sku="SHIRT-M",
        qty=Decimal(1),
        unit_price=zero,
        row_total=zero,
        discount=zero,
        tax=zero,
        parent_line_id="1",
    )
    gift = child.model_copy(update={"parent_line_id": None, "kind": LineKind.GIFT})
    assert not child.counts_as_product
    assert not gift.counts_as_product
    assert _order("1").lines[0].counts_as_product


# --- trusted (validation-free) constructors -----------------------------------------------------------

AMOUNTS = st.one_of(
    st.decimals(allow_nan=False, allow_infinity=False, places=5, min_value=-(10**9), max_value=10**9),
    st.sampled_from([Decimal("-0"), Decimal("0E-7"), Decimal("-0.001"), Decimal("1E+3"), Decimal("0.005")]),
)
CURRENCIES = st.sampled_from(["EUR", "JPY", "BHD", "USD"])


def _fingerprint(money: Money) -> tuple[str, str, set[str]]:
    return str(money.amount), money.currency, money.model_fields_set


@given(AMOUNTS, CURRENCIES)
def test_rounded_money_is_exactly_what_validation_builds(amount: Decimal, currency: str) -> None:
    fast, validated = Money.rounded(amount, currency), Money(amount=amount, currency=currency)
    assert fast == validated
    assert _fingerprint(fast) == _fingerprint(validated)  # same digits, sign of zero included
    assert fast.model_dump(mode="json") == validated.model_dump(mode="json")


@pytest.mark.parametrize(
    ("amount", "currency"),
    [(0.1, "EUR"), (Decimal("NaN"), "EUR"), (Decimal("Infinity"), "EUR"), (Decimal(1), "EUO"), ("x", "EUR")],
)
def test_rounded_money_refuses_what_validation_refuses_with_the_same_error(
    amount: object, currency: str
) -> None:
    with pytest.raises(ValidationError) as validated:
        Money(amount=amount, currency=currency)  # type: ignore[arg-type]
    with pytest.raises(ValidationError) as fast:
        Money.rounded(amount, currency)  # type: ignore[arg-type]
    assert str(fast.value) == str(validated.value)


def test_rounded_money_takes_lower_case_codes_through_validation() -> None:
    assert Money.rounded(Decimal("1.005"), "eur") == Money.of("1.01", "EUR")


def test_money_of_minor_units_counts_in_the_currency_minor_unit() -> None:
    assert Money.of_minor(1999, "EUR") == Money.of("19.99", "EUR")
    assert str(Money.of_minor(-5, "bhd").amount) == "-0.005"
    assert str(Money.of_minor(1500, "JPY").amount) == "1500"
    with pytest.raises(TypeError, match="int"):
        Money.of_minor(True, "EUR")


def test_zero_money_is_shared_but_negative_zero_keeps_its_sign() -> None:
    assert Money.zero("EUR") is Money.rounded(Decimal("0.000"), "EUR")
    assert str(Money.rounded(Decimal("-0.001"), "EUR").amount) == "-0.00"
    with pytest.raises(ValidationError):
        Money.zero("EUR").amount = Decimal(1)  # type: ignore[misc]


def test_a_trusted_record_equals_the_validated_one_and_stays_frozen() -> None:
    fields = {
        "line_id": "1",
        "sku": "PAPER-A4",
        "qty": Decimal(2),
        "unit_price": Money.of("5", "EUR"),
        "row_total": Money.of("10", "EUR"),
        "discount": Money.zero("EUR"),
        "tax": Money.of("1.90", "EUR"),
    }
    trusted, validated = OrderLine.trusted(**fields), OrderLine(**fields)
    assert trusted == validated
    assert repr(trusted) == repr(validated)
    assert trusted.model_fields_set == validated.model_fields_set == set(fields)
    assert trusted.model_dump(mode="json") == validated.model_dump(mode="json")
    assert trusted.model_copy(update={"kind": LineKind.GIFT}).kind is LineKind.GIFT
    with pytest.raises(ValidationError):
        trusted.sku = "OTHER"  # type: ignore[misc]


def test_a_trusted_record_still_refuses_missing_and_unknown_fields() -> None:
    with pytest.raises(TypeError, match=r"missing \['discount', 'row_total', 'sku', 'tax'\]"):
        OrderLine.trusted(line_id="1", qty=Decimal(1), unit_price=Money.zero("EUR"))  # type: ignore[call-arg]
    with pytest.raises(TypeError, match=r"unknown \['colour'\]"):
        Money.trusted(amount=Decimal(1), currency="EUR", colour="red")
