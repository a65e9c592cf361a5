"""The sandbox shop's state: one table per entity, foreign-key lookups and keyset indexes.

Seeding 100,000 orders with their line items, customers, transactions and addresses as full Shopware
records would take far longer than a test or a benchmark should wait, so orders are *lazy*: seeding
stores only what ordering and indexing need (ids, timestamps, ``autoIncrement``) and a registered
materializer builds an order with all its children the first time anything reads it. To a reader the
tables behave as if everything were there; iterating a table of order children builds every order.

:class:`KeysetIndex` keeps sorted views of ``customer``, ``order`` and ``order_transaction`` by change
time so that incremental (keyset) searches bisect instead of scanning.
"""

from __future__ import annotations

__all__ = ["KEYSET_ENTITIES", "LAZY_CHILDREN", "KeysetIndex", "Record", "ShopStore", "Table"]

import bisect
from collections.abc import Callable, Iterable, Iterator, MutableMapping
from typing import Any

from .clock import SandboxClock, parse_ms
from .schema import ENTITIES, Association, refresh_translated

Record = dict[str, Any]

KEYSET_ENTITIES = ("customer", "order", "order_transaction")
"""Entities with sorted change-time indexes (the streams loyalty-connector reads incrementally)."""

LAZY_CHILDREN: dict[str, str] = {
    "order_customer": "orderId",
    "order_line_item": "orderId",
    "order_address": "orderId",
    "order_delivery": "orderId",
    "order_transaction": "orderId",
    "order_transaction_capture": "orderTransactionId",
    "order_transaction_capture_refund": "captureId",
    "order_transaction_capture_refund_position": "refundId",
}
"""Entities built together with their order, and the field that points to their (lazy) parent."""


class Table(MutableMapping[str, Record]):
    """Records of one entity by id. Reading a not-yet-built order (or a child of one) builds it."""

    def __init__(self, store: ShopStore, name: str) -> None:
        self._store = store
        self.name = name
        self.rows: dict[str, Record] = {}
        self.pending: dict[str, int] = {}
        """Ids that exist but are not built yet -> the seed index of the order that builds them."""

    def _complete(self) -> None:
        if self.pending or (self.name in LAZY_CHILDREN and self._store.pending_owners):
            self._store.materialize_all()

    def __getitem__(self, key: str) -> Record:
        row = self.rows.get(key)
        if row is not None:
            return row
        owner = self.pending.get(key)
        if owner is not None:
            self._store.materialize(owner)
            return self.rows[key]
        if self.name in LAZY_CHILDREN and self._store.pending_owners:
            self._store.materialize_all()
            return self.rows[key]
        raise KeyError(key)

    def __contains__(self, key: object) -> bool:
        if key in self.rows or key in self.pending:
            return True
        if self.name in LAZY_CHILDREN and self._store.pending_owners:
            self._store.materialize_all()
            return key in self.rows
        return False

    def __iter__(self) -> Iterator[str]:
        self._complete()
        return iter(list(self.rows))

    def __len__(self) -> int:
        if self.name in LAZY_CHILDREN and self.name != "order_transaction" and self._store.pending_owners:
            self._store.materialize_all()
        return len(self.rows) + len(self.pending)

    def __setitem__(self, key: str, value: Record) -> None:
        if key in self:
            self._store.remove(self.name, key)
        self._store.insert(self.name, value)

    def __delitem__(self, key: str) -> None:
        if key not in self:
            raise KeyError(key)
        self._store.remove(self.name, key)

    def all_rows(self) -> list[Record]:
        """Every record, built if needed, in insertion order."""
        self._complete()
        return list(self.rows.values())


