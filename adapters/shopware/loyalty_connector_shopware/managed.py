"""Objects loyalty-connector owns in a Shopware shop: their ids, their marks, their canonical fields.

Every managed object gets a deterministic id — ``uuid5(namespace, "<kind>:<key>")`` as 32 hex
characters, Shopware's id format — so writing it twice is an idempotent upsert and a retried sync
batch cannot create duplicates. Named objects are also marked with the name prefix ``[loyalty] ``
and ``customFields.loyalty_connector_key``; an object counts as managed only if its id is the one
derived from that key, so an object a person created or copied is never read as ours, and never
changed or deleted. Customers are not ours: a ``group_assignment`` only ever sets ``groupId``.

:func:`canonical_fields` validates a change's ``fields`` and fills defaults; reading back
(:mod:`.reader`) yields the same canonical form, so ``plan`` right after ``apply`` shows no
difference. The kinds and their fields are documented in ``docs/adapters/shopware.md``.
"""

from __future__ import annotations

__all__ = [
    "CART_OPERATORS",
    "KINDS",
    "MANAGED_PREFIX",
    "MARKER_FIELD",
    "canonical_fields",
    "managed_id",
    "promotion_code_key",
]

import re
import uuid
from collections.abc import Mapping
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

MANAGED_PREFIX = "[loyalty] "
MARKER_FIELD = "loyalty_connector_key"
KINDS = ("customer_group", "rule", "promotion", "tier_price", "promotion_code", "group_assignment")
"""Managed kinds, in the order they are created (each may refer to the ones before it)."""

CART_OPERATORS = ("=", "!=", ">", ">=", "<", "<=")
_DISCOUNT_TYPES = ("percentage", "absolute", "fixed", "fixed_unit")
_SCOPES = ("cart", "set", "setgroup")
_SORTERS = ("PRICE_ASC", "PRICE_DESC")
_PICKERS = ("VERTICAL", "HORIZONTAL")
_PACKAGERS = ("COUNT", "PRICE_UNIT_GROSS", "PRICE_UNIT_NET")
_HEX_ID = re.compile(r"^[0-9a-f]{32}$")
_NAMESPACE = uuid.UUID("5b0c6f0e-3a57-5d0e-9c43-6c6f79616c74")


def managed_id(kind: str, key: str) -> str:
    """The Shopware id of the managed object ``(kind, key)``: uuid5 as 32 lower-case hex chars."""
    return uuid.uuid5(_NAMESPACE, f"{kind}:{key}").hex


def promotion_code_key(promotion_key: str, code: str) -> str:
    """The key of an individual promotion code: ``<promotion key>/<code>``.

    ``promotion_individual_code`` has no custom fields and Shopware overwrites its ``payload`` on
    redemption, so the key must be recoverable from the promotion and the code themselves.
    """
    return f"{promotion_key}/{code}"


class _Fields:
    """Reads one change's fields, naming the kind, key and field in every complaint."""

    def __init__(self, kind: str, key: str, fields: Mapping[str, Any], path: str = "fields") -> None:
        self.kind, self.key, self.fields, self.path = kind, key, fields, path

    def fail(self, name: str, expected: str) -> ValueError:
        got = self.fields.get(name)
        return ValueError(f"{self.kind} {self.key!r}: {self.path}.{name}: expected {expected}, got {got!r}")

    def text(self, name: str, *, optional: bool = False) -> str | None:
        value = self.fields.get(name)
        if value is None and optional:
            return None
        if not isinstance(value, str) or not value.strip():
            raise self.fail(name, "a non-empty string")
        return value.strip()

    def hex_id(self, name: str, *, optional: bool = False) -> str | None:
        value = self.text(name, optional=optional)
        if value is not None and not _HEX_ID.match(value.lower()):
            raise self.fail(name, "a Shopware id (32 hex characters)")
        return value.lower() if value is not None else None

    def flag(self, name: str, default: bool) -> bool:
        value = self.fields.get(name, default)
        if not isinstance(value, bool):
            raise self.fail(name, "true or false")
        return value

    def integer(self, name: str, default: int | None, *, minimum: int | None = None) -> int | None:
        value = self.fields.get(name, default)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or (minimum is not None and value < minimum):
            raise self.fail(name, "an integer" + (f" >= {minimum}" if minimum is not None else ""))
        return value

    def decimal(self, name: str, *, optional: bool = False, minimum: Decimal | None = None) -> Decimal | None:
        value = self.fields.get(name)
        if value is None and optional:
            return None
        try:
            number = Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value))
        except (InvalidOperation, TypeError, ValueError):
            raise self.fail(name, "a number") from None
        if isinstance(value, bool) or not number.is_finite() or (minimum is not None and number < minimum):
            raise self.fail(name, "a number" + (f" >= {minimum}" if minimum is not None else ""))
        return number

    def choice(self, name: str, choices: tuple[str, ...], default: str | None = None) -> str:
        value = self.fields.get(name, default)
        if value not in choices:
            raise self.fail(name, "one of " + ", ".join(choices))
        return str(value)

    def moment(self, name: str) -> datetime | None:
        value = self.fields.get(name)
        if value is None:
            return None
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                raise self.fail(name, "an ISO 8601 timestamp with offset") from None
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise self.fail(name, "a timezone-aware timestamp")
        utc = value.astimezone(timezone.utc)
        return utc.replace(microsecond=utc.microsecond // 1000 * 1000)  # Shopware keeps milliseconds

    def strings(self, name: str) -> list[str]:
        value = self.fields.get(name, [])
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) and v for v in value):
            raise self.fail(name, "a list of strings")
        return sorted(set(value))

    def records(self, name: str) -> list[Mapping[str, Any]]:
        value = self.fields.get(name, [])
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, Mapping) for v in value):
            raise self.fail(name, "a list of objects")
        return list(value)

    def nested(self, name: str, index: int, item: Mapping[str, Any]) -> _Fields:
        return _Fields(self.kind, self.key, item, f"{self.path}.{name}[{index}]")


