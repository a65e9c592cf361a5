"""The ``fields`` query parameter: Magento's partial responses (``Rest\\Response\\FieldsFilter``).

``fields=items[entity_id,updated_at],total_count`` keeps only those keys; a nested filter applies to
every element of a list. Reproduced quirks: a malformed filter (characters other than word
characters, brackets and commas, or unbalanced brackets) turns the whole response into ``[]``, and
an empty list under a nested filter comes back as ``null``.
"""

from __future__ import annotations

__all__ = ["apply_fields_filter", "parse_fields"]

import re
from typing import Any, Union

FieldTree = dict[str, Union[int, "FieldTree"]]

_ALLOWED = re.compile(r"[\w\[\],]+")


def parse_fields(text: str) -> FieldTree | None:
    """The filter as a tree (leaf = 1), or ``None`` when Magento would reject it."""
    if not text or not _ALLOWED.fullmatch(text):
        return None
    start: int | None = None
    current: FieldTree = {}
    stack: list[FieldTree] = []
    parents: list[str | None] = []
    element: str | None = None
    for position, char in enumerate(text):
        if char in "[],":
            if start is not None:
                element = text[start:position]
                current[element] = 1
            start = None
        if char == "[":
            parents.append(element)
            stack.append(current)
            current = {}
        elif char == "]":
            if not stack:
                return None
            finished = current
            current = stack.pop()
            parent = parents.pop()
            current[parent if parent is not None else ""] = finished
        elif char != "," and start is None:
            start = position
    if stack:
        return None
    if start is not None:
        current[text[start:]] = 1
    return current


def _apply(value: Any, tree: FieldTree) -> Any:
    if isinstance(value, list):
        if not value:
            return None
        return [_intersect(item, tree) if isinstance(item, dict) else item for item in value]
    if isinstance(value, dict):
        return _intersect(value, tree)
    return value


def _intersect(record: dict[str, Any], tree: FieldTree) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in record.items():
        if key not in tree:
            continue
        branch = tree[key]
        result[key] = (
            _apply(value, branch) if isinstance(branch, dict) and isinstance(value, (list, dict)) else value
        )
    return result


def apply_fields_filter(response: Any, text: str) -> Any:
    """``response`` trimmed by the ``fields`` parameter ``text``."""
    tree = parse_fields(text)
    if tree is None:
        return []
    if isinstance(response, (list, dict)):
        return _apply(response, tree)
    return response
