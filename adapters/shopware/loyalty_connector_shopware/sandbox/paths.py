"""Field paths of criteria (``transactions.stateMachineState.technicalName``) and MySQL-like values.

A path walks associations (a to-many step fans out, as a SQL join does; an empty to-many or a null
to-one yields one ``NULL``, as a ``LEFT JOIN`` does) and may end inside a JSON field
(``price.totalPrice``, ``customFields.erp_customer_no``). Values are compared as MySQL compares them
with Shopware's default collation: strings case-insensitively, ids case-insensitively, dates as
``DATETIME(3)`` (a UTC offset in a criteria value is ignored).
"""

from __future__ import annotations

__all__ = ["FieldPath", "UnknownField", "normalizer"]

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .clock import format_ms, parse_ms
from .schema import ENTITIES, Association, EntityDef
from .store import Record, ShopStore


class UnknownField(ValueError):
    """A criteria path names a field the entity does not have."""


@dataclass(frozen=True)
class _Step:
    kind: str
    """``assoc``, ``field`` or ``json`` (a key inside a JSON field)."""
    name: str
    association: Association | None = None


def _to_bool(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true")
    return bool(value)


def _to_number(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float):
        return value
    try:
        return float(str(value))
    except ValueError:
        return str(value).casefold()


def _to_date(value: Any) -> Any:
    if isinstance(value, str):
        ms = parse_ms(value)
        return format_ms(ms) if ms is not None else value
    return value


def _dynamic(value: Any) -> Any:
    if isinstance(value, str):
        return value.casefold()
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return float(value)
    return value


def _text(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else _dynamic(value)


_NORMALIZERS: dict[str, Callable[[Any], Any]] = {
    "uuid": _text,
    "str": _text,
    "int": _to_number,
    "float": _to_number,
    "bool": _to_bool,
    "date": _to_date,
}


def normalizer(field_type: str) -> Callable[[Any], Any]:
    """How values of a field type compare (strings and ids case-insensitively, as MySQL does)."""
    return _NORMALIZERS.get(field_type, _dynamic)


class FieldPath:
    """A resolved criteria field of one entity: the steps to walk and the type of what it ends on."""

    def __init__(self, entity: EntityDef, path: str) -> None:
        self.entity = entity
        self.path = path
        parts = path.split(".")
        if parts[0] == entity.name and len(parts) > 1:
            parts = parts[1:]
        self.field = ".".join(parts)
        self.steps: list[_Step] = []
        self.type = "json"
        self.to_many = False
        current: EntityDef | None = entity
        for index, part in enumerate(parts):
            if current is None:
                self.steps.append(_Step("json", part))
                continue
            association = current.associations.get(part)
            if association is not None and association.entity in ENTITIES:
                self.steps.append(_Step("assoc", part, association))
                self.to_many = self.to_many or association.to_many
                current = ENTITIES[association.entity]
                self.type = "uuid" if index == len(parts) - 1 else "json"
                if index == len(parts) - 1:
                    self.steps.append(_Step("field", "id"))
                continue
            field = current.fields.get(part)
            if field is None and part not in current.keys:
                raise UnknownField(f'Field "{part}" in entity "{current.name}" was not found.')
            self.steps.append(_Step("field", part))
            self.type = field.type if field is not None else "json"
            if self.type in ("json", "list") and index < len(parts) - 1:
                self.type = "json"
            current = None

    @property
    def simple(self) -> str | None:
        """The field name when the path is a plain field of the entity itself."""
        if len(self.steps) == 1 and self.steps[0].kind == "field":
            return self.steps[0].name
        return None

    def values(self, store: ShopStore, row: Record) -> list[Any]:
        """Every value the path reaches from ``row`` (``None`` where a join finds nothing)."""
        current: list[Any] = [row]
        for step in self.steps:
            following: list[Any] = []
            for item in current:
                if not isinstance(item, dict):
                    following.append(None)
                elif step.kind != "assoc":
                    following.append(item.get(step.name))
                else:
                    assert step.association is not None
                    found = store.related(item, step.association)
                    following.extend(found if found else [None])
            current = following
        if self.type == "list":
            flat: list[Any] = []
            for value in current:
                if isinstance(value, list):
                    flat.extend(value if value else [None])
                else:
                    flat.append(value)
            return flat
        return current