def _customer_group(f: _Fields) -> dict[str, Any]:
    return {"name": f.text("name"), "display_gross": f.flag("display_gross", True)}


def _condition(f: _Fields) -> dict[str, Any]:
    kind = f.choice("type", ("customer_group", "cart_amount", "line_item"))
    if kind == "line_item":
        products = [i.lower() for i in f.strings("product_ids")]
        if not products or any(not _HEX_ID.match(i) for i in products):
            raise f.fail("product_ids", "at least one Shopware product id (32 hex characters)")
        return {"type": kind, "product_ids": sorted(products)}
    if kind == "customer_group":
        keys, ids = f.strings("group_keys"), [i.lower() for i in f.strings("group_ids")]
        if not keys and not ids:
            raise f.fail("group_keys", "at least one group key (or group_ids)")
        if any(not _HEX_ID.match(i) for i in ids):
            raise f.fail("group_ids", "Shopware ids (32 hex characters)")
        return {"type": kind, "group_keys": keys, "group_ids": sorted(ids)}
    return {
        "type": kind,
        "operator": f.choice("operator", CART_OPERATORS, ">="),
        "amount": f.decimal("amount", minimum=Decimal(0)),
    }


def _rule(f: _Fields) -> dict[str, Any]:
    conditions = [_condition(f.nested("conditions", i, c)) for i, c in enumerate(f.records("conditions"))]
    if not conditions:
        raise f.fail("conditions", "at least one condition")
    return {"name": f.text("name"), "priority": f.integer("priority", 100), "conditions": conditions}


def _price(f: _Fields) -> dict[str, Any]:
    return {
        "currency_id": f.hex_id("currency_id"),
        "gross": f.decimal("gross", minimum=Decimal(0)),
        "net": f.decimal("net", minimum=Decimal(0)),
    }


def _tier_price(f: _Fields, default_currency_id: str) -> dict[str, Any]:
    prices = [_price(f.nested("prices", i, p)) for i, p in enumerate(f.records("prices"))]
    prices.sort(key=lambda p: str(p["currency_id"]))
    if default_currency_id not in {p["currency_id"] for p in prices}:
        raise f.fail("prices", f"a price in the default currency (currency_id {default_currency_id})")
    start = f.integer("quantity_start", 1, minimum=1)
    end = f.integer("quantity_end", None, minimum=1)
    if end is not None and start is not None and end < start:
        raise f.fail("quantity_end", f"null or >= quantity_start ({start})")
    return {
        "product_id": f.hex_id("product_id"),
        "rule_key": f.text("rule_key"),
        "quantity_start": start,
        "quantity_end": end,
        "prices": prices,
    }


def _set_group(f: _Fields) -> dict[str, Any]:
    return {
        "packager": f.choice("packager", _PACKAGERS, "COUNT"),
        "value": f.decimal("value", minimum=Decimal(0)),
        "sorter": f.choice("sorter", _SORTERS, "PRICE_ASC"),
        "rule_keys": f.strings("rule_keys"),
    }


def _applier(f: _Fields, name: str) -> str:
    value = f.fields.get(name, "ALL")
    text = str(value)
    if isinstance(value, bool) or not (text == "ALL" or (text.isdigit() and int(text) > 0)):
        raise f.fail(name, '"ALL" or a positive count')
    return text


