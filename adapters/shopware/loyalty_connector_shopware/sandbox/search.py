"""Running a parsed criteria against the store: a keyset fast path and a general full scan.

The fast path serves incremental reads. When a search on ``customer``, ``order`` or
``order_transaction`` is sorted ``updatedAt, createdAt, <tie>`` (or ``updatedAt, <tie>`` /
``createdAt, <tie>``, ascending, where ``<tie>`` is ``autoIncrement`` — optionally followed by
``id``, which never reorders a unique ``autoIncrement`` — or, without one, ``id``), the
sorted views of :class:`~.store.KeysetIndex` already are that order. The filters are then read for a
lower and upper bound on the leading timestamp of each view (``range``/``equals`` on it, ``NULL``
tests on ``updatedAt``, through ``multi and/or``), the view is bisected to the lower bound and
walked, evaluating the complete filter on each candidate, until the page is full. Anything else
(other sorts, ``DESC``, no limit) takes the general path: evaluate every record, then sort.
Both paths give the same answer; the fast one only looks at fewer records.
"""

from __future__ import annotations

__all__ = ["SearchResult", "execute", "filter_related"]

import bisect
from dataclasses import dataclass
from typing import Any

from .clock import parse_ms
from .criteria import Criteria, sort_rows
from .store import KeysetIndex, Record, ShopStore

_Interval = tuple[int | None, int | None]
_EMPTY: None = None


@dataclass
class SearchResult:
    rows: list[Record]
    total: int


def execute(store: ShopStore, criteria: Criteria) -> SearchResult:
    """The page of records matching ``criteria`` and the total its ``total-count-mode`` asks for."""
    entity = criteria.entity.name
    if criteria.ids is not None:
        seen: dict[str, Record] = {}
        for record_id in criteria.ids:
            row = store.get(entity, record_id.lower())
            if row is not None and (criteria.predicate is None or criteria.predicate(row)):
                seen[store.key_of(entity, row)] = row
        rows = list(seen.values())
        sort_rows(store, rows, criteria.sorting)
        return SearchResult(rows, len(rows))
    plan = _keyset_plan(store, criteria)
    if plan is not None:
        return _run_plan(store, criteria, plan)
    table = store.tables[entity]
    rows = table.all_rows()
    if criteria.predicate is not None:
        predicate = criteria.predicate
        rows = [row for row in rows if predicate(row)]
    if criteria.sorting:
        sort_rows(store, rows, criteria.sorting)
    elif not criteria.entity.is_mapping:
        rows.sort(key=lambda row: str(row.get("id")))  # InnoDB answers in primary-key order
    return _page(rows, criteria)


def _page(rows: list[Record], criteria: Criteria) -> SearchResult:
    offset, limit = criteria.offset, criteria.limit
    page = rows[offset : offset + limit] if limit is not None else rows[offset:]
    if criteria.total_count_mode == 0:
        return SearchResult(page, len(page))
    if criteria.total_count_mode == 2 and limit is not None:
        return SearchResult(page, max(0, min(len(rows) - offset, limit * 6 + 1)))
    return SearchResult(page, len(rows))


def filter_related(store: ShopStore, rows: list[Record], criteria: Criteria) -> list[Record]:
    """Apply an association's own filter, sort, limit and page to the records it loaded."""
    if criteria.predicate is not None:
        predicate = criteria.predicate
        rows = [row for row in rows if predicate(row)]
    else:
        rows = list(rows)
    sort_rows(store, rows, criteria.sorting)
    if criteria.limit is not None:
        rows = rows[criteria.offset : criteria.offset + criteria.limit]
    return rows


def _keyset_plan(
    store: ShopStore, criteria: Criteria
) -> list[tuple[list[tuple[Any, ...]], _Interval]] | None:
    index: KeysetIndex | None = store.indexes.get(criteria.entity.name)
    if index is None or criteria.limit is None or not criteria.sorting:
        return None
    if any(s.descending or s.natural or s.path.simple is None for s in criteria.sorting):
        return None
    names = [s.path.simple for s in criteria.sorting]
    tie = criteria.entity.tiebreak
    if tie != "id" and names[-2:] == [tie, "id"]:
        names.pop()  # ``autoIncrement`` is unique: a further sort on ``id`` never reorders anything
    if names == ["updatedAt", "createdAt", tie]:
        views = [(index.never_updated, "never"), (index.updated, "updated")]
    elif names == ["updatedAt", tie]:
        if _bounds_all(criteria, "never") is not _EMPTY:
            return None
        views = [(index.updated_tie, "updated")]
    elif names == ["createdAt", tie]:
        if _bounds_all(criteria, "updated") is _EMPTY:  # only never-updated records can match
            views = [(index.never_updated, "never")]
        else:
            views = [(index.created, "all")]
    else:
        return None
    plan = []
    for view, context in views:
        interval = _bounds_all(criteria, context)
        if interval is not _EMPTY:
            plan.append((view, interval))
    return plan


