"""Step 5 of the demo: a few scripted changes in each sandbox shop, for the incremental sync to read.

A referred business places its first order with the code of the customer holding the most points
(and a colleague of that customer tries the same code: a self-referral), the newest pending order is
completed and the largest completed one refunded — made through each sandbox's test API, described
in one line each.
"""

from __future__ import annotations

__all__ = ["make_changes"]

from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from typing import Any

from ..adapter import Stream
from ..domain import Customer, Order, OrderStatus
from ..program import Program
from ..store import Store
from ..sync.evaluation import referral_code_for
from .events import DEMO_REFERRAL_SECRET
from .shops import DemoShop, sandbox_now


def make_changes(store: Store, program: Program, shop: DemoShop) -> list[str]:
    """Make the demo's changes in one shop and describe them."""
    ops = _OPS.get(shop.adapter)
    if ops is None:
        return [f"no scripted changes for {shop.adapter} sandboxes"]
    shop_ops = ops(shop.sandbox)
    # Only what this shop was seeded with: a kept store may hold an earlier demo run's changes.
    seeded = sandbox_now(shop, lambda: datetime.now(timezone.utc))
    customers = [
        c
        for c in store.records(shop.source, Stream.CUSTOMERS)
        if isinstance(c, Customer) and c.created_at <= seeded
    ]
    orders = [
        o for o in store.records(shop.source, Stream.ORDERS) if isinstance(o, Order) and o.placed_at <= seeded
    ]
    done: list[str] = []
    referrer = _referrer(store, shop.source, customers)
    code = referral_code_for(program, DEMO_REFERRAL_SECRET, shop.source, referrer.key) if referrer else None
    if referrer is not None and code is not None:
        company = "Elbtal Logistik GmbH" if shop.adapter == "magento" else "Alsterblick Architekten GmbH"
        new_id = shop_ops.register(f"einkauf@{company.split()[0].lower()}.example", "Jana", "Peters", company)
        number = shop_ops.order(new_id, [("PAPER-A4", 150), ("TONER-BLK", 2)], code)
        done.append(
            f"new customer {new_id} ({company}) placed order {number} with the referral code "
            f"{code} of customer {referrer.key} ({referrer.company or referrer.email})"
        )
        same = referrer.company or "the same company"
        colleague = shop_ops.register(f"assistenz.{referrer.key}@demo-kollegen.example", "Tom", "Weber", same)
        number = shop_ops.order(colleague, [("PAPER-A4", 100)], code)
        done.append(
            f"new customer {colleague} of the same company ({same}) used that code too (order {number})"
        )
    waiting = [
        o for o in orders if o.status in (OrderStatus.PENDING, OrderStatus.PROCESSING) and not o.is_guest
    ]
    complete = [o for o in orders if o.status is OrderStatus.COMPLETE and not o.is_guest]
    if waiting and complete:
        target = max(waiting, key=lambda o: (o.placed_at, o.external_id))
        shop_ops.complete(target.external_id, complete[0].external_id)
        done.append(f"order {target.number} of customer {target.customer_key} was completed")
    others = [o for o in complete if referrer is None or o.customer_key != referrer.key]
    if others:
        target = max(others, key=lambda o: (o.subtotal.amount, o.external_id))
        shop_ops.refund(target.external_id)
        what = f"order {target.number} of customer {target.customer_key} ({target.subtotal})"
        done.append(f"{what} was refunded in full")
    return done


def _referrer(store: Store, source: str, customers: Sequence[Customer]) -> Customer | None:
    """The customer with a company and the most points: the one whose code the demo shares."""
    totals: dict[str, int] = {}
    for entry in store.ledger_entries(source):
        totals[entry.customer_key] = totals.get(entry.customer_key, 0) + entry.points
    candidates = [c for c in customers if c.company]
    if not candidates:
        return None
    return max(candidates, key=lambda c: (totals.get(c.key, 0), c.key))


class _MagentoOps:
    """The demo's changes through the Magento sandbox's test API."""

    def __init__(self, shop: Any) -> None:
        self.shop = shop

    def register(self, email: str, first: str, last: str, company: str) -> str:
        record = self.shop.add_customer(email=email, firstname=first, lastname=last, company=company)
        return str(record["id"])

    def order(self, customer_id: str, lines: Sequence[tuple[str, int]], code: str) -> str:
        order = self.shop.add_order(
            int(customer_id),
            [{"sku": sku, "qty": qty} for sku, qty in lines],
            state="complete",
            coupon_code=code,
            discount_percent=10,
        )
        return str(order["increment_id"])

    def complete(self, order_id: str, completed_id: str) -> None:
        self.shop.touch("orders", int(order_id), state="complete", status="complete")

    def refund(self, order_id: str) -> None:
        self.shop.add_creditmemo(int(order_id))


class _ShopwareOps:
    """The demo's changes through the Shopware sandbox's test API."""

    def __init__(self, shop: Any) -> None:
        self.shop = shop

    def register(self, email: str, first: str, last: str, company: str) -> str:
        record = self.shop.add_customer(email=email, firstName=first, lastName=last, company=company)
        return str(record["id"])

    def order(self, customer_id: str, lines: Sequence[tuple[str, int]], code: str) -> str:
        promotion = {"type": "promotion", "code": code, "amount": -25.0, "label": "Refer a business"}
        order = self.shop.add_order(
            customer_id, [*lines, promotion], state="completed", transaction_state="paid"
        )
        return str(order.get("orderNumber") or order["id"])

    def complete(self, order_id: str, completed_id: str) -> None:
        state = self.shop.entities["order"][completed_id]["stateId"]
        self.shop.touch("order", order_id, stateId=state)

    def refund(self, order_id: str) -> None:
        self.shop.set_transaction_state(order_id, "refunded")


_OPS: dict[str, Callable[[Any], Any]] = {"magento": _MagentoOps, "shopware": _ShopwareOps}
