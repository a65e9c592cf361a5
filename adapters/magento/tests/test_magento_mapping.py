"""Every real Magento payload in the samples maps to the domain object it describes."""

from __future__ import annotations

import copy
import json
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from loyalty_connector.domain import Money, OrderStatus
from loyalty_connector.errors import MappingError
from loyalty_connector_magento.client import to_json_text
from loyalty_connector_magento.mapping import (
    format_timestamp,
    has_native_reward_points,
    map_customer,
    map_group,
    map_order,
    map_refund,
    parse_timestamp,
    position_of,
)

SAMPLES = Path(__file__).parent / "samples"


def sample(name: str) -> Any:
    return json.loads((SAMPLES / name).read_text(), parse_float=Decimal)


def usd(amount: str) -> Money:
    return Money.of(amount, "USD")


# --- orders -------------------------------------------------------------------------------------------


def test_configurable_order_counts_the_parent_line_once_and_keeps_the_child_as_its_child() -> None:
    order = map_order(sample("order.configurable-pending.ns8-2.3.json"), "m2")
    assert (order.external_id, order.number, order.customer_id) == ("3", "000000003", "1")
    assert order.status is OrderStatus.PENDING
    assert order.raw_status == "pending"
    assert order.placed_at == datetime(2019, 9, 13, 15, 4, 59, tzinfo=timezone.utc)
    assert order.updated_at == datetime(2019, 9, 13, 15, 5, 0, tzinfo=timezone.utc)
    parent, child = order.lines
    assert parent.counts_as_product
    assert parent.unit_price == usd("29")
    assert parent.tax == usd("2.39")
    assert not child.counts_as_product
    assert child.parent_line_id == "3"
    assert child.row_total == usd("0")
    assert (order.subtotal, order.tax, order.shipping, order.grand_total) == (
        usd("29"),
        usd("2.39"),
        usd("5"),
        usd("36.39"),
    )
    assert (order.base_currency, order.base_grand_total, order.group_id) == ("USD", usd("36.39"), "1")
    assert order.email == "roni_cost@example.com"
    assert not order.native_reward_points


def test_order_discount_is_positive_while_magento_sends_it_negative() -> None:
    payload = sample("order.discount-3-configurables.ns8-2.3.json")
    assert payload["discount_amount"] < 0
    order = map_order(payload, "m2")
    assert order.discount == usd("46.20")
    products = [line for line in order.lines if line.counts_as_product]
    assert [line.sku for line in products] == ["WJ12-XS-Blue", "WJ06-XS-Purple", "WJ06-XS-Green"]
    assert all(line.discount == usd("15.40") for line in products)
    # row_total is price x qty before discount, so the lines add up to the order subtotal (231)
    assert sum((line.row_total for line in products), usd("0")) == order.subtotal == usd("231")


def test_a_guest_order_has_no_customer_id_key_and_is_keyed_by_email() -> None:
    payload = sample("order.configurable-pending.ns8-2.3.json")
    del payload["customer_id"]
    payload["customer_is_guest"] = 1
    payload["customer_email"] = " Guest.Buyer@Example.com "
    order = map_order(payload, "m2")
    assert order.customer_id is None
    assert order.is_guest
    assert order.customer_key == "guest:guest.buyer@example.com"


def test_multi_currency_order_keeps_order_amounts_and_the_base_total_beside_them() -> None:
    payload = sample("order.configurable-pending.ns8-2.3.json")
    payload.update(order_currency_code="GBP", base_currency_code="EUR", grand_total=Decimal("31.20"))
    payload["base_grand_total"] = Decimal("36.39")
    order = map_order(payload, "m2")
    assert order.currency == "GBP"
    assert order.grand_total == Money.of("31.20", "GBP")
    assert order.lines[0].unit_price.currency == "GBP"
    assert order.base_currency == "EUR"
    assert order.base_grand_total == Money.of("36.39", "EUR")


