"""Seeded synthetic order histories of a B2B office-supplies wholesaler, as domain objects.

Used by the demo, the engine benchmark and property tests: the same seed always gives the same
customers and orders, so figures are comparable across runs. Quantities follow B2B magnitudes
(paper by the hundred reams, toner by the box), so tier breaks and gift thresholds really trigger.
"""

from __future__ import annotations

__all__ = ["CATALOGUE", "SyntheticHistory", "generate_history"]

import itertools
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from .domain import Customer, LineKind, Money, Order, OrderLine, OrderStatus, Refund, RefundLine, quantize

CATALOGUE: dict[str, tuple[str, Decimal, tuple[str, ...]]] = {
    "PAPER-A4": ("Copy paper A4 80 g, ream of 500", Decimal("4.20"), ("paper",)),
    "PAPER-A3": ("Copy paper A3 80 g, ream of 500", Decimal("8.90"), ("paper",)),
    "TONER-BLK": ("Laser toner black, 10k pages", Decimal("64.00"), ("toner",)),
    "TONER-CLR": ("Laser toner colour set", Decimal("189.00"), ("toner",)),
    "STAPLER-HD": ("Heavy-duty stapler, 200 sheets", Decimal("39.50"), ("desk",)),
    "PEN-BLUE-50": ("Ballpoint pens blue, box of 50", Decimal("12.90"), ("writing",)),
    "FOLDER-LVR": ("Lever arch folder A4", Decimal("2.35"), ("filing",)),
    "NOTE-PAD-12": ("Sticky notes, 12 pads", Decimal("6.80"), ("desk",)),
    "CHAIR-ERGO": ("Ergonomic office chair", Decimal("349.00"), ("furniture",)),
    "GIFT-CARD-50": ("Gift card 50 EUR", Decimal("50.00"), ("gift-card",)),
}
"""SKU -> (name, unit price excluding tax in EUR, category ids)."""

_QTY = {
    "PAPER-A4": (50, 2500),
    "PAPER-A3": (10, 600),
    "TONER-BLK": (1, 30),
    "TONER-CLR": (1, 8),
    "STAPLER-HD": (1, 10),
    "PEN-BLUE-50": (1, 40),
    "FOLDER-LVR": (10, 400),
    "NOTE-PAD-12": (5, 200),
    "CHAIR-ERGO": (1, 12),
    "GIFT-CARD-50": (1, 4),
}
_COMPANIES = ("Nordlicht", "Hafenblick", "Elbe", "Alster", "Brücken", "Kontor", "Lindenhof", "Marktplatz",
              "Rheinufer", "Sonnen", "Weser", "Zollhaus")  # fmt: skip
_FORMS = ("GmbH", "AG", "KG", "GmbH & Co. KG", "UG", "e.K.")
_TRADES = ("Steuerberatung", "Architekten", "Logistik", "Praxis", "Immobilien", "Software", "Druckerei")
_GROUPS = ("General", "Wholesale", "Retailer")
_TAX = Decimal("0.19")
_ZERO = Decimal(0)


@dataclass(frozen=True)
class SyntheticHistory:
    """Customers, their orders (sorted by placed_at) and refunds of one synthetic shop."""

    customers: tuple[Customer, ...]
    orders: tuple[Order, ...]
    refunds: tuple[Refund, ...]
    group_codes: dict[str, str]
    """Shop group id -> group code."""


class _MoneyCache:
    """Money values by (amount, currency), built once each: orders repeat the same prices and rows.

    Money is frozen, so sharing one instance between lines and orders is safe. Values are valid by
    construction, so pydantic validation (which would dominate generation time) is skipped.
    """

    def __init__(self) -> None:
        self._known: dict[tuple[Decimal, str], Money] = {}

    def __call__(self, amount: Decimal, currency: str = "EUR") -> Money:
        amount = quantize(amount, currency)
        key = (amount, currency)
        found = self._known.get(key)
        if found is None:
            found = self._known[key] = Money.model_construct(amount=amount, currency=currency)
        return found


def _templates(at: datetime) -> tuple[OrderLine, Order]:
    """A line and an order whose copies (``model_copy(update=...)`` with every field below) are the
    generated lines and orders: a copy costs a third of ``model_construct``. Values are valid by
    construction; the set fields are exactly those given here, as with ``model_construct``."""
    zero = Money.model_construct(amount=_ZERO, currency="EUR")
    line = OrderLine.model_construct(
        line_id="", sku="", name=None, kind=LineKind.PRODUCT, qty=_ZERO,
        unit_price=zero, row_total=zero, discount=zero, tax=zero, category_ids=(),
    )  # fmt: skip
    order = Order.model_construct(
        source="", external_id="", number="", customer_id=None, email="", status=OrderStatus.PENDING,
        raw_status="", currency="EUR", placed_at=at, updated_at=at, lines=(), subtotal=zero,
        discount=zero, shipping=zero, tax=zero, grand_total=zero, group_id=None,
    )  # fmt: skip
    return line, order


