"""The seeded shop looks like a B2B office-supplies wholesaler and holds the cases sync must handle."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from loyalty_connector_magento.sandbox import MagentoSandbox


@pytest.fixture(scope="module")
def shop() -> MagentoSandbox:
    return MagentoSandbox(seed=7, customers=50, orders=400)


@pytest.fixture(scope="module")
def orders(shop: MagentoSandbox) -> list[dict[str, Any]]:
    return list(shop.orders.values())


def test_orders_span_states_mostly_complete(orders: list[dict[str, Any]]) -> None:
    states = Counter(order["state"] for order in orders)
    assert states.most_common(1)[0][0] == "complete"
    assert {"new", "processing", "complete", "closed", "canceled"} <= set(states)
    assert {(o["state"], o["status"]) for o in orders if o["state"] == "new"} == {("new", "pending")}


def test_guest_orders_have_no_customer_id_and_some_reuse_a_customer_email_in_other_case(
    shop: MagentoSandbox, orders: list[dict[str, Any]]
) -> None:
    guests = [o for o in orders if o["customer_is_guest"] == 1]
    assert guests
    assert all("customer_id" not in o and o["customer_group_id"] == 0 for o in guests)
    registered = {c["email"] for c in shop.customers.values()}
    folded = {email.casefold() for email in registered}
    look_alikes = [o["customer_email"] for o in guests if o["customer_email"].casefold() in folded]
    assert look_alikes
    assert all(email not in registered for email in look_alikes)


def test_some_customers_share_a_mailbox_through_plus_tags_or_gmail_dots(shop: MagentoSandbox) -> None:
    emails = [c["email"] for c in shop.customers.values()]

    def mailbox(email: str) -> str:
        local, _, domain = email.lower().partition("@")
        local = local.split("+")[0]
        return f"{local.replace('.', '') if domain == 'gmail.com' else local}@{domain}"

    boxes = Counter(mailbox(email) for email in emails)
    assert any(count > 1 for count in boxes.values())
    assert len({email.casefold() for email in emails}) == len(emails)


def test_customers_are_b2b_buyers_with_companies_and_vat_ids(shop: MagentoSandbox) -> None:
    customers = list(shop.customers.values())
    assert {c["group_id"] for c in customers} <= {1, 2, 3}
    assert all(c["website_id"] == 1 for c in customers)
    with_address = [c for c in customers if c["addresses"]]
    assert all(c["addresses"][0].get("company") for c in with_address)
    assert sum("taxvat" in c for c in customers) > len(customers) / 2
    assert sum("dob" in c for c in customers) > len(customers) / 3


def test_foreign_currency_orders_carry_both_amounts(orders: list[dict[str, Any]]) -> None:
    foreign = [o for o in orders if o["order_currency_code"] != "EUR"]
    assert {o["order_currency_code"] for o in foreign} <= {"USD", "GBP"}
    assert foreign
    for order in foreign:
        assert order["base_currency_code"] == "EUR"
        assert order["base_to_order_rate"] != 1
        ratio = order["grand_total"] / order["base_grand_total"]
        assert abs(ratio - order["base_to_order_rate"]) < 0.01


def test_configurable_lines_are_a_priced_parent_and_a_zero_child(orders: list[dict[str, Any]]) -> None:
    children = [item for order in orders for item in order["items"] if "parent_item_id" in item]
    assert children
    for child in children:
        assert child["price"] == 0
        assert child["parent_item"]["product_type"] == "configurable"
        assert child["parent_item"]["price"] > 0


def test_coupons_discounts_refunds_and_cancellations_occur(
    shop: MagentoSandbox, orders: list[dict[str, Any]]
) -> None:
    assert any(o.get("coupon_code") == "WELCOME10" for o in orders)
    discounted = [o for o in orders if o["discount_amount"] < 0]
    assert discounted
    assert all(any(i["discount_amount"] > 0 for i in o["items"]) for o in discounted)
    assert any(i["qty_refunded"] > 0 for o in orders for i in o["items"])
    assert any(i["qty_canceled"] > 0 for o in orders for i in o["items"])
    closed = {o["entity_id"] for o in orders if o["state"] == "closed"}
    refunded = {m["order_id"] for m in shop.creditmemos.values()}
    assert closed <= refunded
    assert all(m["state"] == 2 for m in shop.creditmemos.values())


def test_mass_actions_leave_many_records_on_one_updated_at_second(
    shop: MagentoSandbox, orders: list[dict[str, Any]]
) -> None:
    assert Counter(o["updated_at"] for o in orders).most_common(1)[0][1] >= 50
    assert Counter(c["updated_at"] for c in shop.customers.values()).most_common(1)[0][1] >= 5
    assert all(o["created_at"] <= o["updated_at"] <= "2026-10-31 23:59:59" for o in orders)
    assert min(o["created_at"] for o in orders) < "2024-01-01"


def test_the_catalogue_has_office_supplies_and_configurable_parents(shop: MagentoSandbox) -> None:
    assert {"PAPER-A4", "TONER-BLK", "STAPLER-HD", "PEN-BLUE-50"} <= set(shop.catalogue)
    parents = [p for p in shop.catalogue.values() if p.type_id == "configurable"]
    assert parents
    assert all(shop.catalogue[sku].parent_sku == p.sku for p in parents for sku in p.children)