@pytest.mark.parametrize(
    ("state", "status", "expected"),
    [
        ("new", "pending", OrderStatus.PENDING),
        ("pending_payment", "pending_payment", OrderStatus.PENDING),
        ("payment_review", "fraud", OrderStatus.PENDING),
        ("holded", "holded", OrderStatus.PENDING),
        ("processing", "processing", OrderStatus.PROCESSING),
        ("complete", "complete", OrderStatus.COMPLETE),
        ("closed", "closed", OrderStatus.CLOSED),
        ("canceled", "canceled", OrderStatus.CANCELED),
        ("processing", "b2b_approved", OrderStatus.PROCESSING),
    ],
)
def test_order_state_maps_to_a_normalized_status_and_keeps_the_raw_status(
    state: str, status: str, expected: OrderStatus
) -> None:
    payload = sample("order.configurable-pending.ns8-2.3.json")
    payload.update(state=state, status=status)
    order = map_order(payload, "m2")
    assert (order.status, order.raw_status) == (expected, status)


def test_refunded_and_canceled_quantities_are_kept_per_line() -> None:
    payload = sample("order.configurable-pending.ns8-2.3.json")
    payload["items"][0].update(qty_ordered=4, qty_refunded=1, qty_canceled=Decimal("0.5"))
    line = map_order(payload, "m2").lines[0]
    assert (line.qty, line.qty_refunded, line.qty_canceled) == (4, 1, Decimal("0.5"))
    assert line.row_total == usd("116")


def test_coupon_codes_come_from_coupon_code_and_the_2_4_7_extension_list() -> None:
    payload = sample("order.configurable-pending.ns8-2.3.json")
    payload["coupon_code"] = "REF-ANNA"
    payload["extension_attributes"]["coupon_codes"] = ["REF-ANNA", "SPRING"]
    assert map_order(payload, "m2").coupon_codes == ("REF-ANNA", "SPRING")


def test_adobe_commerce_reward_fields_mark_native_reward_points() -> None:
    payload = sample("order.configurable-pending.ns8-2.3.json")
    payload["extension_attributes"]["reward_points_balance"] = 120
    assert has_native_reward_points(payload)
    assert map_order(payload, "m2").native_reward_points
    top = sample("order.configurable-pending.ns8-2.3.json")
    top["reward_currency_amount"] = Decimal("1.20")
    assert map_order(top, "m2").native_reward_points


def test_an_unknown_order_state_is_a_mapping_error_naming_the_field() -> None:
    payload = sample("order.configurable-pending.ns8-2.3.json")
    payload["state"] = "teleported"
    with pytest.raises(MappingError) as caught:
        map_order(payload, "m2")
    assert caught.value.field == "state"
    assert caught.value.record_id == "3"


def test_an_order_without_items_or_email_is_a_mapping_error() -> None:
    payload = sample("order.configurable-pending.ns8-2.3.json")
    del payload["items"]
    with pytest.raises(MappingError, match="items"):
        map_order(payload, "m2")
    payload = sample("order.configurable-pending.ns8-2.3.json")
    del payload["customer_email"], payload["billing_address"]
    with pytest.raises(MappingError, match="customer_email"):
        map_order(payload, "m2")


def test_float_amounts_are_read_through_their_text_not_binary_float() -> None:
    payload = json.loads((SAMPLES / "order.configurable-pending.ns8-2.3.json").read_text())
    assert map_order(payload, "m2").grand_total.amount == Decimal("36.39")


# --- customers ----------------------------------------------------------------------------------------


def test_customer_maps_group_website_dob_and_keeps_the_raw_payload_for_put() -> None:
    payload = sample("customer.luma-4-addresses.ns8-2.3.json")
    customer = map_customer(payload, "m2")
    assert (customer.external_id, customer.email, customer.group_id, customer.website_id) == (
        "1",
        "roni_cost@example.com",
        "1",
        "1",
    )
    assert (customer.first_name, customer.last_name) == ("Veronica", "Costello")
    assert customer.birthday is not None
    assert customer.birthday.isoformat() == "1973-12-15"
    assert customer.created_at == datetime(2019, 9, 12, 15, 56, 39, tzinfo=timezone.utc)
    assert customer.raw == payload
    assert customer.company is None


