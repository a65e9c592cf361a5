"""Mapping of real Shopware payloads (and variations of them) to domain records."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from loyalty_connector.adapter import Cursor
from loyalty_connector.domain import LineKind, OrderStatus
from loyalty_connector.errors import MappingError
from loyalty_connector_shopware.mapping import (
    change_position,
    map_customer,
    map_customer_group,
    map_order,
    money_decimal,
    parse_timestamp,
)
from loyalty_connector_shopware.refunds import map_refund

SAMPLES = Path("/work/shared/specs/shopware/samples")
ORDER_ID = "8f69d4874c53486a95383b2126161738"
TRANSACTION_ID = "55e858b413b54f8a97c64a040610b359"


def load(name: str, *, decimals: bool = False) -> dict[str, Any]:
    text = (SAMPLES / name).read_text()
    return json.loads(text, parse_float=Decimal) if decimals else json.loads(text)  # type: ignore[no-any-return]


@pytest.fixture
def order() -> dict[str, Any]:
    return load("order.entity.app-php-sdk-payment.json")


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


# -- the real order sample ---------------------------------------------------------------------


@pytest.mark.parametrize("decimals", [False, True], ids=["floats", "parse_float=Decimal"])
def test_real_order_sample_maps_every_field(decimals: bool) -> None:
    mapped = map_order(
        load("order.entity.app-php-sdk-payment.json", decimals=decimals), "sw", base_currency="EUR"
    )
    assert mapped.external_id == ORDER_ID
    assert mapped.number == "10077"
    assert mapped.customer_id == "5e5d6cd8917c45839b2f6aa7b4bf1425"
    assert mapped.email == "test@example.com"
    assert mapped.status is OrderStatus.PENDING
    assert mapped.raw_status == "open"
    assert mapped.currency == "EUR"
    assert mapped.placed_at == utc("2023-05-04T13:36:26.557")  # orderDateTime, the business time
    assert mapped.updated_at == utc("2023-05-04T13:36:26.566")  # updatedAt is null: createdAt
    (line,) = mapped.lines
    assert line.kind is LineKind.PRODUCT
    assert line.sku == "f3b92a7a618544308094cb4713b3ed84"  # payload.productNumber
    assert line.qty == Decimal(1)
    # The sample's line carries a 50 % calculated tax on a gross price of 395.01 (its order-level
    # price has none): the line is read from its own taxes, rounded first, net = gross - tax.
    assert line.tax.amount == Decimal("197.51")
    assert line.row_total.amount == Decimal("197.50")
    assert line.unit_price.amount == Decimal("197.50")
    assert line.row_total.amount + line.tax.amount == Decimal("395.01")
    assert len(line.category_ids) == 10
    assert mapped.subtotal.amount == Decimal("197.50")
    assert mapped.discount.amount == Decimal("0.00")
    assert mapped.shipping.amount == Decimal("0.00")
    assert mapped.tax.amount == Decimal("0.00")  # amountTotal - amountNet
    assert mapped.grand_total.amount == Decimal("395.01")
    assert mapped.base_grand_total is not None
    assert mapped.base_grand_total.amount == Decimal("395.01")
    assert mapped.coupon_codes == ()


def test_position_is_updated_at_or_created_at_with_auto_increment(order) -> None:
    assert change_position(order, "autoIncrement") == Cursor(utc("2023-05-04T13:36:26.566"), 82)
    order["updatedAt"] = "2023-06-01T08:00:00.001+00:00"
    assert change_position(order, "autoIncrement") == Cursor(utc("2023-06-01T08:00:00.001"), 82)


def test_money_floats_are_read_exactly_and_rounded_by_total_rounding(order) -> None:
    order["amountTotal"] = 52855.91000000001
    order["amountNet"] = 52855.91000000001
    assert money_decimal(52855.91000000001) == Decimal("52855.91000000001")
    assert map_order(order, "sw").grand_total.amount == Decimal("52855.91")


def test_zero_decimal_rounding_rounds_half_up_for_a_cash_rounded_currency(order) -> None:
    order["totalRounding"] = {"decimals": 0, "interval": 1.0, "roundForNet": True}
    order["amountTotal"] = 395.5
    order["amountNet"] = 395.5
    assert map_order(order, "sw").grand_total.amount == Decimal("396.00")


def test_net_prices_are_already_net_and_tax_comes_on_top(order) -> None:
    order["taxStatus"] = "net"
    line = order["lineItems"][0]
    line["price"]["totalPrice"] = 100.0
    line["price"]["unitPrice"] = 50.0
    line["quantity"] = 2
    line["price"]["calculatedTaxes"] = [{"tax": 19.0, "taxRate": 19, "price": 100.0}]
    order["amountNet"], order["amountTotal"] = 100.0, 119.0
    mapped = map_order(order, "sw")
    assert mapped.lines[0].row_total.amount == Decimal("100.00")
    assert mapped.lines[0].unit_price.amount == Decimal("50.00")
    assert mapped.lines[0].tax.amount == Decimal("19.00")
    assert mapped.subtotal.amount == Decimal("100.00")
    assert mapped.tax.amount == Decimal("19.00")


def test_gross_shipping_is_reported_without_its_tax(order) -> None:
    order["shippingCosts"]["totalPrice"] = 5.95
    order["shippingCosts"]["calculatedTaxes"] = [{"tax": 0.95, "taxRate": 19, "price": 5.95}]
    assert map_order(order, "sw").shipping.amount == Decimal("5.00")


def test_promotion_line_carries_its_code_and_counts_as_the_order_discount(order) -> None:
    promotion = load("constructed.order-line-item.promotion.json")
    order["lineItems"].append(promotion)
    mapped = map_order(order, "sw")
    line = next(line for line in mapped.lines if line.kind is LineKind.PROMOTION)
    assert line.code == "REF-ABCD-123"
    assert line.sku == "REF-ABCD-123"
    assert line.row_total.amount == Decimal("-33.19")  # -39.50 gross, -6.31 tax
    assert not line.counts_as_product
    assert mapped.coupon_codes == ("REF-ABCD-123",)
    assert mapped.discount.amount == Decimal("33.19")
    assert mapped.subtotal.amount == Decimal("197.50")  # promotions do not lower the product subtotal


def test_an_automatic_promotion_without_code_has_no_coupon(order) -> None:
    promotion = load("constructed.order-line-item.promotion.json")
    promotion["payload"]["code"] = ""
    promotion["referencedId"] = None
    order["lineItems"].append(promotion)
    mapped = map_order(order, "sw")
    assert mapped.coupon_codes == ()
    assert mapped.discount.amount == Decimal("33.19")


@pytest.mark.parametrize(
    ("shopware_type", "kind"),
    [
        ("credit", LineKind.CREDIT),
        ("custom", LineKind.CUSTOM),
        ("container", LineKind.CONTAINER),
        ("discount", LineKind.DISCOUNT),
        ("customized-products", LineKind.CUSTOM),
    ],
)
def test_line_types_map_to_line_kinds_and_only_products_count(order, shopware_type, kind) -> None:
    order["lineItems"][0]["type"] = shopware_type
    mapped = map_order(order, "sw")
    assert mapped.lines[0].kind is kind
    assert mapped.subtotal.amount == Decimal("0.00")


def test_a_guest_order_has_no_customer_id_and_is_keyed_by_email(order) -> None:
    order["orderCustomer"]["customerId"] = None
    order["orderCustomer"]["customer"] = None
    order["orderCustomer"]["email"] = " Guest@Example.com "
    mapped = map_order(order, "sw")
    assert mapped.customer_id is None
    assert mapped.customer_key == "guest:guest@example.com"


def test_an_order_of_a_guest_account_is_a_guest_order(order) -> None:
    order["orderCustomer"]["customer"]["guest"] = True
    assert map_order(order, "sw").customer_id is None


@pytest.mark.parametrize(
    ("order_state", "payment", "status"),
    [
        ("open", "open", OrderStatus.PENDING),
        ("open", "paid", OrderStatus.PENDING),
        ("in_progress", "paid", OrderStatus.PROCESSING),
        ("completed", "paid", OrderStatus.COMPLETE),
        ("completed", "refunded_partially", OrderStatus.COMPLETE),
        ("completed", "refunded", OrderStatus.COMPLETE),
        ("cancelled", "refunded", OrderStatus.CANCELED),
        ("cancelled", "cancelled", OrderStatus.CANCELED),
    ],
)
def test_the_order_state_alone_gives_the_normalized_status(order, order_state, payment, status) -> None:
    # payment changes do not bump order.updatedAt: folding them in would make the stored status
    # depend on when the order was read; refunds arrive through the transaction stream instead
    order["stateMachineState"]["technicalName"] = order_state
    order["transactions"][0]["stateMachineState"]["technicalName"] = payment
    mapped = map_order(order, "sw")
    assert mapped.status is status
    assert mapped.raw_status == order_state


def test_unloaded_transactions_leave_the_order_state_alone(order) -> None:
    order["transactions"] = None
    assert map_order(order, "sw").raw_status == "open"


@pytest.mark.parametrize("association", ["lineItems", "orderCustomer", "currency", "stateMachineState"])
def test_a_required_association_that_is_null_is_a_mapping_error(order, association) -> None:
    order[association] = None
    with pytest.raises(MappingError) as caught:
        map_order(order, "sw")
    assert caught.value.record_id == ORDER_ID


def test_an_unknown_order_state_is_a_mapping_error_naming_it(order) -> None:
    order["stateMachineState"]["technicalName"] = "on_hold"
    with pytest.raises(MappingError, match="on_hold"):
        map_order(order, "sw")


def test_a_foreign_currency_order_gets_its_base_total_from_the_currency_factor(order) -> None:
    order["currency"]["isoCode"] = "USD"
    order["currencyFactor"] = 1.0837
    order["amountTotal"], order["amountNet"] = 108.37, 108.37
    mapped = map_order(order, "sw", base_currency="EUR")
    assert mapped.currency == "USD"
    assert mapped.grand_total.amount == Decimal("108.37")
    assert mapped.base_grand_total is not None
    assert (mapped.base_grand_total.currency, mapped.base_grand_total.amount) == ("EUR", Decimal("100.00"))


def test_custom_fields_as_empty_list_are_harmless(order) -> None:
    order["customFields"] = []
    order["lineItems"][0]["customFields"] = []
    assert map_order(order, "sw").external_id == ORDER_ID


# -- the real customer sample ------------------------------------------------------------------


def test_real_customer_sample_maps_and_ignores_order_counters() -> None:
    raw = load("customer.entity.app-php-sdk-payment.json")
    customer = map_customer(raw, "sw")
    assert customer.external_id == "5e5d6cd8917c45839b2f6aa7b4bf1425"
    assert customer.email == "test@example.com"
    assert (customer.first_name, customer.last_name) == ("Max", "Mustermann")
    assert customer.group_id == "cfbd5018d38d41d8adca10d94fc8bdd6"
    assert customer.created_at == utc("2023-05-04T09:18:34.360")
    assert customer.updated_at == utc("2023-05-04T13:36:20.667")
    assert customer.birthday is None
    assert customer.company is None
    assert customer.vat_id is None
    assert customer.website_id == "98432def39fc4624b33213a56b8c944d"  # the sales channel it is bound to
    assert change_position(raw, "autoIncrement").tiebreak == 61


def test_customer_birthday_company_and_first_vat_id_are_read() -> None:
    raw = load("customer.entity.app-php-sdk-payment.json")
    raw.update(
        birthday="1984-02-29T00:00:00.000+00:00",
        company="ACME GmbH",
        vatIds=["DE123456789", "ATU1"],
        customFields=[],
    )
    customer = map_customer(raw, "sw")
    assert customer.birthday == date(1984, 2, 29)
    assert customer.company == "ACME GmbH"
    assert customer.vat_id == "DE123456789"


def test_a_customer_without_email_is_a_mapping_error() -> None:
    raw = load("customer.entity.app-php-sdk-payment.json")
    raw["email"] = None
    with pytest.raises(MappingError, match="email"):
        map_customer(raw, "sw")


def test_customer_group_name_is_its_code_and_translated_name_is_a_fallback() -> None:
    group = map_customer_group({"id": "a" * 32, "name": None, "translated": {"name": "Händler"}}, "sw")
    assert (group.external_id, group.code, group.name) == ("a" * 32, "Händler", "Händler")


# -- the real order-transaction sample ---------------------------------------------------------


@pytest.fixture
def transaction(order) -> dict[str, Any]:
    raw = load("order-transaction.entity.app-php-sdk-payment.json")
    raw["order"] = order  # the refunds stream loads the order association
    return raw


def test_real_transaction_sample_is_open_so_it_is_not_a_refund(transaction) -> None:
    assert transaction["stateMachineState"]["technicalName"] == "open"
    with pytest.raises(MappingError, match="not a refund state"):
        map_refund(transaction, "sw")


def test_a_refunded_transaction_refunds_the_goods_value_without_shipping(transaction) -> None:
    transaction["stateMachineState"]["technicalName"] = "refunded"
    transaction["order"]["shippingCosts"]["totalPrice"] = 5.0
    transaction["order"]["amountNet"] = 400.01
    refund = map_refund(transaction, "sw")
    assert refund.external_id == f"{TRANSACTION_ID}:refunded"
    assert refund.order_id == ORDER_ID
    assert refund.amount.amount == Decimal("395.01")
    assert refund.created_at == refund.updated_at == utc("2023-05-04T13:36:54.209")
    assert change_position(transaction, "order.autoIncrement") == Cursor(utc("2023-05-04T13:36:54.209"), 82)


def test_a_transaction_paying_part_of_the_order_refunds_its_share(transaction) -> None:
    transaction["stateMachineState"]["technicalName"] = "refunded"
    transaction["amount"]["totalPrice"] = 197.505
    assert map_refund(transaction, "sw").amount.amount == Decimal("197.51")


def test_a_partial_refund_has_amount_zero_and_its_own_identity(transaction) -> None:
    transaction["stateMachineState"]["technicalName"] = "refunded_partially"
    partial = map_refund(transaction, "sw")
    transaction["stateMachineState"]["technicalName"] = "refunded"
    full = map_refund(transaction, "sw")
    assert partial.amount.amount == Decimal("0.00")
    assert partial.external_id != full.external_id
    assert full.amount.amount == Decimal("395.01")


def test_a_refund_without_its_order_loaded_is_a_mapping_error(transaction) -> None:
    transaction["stateMachineState"]["technicalName"] = "refunded"
    transaction["order"] = None
    with pytest.raises(MappingError, match="order"):
        map_refund(transaction, "sw")


# -- timestamps --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "2023-05-04T13:36:26.566+00:00",
        "2023-05-04T15:36:26.566+02:00",
        "2023-05-04T13:36:26.566Z",
        "2023-05-04 13:36:26.566",
    ],
)
def test_timestamps_in_every_shopware_format_become_utc(text: str) -> None:
    assert parse_timestamp(text) == utc("2023-05-04T13:36:26.566")


def test_a_missing_position_tiebreak_is_a_mapping_error(order) -> None:
    del order["autoIncrement"]
    with pytest.raises(MappingError, match="autoIncrement"):
        change_position(order, "autoIncrement")


def capture_refund(
    refund_id: str,
    at: str,
    gross: float,
    positions: list[dict[str, Any]] | None = None,
    state: str = "completed",
) -> dict[str, Any]:
    return {
        "id": refund_id,
        "createdAt": at,
        "amount": {"totalPrice": gross, "calculatedTaxes": []},
        "stateMachineState": {"technicalName": state},
        "positions": positions or [],
    }


@pytest.fixture
def taxed_transaction(transaction) -> dict[str, Any]:
    """The sample order made consistent: 119.00 gross, 100.00 net goods, no shipping."""
    order = transaction["order"]
    order["amountTotal"], order["amountNet"] = 119.0, 100.0
    transaction["amount"]["totalPrice"] = 119.0
    return transaction


def test_a_partial_refund_with_positions_refunds_the_net_value_of_the_returned_lines(
    taxed_transaction,
) -> None:
    position = {
        "orderLineItemId": "l1",
        "quantity": 1,
        "amount": {"totalPrice": 59.5, "calculatedTaxes": [{"tax": 9.5}]},
    }
    taxed_transaction["stateMachineState"]["technicalName"] = "refunded_partially"
    taxed_transaction["captures"] = [
        {"id": "c1", "refunds": [capture_refund("r1", "2023-05-05T10:00:00.000+00:00", 59.5, [position])]}
    ]
    assert map_refund(taxed_transaction, "sw").amount.amount == Decimal("50.00")


def test_a_partial_refund_without_positions_takes_the_goods_share_of_its_amount(taxed_transaction) -> None:
    taxed_transaction["stateMachineState"]["technicalName"] = "refunded_partially"
    taxed_transaction["captures"] = [
        {
            "id": "c1",
            "refunds": [
                capture_refund("r1", "2023-05-05T10:00:00.000+00:00", 23.8),
                capture_refund("r0", "2023-05-05T09:00:00.000+00:00", 99.0, state="failed"),
            ],
        }
    ]
    assert map_refund(taxed_transaction, "sw").amount.amount == Decimal("20.00")  # 23.80 x 100/119


def test_the_full_refund_after_a_partial_one_reverses_only_the_rest(taxed_transaction) -> None:
    taxed_transaction["captures"] = [
        {
            "id": "c1",
            "refunds": [
                capture_refund("r2", "2023-05-06T10:00:00.000+00:00", 95.2),
                capture_refund("r1", "2023-05-05T10:00:00.000+00:00", 23.8),
            ],
        }
    ]
    taxed_transaction["stateMachineState"]["technicalName"] = "refunded"
    full = map_refund(taxed_transaction, "sw")
    assert full.amount.amount == Decimal("80.00")  # 100.00 goods - 20.00 carried by the partial record
    # what the partial record carried when only the first refund existed
    taxed_transaction["captures"][0]["refunds"] = [
        capture_refund("r1", "2023-05-05T10:00:00.000+00:00", 23.8)
    ]
    taxed_transaction["stateMachineState"]["technicalName"] = "refunded_partially"
    partial = map_refund(taxed_transaction, "sw")
    assert partial.amount.amount + full.amount.amount == Decimal("100.00")


def test_a_full_refund_in_one_go_reverses_the_whole_goods_value(taxed_transaction) -> None:
    taxed_transaction["stateMachineState"]["technicalName"] = "refunded"
    taxed_transaction["captures"] = [
        {"id": "c1", "refunds": [capture_refund("r1", "2023-05-05T10:00:00.000+00:00", 119.0)]}
    ]
    assert map_refund(taxed_transaction, "sw").amount.amount == Decimal("100.00")


def test_a_loyalty_group_reads_back_under_the_programme_code() -> None:
    group = map_customer_group({"id": "a" * 32, "name": "[loyalty] Loyalty Gold"}, "sw")
    assert group.code == "Loyalty Gold"
    assert group.name == "[loyalty] Loyalty Gold"
    assert map_customer_group({"id": "b" * 32, "name": "Wholesale"}, "sw").code == "Wholesale"


# -- values taken from the shop as they are: still validated when they are not text ----------------


def test_a_line_label_that_is_not_text_is_refused_by_validation(order) -> None:
    order["lineItems"][0]["label"] = 5
    with pytest.raises(ValidationError, match=r"OrderLine\nname\n  Input should be a valid string"):
        map_order(order, "sw", base_currency="EUR")


def test_a_customer_group_id_that_is_not_text_is_refused_by_validation() -> None:
    customer = load("customer.entity.app-php-sdk-payment.json")
    customer["groupId"] = 7
    with pytest.raises(ValidationError, match=r"Customer\ngroup_id\n  Input should be a valid string"):
        map_customer(customer, "sw")


def test_an_unknown_base_currency_of_the_caller_is_refused_by_validation(order) -> None:
    order["currencyFactor"] = 0.9
    with pytest.raises(ValidationError, match="unknown currency code 'usd'"):
        map_order(order, "sw", base_currency="usd")