def _run_plan(
    store: ShopStore, criteria: Criteria, plan: list[tuple[list[tuple[Any, ...]], _Interval]]
) -> SearchResult:
    table = store.tables[criteria.entity.name]
    offset, limit, mode = criteria.offset, criteria.limit or 0, criteria.total_count_mode
    wanted = offset + limit
    cap = None if mode == 1 else wanted if mode == 0 else offset + limit * 6 + 1
    predicate = criteria.predicate
    matches: list[Record] = []
    total = 0
    for view, (low, high) in plan:
        position = bisect.bisect_left(view, (low,)) if low is not None else 0
        for entry in view[position:] if position else view:
            if high is not None and entry[0] > high:
                break
            row = table[entry[-1]]
            if predicate is not None and not predicate(row):
                continue
            total += 1
            if len(matches) < wanted:
                matches.append(row)
            if cap is not None and total >= cap:
                break
        if cap is not None and total >= cap:
            break
    page = matches[offset:wanted]
    if mode == 0:
        return SearchResult(page, len(page))
    if mode == 2:
        return SearchResult(page, max(0, total - offset))
    return SearchResult(page, total)


def _bounds_all(criteria: Criteria, context: str) -> _Interval | None:
    interval: _Interval | None = (None, None)
    for item in criteria.filters:
        interval = _intersect(interval, _bounds(item, criteria.entity.name, context))
    return interval


def _intersect(a: _Interval | None, b: _Interval | None) -> _Interval | None:
    if a is _EMPTY or b is _EMPTY:
        return _EMPTY
    low = max((x for x in (a[0], b[0]) if x is not None), default=None)
    high = min((x for x in (a[1], b[1]) if x is not None), default=None)
    if low is not None and high is not None and low > high:
        return _EMPTY
    return (low, high)


def _hull(parts: list[_Interval | None]) -> _Interval | None:
    present = [part for part in parts if part is not _EMPTY]
    if not present:
        return _EMPTY
    low = None if any(p[0] is None for p in present) else min(p[0] for p in present if p[0] is not None)
    high = None if any(p[1] is None for p in present) else max(p[1] for p in present if p[1] is not None)
    return (low, high)


def _bounds(item: Any, entity: str, context: str) -> _Interval | None:
    """A bound on the view's leading timestamp that every record matching ``item`` respects."""
    if not isinstance(item, dict):
        return (None, None)
    kind = item.get("type")
    if kind == "multi":
        parts = [_bounds(query, entity, context) for query in item.get("queries") or []]
        operator = str(item.get("operator") or "and").lower()
        if operator == "and":
            result: _Interval | None = (None, None)
            for part in parts:
                result = _intersect(result, part)
            return result
        return _hull(parts) if operator == "or" else (None, None)
    name = str(item.get("field") or "")
    if name.startswith(entity + "."):
        name = name[len(entity) + 1 :]
    if name == "updatedAt" and context == "never":
        return (None, None) if kind == "equals" and item.get("value") is None else _EMPTY
    leading = "updatedAt" if context == "updated" else "createdAt"
    if name != leading:
        return (None, None)
    if kind == "equals":
        value = item.get("value")
        if value is None:
            return _EMPTY
        ms = parse_ms(str(value))
        return (ms, ms) if ms is not None else (None, None)
    if kind == "equalsAny":
        raw = item.get("value")
        values = [parse_ms(str(v)) for v in (raw.split("|") if isinstance(raw, str) else raw or [])]
        if not values or any(v is None for v in values):
            return (None, None)
        return (min(v for v in values if v is not None), max(v for v in values if v is not None))
    parameters = (
        item.get("parameters")
        if kind == "range"
        else {"since": {"gte": item.get("value")}, "until": {"lte": item.get("value")}}.get(str(kind))
    )
    if not isinstance(parameters, dict):
        return (None, None)
    low: int | None = None
    high: int | None = None
    for operator, raw_value in parameters.items():
        ms = parse_ms(str(raw_value)) if raw_value is not None else None
        if ms is None:
            continue
        if operator in ("gt", "gte"):
            bound = ms + 1 if operator == "gt" else ms
            low = bound if low is None else max(low, bound)
        elif operator in ("lt", "lte"):
            bound = ms - 1 if operator == "lt" else ms
            high = bound if high is None else min(high, bound)
    return _intersect((None, None), (low, high))
