"""How the CLI writes for people and scripts: aligned tables, dates, and JSON of library values."""

from __future__ import annotations

__all__ = ["day", "echo_lines", "minute", "table", "to_json"]

import dataclasses
import enum
import json
from collections.abc import Sequence
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

import click


def to_json(data: Any) -> str:
    """One line of JSON; Decimals and timestamps as exact strings, enums as their values."""

    def default(value: Any) -> Any:
        if isinstance(value, Decimal):
            return str(value)
        if isinstance(value, datetime):
            return value.isoformat()
        if isinstance(value, enum.Enum):
            return value.value
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return dataclasses.asdict(value)
        if isinstance(value, (set, frozenset, tuple)):
            return list(value)
        raise TypeError(f"cannot write {type(value).__name__} as JSON")

    return json.dumps(data, default=default, ensure_ascii=False)


def table(
    headers: Sequence[str], rows: Sequence[Sequence[Any]], align: str = "", indent: str = ""
) -> list[str]:
    """Aligned columns; ``align`` has an ``l`` or ``r`` per column (default: left)."""
    cells = [[str(c) for c in row] for row in rows]
    widths = [max([len(h)] + [len(row[i]) for row in cells]) for i, h in enumerate(headers)]

    def line(values: Sequence[str]) -> str:
        parts = [
            v.rjust(widths[i]) if i < len(align) and align[i] == "r" else v.ljust(widths[i])
            for i, v in enumerate(values)
        ]
        return (indent + "  ".join(parts)).rstrip()

    return [line(headers), *(line(row) for row in cells)]


def echo_lines(lines: Sequence[str]) -> None:
    """Print each line on stdout."""
    for text in lines:
        click.echo(text)


def day(moment: datetime | None) -> str:
    """``2025-01-31`` in UTC, or ``-`` when there is no moment."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d") if moment else "-"


def minute(moment: datetime) -> str:
    """``2025-01-31 12:00 UTC``."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