def _discount(f: _Fields, set_groups: int) -> dict[str, Any]:
    scope = f.choice("scope", _SCOPES, "cart")
    kind = f.choice("type", _DISCOUNT_TYPES)
    value = f.decimal("value", minimum=Decimal(0))
    if kind == "percentage" and value is not None and value > 100:
        raise f.fail("value", "a percentage between 0 and 100")
    set_group = f.integer("set_group", None, minimum=0)
    if scope == "setgroup" and (set_group is None or set_group >= set_groups):
        raise f.fail("set_group", f"the index of one of the {set_groups} set_groups")
    item_keys = scope != "cart"
    return {
        "type": kind,
        "value": value,
        "scope": scope,
        "set_group": set_group if scope == "setgroup" else None,
        "max_value": f.decimal("max_value", optional=True, minimum=Decimal(0)),
        "applier": _applier(f, "applier") if item_keys else None,
        "usage": _applier(f, "usage") if item_keys else None,
        "sorter": f.choice("sorter", _SORTERS, "PRICE_ASC") if item_keys else None,
        "picker": f.choice("picker", _PICKERS, "VERTICAL") if item_keys else None,
    }


def _promotion(f: _Fields) -> dict[str, Any]:
    set_groups = [_set_group(f.nested("set_groups", i, g)) for i, g in enumerate(f.records("set_groups"))]
    discounts = [
        _discount(f.nested("discounts", i, d), len(set_groups)) for i, d in enumerate(f.records("discounts"))
    ]
    if not discounts:
        raise f.fail("discounts", "at least one discount")
    code = f.text("code", optional=True)
    individual = f.flag("individual_codes", False)
    if code is not None and individual:
        raise f.fail("code", "no fixed code when individual_codes is true")
    valid_from, valid_until = f.moment("valid_from"), f.moment("valid_until")
    if valid_from is not None and valid_until is not None and valid_until <= valid_from:
        raise f.fail("valid_until", "a time after valid_from")
    return {
        "name": f.text("name"),
        "active": f.flag("active", True),
        "valid_from": valid_from,
        "valid_until": valid_until,
        "priority": f.integer("priority", 1),
        "exclusive": f.flag("exclusive", False),
        "prevent_combination": f.flag("prevent_combination", False),
        "code": code,
        "individual_codes": individual,
        "max_redemptions_global": f.integer("max_redemptions_global", None, minimum=1),
        "max_redemptions_per_customer": f.integer("max_redemptions_per_customer", None, minimum=1),
        "customer_rule_keys": f.strings("customer_rule_keys"),
        "cart_rule_keys": f.strings("cart_rule_keys"),
        "set_groups": set_groups,
        "discounts": discounts,
    }


def _promotion_code(f: _Fields) -> dict[str, Any]:
    promotion_key, code = f.text("promotion_key"), f.text("code")
    assert promotion_key is not None  # text() without optional=True never returns None
    assert code is not None
    if f.key != promotion_code_key(promotion_key, code):
        raise ValueError(
            f"promotion_code {f.key!r}: the key must be '<promotion_key>/<code>' "
            f"({promotion_code_key(promotion_key, code)!r}) so it can be read back from the shop"
        )
    return {"promotion_key": promotion_key, "code": code}


def _group_assignment(f: _Fields) -> dict[str, Any]:
    if not _HEX_ID.match(f.key.lower()):
        raise ValueError(f"group_assignment {f.key!r}: the key must be the customer's Shopware id")
    if f.fields.get("group_key") is not None:
        return {"group_key": f.text("group_key")}
    if f.fields.get("group_id") is not None:
        return {"group_id": f.hex_id("group_id")}
    raise f.fail("group_key", "group_key (a managed group) or group_id (any group)")


def canonical_fields(
    kind: str, key: str, fields: Mapping[str, Any], *, default_currency_id: str
) -> dict[str, Any]:
    """``fields`` of ``(kind, key)`` validated, with defaults filled in; raises ``ValueError``."""
    if not isinstance(key, str) or not key:
        raise ValueError(f"{kind}: the key must be a non-empty string")
    f = _Fields(kind, key, fields)
    if kind == "customer_group":
        return _customer_group(f)
    if kind == "rule":
        return _rule(f)
    if kind == "tier_price":
        return _tier_price(f, default_currency_id)
    if kind == "promotion":
        return _promotion(f)
    if kind == "promotion_code":
        return _promotion_code(f)
    if kind == "group_assignment":
        return _group_assignment(f)
    raise ValueError(f"unknown managed kind {kind!r}; the Shopware adapter writes: {', '.join(KINDS)}")
