"""Tier prices through Magento's bulk price API (``TierPriceStorageInterface``), never ``PUT``.

- ``POST /V1/products/tier-prices-information`` ``{"skus": [...]}`` reads every row of those SKUs.
- ``POST /V1/products/tier-prices`` ``{"prices": [...]}`` adds rows or changes the price of a row with the
  same SKU, website, customer group and quantity. ``PUT`` on the same path *replaces* every tier price
  of the SKU, including ones the merchant made by hand, so it is never used.
- ``POST /V1/products/tier-prices-delete`` removes a row only when every field, the price included,
  matches exactly, and otherwise silently deletes nothing — so each delete sends the price we wrote
  and is verified by reading the SKU back.

All three answer **200** with a list of per-row failures (``TierPriceValidator``); a non-empty list is
an error that names each failed row. ``"ALL GROUPS"`` reads back as ``"all groups"``; a ``website_id``
other than 0 is refused unless Catalog Price Scope is Website.

Fields of a ``tier_price`` managed object: ``sku``, ``customer_group`` (group *code*, or ``ALL GROUPS``),
``website_id`` (int, 0 = all websites), ``quantity`` and ``price`` (decimal strings), ``price_type``
(``fixed`` unit price, or ``discount`` percent off). Key: ``sku|website_id|group (casefolded)|quantity``.
"""

from __future__ import annotations

__all__ = ["TierPriceWriter", "tier_key", "tier_row"]

import logging
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from loyalty_connector.adapter import Change, ChangeResult, ManagedObject
from loyalty_connector.errors import LoyaltyConnectorError, ShopRequestError

from .client import MagentoClient
from .errors import TierPriceFailure, tier_price_failures

logger = logging.getLogger(__name__)

INFO_PATH = "/V1/products/tier-prices-information"
UPDATE_PATH = "/V1/products/tier-prices"
DELETE_PATH = "/V1/products/tier-prices-delete"
_BATCH = 100
_SCOPE_HINT = (
    " (website_id other than 0 needs Stores > Configuration > Catalog > Price >"
    " Catalog Price Scope = Website)"
)


def _number(value: Any) -> str:
    number = Decimal(str(value))
    return format(number.normalize(), "f")


def tier_key(fields: Mapping[str, Any]) -> str:
    """Our stable key for a tier-price row: ``sku|website_id|group|quantity``."""
    return "|".join(
        [
            str(fields["sku"]),
            str(int(fields.get("website_id", 0))),
            str(fields["customer_group"]).casefold(),
            _number(fields["quantity"]),
        ]
    )


