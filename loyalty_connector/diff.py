"""Comparing managed objects' fields: what a shop holds against what loyalty-connector wants.

Shops answer with their own types and defaults — Magento returns ``discount_amount`` as a number
for the ``"10"`` that was sent and adds ``operator: null`` to condition trees, Shopware returns
floats for Decimals — so equality is by meaning: mappings on the wanted keys only, numbers by
value, timestamps as instants. ``plan`` uses it for updates and for drift.
"""

from __future__ import annotations

__all__ = ["FieldDiff", "field_diffs", "jsonable", "same_value"]

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

_NUMERIC = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, Decimal)):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, str) and _NUMERIC.match(value.strip()):
        try:
            return Decimal(value.strip())
        except InvalidOperation:
            return None
    return None


def _instant(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else None
    if isinstance(value, str) and "T" in value and ":" in value:
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed if parsed.tzinfo is not None else None
    return None


def same_value(want: Any, have: Any) -> bool:
    """True when the shop's ``have`` holds what ``want`` asks for.

    Mappings compare on ``want``'s keys only (shops add defaults), sequences element by element,
    numbers by value whatever their type (``"22.50"``, ``22.5``, ``Decimal("22.5")``), timestamps
    as instants; ``None`` equals a missing value.
    """
    if isinstance(want, Mapping):
        return isinstance(have, Mapping) and all(same_value(v, have.get(k)) for k, v in want.items())
    if isinstance(want, (list, tuple)):
        return (
            isinstance(have, (list, tuple))
            and len(want) == len(have)
            and all(same_value(a, b) for a, b in zip(want, have, strict=True))
        )
    if want is None or have is None:
        return want is None and have is None
    if isinstance(want, bool) or isinstance(have, bool):
        return bool(want == have)
    numbers = _number(want), _number(have)
    if numbers[0] is not None and numbers[1] is not None:
        return numbers[0] == numbers[1]
    instants = _instant(want), _instant(have)
    if instants[0] is not None and instants[1] is not None:
        return instants[0] == instants[1]
    if isinstance(want, date) or isinstance(have, date):
        return str(want.isoformat() if isinstance(want, date) else want) == str(
            have.isoformat() if isinstance(have, date) else have
        )
    return bool(want == have)


@dataclass(frozen=True)
class FieldDiff:
    """One field of an object: its value before (shop or record) and after (wanted)."""

    name: str
    before: Any
    after: Any


def _leaves(path: str, before: Any, after: Any) -> list[FieldDiff]:
    if isinstance(after, Mapping) and isinstance(before, Mapping):
        found: list[FieldDiff] = []
        for key, value in after.items():
            if not same_value(value, before.get(key)):
                found += _leaves(f"{path}.{key}", before.get(key), value)
        return found
    if (
        isinstance(after, (list, tuple))
        and isinstance(before, (list, tuple))
        and len(after) == len(before)
        and all(isinstance(v, Mapping) for v in after)
    ):
        found = []
        for n, (old, new) in enumerate(zip(before, after, strict=True)):
            if not same_value(new, old):
                found += _leaves(f"{path}[{n}]", old, new)
        return found
    return [FieldDiff(path, before, after)]


def field_diffs(want: Mapping[str, Any], have: Mapping[str, Any]) -> tuple[FieldDiff, ...]:
    """What ``have`` lacks of ``want``, in ``want``'s order, down to the changed leaf.

    A nested change is named by its path: ``condition.conditions[0].value``, ``prices[0].net``.
    """
    found: list[FieldDiff] = []
    for key, value in want.items():
        if not same_value(value, have.get(key)):
            found += _leaves(key, have.get(key), value)
    return tuple(found)


def jsonable(value: Any) -> Any:
    """``value`` with Decimals and timestamps as exact strings, ready for ``json.dumps``."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return value