def generate_history(
    *,
    seed: int = 7,
    customers: int = 300,
    orders: int = 5000,
    source: str = "demo",
    start: datetime = datetime(2024, 1, 1, tzinfo=timezone.utc),
    end: datetime = datetime(2026, 11, 1, tzinfo=timezone.utc),
    foreign_share: float = 0.05,
) -> SyntheticHistory:
    """Generate a reproducible history: ``customers`` B2B accounts and ``orders`` orders between the dates."""
    rng = random.Random(seed)
    _money = _MoneyCache()
    span = (end - start).total_seconds()
    people: list[Customer] = []
    for n in range(1, customers + 1):
        company = f"{rng.choice(_COMPANIES)} {rng.choice(_TRADES)} {rng.choice(_FORMS)}"
        domain = company.split()[0].lower().replace("ü", "ue") + f"{n}.example"
        created = start + timedelta(seconds=rng.uniform(0, span * 0.6))
        birthday = (
            date(rng.randint(1955, 2000), rng.randint(1, 12), rng.randint(1, 28))
            if rng.random() < 0.6
            else None
        )
        people.append(
            Customer(
                source=source,
                external_id=str(n),
                email=f"einkauf@{domain}",
                first_name=rng.choice(("Anna", "Jonas", "Lea", "Paul", "Mia", "Finn", "Emma", "Ben")),
                last_name=rng.choice(("Meyer", "Schulz", "Becker", "Hoffmann", "Koch", "Wagner")),
                company=company,
                vat_id=f"DE{rng.randint(100_000_000, 999_999_999)}",
                group_id=str(rng.choice((1, 2, 2, 3))),
                birthday=birthday,
                created_at=created,
                updated_at=created,
            )
        )
    weights = list(itertools.accumulate(rng.paretovariate(1.2) for _ in people))
    """Cumulative: ``choices`` would otherwise re-add every customer's weight for each order."""
    skus = list(CATALOGUE)
    line_template, order_template = _templates(start)
    history: list[Order] = []
    refunds: list[Refund] = []
    for n in range(1, orders + 1):
        customer = rng.choices(people, cum_weights=weights)[0]
        placed = customer.created_at + timedelta(
            seconds=rng.uniform(0, max(1.0, (end - customer.created_at).total_seconds()))
        )
        currency = "EUR" if rng.random() >= foreign_share else rng.choice(("USD", "GBP"))
        factor = {"EUR": Decimal(1), "USD": Decimal("1.08"), "GBP": Decimal("0.86")}[currency]
        lines = []
        for i, sku in enumerate(rng.sample(skus, rng.randint(1, 4))):
            low, high = _QTY[sku]
            qty = Decimal(rng.randint(low, high))
            unit = _money(CATALOGUE[sku][1] * factor, currency).amount
            row = _money(unit * qty, currency)
            discount = (
                _money(row.amount * Decimal("0.02"), currency)
                if rng.random() < 0.1
                else _money(_ZERO, currency)
            )
            lines.append(
                line_template.model_copy(
                    update={
                        "line_id": f"{n}-{i}",
                        "sku": sku,
                        "name": CATALOGUE[sku][0],
                        "kind": LineKind.PRODUCT,
                        "qty": qty,
                        "unit_price": _money(unit, currency),
                        "row_total": row,
                        "discount": discount,
                        "tax": _money((row.amount - discount.amount) * _TAX, currency),
                        "category_ids": CATALOGUE[sku][2],
                    }
                )
            )
        subtotal = sum((line.row_total.amount for line in lines), Decimal(0))
        discount_total = sum((line.discount.amount for line in lines), Decimal(0))
        tax = sum((line.tax.amount for line in lines), Decimal(0))
        shipping = Decimal("0") if subtotal >= 150 else Decimal("9.90")
        roll = rng.random()
        status = (
            OrderStatus.COMPLETE
            if roll < 0.82
            else OrderStatus.PROCESSING
            if roll < 0.9
            else OrderStatus.CANCELED
            if roll < 0.95
            else OrderStatus.CLOSED
        )
        order = order_template.model_copy(
            update={
                "source": source,
                "external_id": str(100_000_000 + n),
                "number": str(100_000_000 + n),
                "customer_id": customer.external_id,
                "email": customer.email,
                "status": status,
                "raw_status": status.value,
                "currency": currency,
                "placed_at": placed,
                "updated_at": placed + timedelta(days=rng.randint(0, 10)),
                "lines": tuple(lines),
                "subtotal": _money(subtotal, currency),
                "discount": _money(discount_total, currency),
                "shipping": _money(shipping, currency),
                "tax": _money(tax, currency),
                "grand_total": _money(subtotal - discount_total + shipping + tax, currency),
                "group_id": customer.group_id,
            }
        )
        history.append(order)
        if status is OrderStatus.CLOSED or (status is OrderStatus.COMPLETE and rng.random() < 0.03):
            line = lines[0]
            qty = (
                line.qty
                if status is OrderStatus.CLOSED
                else max(Decimal(1), (line.qty / 4).to_integral_value())
            )
            amount = _money(line.unit_price.amount * qty, currency)
            refunds.append(
                Refund(
                    source=source,
                    external_id=str(n),
                    order_id=order.external_id,
                    created_at=order.updated_at,
                    updated_at=order.updated_at,
                    amount=amount,
                    lines=(RefundLine(order_line_id=line.line_id, sku=line.sku, qty=qty, amount=amount),),
                )
            )
    history.sort(key=lambda o: (o.placed_at, o.external_id))
    return SyntheticHistory(
        customers=tuple(people),
        orders=tuple(history),
        refunds=tuple(refunds),
        group_codes={"0": "NOT LOGGED IN", "1": "General", "2": "Wholesale", "3": "Retailer"},
    )
