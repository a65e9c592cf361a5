"""Writing entities as Shopware's DAL writer does: validate, upsert nested payloads, delete with cascades.

Every change goes through a :class:`WriteContext` that journals it, so a request that fails anywhere is
rolled back completely (one transaction per request). Violations carry Shopware's codes and a JSON
pointer ``/<operation key>/<index>/<field>`` to the offending value. An ``id`` makes a write an
update when the record exists (so the same payload twice is idempotent); without one a new id is
generated. Foreign keys must point to existing records, ``product_price.price`` must hold a price
for the default currency, and ``productId`` may be given as ``{"resolver": "product.number",
"value": ...}`` (Shopware's ``SyncFkResolver``, 6.5.2+).

The sandbox also refuses an *active* promotion without a sales channel (Shopware would store it, but
the storefront never applies it, which is never what a caller meant).
"""

from __future__ import annotations

__all__ = ["WriteContext", "Writer"]

import random
import re
from dataclasses import dataclass, field
from typing import Any

from .clock import format_ms, parse_ms
from .errors import ApiError
from .ids import uuid7
from .schema import (
    DEFAULT_CURRENCY_ID,
    DEFAULT_LANGUAGE_ID,
    ENTITIES,
    EntityDef,
    Field,
    blank_record,
)
from .store import Record, ShopStore
from .write_rules import CASCADES, DEFAULTS, RESTRICTS, WRITABLE, blank_violation, violation

_UUID = re.compile(r"^[0-9a-f]{32}$")
_TYPES = {"int": "int", "float": "float", "bool": "bool", "str": "string", "json": "array", "list": "array"}


@dataclass
class WriteContext:
    """The journal and results of one write request."""

    now_ms: int
    journal: list[tuple[str, str, str, Record | None]] = field(default_factory=list)
    written: dict[str, list[Any]] = field(default_factory=dict)
    deleted: dict[str, list[Any]] = field(default_factory=dict)
    not_found: dict[str, list[Any]] = field(default_factory=dict)
    errors: list[dict[str, Any]] = field(default_factory=list)
    promotions: dict[str, str] = field(default_factory=dict)
    """Promotion ids written in this request -> pointer to report a missing sales channel at."""


