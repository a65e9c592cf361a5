"""Tier prices through ``TierPriceStorageInterface`` (``/V1/products/tier-prices*``).

Validation follows ``TierPriceValidator``: every row is checked (SKU known and of a type that takes
tier prices, price >= 0 and <= 100 for ``discount``, price type, quantity > 0, website exists and is
0 unless prices are website-scoped, no duplicate of another row in the request, customer group code
known or "ALL GROUPS"); failing rows are reported and skipped, the others are saved, and the call
answers 200 with the list of failures. Failure ``parameters`` are positional strings ending with
SKU, website, group, quantity. Delete removes a row only when everything including the price
matches; otherwise nothing happens and nothing is reported. ALL GROUPS reads back as "all groups".
"""

from __future__ import annotations

__all__ = ["TierPriceRow", "TierPriceStore", "seed_tier_prices"]

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from .catalog import ALL_GROUPS_ID, Product
from .errors import WebapiError

_DUPLICATE = (
    "We found a duplicate website, tier price, customer group and quantity: "
    "Customer Group = %customerGroup, Website ID = %websiteId, Quantity = %qty."
)
_ROW_ID = "Row ID: SKU = %SKU, Website ID: %websiteId, Customer Group: %customerGroup, Quantity: %qty."
_ALL_GROUPS = "all groups"
_WEBSITES = (0, 1)
_TAKES_TIER_PRICES = ("simple", "virtual", "bundle", "downloadable")


@dataclass(frozen=True)
class TierPriceRow:
    sku: str
    price: Decimal
    price_type: str
    website_id: int
    group_id: int
    quantity: Decimal


def seed_tier_prices() -> list[TierPriceRow]:
    """Volume prices the shop already has (unmanaged by loyalty-connector)."""
    return [
        TierPriceRow("PAPER-A4", Decimal("22.50"), "fixed", 0, 2, Decimal(10)),
        TierPriceRow("PAPER-A4", Decimal("20.90"), "fixed", 0, 2, Decimal(50)),
        TierPriceRow("TONER-BLK", Decimal(5), "discount", 0, 3, Decimal(5)),
        TierPriceRow("PEN-BLUE-50", Decimal("11.50"), "fixed", 0, ALL_GROUPS_ID, Decimal(20)),
    ]


