"""Stored records read back without validation are exactly what validating their JSON gives."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from pydantic import ValidationError

from loyalty_connector.domain import (
    Customer,
    LineKind,
    Money,
    Order,
    OrderLine,
    OrderStatus,
    Refund,
    RefundLine,
)
from loyalty_connector.store import decode
from loyalty_connector.store.decode import RecordDecoder
from loyalty_connector.synthetic import generate_history

AT = datetime(2025, 3, 1, 9, 30, 15, 123456, tzinfo=timezone.utc)


def test_the_fast_path_covers_the_current_domain_models():
    # fails when a domain model gains, loses or reorders a field: bring decode.py's builders up to date
    assert decode.FAST
    assert RecordDecoder().fast


def test_generated_histories_decode_equal_to_validation():
    history = generate_history(customers=60, orders=600, source="shop")
    fast, slow = RecordDecoder(), RecordDecoder(fast=False)
    for order in history.orders:
        data = order.model_dump_json()
        assert fast.order(data) == slow.order(data) == order
    for refund in history.refunds:
        data = refund.model_dump_json()
        assert fast.refund(data) == slow.refund(data) == refund
    for customer in history.customers:
        data = customer.model_dump_json()
        assert fast.customer(data) == slow.customer(data) == customer


def every_optional_field_order() -> Order:
    usd = Money.of("19.99", "USD")
    return Order(
        source="shop",
        external_id="9",
        number="100000009",
        customer_id=None,
        email="Guest@Example.com",
        status=OrderStatus.CLOSED,
        raw_status="closed",
        currency="USD",
        placed_at=AT,
        updated_at=AT,
        lines=(
            OrderLine(
                line_id="1", sku="CFG", name="Chair", kind=LineKind.PRODUCT, qty=Decimal("2.5"),
                unit_price=usd, row_total=usd, discount=Money.of("1.5", "USD"), tax=Money.zero("USD"),
                qty_refunded=Decimal(1), qty_canceled=Decimal("0.5"), category_ids=("3", "7"),
            ),
            OrderLine(
                line_id="2", sku="CFG-RED", kind=LineKind.GIFT, qty=Decimal(1), unit_price=usd,
                row_total=usd, discount=usd, tax=Money.zero("USD"), parent_line_id="1", code="FREE",
            ),
        ),
        subtotal=usd,
        discount=Money.of("1.50", "USD"),
        shipping=Money.zero("USD"),
        tax=Money.zero("USD"),
        grand_total=usd,
        coupon_codes=("REF-ABC", "SUMMER"),
        base_currency="EUR",
        base_grand_total=Money.of("18.40", "EUR"),
        group_id="4",
        native_reward_points=True,
    )  # fmt: skip


def test_every_optional_field_round_trips():
    order = every_optional_field_order()
    decoded = RecordDecoder().order(order.model_dump_json())
    assert decoded == order
    assert decoded.placed_at.tzinfo is timezone.utc
    assert decoded.lines[0].category_ids == ("3", "7")
    assert decoded.status is OrderStatus.CLOSED
    assert decoded.lines[1].kind is LineKind.GIFT
    refund = Refund(
        source="shop", external_id="r1", order_id="9", created_at=AT, updated_at=AT,
        amount=Money.of("10", "USD"),
        lines=(RefundLine(order_line_id="1", sku="CFG", qty=Decimal(1), amount=Money.of("10", "USD")),),
    )  # fmt: skip
    assert RecordDecoder().refund(refund.model_dump_json()) == refund
    customer = Customer(
        source="shop", external_id="5", email="a@b.example", birthday=date(1980, 2, 29),
        birthday_set_at=AT, created_at=AT, updated_at=AT, website_id="1", raw={"id": 5},
    )  # fmt: skip
    decoded_customer = RecordDecoder().customer(customer.model_dump_json())
    assert decoded_customer == customer.model_copy(update={"raw": None})
    assert decoded_customer.raw is None, "raw is never stored"


def test_equal_amounts_are_shared_within_one_decoder():
    decoder = RecordDecoder()
    first = decoder.order(every_optional_field_order().model_dump_json())
    second = decoder.order(every_optional_field_order().model_dump_json())
    assert first.subtotal is second.subtotal
    assert first.tax is first.shipping


def test_json_of_another_shape_is_validated_instead():
    data = json.loads(every_optional_field_order().model_dump_json())
    del data["group_id"]  # a row written before a field with a default existed
    assert RecordDecoder().order(json.dumps(data)).group_id is None
    data["lines"][0]["unit_price"] = {"amount": "1.005", "currency": "USD"}
    data["lines"][0]["surprise"] = 1
    with pytest.raises(ValidationError):
        RecordDecoder().order(json.dumps(data))


def test_fast_instances_record_the_same_fields_as_set_and_layout_as_validated_ones():
    order = every_optional_field_order()
    data = order.model_dump_json()
    fast, slow = RecordDecoder().order(data), RecordDecoder(fast=False).order(data)
    pairs = [(fast, slow), (fast.lines[0], slow.lines[0]), (fast.subtotal, slow.subtotal)]
    for built, validated in pairs:
        assert built.model_fields_set == validated.model_fields_set
        assert list(built.__dict__) == list(validated.__dict__)
        assert built.model_dump_json() == validated.model_dump_json()
    assert fast.lines[0].model_fields_set is not fast.lines[1].model_fields_set, "never shared"


def test_money_of_another_shape_in_a_line_is_validated_not_taken_from_the_cache():
    decoder = RecordDecoder()
    data = json.loads(every_optional_field_order().model_dump_json())
    decoder.order(json.dumps(data))  # the decoder now knows every amount of the order
    data["lines"][0]["tax"]["note"] = "extra"
    with pytest.raises(ValidationError):
        decoder.order(json.dumps(data))