class KeysetIndex:
    """Sorted views of one entity's records by change time, each ending in the tie-break and the id.

    ``created``: ``(createdAt, tie, id)`` of all records; ``never_updated``: the same for records whose
    ``updatedAt`` is ``NULL``; ``updated``: ``(updatedAt, createdAt, tie, id)`` and ``updated_tie``:
    ``(updatedAt, tie, id)`` of the others. MySQL sorts ``NULL`` first, so ``ORDER BY updatedAt, createdAt,
    tie`` is ``never_updated`` followed by ``updated``.
    """

    def __init__(self) -> None:
        self.entries: dict[str, tuple[int, int | None, Any]] = {}
        self.created: list[tuple[Any, ...]] = []
        self.never_updated: list[tuple[Any, ...]] = []
        self.updated: list[tuple[Any, ...]] = []
        self.updated_tie: list[tuple[Any, ...]] = []

    def load(self, items: Iterable[tuple[str, int, int | None, Any]]) -> None:
        """Add many records at once (one sort instead of many inserts)."""
        for record_id, created, updated, tie in items:
            self.entries[record_id] = (created, updated, tie)
            self.created.append((created, tie, record_id))
            if updated is None:
                self.never_updated.append((created, tie, record_id))
            else:
                self.updated.append((updated, created, tie, record_id))
                self.updated_tie.append((updated, tie, record_id))
        for view in (self.created, self.never_updated, self.updated, self.updated_tie):
            view.sort()

    def add(self, record_id: str, created: int, updated: int | None, tie: Any) -> None:
        self.entries[record_id] = (created, updated, tie)
        bisect.insort(self.created, (created, tie, record_id))
        if updated is None:
            bisect.insort(self.never_updated, (created, tie, record_id))
        else:
            bisect.insort(self.updated, (updated, created, tie, record_id))
            bisect.insort(self.updated_tie, (updated, tie, record_id))

    def remove(self, record_id: str) -> None:
        entry = self.entries.pop(record_id, None)
        if entry is None:
            return
        created, updated, tie = entry
        _discard(self.created, (created, tie, record_id))
        if updated is None:
            _discard(self.never_updated, (created, tie, record_id))
        else:
            _discard(self.updated, (updated, created, tie, record_id))
            _discard(self.updated_tie, (updated, tie, record_id))


def _discard(view: list[tuple[Any, ...]], item: tuple[Any, ...]) -> None:
    position = bisect.bisect_left(view, item)
    if position < len(view) and view[position] == item:
        del view[position]


def _fk_fields() -> dict[str, tuple[str, ...]]:
    fields: dict[str, set[str]] = {}
    for definition in ENTITIES.values():
        for association in definition.associations.values():
            if association.remote_fk and association.entity in ENTITIES:
                fields.setdefault(association.entity, set()).add(association.reference_field)
            if association.kind == "m2m" and association.mapping in ENTITIES:
                fields.setdefault(association.mapping, set()).add(association.mapping_local)
    return {entity: tuple(sorted(names)) for entity, names in fields.items()}


