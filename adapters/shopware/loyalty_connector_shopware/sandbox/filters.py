"""Shopware's search filters compiled to predicates over in-memory records.

``equals`` (``null`` means ``IS NULL``), ``equalsAny`` (a list or ``a|b``), ``contains``, ``prefix``,
``suffix`` (``LIKE``, case-insensitive), ``range`` (``gt/gte/lt/lte``), ``since``/``until``, ``multi``
(``and``/``or``/``xor``) and ``not`` (``NOT (... and/or ...)``). A filter on a to-many path matches
when any joined record matches. Problems are collected and reported in one 400, each with its
``/filter/<index>`` pointer.
"""

from __future__ import annotations

__all__ = ["Predicate", "compile_filters", "identity"]

from collections.abc import Callable
from typing import Any

from .errors import ApiError, error_entry
from .paths import FieldPath, UnknownField, normalizer
from .schema import EntityDef
from .store import Record, ShopStore

Predicate = Callable[[Record], bool]


def _invalid(code: str, detail: str, pointer: str) -> dict[str, Any]:
    return error_entry(400, code, detail, pointer=pointer)


def compile_filters(
    store: ShopStore, entity: EntityDef, filters: list[Any], pointer: str
) -> Predicate | None:
    """One predicate for a list of filters (they are AND-ed); ``None`` when there are none."""
    errors: list[dict[str, Any]] = []
    compiled = [
        _compile(store, entity, item, f"{pointer}/{index}", errors) for index, item in enumerate(filters)
    ]
    if errors:
        raise ApiError(400, errors)
    if not compiled:
        return None
    if len(compiled) == 1:
        return compiled[0]
    return lambda row: all(predicate(row) for predicate in compiled)


def _never(row: Record) -> bool:
    return False


def _compile(
    store: ShopStore, entity: EntityDef, item: Any, pointer: str, errors: list[dict[str, Any]]
) -> Predicate:
    if not isinstance(item, dict) or not isinstance(item.get("type"), str):
        errors.append(_invalid("FRAMEWORK__INVALID_FILTER_QUERY", "A filter needs a type.", pointer))
        return _never
    kind = item["type"]
    if kind in ("multi", "not"):
        queries = item.get("queries")
        if not isinstance(queries, list):
            errors.append(
                _invalid(
                    "FRAMEWORK__INVALID_FILTER_QUERY",
                    f'Parameter "queries" for {kind} filter is missing.',
                    pointer,
                )
            )
            return _never
        parts = [
            _compile(store, entity, query, f"{pointer}/queries/{i}", errors)
            for i, query in enumerate(queries)
        ]
        operator = str(item.get("operator") or "and").lower()
        if operator not in ("and", "or", "xor"):
            errors.append(
                _invalid("FRAMEWORK__INVALID_FILTER_QUERY", f"Unsupported operator {operator}", pointer)
            )
            return _never
        combined = _combine(parts, operator)
        return combined if kind == "multi" else (lambda row: not combined(row))
    if kind not in ("equals", "equalsAny", "contains", "prefix", "suffix", "range", "since", "until"):
        errors.append(
            _invalid("FRAMEWORK__INVALID_FILTER_QUERY", f"Unsupported filter type: {kind}", pointer)
        )
        return _never
    name = item.get("field")
    if not isinstance(name, str) or not name:
        errors.append(
            _invalid(
                "FRAMEWORK__INVALID_FILTER_QUERY", f'Parameter "field" for {kind} filter is missing.', pointer
            )
        )
        return _never
    try:
        path = FieldPath(entity, name)
    except UnknownField as error:
        errors.append(_invalid("FRAMEWORK__UNMAPPED_FIELD", str(error), pointer))
        return _never
    return _leaf(store, path, kind, item, pointer, errors)


def _combine(parts: list[Predicate], operator: str) -> Predicate:
    if operator == "and":
        return lambda row: all(part(row) for part in parts)
    if operator == "or":
        return lambda row: any(part(row) for part in parts)
    return lambda row: sum(1 for part in parts if part(row)) == 1


def identity(value: Any) -> Any:
    return value


def _leaf(
    store: ShopStore,
    path: FieldPath,
    kind: str,
    item: dict[str, Any],
    pointer: str,
    errors: list[dict[str, Any]],
) -> Predicate:
    norm = normalizer(path.type)
    stored = identity if path.type == "date" else norm  # stored dates are already canonical strings
    values = path.values
    if kind == "equals":
        if item.get("value") is None:
            return lambda row: any(v is None for v in values(store, row))
        target = norm(item["value"])
        return lambda row: any(v is not None and stored(v) == target for v in values(store, row))
    if kind == "equalsAny":
        raw = item.get("value")
        options = raw.split("|") if isinstance(raw, str) else list(raw or [])
        targets = {norm(option) for option in options if option is not None}
        return lambda row: any(v is not None and stored(v) in targets for v in values(store, row))
    if kind in ("contains", "prefix", "suffix"):
        needle = str(item.get("value") if item.get("value") is not None else "").casefold()
        test: Callable[[str], bool] = {
            "contains": lambda text: needle in text,
            "prefix": lambda text: text.startswith(needle),
            "suffix": lambda text: text.endswith(needle),
        }[kind]
        return lambda row: any(v is not None and test(str(v).casefold()) for v in values(store, row))
    if kind == "range":
        parameters = item.get("parameters")
        if not isinstance(parameters, dict) or not parameters:
            errors.append(
                _invalid(
                    "FRAMEWORK__INVALID_FILTER_QUERY",
                    'Parameter "parameters" for range filter is missing.',
                    pointer,
                )
            )
            return _never
    else:
        parameters = {"gte" if kind == "since" else "lte": item.get("value")}
    bounds = [
        (op, norm(value))
        for op, value in parameters.items()
        if op in ("gt", "gte", "lt", "lte") and value is not None
    ]

    def in_range(value: Any) -> bool:
        value = stored(value)
        try:
            return all(
                value > b
                if op == "gt"
                else value >= b
                if op == "gte"
                else value < b
                if op == "lt"
                else value <= b
                for op, b in bounds
            )
        except TypeError:
            return False

    return lambda row: any(v is not None and in_range(v) for v in values(store, row))
