"""Running ``searchCriteria`` over a table: filtering, sorting and paging as Magento and MySQL do.

Semantics reproduced (``Magento\\Framework\\Api\\SearchCriteria`` + the MySQL adapter):

- filters inside a group are OR-ed, groups are AND-ed; an unknown condition type acts as ``eq``;
- ``in``/``nin`` take comma lists; ``like`` has ``%``/``_`` wildcards; string comparisons are
  case-insensitive (MySQL's default collation), numeric columns compare numerically, NULL never
  matches a comparison;
- a sort order without direction sorts DESC; no page size returns every row; a page past the last
  one is empty (2.4) or the last page again (2.3, ``past_end="clamp"``).

Range filters on ``updated_at`` (plus ``entity_id`` when ``updated_at`` is pinned by ``eq``) are
answered from the table's sorted index with ``bisect``; everything else is a scan.
"""

from __future__ import annotations

__all__ = ["SearchResult", "search"]

import bisect
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .errors import WebapiError, masked_internal_error
from .search_criteria import SearchCriteria
from .tables import RecordTable

_NUMBER_PREFIX = re.compile(r"\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")
_INT = re.compile(r"\s*[-+]?\d+\s*")
_INF = math.inf
_RANGE = {"eq", "gt", "gteq", "lt", "lteq", "from", "to", "moreq"}


@dataclass(frozen=True)
class SearchResult:
    records: list[Any]
    total_count: int


def _mysql_number(text: str) -> float:
    """MySQL's string-to-number cast: the leading number, or 0."""
    match = _NUMBER_PREFIX.match(text)
    return float(match.group(0)) if match else 0.0


def _like_pattern(value: str) -> re.Pattern[str]:
    parts = []
    escaped = False
    for char in value:
        if escaped:
            parts.append(re.escape(char))
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "%":
            parts.append(".*")
        elif char == "_":
            parts.append(".")
        else:
            parts.append(re.escape(char))
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL)


Predicate = Callable[[Any], bool]


def _compile(getter: Callable[[Any], Any], condition: str, raw: str | None) -> Predicate:
    """One filter as a predicate over records, comparing as MySQL would."""
    if condition == "seq":
        condition = "null" if not raw else "eq"
    elif condition == "sneq":
        condition = "notnull" if not raw else "neq"
    if condition == "null":
        return lambda record: getter(record) is None
    if condition == "notnull":
        return lambda record: getter(record) is not None
    if raw is None:
        return lambda record: False
    number = _mysql_number(raw)
    text = raw.casefold()

    def scalar(value: Any) -> tuple[bool, Any]:
        if isinstance(value, (bool, int, float)):
            return True, float(value)
        return False, str(value).casefold()

    def compare(test: Callable[[Any, Any], bool]) -> Predicate:
        def predicate(record: Any) -> bool:
            value = getter(record)
            if value is None or isinstance(value, (list, dict)):
                return False
            numeric, key = scalar(value)
            return test(key, number if numeric else text)

        return predicate

    if condition == "neq":
        return compare(lambda a, b: a != b)
    if condition == "gt":
        return compare(lambda a, b: a > b)
    if condition in ("gteq", "from", "moreq"):
        return compare(lambda a, b: a >= b)
    if condition == "lt":
        return compare(lambda a, b: a < b)
    if condition in ("lteq", "to"):
        return compare(lambda a, b: a <= b)
    if condition in ("in", "nin"):
        pieces = raw.split(",")
        numbers = {_mysql_number(piece) for piece in pieces}
        texts = {piece.casefold() for piece in pieces}
        wanted = condition == "in"
        return compare(lambda a, b: (a in (numbers if isinstance(a, float) else texts)) == wanted)
    if condition in ("like", "nlike"):
        pattern = _like_pattern(raw)
        wanted = condition == "like"

        def like(record: Any) -> bool:
            value = getter(record)
            if value is None:
                return False
            shown = _as_text(value)
            return (pattern.fullmatch(shown) is not None) == wanted

        return like
    if condition == "finset":
        return lambda record: getter(record) is not None and raw in _as_text(getter(record)).split(",")
    if condition == "regexp":
        expression = re.compile(raw, re.IGNORECASE)
        return lambda record: getter(record) is not None and bool(expression.search(_as_text(getter(record))))
    return compare(lambda a, b: a == b)


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _sort_key(getter: Callable[[Any], Any]) -> Callable[[Any], tuple[int, Any]]:
    """NULLs first (MySQL ASC), numbers numerically, strings case-insensitively."""

    def key(record: Any) -> tuple[int, Any]:
        value = getter(record)
        if value is None or isinstance(value, (list, dict)):
            return (0, 0)
        if isinstance(value, (bool, int, float)):
            return (1, float(value))
        return (2, str(value).casefold())

    return key