def test_company_and_vat_id_come_from_the_default_billing_address_named_by_a_string_id() -> None:
    payload = sample("customer.luma-4-addresses.ns8-2.3.json")
    payload["default_billing"] = "3"
    payload["addresses"][2].update(company="Costello Office Supplies GmbH", vat_id="DE123456789")
    customer = map_customer(payload, "m2")
    assert customer.company == "Costello Office Supplies GmbH"
    assert customer.vat_id == "DE123456789"
    payload["taxvat"] = "DE999"
    assert map_customer(payload, "m2").vat_id == "DE999"


def test_every_customer_of_the_documented_search_envelope_maps() -> None:
    envelope = sample("search-customers.response.adobedocs.json")
    customers = [map_customer(item, "m2") for item in envelope["items"]]
    assert len(customers) == envelope["total_count"] == 1
    assert customers[0].updated_at == datetime(2018, 9, 22, 6, 32, 50, tzinfo=timezone.utc)
    assert position_of(envelope["items"][0], "id")[1] == "1"


def test_a_customer_without_email_is_a_mapping_error() -> None:
    payload = sample("customer.luma-4-addresses.ns8-2.3.json")
    del payload["email"]
    with pytest.raises(MappingError, match="email"):
        map_customer(payload, "m2")


# --- credit memos and groups ---------------------------------------------------------------------------


def test_credit_memo_becomes_a_refund_of_goods_excluding_tax_and_shipping() -> None:
    refund = map_refund(sample("creditmemo.get.response.kb-mdva-36572.json"), "m2")
    assert (refund.external_id, refund.order_id) == ("1", "1")
    assert refund.amount == usd("100")  # grand_total 105 includes 5 shipping
    [line] = refund.lines
    assert (line.order_line_id, line.sku, line.qty, line.amount) == ("1", "simple_1", 1, usd("100"))


def test_partial_credit_memo_lists_only_refunded_lines() -> None:
    payload = sample("creditmemo.get.response.kb-mdva-36572.json")
    second = copy.deepcopy(payload["items"][0])
    second.update(entity_id=2, order_item_id=2, qty=0, row_total=0)
    payload["items"].append(second)
    payload["subtotal"] = Decimal("50")
    payload["items"][0].update(qty=Decimal("0.5"), row_total=Decimal("50"))
    refund = map_refund(payload, "m2")
    assert refund.amount == usd("50")
    assert [line.order_line_id for line in refund.lines] == ["1"]


def test_customer_groups_of_the_search_envelope_map_by_id_and_code() -> None:
    envelope = sample("customer-groups.search.response.reconstructed.json")
    groups = [map_group(item, "m2") for item in envelope["items"]]
    assert [(g.external_id, g.code) for g in groups] == [
        ("0", "NOT LOGGED IN"),
        ("1", "General"),
        ("2", "Wholesale"),
        ("3", "Retailer"),
    ]


# --- scalars ------------------------------------------------------------------------------------------


def test_timestamps_are_utc_text_with_second_resolution() -> None:
    moment = parse_timestamp("2025-03-04 10:11:12", field="updated_at")
    assert moment == datetime(2025, 3, 4, 10, 11, 12, tzinfo=timezone.utc)
    assert format_timestamp(moment.replace(microsecond=500)) == "2025-03-04 10:11:12"
    assert format_timestamp(moment.replace(microsecond=500), round_up=True) == "2025-03-04 10:11:13"
    with pytest.raises(MappingError):
        parse_timestamp("yesterday", field="updated_at")


def test_quarantine_text_is_json_even_with_decimal_amounts() -> None:
    text = to_json_text({"grand_total": Decimal("36.39"), "qty": Decimal("2")})
    assert json.loads(text) == {"grand_total": 36.39, "qty": 2}


def test_a_customer_payload_with_a_key_that_is_not_text_is_refused_by_validation() -> None:
    payload = sample("customer.luma-4-addresses.ns8-2.3.json")
    payload[7] = "seven"
    with pytest.raises(MappingError, match=r"customer 1: 1 validation error for Customer\nraw\.7\.\[key\]"):
        map_customer(payload, "m2")
