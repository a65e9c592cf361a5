"""Seeded data is deterministic and realistic; the test helpers change the shop like its users would."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from loyalty_connector_shopware.sandbox import ShopwareSandbox


def snapshot(shop: ShopwareSandbox) -> str:
    tables = {name: dict(table.items()) for name, table in shop.entities.items()}
    return json.dumps(tables, sort_keys=True)


@pytest.fixture(scope="module")
def shop():
    return ShopwareSandbox(seed=7, customers=300, orders=1500)


def technical(shop: ShopwareSandbox, state_id: str) -> str:
    return shop.entities["state_machine_state"][state_id]["technicalName"]


def test_the_same_seed_gives_the_same_shop_and_another_seed_another():
    first = snapshot(ShopwareSandbox(seed=4, customers=30, orders=120))
    assert first == snapshot(ShopwareSandbox(seed=4, customers=30, orders=120))
    assert first != snapshot(ShopwareSandbox(seed=5, customers=30, orders=120))


def test_customers_look_like_a_b2b_wholesalers(shop):
    customers = list(shop.entities["customer"].values())
    assert 280 < len(customers) < 300, "a few customers were deleted since they ordered"
    assert sum(1 for c in customers if c["company"]) > 150
    assert sum(1 for c in customers if c["vatIds"]) > 100
    assert sum(1 for c in customers if c["birthday"]) > 60
    assert sum(1 for c in customers if c["updatedAt"] is None) > 50
    assert sum(1 for c in customers if c["guest"]) > 3
    groups = {shop.entities["customer_group"][c["groupId"]]["name"] for c in customers}
    assert {"Standard customer group", "B2B Wholesale"} <= groups
    increments = [c["autoIncrement"] for c in customers]
    assert len(set(increments)) == len(increments)
    assert max(increments) == 300


def test_some_accounts_differ_only_by_case_plus_tags_or_dots(shop):
    def canonical(email: str) -> str:
        local, _, host = email.lower().partition("@")
        return local.split("+")[0].replace(".", "") + "@" + host

    emails = [c["email"] for c in shop.entities["customer"].values()]
    twins = [
        e
        for e in emails
        if sum(1 for other in emails if canonical(other) == canonical(e)) > 1 and emails.count(e) == 1
    ]
    assert len(twins) >= 4
    assert any(e != e.lower() for e in twins) or any("+" in e for e in twins)


def test_orders_of_deleted_customers_keep_their_snapshot(shop):
    customers = {c["email"] for c in shop.entities["customer"].values()}
    orphans = [
        oc
        for oc in shop.entities["order_customer"].values()
        if oc["customerId"] is None and oc["customerNumber"] and oc["email"] not in customers
    ]
    assert orphans, "orders whose customer account was deleted"
    assert all(oc["firstName"] and oc["lastName"] for oc in orphans)


def test_orders_span_three_years_in_four_states_and_several_currencies(shop):
    orders = list(shop.entities["order"].values())
    created = sorted(o["createdAt"] for o in orders)
    assert created[0] < "2024-01-01"
    assert "2026-10-01" < created[-1] < "2026-11-01"
    assert {technical(shop, o["stateId"]) for o in orders} == {
        "open",
        "in_progress",
        "completed",
        "cancelled",
    }
    currencies = {shop.entities["currency"][o["currencyId"]]["isoCode"] for o in orders}
    assert {"EUR", "USD", "GBP"} <= currencies
    assert any(o["currencyFactor"] != 1 for o in orders)
    assert {o["taxStatus"] for o in orders} == {"gross", "net", "tax-free"}
    assert sum(1 for o in orders if o["updatedAt"] is None) > 100
    imported = [
        o
        for o in orders
        if datetime.fromisoformat(o["createdAt"]) - datetime.fromisoformat(o["orderDateTime"])
        > timedelta(hours=1)
    ]
    assert imported, "orders imported in bulk carry their earlier business time in orderDateTime"


def test_money_is_php_float_with_noise(shop):
    amounts = [o["amountNet"] for o in shop.entities["order"].values()] + [
        o["amountTotal"] for o in shop.entities["order"].values()
    ]
    noisy = [a for a in amounts if isinstance(a, float) and len(repr(a).split(".")[-1]) > 2]
    assert noisy, "sums of rounded floats carry float noise, as in real Shopware payloads"
    assert all(isinstance(a, int | float) for a in amounts)


def test_line_items_cover_every_line_type(shop):
    lines = list(shop.entities["order_line_item"].values())
    assert {line["type"] for line in lines} == {
        "product",
        "promotion",
        "custom",
        "credit",
        "discount",
        "container",
    }
    children = [line for line in lines if line["parentId"]]
    assert children
    assert all(shop.entities["order_line_item"][c["parentId"]]["type"] == "container" for c in children)
    promotions = [line for line in lines if line["type"] == "promotion"]
    assert all(
        line["payload"]["code"] == line["referencedId"] and line["totalPrice"] < 0 for line in promotions
    )
    numbers = {line["payload"]["productNumber"] for line in lines if line["type"] == "product"}
    assert {"PAPER-A4", "TONER-BLK", "STAPLER-HD", "PEN-BLUE-50"} <= numbers


def test_payments_are_paid_refunded_or_partly_refunded(shop):
    transactions = list(shop.entities["order_transaction"].values())
    states = {technical(shop, t["stateId"]) for t in transactions}
    assert {"open", "paid", "refunded", "refunded_partially", "cancelled"} <= states
    refunds = list(shop.entities["order_transaction_capture_refund"].values())
    assert refunds
    assert shop.entities["order_transaction_capture_refund_position"], (
        "a partial refund names the returned line"
    )
    paid_at = [t["updatedAt"] for t in transactions if technical(shop, t["stateId"]) == "paid"]
    assert max(paid_at.count(value) for value in paid_at) > 1, "the daily bank import pays many at once"


def test_the_clock_starts_after_the_newest_record_and_ticks_per_mutation():
    shop = ShopwareSandbox(seed=3, customers=20, orders=50)
    start = shop.now()
    newest = max(
        value
        for table in ("order", "customer", "order_transaction")
        for row in shop.entities[table].values()
        for value in (row["createdAt"], row["updatedAt"])
        if value
    )
    assert start.isoformat(timespec="milliseconds").replace("+00:00", "") > newest[:23]
    order_id = next(iter(shop.entities["order"]))
    touched = shop.touch("order", order_id, customerComment="please call first")
    assert shop.now() == start + timedelta(seconds=1)
    assert touched["updatedAt"] == shop.now().isoformat(timespec="milliseconds")
    assert touched["customerComment"] == "please call first"
    with pytest.raises(ValueError, match="no field"):
        shop.touch("customer", next(iter(shop.entities["customer"])), favouriteColour="red")


def test_added_customers_and_orders_are_served_and_consistent():
    shop = ShopwareSandbox(seed=3, customers=20, orders=50)
    customer = shop.add_customer(
        email="Buyer@Example.com", company="Hafen Kontor GmbH", vatIds=["DE123456789"]
    )
    assert customer["createdAt"] == shop.now().isoformat(timespec="milliseconds")
    assert customer["updatedAt"] is None
    assert customer["accountType"] == "business"
    order = shop.add_order(
        customer["id"],
        lines=[
            ("PAPER-A4", 100),
            {"type": "promotion", "code": "PAPER5", "amount": -21.0, "label": "Paper week 5%"},
        ],
        state="completed",
        transaction_state="paid",
    )
    assert order["orderNumber"] == "10051"
    lines = [line for line in shop.entities["order_line_item"].values() if line["orderId"] == order["id"]]
    assert [line["type"] for line in sorted(lines, key=lambda line: line["position"])] == [
        "product",
        "promotion",
    ]
    assert order["positionPrice"] == pytest.approx(sum(line["totalPrice"] for line in lines))
    order_customer = next(
        oc for oc in shop.entities["order_customer"].values() if oc["orderId"] == order["id"]
    )
    assert order_customer["customerId"] == customer["id"]
    assert order_customer["email"] == "Buyer@Example.com"
    guest = shop.add_order(None, lines=["TONER-BLK"], email="walk-in@example.org")
    guest_customer = next(
        oc for oc in shop.entities["order_customer"].values() if oc["orderId"] == guest["id"]
    )
    assert guest_customer["customerId"] is None


def test_a_refund_changes_the_payment_but_not_the_orders_updated_at():
    shop = ShopwareSandbox(seed=3, customers=20, orders=50)
    order = shop.add_order(
        shop.add_customer()["id"], lines=[("TONER-BLK", 2), ("STAPLER-HD", 1)], transaction_state="paid"
    )
    before = dict(order)
    transaction = shop.set_transaction_state(order["id"], "refunded_partially", amount=Decimal("10.00"))
    assert technical(shop, transaction["stateId"]) == "refunded_partially"
    assert transaction["updatedAt"] == shop.now().isoformat(timespec="milliseconds")
    assert shop.entities["order"][order["id"]]["updatedAt"] == before["updatedAt"]
    captures = [
        c
        for c in shop.entities["order_transaction_capture"].values()
        if c["orderTransactionId"] == transaction["id"]
    ]
    refunds = [
        r
        for r in shop.entities["order_transaction_capture_refund"].values()
        if r["captureId"] == captures[0]["id"]
    ]
    assert [r["amount"]["totalPrice"] for r in refunds] == [10]
    shop.set_transaction_state(order["id"], "refunded")
    refunds = [
        r
        for r in shop.entities["order_transaction_capture_refund"].values()
        if r["captureId"] == captures[0]["id"]
    ]
    total = transaction["amount"]["totalPrice"]
    assert sum(r["amount"]["totalPrice"] for r in refunds) == pytest.approx(total)
    with pytest.raises(ValueError, match="unknown transaction state"):
        shop.set_transaction_state(order["id"], "lost")


def test_ids_look_like_shopware_ids(shop):
    for table in ("order", "customer", "order_transaction", "order_line_item"):
        for record_id in list(shop.entities[table])[:20]:
            assert re.fullmatch(r"[0-9a-f]{32}", record_id)