class ShopStore:
    """All tables, their foreign-key lookups, keyset indexes and the clock of one sandbox shop."""

    def __init__(self, clock: SandboxClock) -> None:
        self.clock = clock
        self.tables: dict[str, Table] = {name: Table(self, name) for name in ENTITIES}
        self.indexes: dict[str, KeysetIndex] = {name: KeysetIndex() for name in KEYSET_ENTITIES}
        self._fk_fields = _fk_fields()
        self._fk: dict[tuple[str, str], dict[Any, dict[str, None]]] = {
            (entity, name): {} for entity, names in self._fk_fields.items() for name in names
        }
        self._materializer: Callable[[int], None] | None = None
        self.pending_owners: set[int] = set()
        self.auto_increment: dict[str, int] = {}

    # lazy orders -------------------------------------------------------------------------------

    def set_materializer(self, materializer: Callable[[int], None]) -> None:
        self._materializer = materializer

    def materialize(self, owner: int) -> None:
        if owner in self.pending_owners and self._materializer is not None:
            self.pending_owners.discard(owner)
            self._materializer(owner)

    def materialize_all(self) -> None:
        for owner in sorted(self.pending_owners):
            self.materialize(owner)

    # writes --------------------------------------------------------------------------------------

    def key_of(self, entity: str, record: Record) -> str:
        definition = ENTITIES[entity]
        return definition.mapping_key(record) if definition.is_mapping else str(record["id"])

    def insert(self, entity: str, record: Record, *, keyset: bool = True) -> None:
        """Store a new record (already in output shape) and index it."""
        table = self.tables[entity]
        key = self.key_of(entity, record)
        table.rows[key] = record
        table.pending.pop(key, None)
        for name in self._fk_fields.get(entity, ()):
            value = record.get(name)
            if value is not None:
                self._fk[(entity, name)].setdefault(value, {})[key] = None
        index = self.indexes.get(entity)
        if keyset and index is not None:
            index.add(key, *self._keyset_entry(entity, record))

    def _keyset_entry(self, entity: str, record: Record) -> tuple[int, int | None, Any]:
        created = parse_ms(str(record["createdAt"]))
        updated = parse_ms(str(record["updatedAt"])) if record.get("updatedAt") is not None else None
        if created is None:
            raise ValueError(f"{entity} {record.get('id')} has no valid createdAt")
        return created, updated, record[ENTITIES[entity].tiebreak]

    def update(self, entity: str, key: str, changes: Record) -> Record:
        """Change fields of a stored record in place, keeping lookups and indexes right."""
        table = self.tables[entity]
        record = table[key]
        for name in self._fk_fields.get(entity, ()):
            if name in changes and changes[name] != record.get(name):
                old = record.get(name)
                if old is not None:
                    self._fk[(entity, name)].get(old, {}).pop(key, None)
                if changes[name] is not None:
                    self._fk[(entity, name)].setdefault(changes[name], {})[key] = None
        index = self.indexes.get(entity)
        moved = index is not None and any(f in changes for f in ("createdAt", "updatedAt"))
        if moved and index is not None:
            index.remove(key)
        record.update(changes)
        refresh_translated(ENTITIES[entity], record)
        if moved and index is not None:
            index.add(key, *self._keyset_entry(entity, record))
        return record

    def remove(self, entity: str, key: str) -> Record:
        table = self.tables[entity]
        record = table[key]
        del table.rows[key]
        for name in self._fk_fields.get(entity, ()):
            value = record.get(name)
            if value is not None:
                self._fk[(entity, name)].get(value, {}).pop(key, None)
        index = self.indexes.get(entity)
        if index is not None:
            index.remove(key)
        return record

    def next_auto_increment(self, entity: str) -> int:
        value = self.auto_increment.get(entity, 0) + 1
        self.auto_increment[entity] = value
        return value

    # reads ---------------------------------------------------------------------------------------

    def get(self, entity: str, key: Any) -> Record | None:
        if not isinstance(key, str):
            return None
        try:
            return self.tables[entity][key]
        except KeyError:
            return None

    def children(self, entity: str, field: str, value: Any) -> list[Record]:
        """Records of ``entity`` whose ``field`` equals ``value``, in insertion order."""
        if value is None:
            return []
        if self.pending_owners and entity in LAZY_CHILDREN and LAZY_CHILDREN[entity] != field:
            self.materialize_all()
        lookup = self._fk.get((entity, field))
        table = self.tables[entity]
        if lookup is None:
            return [row for row in table.all_rows() if row.get(field) == value]
        return [table.rows[key] for key in lookup.get(value, {})]

    def related(self, row: Record, association: Association) -> list[Record]:
        """The records ``association`` of ``row`` points to (empty when there are none)."""
        if association.entity not in self.tables:
            return []
        if association.kind == "m21" or (association.kind == "o2o" and not association.remote_fk):
            target = self.get(association.entity, row.get(association.local_field))
            return [target] if target is not None else []
        if association.kind == "m2m":
            if association.mapping not in self.tables:
                return []
            links = self.children(association.mapping, association.mapping_local, row.get("id"))
            targets = (
                self.get(association.entity, link.get(association.mapping_reference)) for link in links
            )
            return [target for target in targets if target is not None]
        found = self.children(
            association.entity, association.reference_field, row.get(association.local_field or "id")
        )
        return found[:1] if association.kind == "o2o" else found
