"""Shopware's search Criteria: parsing the request body, then filtering and sorting records.

Supported: ``filter`` and ``post-filter`` (``equals`` incl. ``null``, ``equalsAny``, ``contains``,
``prefix``, ``suffix``, ``range`` with ``gt/gte/lt/lte``, ``since``, ``until``, ``multi`` with
``and/or/xor``, ``not`` with ``and/or``), ``sort`` (``field``, ``order``, ``naturalSorting``; MySQL
order: ``NULL`` first ascending, last descending; a to-many path sorts by its smallest value
ascending and its largest descending), ``ids``, ``limit``, ``page``, ``total-count-mode``,
``associations`` (nested, each with its own criteria) and ``includes``. A filter on a to-many path
matches when *any* joined record matches (each filter joins on its own). ``term``, ``query``,
``grouping``, ``fields`` and ``aggregations`` are refused with a 400 naming the parameter.

Limits follow ``RequestCriteriaBuilder``: a ``limit`` above ``shopware.api.max_limit`` (500 on 6.6 and
6.7; not set on 6.5) is ``FRAMEWORK__QUERY_LIMIT_EXCEEDED``. Without a ``limit`` 6.5 returns every
match, 6.6+ applies ``max_limit`` as the page size (only at the top level: association criteria have
neither a cap nor a default). ``total-count-mode`` defaults to ``0`` (none: ``total`` is the number of
records on the page); ``1``/``exact`` counts every match, ``2``/``next-pages`` counts at most
``limit * 6 + 1`` matches from the page's offset on.
"""

from __future__ import annotations

__all__ = ["Criteria", "Sorting", "parse_criteria", "sort_rows"]

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .errors import ApiError, error_entry
from .filters import Predicate, compile_filters, identity
from .paths import FieldPath, UnknownField, normalizer
from .schema import ENTITIES, EntityDef
from .store import Record, ShopStore

_UNSUPPORTED = ("term", "query", "grouping", "fields", "aggregations")


@dataclass
class Sorting:
    path: FieldPath
    descending: bool = False
    natural: bool = False


@dataclass
class Criteria:
    """A parsed criteria for one entity (associations hold nested criteria)."""

    entity: EntityDef
    filters: list[dict[str, Any]] = field(default_factory=list)
    predicate: Predicate | None = None
    sorting: list[Sorting] = field(default_factory=list)
    limit: int | None = None
    offset: int = 0
    page: int = 1
    total_count_mode: int = 1
    ids: list[str] | None = None
    associations: dict[str, Criteria] = field(default_factory=dict)
    includes: dict[str, list[str]] | None = None


def _invalid(code: str, detail: str, pointer: str) -> dict[str, Any]:
    return error_entry(400, code, detail, pointer=pointer)


def parse_criteria(
    store: ShopStore,
    entity: EntityDef,
    payload: Any,
    *,
    max_limit: int | None,
    top_level: bool = True,
    pointer: str = "",
) -> Criteria:
    """Parse a criteria body; every problem found is reported in one 400 (as ``SearchRequestException``)."""
    if payload is None:
        payload = {}
    if not isinstance(payload, dict):
        raise ApiError.single(400, "FRAMEWORK__INVALID_CRITERIA", "The criteria must be a JSON object.")
    errors: list[dict[str, Any]] = []
    criteria = Criteria(entity)
    for name in _UNSUPPORTED:
        if payload.get(name) not in (None, [], {}, ""):
            errors.append(
                _invalid(
                    "SANDBOX__UNSUPPORTED_CRITERIA",
                    f'The sandbox does not support the criteria parameter "{name}".',
                    f"{pointer}/{name}",
                )
            )
    if "ids" in payload:
        ids = payload["ids"]
        criteria.ids = [i for i in (ids.split("|") if isinstance(ids, str) else list(ids or [])) if i]
    else:
        criteria.total_count_mode = _total_count_mode(payload.get("total-count-mode"))
        if "limit" in payload and payload["limit"] is not None:
            criteria.limit = _limit(payload["limit"], max_limit, errors, pointer)
        elif top_level and max_limit is not None:
            criteria.limit = max_limit
        if "page" in payload and payload["page"] is not None:
            criteria.page = _page(payload["page"], errors, pointer)
            criteria.offset = (criteria.limit or 0) * (criteria.page - 1)
    for key in ("filter", "post-filter"):
        raw = payload.get(key)
        if raw is None:
            continue
        if isinstance(raw, dict):
            raw = [{"type": "equals", "field": name, "value": value} for name, value in raw.items()]
        if not isinstance(raw, list):
            errors.append(
                _invalid(
                    "FRAMEWORK__INVALID_FILTER_QUERY",
                    "The filter parameter has to be a list of filters.",
                    f"{pointer}/{key}",
                )
            )
            continue
        criteria.filters.extend(raw)
    try:
        criteria.predicate = compile_filters(store, entity, criteria.filters, pointer + "/filter")
    except ApiError as error:
        errors.extend(error.errors)
    criteria.sorting = _sorting(entity, payload.get("sort"), errors, pointer)
    associations = payload.get("associations") or {}
    if isinstance(associations, dict):
        for name, nested in associations.items():
            association = entity.associations.get(name)
            if association is None or association.entity not in ENTITIES:
                errors.append(
                    _invalid(
                        "FRAMEWORK__ASSOCIATION_NOT_FOUND",
                        f"Can not find association by name {name}",
                        f"{pointer}/associations/{name}",
                    )
                )
                continue
            try:
                criteria.associations[name] = parse_criteria(
                    store,
                    ENTITIES[association.entity],
                    nested,
                    max_limit=None,
                    top_level=False,
                    pointer=f"{pointer}/associations/{name}",
                )
            except ApiError as error:
                errors.extend(error.errors)
    if top_level and isinstance(payload.get("includes"), dict):
        criteria.includes = {
            alias: list(fields) for alias, fields in payload["includes"].items() if isinstance(fields, list)
        }
    if errors:
        raise ApiError(400, errors)
    return criteria