def tier_row(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The ``TierPriceInterface`` body for our fields."""
    price_type = str(fields.get("price_type", "fixed"))
    if price_type not in ("fixed", "discount"):
        raise ShopRequestError(f"tier price_type must be 'fixed' or 'discount', not {price_type!r}")
    return {
        "price": Decimal(str(fields["price"])),
        "price_type": price_type,
        "website_id": int(fields.get("website_id", 0)),
        "sku": str(fields["sku"]),
        "customer_group": str(fields["customer_group"]),
        "quantity": Decimal(str(fields["quantity"])),
    }


def _fields(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "sku": str(row.get("sku")),
        "customer_group": str(row.get("customer_group")),
        "website_id": int(row.get("website_id") or 0),
        "quantity": _number(row.get("quantity")),
        "price": _number(row.get("price")),
        "price_type": str(row.get("price_type") or "fixed"),
    }


def _failure_key(failure: TierPriceFailure) -> str:
    try:
        return tier_key(
            {
                "sku": failure.sku,
                "website_id": failure.website_id,
                "customer_group": failure.customer_group,
                "quantity": failure.quantity,
            }
        )
    except (ValueError, ArithmeticError):
        return ""


def _chunks(items: Sequence[Change], size: int = _BATCH) -> Iterable[Sequence[Change]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class TierPriceWriter:
    """Reads and writes tier-price rows of the SKUs and customer groups in the managed scope."""

    def __init__(self, client: MagentoClient) -> None:
        self.client = client

    def rows(self, skus: Sequence[str]) -> list[dict[str, Any]]:
        if not skus:
            return []
        body = self.client.post(INFO_PATH, {"skus": list(dict.fromkeys(skus))}, idempotent=True)
        return [dict(row) for row in body or [] if isinstance(row, Mapping)]

    def read(self, skus: Sequence[str], groups: Sequence[str]) -> list[ManagedObject]:
        wanted = {group.casefold() for group in groups}
        objects: list[ManagedObject] = []
        for row in self.rows(skus):
            fields = _fields(row)
            if fields["customer_group"].casefold() in wanted:
                objects.append(ManagedObject("tier_price", tier_key(fields), fields))
        return objects

    def write(self, changes: Sequence[Change]) -> list[ChangeResult]:
        results: dict[int, ChangeResult] = {}
        upserts = [c for c in changes if c.action in ("create", "update")]
        deletes = [c for c in changes if c.action == "delete"]
        for chunk in _chunks(upserts):
            for change, result in zip(chunk, self._upsert(chunk), strict=True):
                results[id(change)] = result
        moved = [
            c for c in upserts if results[id(c)].ok and c.before and tier_key(c.before) != tier_key(c.fields)
        ]
        for change in moved:  # an update that changed group/website/qty: the old row goes too
            outcome = self._delete(
                [Change("delete", "tier_price", tier_key(change.before or {}), fields=change.before or {})]
            )[0]
            if not outcome.ok:
                results[id(change)] = ChangeResult(change, False, error=f"added, but {outcome.error}")
        for chunk in _chunks(deletes):
            for change, result in zip(chunk, self._delete(chunk), strict=True):
                results[id(change)] = result
        return [results[id(c)] for c in changes]

    def _post(self, path: str, source: Sequence[Mapping[str, Any]]) -> dict[str, str]:
        """POST the rows; return failure text by row key ("*" for failures naming no known row)."""
        rows = [tier_row(fields) for fields in source]
        body = self.client.post(path, {"prices": rows})
        failures: dict[str, str] = {}
        keys = {tier_key(fields) for fields in source}
        for failure in tier_price_failures(body):
            key = _failure_key(failure)
            text = failure.describe() + (_SCOPE_HINT if "Website ID" in failure.message else "")
            slot = key if key in keys else "*"
            failures[slot] = f"{failures[slot]}; {text}" if slot in failures else text
        if failures:
            logger.warning("[%s] %s refused %d tier-price row(s)", self.client.source, path, len(failures))
        return failures

    def _upsert(self, chunk: Sequence[Change]) -> list[ChangeResult]:
        try:
            failures = self._post(UPDATE_PATH, [c.fields for c in chunk])
        except (LoyaltyConnectorError, KeyError, ValueError, ArithmeticError) as exc:
            return [ChangeResult(c, False, error=str(exc)) for c in chunk]
        return [self._outcome(c, tier_key(c.fields), failures, "tier price not saved") for c in chunk]

    def _delete(self, chunk: Sequence[Change]) -> list[ChangeResult]:
        sources = [dict(c.before or c.fields) for c in chunk]
        try:
            failures = self._post(DELETE_PATH, sources)
            remaining = {tier_key(_fields(row)): row for row in self.rows([s["sku"] for s in sources])}
        except (LoyaltyConnectorError, KeyError, ValueError, ArithmeticError) as exc:
            return [ChangeResult(c, False, error=str(exc)) for c in chunk]
        results: list[ChangeResult] = []
        for change, source in zip(chunk, sources, strict=True):
            key = tier_key(source)
            outcome = self._outcome(change, key, failures, "tier price not deleted")
            if outcome.ok and key in remaining:
                kept = _fields(remaining[key])
                outcome = ChangeResult(
                    change,
                    False,
                    error=(
                        f"Magento kept tier price {key}: it deletes a row only when the price matches "
                        f"exactly, and the shop has {kept['price']} ({kept['price_type']}) where we wrote "
                        f"{_number(source['price'])}; it was probably changed by hand, so it is left in place"
                    ),
                )
            results.append(outcome)
        return results

    @staticmethod
    def _outcome(change: Change, key: str, failures: Mapping[str, str], what: str) -> ChangeResult:
        error = failures.get(key) or failures.get("*")
        if error:
            return ChangeResult(change, False, error=f"{what}: {error}")
        return ChangeResult(change, True, shop_id=key)