def _php_string(value: Any) -> str:
    """How PHP prints a request value into a message parameter."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _number(value: Decimal) -> int | float:
    integral = value.to_integral_value()
    return int(integral) if value == integral else float(value)


class TierPriceStore:
    """The tier price rows of the catalogue and the four storage calls."""

    def __init__(
        self,
        rows: list[TierPriceRow],
        catalogue: dict[str, Product],
        groups: Callable[[], dict[int, str]],
        *,
        website_scope: bool = False,
    ) -> None:
        self.rows = rows
        self._catalogue = catalogue
        self._groups = groups
        self._website_scope = website_scope

    def _group_id(self, code: Any) -> int | None:
        folded = str(code or "").casefold()
        if folded == _ALL_GROUPS:
            return ALL_GROUPS_ID
        for group_id, group_code in self._groups().items():
            if group_code.casefold() == folded:
                return group_id
        return None

    def render(self, row: TierPriceRow) -> dict[str, Any]:
        group = _ALL_GROUPS if row.group_id == ALL_GROUPS_ID else self._groups().get(row.group_id, "")
        return {
            "price": _number(row.price),
            "price_type": row.price_type,
            "website_id": row.website_id,
            "sku": row.sku,
            "customer_group": group,
            "quantity": _number(row.quantity),
        }

    def get(self, skus: list[Any]) -> list[dict[str, Any]]:
        missing = [str(sku) for sku in skus if not self._takes_tier_prices(sku)]
        if missing:
            raise WebapiError.of(404, "Requested products don't exist: %sku", {"sku": ", ".join(missing)})
        wanted = {str(sku) for sku in skus}
        return [self.render(row) for row in self.rows if row.sku in wanted]

    def _takes_tier_prices(self, sku: Any) -> bool:
        product = self._catalogue.get(str(sku)) if sku else None
        return product is not None and product.type_id in _TAKES_TIER_PRICES

    def _validate(
        self, prices: list[dict[str, Any]], existing: list[TierPriceRow] | None
    ) -> tuple[list[dict[str, Any]], list[TierPriceRow]]:
        failures: list[dict[str, Any]] = []
        valid: list[TierPriceRow] = []
        for position, price in enumerate(prices):
            tail = [_php_string(price.get(k)) for k in ("sku", "website_id", "customer_group", "quantity")]

            def fail(message: str, *lead: Any, tail: list[str] = tail) -> None:
                failures.append(
                    {"message": f"{message} {_ROW_ID}", "parameters": [*map(_php_string, lead), *tail]}
                )

            count = len(failures)
            sku = price.get("sku")
            if not sku or not self._takes_tier_prices(sku):
                fail("Invalid attribute SKU = %SKU.")
            amount = _decimal(price.get("price"))
            kind = price.get("price_type")
            if amount is None or amount < 0 or (kind == "discount" and amount > 100):
                fail("Invalid attribute Price = %price.", price.get("price"))
            if kind not in ("fixed", "discount"):
                fail("Invalid attribute Price Type = %priceType.", kind)
            quantity = _decimal(price.get("quantity"))
            if sku in self._catalogue and (quantity is None or quantity <= 0):
                fail("Invalid attribute Quantity = %qty.")
            website = price.get("website_id")
            if website not in _WEBSITES or (not self._website_scope and website != 0):
                fail("Invalid attribute Website ID = %websiteId.")
            for other_position, other in enumerate(prices):
                if other_position != position and self._same_slot(price, other):
                    fail(
                        _DUPLICATE,
                        tail=[
                            _php_string(other.get(k))
                            for k in ("sku", "website_id", "customer_group", "quantity")
                        ],
                    )
            for row in existing or ():
                if row.sku == sku and self._conflicts_existing(price, row):
                    shown = self.render(row)
                    fail(
                        _DUPLICATE,
                        tail=[
                            _php_string(shown[k]) for k in ("sku", "website_id", "customer_group", "quantity")
                        ],
                    )
            group_id = self._group_id(price.get("customer_group"))
            if group_id is None:
                fail("No such entity with Customer Group = %customerGroup.")
            if (
                len(failures) == count
                and amount is not None
                and quantity is not None
                and group_id is not None
            ):
                valid.append(TierPriceRow(str(sku), amount, str(kind), int(str(website)), group_id, quantity))
        return failures, valid

    def _same_slot(self, a: dict[str, Any], b: dict[str, Any]) -> bool:
        if a.get("sku") != b.get("sku"):
            return False
        if str(a.get("customer_group", "")).casefold() != str(b.get("customer_group", "")).casefold():
            return False
        if _decimal(a.get("quantity")) != _decimal(b.get("quantity")):
            return False
        if 0 in (a.get("website_id"), b.get("website_id")):
            return True
        return bool(a.get("website_id") == b.get("website_id"))

    def _conflicts_existing(self, price: dict[str, Any], row: TierPriceRow) -> bool:
        if self._group_id(price.get("customer_group")) != row.group_id:
            return False
        if _decimal(price.get("quantity")) != row.quantity:
            return False
        website = price.get("website_id")
        return 0 in (website, row.website_id) and website != row.website_id

    def update(self, prices: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """``POST /V1/products/tier-prices``: add new rows, update the price of matching ones."""
        failures, valid = self._validate(prices, self.rows)
        for new in valid:
            slot = (new.sku, new.website_id, new.group_id, new.quantity)
            self.rows = [r for r in self.rows if (r.sku, r.website_id, r.group_id, r.quantity) != slot]
            self.rows.append(new)
        return failures

    def replace(self, prices: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """``PUT /V1/products/tier-prices``: every SKU named by a valid row keeps exactly the sent rows."""
        failures, valid = self._validate(prices, None)
        affected = {row.sku for row in valid}
        self.rows = [r for r in self.rows if r.sku not in affected] + valid
        return failures

    def delete(self, prices: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """``POST /V1/products/tier-prices-delete``: remove rows that match exactly, price included."""
        failures, valid = self._validate(prices, None)
        for gone in valid:
            self.rows = [r for r in self.rows if r != gone]
        return failures