def _total_count_mode(value: Any) -> int:
    """``0``/``none`` (the default), ``1``/``exact`` or ``2``/``next-pages``; anything else is ``none``."""
    if value is None:
        return 0
    names = {"none": 0, "exact": 1, "next-pages": 2}
    text = str(value).strip()
    mode = int(text) if re.fullmatch(r"-?\d+", text) else names.get(text, 0)
    return mode if mode in (0, 1, 2) else 0


def _limit(value: Any, max_limit: int | None, errors: list[dict[str, Any]], pointer: str) -> int | None:
    if value == "" or not re.fullmatch(r"-?\d+", str(value).strip()):
        errors.append(
            _invalid(
                "FRAMEWORK__INVALID_LIMIT_QUERY",
                f"The limit parameter must be a positive integer greater or equals than 1. Given: {value}",
                f"{pointer}/limit",
            )
        )
        return None
    limit = int(value)
    if limit <= 0:
        errors.append(
            _invalid(
                "FRAMEWORK__INVALID_LIMIT_QUERY",
                f"The limit parameter must be a positive integer greater or equals than 1. Given: {limit}",
                f"{pointer}/limit",
            )
        )
        return None
    if max_limit is not None and limit > max_limit:
        errors.append(
            error_entry(
                400,
                "FRAMEWORK__QUERY_LIMIT_EXCEEDED",
                f"The limit must be lower than or equal to MAX_LIMIT(={max_limit}). Given: {limit}",
                pointer=f"{pointer}/limit",
                parameters={"maxLimit": max_limit, "limit": limit},
            )
        )
        return None
    return limit


def _page(value: Any, errors: list[dict[str, Any]], pointer: str) -> int:
    if not re.fullmatch(r"-?\d+", str(value).strip()) or int(value) <= 0:
        errors.append(
            _invalid(
                "FRAMEWORK__INVALID_PAGE_QUERY",
                f"The page parameter must be a positive integer. Given: {value}",
                f"{pointer}/page",
            )
        )
        return 1
    return int(value)


def _sorting(entity: EntityDef, raw: Any, errors: list[dict[str, Any]], pointer: str) -> list[Sorting]:
    if raw is None:
        return []
    if isinstance(raw, str):  # the GET shorthand: "-updatedAt,autoIncrement"
        raw = [
            {"field": part.lstrip("-"), "order": "DESC" if part.startswith("-") else "ASC"}
            for part in raw.split(",")
            if part
        ]
    result: list[Sorting] = []
    for index, item in enumerate(raw if isinstance(raw, list) else []):
        name = item.get("field") if isinstance(item, dict) else None
        if not isinstance(name, str) or not name:
            errors.append(
                _invalid(
                    "FRAMEWORK__INVALID_SORT_QUERY", "A sorting needs a field.", f"{pointer}/sort/{index}"
                )
            )
            continue
        try:
            path = FieldPath(entity, name)
        except UnknownField as error:
            errors.append(_invalid("FRAMEWORK__UNMAPPED_FIELD", str(error), f"{pointer}/sort/{index}"))
            continue
        descending = str(item.get("order") or "ASC").upper() == "DESC"
        result.append(Sorting(path, descending, bool(item.get("naturalSorting"))))
    return result


def _natural(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    return tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", value) if part
    )


def sort_rows(store: ShopStore, rows: list[Record], sorting: list[Sorting]) -> None:
    """Sort in place as MySQL would (``NULL`` first ascending), stable for equal keys."""
    for sort in reversed(sorting):
        norm = identity if sort.path.type == "date" else normalizer(sort.path.type)
        pick = max if sort.descending else min

        def key(
            row: Record, sort: Sorting = sort, norm: Callable[[Any], Any] = norm, pick: Any = pick
        ) -> Any:
            present = [norm(v) for v in sort.path.values(store, row) if v is not None]
            if not present:
                return (0,)
            try:
                value = pick(present)
            except TypeError:
                value = present[0]
            return (1, _natural(value) if sort.natural else value)

        rows.sort(key=key, reverse=sort.descending)