def _index_bounds(
    table: RecordTable[Any], groups: list[list[tuple[str, str, str | None]]]
) -> tuple[int, int, set[int]] | None:
    """Index positions ``[lo, hi)`` implied by single-filter range groups, and which groups they consume."""
    index = table.index
    if index is None:
        return None
    lower: tuple[Any, ...] = ("",)
    upper: tuple[Any, ...] = ("\U0010ffff",)
    consumed: set[int] = set()
    pinned: str | None = None
    for position, group in enumerate(groups):
        if len(group) != 1:
            continue
        column, condition, value = group[0]
        if column != "updated_at" or condition not in _RANGE or value is None:
            continue
        consumed.add(position)
        if condition == "eq":
            lower, upper = max(lower, (value,)), min(upper, (value, _INF))
            pinned = value if pinned in (None, value) else "\x00conflict"
        elif condition == "gt":
            lower = max(lower, (value, _INF))
        elif condition in ("gteq", "from", "moreq"):
            lower = max(lower, (value,))
        elif condition == "lt":
            upper = min(upper, (value,))
        else:
            upper = min(upper, (value, _INF))
    if pinned is not None:
        for position, group in enumerate(groups):
            if len(group) != 1 or position in consumed:
                continue
            column, condition, value = group[0]
            if column != "entity_id" or value is None or condition not in _RANGE - {"moreq"}:
                continue
            if not _INT.fullmatch(value):
                continue
            number = int(value)
            consumed.add(position)
            if condition == "eq":
                lower, upper = max(lower, (pinned, number)), min(upper, (pinned, number + 0.5))
            elif condition == "gt":
                lower = max(lower, (pinned, number + 0.5))
            elif condition in ("gteq", "from"):
                lower = max(lower, (pinned, number))
            elif condition == "lt":
                upper = min(upper, (pinned, number))
            else:
                upper = min(upper, (pinned, number + 0.5))
    if not consumed:
        return None
    lo = bisect.bisect_left(index, lower)
    hi = bisect.bisect_left(index, upper)
    return lo, max(lo, hi), consumed


def _column(value: Callable[[Any, str], Any], column: str) -> Callable[[Any], Any]:
    """A getter of one column of a record."""

    def get(record: Any) -> Any:
        return value(record, column)

    return get


def search(
    table: RecordTable[Any],
    criteria: SearchCriteria,
    *,
    past_end: str = "empty",
    page_size_cap: int | None = None,
    default_page_size: int | None = None,
    report_id: Callable[[], str] = lambda: "webapi-0",
) -> SearchResult:
    """Run ``criteria`` over ``table``: the page of matching records and the total count."""
    page_size = criteria.page_size
    if page_size is None and page_size_cap is not None:
        page_size = default_page_size
    if page_size_cap is not None and page_size is not None and page_size > page_size_cap:
        raise WebapiError.of(400, "Maximum SearchCriteria pageSize is %max", {"max": page_size_cap})

    groups: list[list[tuple[str, str, str | None]]] = []
    for raw_group in criteria.filter_groups:
        compiled = []
        for item in raw_group:
            column = table.resolve(item.field)
            if column is None:
                raise masked_internal_error(report_id())
            compiled.append((column, item.condition_type, item.value))
        if compiled:
            groups.append(compiled)
    orders: list[tuple[str, bool]] = []
    for order in criteria.sort_orders or ():
        column = table.resolve(order.field)
        if column is None:
            raise masked_internal_error(report_id())
        orders.append((column, order.ascending))

    value = table.value
    bounds = _index_bounds(table, groups)
    predicates: list[list[Predicate]] = []
    for position, group in enumerate(groups):
        if bounds is not None and position in bounds[2]:
            continue
        predicates.append(
            [_compile(_column(value, column), condition, raw) for column, condition, raw in group]
        )

    index_order = (
        table.index is not None
        and bool(orders)
        and [c for c, _ in orders] in (["updated_at"], ["updated_at", "entity_id"])
        and len({asc for _, asc in orders}) == 1
    )
    if bounds is None and index_order and table.index is not None:
        bounds = (0, len(table.index), set())
    records = table.records
    if bounds is not None:
        lo, hi, _ = bounds
        assert table.index is not None
        keys = table.index
        if index_order and not predicates:
            total = hi - lo
            ids = _page_ids(keys, lo, hi, total, orders[0][1], page_size, criteria.current_page, past_end)
            return SearchResult([records[i] for i in ids], total)
        window = keys[lo:hi]
        if not index_order:
            window.sort(key=lambda key: key[1])
        candidates = [records[key[1]] for key in window]
    else:
        candidates = list(records.values())

    if predicates:
        candidates = [r for r in candidates if all(any(p(r) for p in group) for group in predicates)]
    if index_order:
        if not orders[0][1]:
            candidates.reverse()
    else:
        for column, ascending in reversed(orders):
            candidates.sort(key=_sort_key(_column(value, column)), reverse=not ascending)
    total = len(candidates)
    start, stop = _page_window(total, page_size, criteria.current_page, past_end)
    return SearchResult(candidates[start:stop], total)


def _page_window(
    total: int, page_size: int | None, current_page: int | None, past_end: str
) -> tuple[int, int]:
    if not page_size or page_size <= 0:
        return 0, total
    page = max(current_page or 1, 1)
    last_page = max(math.ceil(total / page_size), 1)
    if page > last_page:
        if past_end != "clamp":
            return total, total
        page = last_page
    start = (page - 1) * page_size
    return start, min(start + page_size, total)


def _page_ids(
    keys: list[tuple[str, int]],
    lo: int,
    hi: int,
    total: int,
    ascending: bool,
    page_size: int | None,
    current_page: int | None,
    past_end: str,
) -> list[int]:
    start, stop = _page_window(total, page_size, current_page, past_end)
    if ascending:
        return [key[1] for key in keys[lo + start : lo + stop]]
    return [key[1] for key in reversed(keys[hi - stop : hi - start])]