class Writer:
    """Applies validated writes to a store; one :class:`WriteContext` per request."""

    def __init__(self, store: ShopStore, rng: random.Random) -> None:
        self.store = store
        self.rng = rng

    # results -------------------------------------------------------------------------------------

    def _result_key(self, entity: EntityDef, record: Record) -> Any:
        primary = [f.name for f in entity.fields.values() if f.primary]
        if len(primary) == 1:
            return record[primary[0]]
        return {name: record.get(name) for name in primary}

    def _note(self, results: dict[str, list[Any]], entity: EntityDef, record: Record) -> None:
        key = self._result_key(entity, record)
        bucket = results.setdefault(entity.name, [])
        if key not in bucket:
            bucket.append(key)
        if "name" in entity.translated_keys:
            translation = {f"{_camel(entity.name)}Id": record["id"], "languageId": DEFAULT_LANGUAGE_ID}
            bucket = results.setdefault(f"{entity.name}_translation", [])
            if translation not in bucket:
                bucket.append(translation)

    # upsert --------------------------------------------------------------------------------------

    def upsert(
        self,
        ctx: WriteContext,
        entity: EntityDef,
        payload: Any,
        pointer: str,
        inherited: dict[str, Any] | None = None,
    ) -> str | None:
        """Create or update one record (and the nested records in its payload); return its key."""
        if entity.name not in WRITABLE:
            ctx.errors.append(
                violation(
                    pointer,
                    f'The sandbox does not accept writes for entity "{entity.name}".',
                    "SANDBOX__ENTITY_NOT_WRITABLE",
                )
            )
            return None
        if not isinstance(payload, dict):
            ctx.errors.append(
                violation(
                    pointer, "Each record must be a JSON object.", "ba785a8c-82cb-4283-967c-3cf342181b40"
                )
            )
            return None
        values: dict[str, Any] = dict(inherited or {})
        nested: list[tuple[str, Any]] = []
        failed = len(ctx.errors)
        for name, raw in payload.items():
            where = f"{pointer}/{name}"
            association = entity.associations.get(name)
            if association is not None:
                nested.append((name, raw))
                continue
            spec = entity.fields.get(name)
            if spec is None:
                ctx.errors.append(
                    violation(
                        where,
                        f"Unexpected field: {name}",
                        "FRAMEWORK__WRITE_UNEXPECTED_FIELD_ERROR",
                        field=name,
                    )
                )
                continue
            if spec.write_protected:
                ctx.errors.append(
                    violation(
                        where,
                        "This field is write-protected.",
                        "FRAMEWORK__WRITE_PROTECTED_FIELD",
                        field=name,
                    )
                )
                continue
            value = self._resolve(ctx, raw, where)
            checked = self._check(ctx, entity, spec, value, where)
            if checked is not _INVALID:
                values[name] = checked
        if len(ctx.errors) > failed:
            return None
        if entity.is_mapping:
            key = "-".join(str(values.get(f.name)) for f in entity.fields.values() if f.primary)
        else:
            key = str(values.get("id") or uuid7(ctx.now_ms, self.rng))
            values["id"] = key
        existing = self.store.get(entity.name, key)
        if existing is None:
            for name, default in DEFAULTS.get(entity.name, {}).items():
                values.setdefault(name, default)
            for spec in entity.fields.values():
                if (
                    spec.required
                    and not spec.primary
                    and values.get(spec.name) in (None, "")
                    and spec.name not in ("createdAt", "versionId")
                ):
                    ctx.errors.append(blank_violation(f"{pointer}/{spec.name}"))
        if entity.name == "product_price" and "price" in values:
            prices = values["price"]
            if not any(isinstance(p, dict) and p.get("currencyId") == DEFAULT_CURRENCY_ID for p in prices):
                ctx.errors.append(violation(f"{pointer}/price", "No price for default currency defined"))
        if len(ctx.errors) > failed:
            return None
        record = self._apply(ctx, entity, key, values, existing)
        if entity.name == "promotion":
            ctx.promotions.setdefault(key, pointer)
        for name, raw in nested:
            self._nested(ctx, entity, record, name, raw, f"{pointer}/{name}")
        return key

    def _apply(
        self, ctx: WriteContext, entity: EntityDef, key: str, values: dict[str, Any], existing: Record | None
    ) -> Record:
        now = format_ms(ctx.now_ms)
        if existing is None:
            if "autoIncrement" in entity.fields:
                values["autoIncrement"] = self.store.next_auto_increment(entity.name)
            if "createdAt" in entity.keys:
                values.setdefault("createdAt", now)
            record = blank_record(entity.name, values.get("id"), **values)
            self.store.insert(entity.name, record)
            ctx.journal.append(("insert", entity.name, key, None))
        else:
            ctx.journal.append(("update", entity.name, key, dict(existing)))
            changes = {k: v for k, v in values.items() if k != "id"}
            if "updatedAt" in entity.keys:
                changes["updatedAt"] = now
            record = self.store.update(entity.name, key, changes)
        self._note(ctx.written, entity, record)
        return record

    def _nested(
        self, ctx: WriteContext, entity: EntityDef, record: Record, name: str, raw: Any, pointer: str
    ) -> None:
        association = entity.associations[name]
        target = ENTITIES.get(association.entity)
        if target is None:
            ctx.errors.append(
                violation(
                    pointer,
                    f'The sandbox does not accept writes for association "{name}".',
                    "SANDBOX__ENTITY_NOT_WRITABLE",
                )
            )
            return
        if association.kind in ("m21", "o2o") and not association.remote_fk:
            key = self.upsert(ctx, target, raw, pointer)
            if key is not None:
                self._apply(ctx, entity, record["id"], {association.local_field: key}, record)
            return
        if not isinstance(raw, list):
            ctx.errors.append(
                violation(
                    pointer, "This value should be of type array.", "ba785a8c-82cb-4283-967c-3cf342181b40"
                )
            )
            return
        for index, item in enumerate(raw):
            where = f"{pointer}/{index}"
            if association.kind == "m2m":
                mapping = ENTITIES[association.mapping]
                target_id = item.get("id") if isinstance(item, dict) else None
                if isinstance(item, dict) and (
                    len(item) > 1 or self.store.get(target.name, target_id) is None
                ):
                    target_id = self.upsert(ctx, target, item, where)
                if target_id is not None:
                    link = {association.mapping_local: record["id"], association.mapping_reference: target_id}
                    self.upsert(ctx, mapping, link, where)
                continue
            inherited = {association.reference_field: record[association.local_field or "id"]}
            if entity.name == "rule_condition" and name == "children":
                inherited["ruleId"] = record.get("ruleId")
            self.upsert(ctx, target, item, where, inherited)

    def _resolve(self, ctx: WriteContext, raw: Any, pointer: str) -> Any:
        if not (isinstance(raw, dict) and set(raw) == {"resolver", "value"}):
            return raw
        resolver, value = raw["resolver"], raw["value"]
        if resolver == "product.number":
            for product in self.store.tables["product"].rows.values():
                if product.get("productNumber") == value:
                    return product["id"]
        elif resolver == "id":
            return value
        ctx.errors.append(
            violation(pointer, f'Could not resolve the foreign key "{value}" with resolver "{resolver}".')
        )
        return _INVALID

    def _check(self, ctx: WriteContext, entity: EntityDef, spec: Field, value: Any, pointer: str) -> Any:
        if value is _INVALID:
            return _INVALID
        if value is None:
            if spec.required:
                ctx.errors.append(blank_violation(pointer))
                return _INVALID
            return None
        kind = spec.type
        ok = {
            "uuid": isinstance(value, str),
            "int": isinstance(value, int) and not isinstance(value, bool),
            "float": isinstance(value, int | float) and not isinstance(value, bool),
            "bool": isinstance(value, bool),
            "str": isinstance(value, str),
            "json": isinstance(value, dict | list),
            "list": isinstance(value, list),
            "date": isinstance(value, str),
        }.get(kind, True)
        if not ok:
            ctx.errors.append(
                violation(
                    pointer,
                    f"This value should be of type {_TYPES.get(kind, kind)}.",
                    "ba785a8c-82cb-4283-967c-3cf342181b40",
                    **{"{{ type }}": _TYPES.get(kind, kind)},
                )
            )
            return _INVALID
        if kind == "uuid":
            if not _UUID.match(value):
                ctx.errors.append(
                    violation(
                        pointer,
                        f"The string {value!r} is not a valid uuid.",
                        "FRAMEWORK__INVALID_UUID",
                        value=value,
                    )
                )
                return _INVALID
            return self._check_reference(ctx, entity, spec, value, pointer)
        if kind == "date":
            ms = parse_ms(value)
            if ms is None:
                ctx.errors.append(
                    violation(
                        pointer, "This value is not a valid datetime.", "1a9da513-2640-4f84-9b6a-4d99dcddc628"
                    )
                )
                return _INVALID
            return format_ms(ms)
        if kind == "str" and spec.required and not value.strip():
            ctx.errors.append(blank_violation(pointer))
            return _INVALID
        if entity.name == "product_price" and spec.name == "price":
            return [_price(p) for p in value if isinstance(p, dict)]
        return value

    def _check_reference(
        self, ctx: WriteContext, entity: EntityDef, spec: Field, value: str, pointer: str
    ) -> Any:
        for association in entity.associations.values():
            linked = association.kind == "m21" and association.local_field == spec.name
            if (
                linked
                and association.entity in ENTITIES
                and self.store.get(association.entity, value) is None
            ):
                ctx.errors.append(
                    violation(
                        pointer, f'The {association.entity} with id "{value}" does not exist.', value=value
                    )
                )
                return _INVALID
        return value

    # delete --------------------------------------------------------------------------------------

    def delete(self, ctx: WriteContext, entity: EntityDef, key: str, pointer: str) -> None:
        """Delete one record with its cascades; unknown keys are reported as not found."""
        if entity.name not in WRITABLE:
            ctx.errors.append(
                violation(
                    pointer,
                    f'The sandbox does not accept writes for entity "{entity.name}".',
                    "SANDBOX__ENTITY_NOT_WRITABLE",
                )
            )
            return
        record = self.store.get(entity.name, key)
        if record is None:
            ctx.not_found.setdefault(entity.name, []).append(key)
            return
        for child_entity, child_field in RESTRICTS.get(entity.name, ()):
            users = self.store.children(child_entity, child_field, key)
            if users:
                ctx.errors.append(
                    violation(
                        pointer,
                        f"The delete request for {entity.name} was denied due to a conflict. "
                        f"The entity is currently in use by: {child_entity} ({len(users)})",
                        "FRAMEWORK__DELETE_RESTRICTED",
                    )
                )
                return
        self._delete(ctx, entity, key, record)

    def _delete(self, ctx: WriteContext, entity: EntityDef, key: str, record: Record) -> None:
        for child_entity, child_field in CASCADES.get(entity.name, ()):
            for child in list(self.store.children(child_entity, child_field, key)):
                child_key = self.store.key_of(child_entity, child)
                if self.store.get(child_entity, child_key) is not None:
                    self._delete(ctx, ENTITIES[child_entity], child_key, child)
        if entity.name == "customer":  # order snapshots keep their data, the reference becomes NULL
            for link in list(self.store.children("order_customer", "customerId", key)):
                ctx.journal.append(("update", "order_customer", link["id"], dict(link)))
                self.store.update("order_customer", link["id"], {"customerId": None})
        self.store.remove(entity.name, key)
        ctx.journal.append(("delete", entity.name, key, record))
        self._note(ctx.deleted, entity, record)

    # transaction ---------------------------------------------------------------------------------

    def finish(self, ctx: WriteContext) -> None:
        """Final checks of a request; raise (after rolling back) if anything failed."""
        for promotion_id, pointer in ctx.promotions.items():
            promotion = self.store.get("promotion", promotion_id)
            if (
                promotion is not None
                and promotion.get("active")
                and not self.store.children("promotion_sales_channel", "promotionId", promotion_id)
            ):
                ctx.errors.append(
                    violation(
                        f"{pointer}/salesChannels", "An active promotion needs at least one sales channel."
                    )
                )
        if ctx.errors:
            self.rollback(ctx)
            raise ApiError(400, ctx.errors)

    def rollback(self, ctx: WriteContext) -> None:
        for action, entity, key, before in reversed(ctx.journal):
            if action == "insert":
                if self.store.get(entity, key) is not None:
                    self.store.remove(entity, key)
            elif action == "update" and before is not None:
                self.store.update(entity, key, before)
            elif action == "delete" and before is not None:
                self.store.insert(entity, before)
        ctx.journal.clear()


_INVALID: Any = object()


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _price(price: dict[str, Any]) -> dict[str, Any]:
    return {
        "currencyId": price.get("currencyId"),
        "net": price.get("net"),
        "gross": price.get("gross"),
        "linked": price.get("linked", True),
        "listPrice": price.get("listPrice"),
        "extensions": [],
    }
