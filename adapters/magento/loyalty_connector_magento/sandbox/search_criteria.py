"""``searchCriteria`` query parameters as Magento reads them, and their echo in the response.

Both spellings are accepted: ``filter_groups``/``filterGroups``, ``condition_type``/``conditionType``,
``sort_orders``/``sortOrders``, ``page_size``/``pageSize``, ``current_page``/``currentPage`` (PHP-style
nesting; a later duplicate wins). A sort direction is upper-cased and must be ASC or DESC; an
omitted condition type is ``eq``. :mod:`.query` runs the criteria over a table.
"""

from __future__ import annotations

__all__ = ["Filter", "SearchCriteria", "SortOrder", "parse_search_criteria"]

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .errors import WebapiError, input_errors, required_field, type_mismatch

_PREFIXES = ("searchCriteria[", "search_criteria[")
_SEGMENT = re.compile(r"\[([^\]]*)\]")
_INT = re.compile(r"\s*[-+]?\d+\s*")


@dataclass(frozen=True)
class Filter:
    field: str
    value: str | None
    condition_type: str
    """As sent, defaulting to ``eq``; an unknown value behaves as ``eq``."""


@dataclass(frozen=True)
class SortOrder:
    field: str
    direction: str | None
    """``ASC``/``DESC`` (normalised to upper case) or ``None`` when omitted (then DESC)."""

    @property
    def ascending(self) -> bool:
        return self.direction == "ASC"


@dataclass(frozen=True)
class SearchCriteria:
    filter_groups: tuple[tuple[Filter, ...], ...] = ()
    sort_orders: tuple[SortOrder, ...] | None = None
    page_size: int | None = None
    current_page: int | None = None

    def echo(self) -> dict[str, Any]:
        """The ``search_criteria`` object of the response: the request as Magento read it."""
        groups = []
        for group in self.filter_groups:
            filters = []
            for item in group:
                entry: dict[str, Any] = {"field": item.field}
                if item.value is not None:
                    entry["value"] = item.value
                entry["condition_type"] = item.condition_type
                filters.append(entry)
            groups.append({"filters": filters})
        echo: dict[str, Any] = {"filter_groups": groups}
        if self.sort_orders is not None:
            orders = []
            for order in self.sort_orders:
                entry = {"field": order.field}
                if order.direction is not None:
                    entry["direction"] = order.direction
                orders.append(entry)
            echo["sort_orders"] = orders
        if self.page_size is not None:
            echo["page_size"] = self.page_size
        if self.current_page is not None:
            echo["current_page"] = self.current_page
        return echo


def _nest(query: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """PHP-style nesting of ``searchCriteria[a][b]=v`` pairs, keys in first-seen order, last value wins."""
    root: dict[str, Any] = {}
    for key, value in query:
        prefix = next((p for p in _PREFIXES if key.startswith(p)), None)
        if prefix is None:
            continue
        segments = _SEGMENT.findall(key[len(prefix) - 1 :])
        if not segments:
            continue
        node = root
        for segment in segments[:-1]:
            child = node.get(segment)
            if not isinstance(child, dict):
                child = {}
                node[segment] = child
            node = child
        node[segments[-1]] = value
    return root


def _pick(node: dict[str, Any], *names: str) -> Any:
    """The value under whichever spelling came last (later setters win in Magento too)."""
    found = None
    for key, value in node.items():
        if key in names:
            found = value
    return found


def _as_int(value: Any) -> int | None:
    if value is None:
        return None
    if not isinstance(value, str) or not _INT.fullmatch(value):
        raise type_mismatch(str(value), "int")
    return int(value)


def parse_search_criteria(query: Sequence[tuple[str, str]]) -> SearchCriteria:
    """Read ``searchCriteria`` from query pairs; raises :class:`WebapiError` for invalid input.

    The parameter is required (``?searchCriteria=`` alone means "no criteria").
    """
    if not any(key.split("[", 1)[0] in ("searchCriteria", "search_criteria") for key, _ in query):
        raise input_errors([required_field("searchCriteria")])
    root = _nest(query)
    groups: list[tuple[Filter, ...]] = []
    raw_groups = _pick(root, "filter_groups", "filterGroups")
    if isinstance(raw_groups, dict):
        for raw_group in raw_groups.values():
            raw_filters = _pick(raw_group, "filters") if isinstance(raw_group, dict) else None
            filters = []
            if isinstance(raw_filters, dict):
                for raw in raw_filters.values():
                    if not isinstance(raw, dict):
                        continue
                    condition = _pick(raw, "condition_type", "conditionType")
                    value = _pick(raw, "value")
                    filters.append(
                        Filter(
                            field=str(_pick(raw, "field") or ""),
                            value=value if isinstance(value, str) else None,
                            condition_type=condition if isinstance(condition, str) and condition else "eq",
                        )
                    )
            groups.append(tuple(filters))
    sort_orders: tuple[SortOrder, ...] | None = None
    raw_orders = _pick(root, "sort_orders", "sortOrders")
    if isinstance(raw_orders, dict):
        orders = []
        for raw in raw_orders.values():
            if not isinstance(raw, dict):
                continue
            direction = _pick(raw, "direction")
            if direction is not None:
                direction = str(direction).upper()
                if direction not in ("ASC", "DESC"):
                    raise WebapiError.of(
                        400,
                        "The sort order has to be specified as %1 for ascending order or %2 for "
                        "descending order.",
                        ["ASC", "DESC"],
                    )
            orders.append(SortOrder(str(_pick(raw, "field") or ""), direction))
        sort_orders = tuple(orders)
    return SearchCriteria(
        filter_groups=tuple(groups),
        sort_orders=sort_orders,
        page_size=_as_int(_pick(root, "page_size", "pageSize")),
        current_page=_as_int(_pick(root, "current_page", "currentPage")),
    )
