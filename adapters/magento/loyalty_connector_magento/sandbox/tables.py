"""In-memory tables with a sorted ``(updated_at, id)`` index, the sandbox's stand-in for MySQL.

Keyset sync asks for ``updated_at = t AND entity_id > id`` and ``updated_at > t`` sorted by
``updated_at, entity_id``; with 100,000 orders a full scan per page would be far too slow, so each
table keeps its index sorted and :mod:`.search_criteria` answers those queries with ``bisect``.
Records are stored in id order (ids only grow), which is also the "no sort order" result order.
"""

from __future__ import annotations

__all__ = ["RecordTable", "TableView"]

import bisect
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, Generic, TypeVar

R = TypeVar("R")

IndexKey = tuple[str, int]


class RecordTable(Generic[R]):
    """Records by id, with the column set Magento would accept in a search and an optional index.

    ``value(record, column)`` reads a column (``None`` = SQL NULL); ``render(record)`` builds the
    Magento JSON object; ``updated_at(record)`` feeds the index (``None`` for tables without one).
    ``aliases`` maps accepted field names onto columns (e.g. customer ``id`` -> ``entity_id``).
    """

    def __init__(
        self,
        name: str,
        *,
        columns: Iterable[str],
        value: Callable[[R, str], Any],
        render: Callable[[R], dict[str, Any]],
        updated_at: Callable[[R], str] | None = None,
        aliases: Mapping[str, str] | None = None,
    ) -> None:
        self.name = name
        self.columns = frozenset(columns)
        self.aliases = dict(aliases or {})
        self.value = value
        self.render = render
        self._updated_at = updated_at
        self.records: dict[int, R] = {}
        self.index: list[IndexKey] | None = [] if updated_at is not None else None

    @property
    def indexed(self) -> bool:
        return self.index is not None

    def resolve(self, field: str) -> str | None:
        """The column a search field names, or ``None`` when the table has no such column."""
        column = self.aliases.get(field, field)
        return column if column in self.columns else None

    def load(self, items: Iterable[tuple[int, R]]) -> None:
        """Bulk-insert records (ids ascending) and build the index once."""
        for record_id, record in items:
            self.records[record_id] = record
        if self._updated_at is not None:
            stamp = self._updated_at
            self.index = sorted((stamp(record), record_id) for record_id, record in self.records.items())

    def insert(self, record_id: int, record: R) -> None:
        """Add a new record; its id must be larger than every existing one."""
        self.records[record_id] = record
        if self.index is not None and self._updated_at is not None:
            bisect.insort(self.index, (self._updated_at(record), record_id))

    def delete(self, record_id: int) -> None:
        record = self.records.pop(record_id)
        if self.index is not None and self._updated_at is not None:
            self._unindex(self._updated_at(record), record_id)

    def restamp(self, record_id: int, old_updated_at: str, new_updated_at: str) -> None:
        """Move a record in the index after its ``updated_at`` changed from ``old`` to ``new``."""
        if self.index is None:
            return
        self._unindex(old_updated_at, record_id)
        bisect.insort(self.index, (new_updated_at, record_id))

    def updated_at_of(self, record: R) -> str:
        if self._updated_at is None:
            raise TypeError(f"table {self.name} has no updated_at index")
        return self._updated_at(record)

    def _unindex(self, updated_at: str, record_id: int) -> None:
        assert self.index is not None
        key = (updated_at, record_id)
        position = bisect.bisect_left(self.index, key)
        if position < len(self.index) and self.index[position] == key:
            del self.index[position]
        else:
            raise KeyError(f"{self.name} index lost record {record_id}")


class TableView(Mapping[int, dict[str, Any]]):
    """A read-only mapping id -> Magento JSON object over a table, for tests' assertions."""

    def __init__(self, table: RecordTable[Any]) -> None:
        self._table = table

    def __getitem__(self, record_id: int) -> dict[str, Any]:
        return self._table.render(self._table.records[record_id])

    def __iter__(self) -> Iterator[int]:
        return iter(list(self._table.records))

    def __len__(self) -> int:
        return len(self._table.records)
