"""Building frozen slotted dataclasses at the cost of a plain object, for values valid by construction.

The generated ``__init__`` of a frozen dataclass writes every field through ``object.__setattr__``,
which for a result with a dozen fields costs more than the rule that produced it. The engine's hot
classes (cart lines, ledger intents, rule outcomes) keep their frozen, slotted, comparable dataclass
surface but write their slots through the slot descriptors directly.
"""

from __future__ import annotations

__all__ = ["slot_writers"]

from collections.abc import Callable
from typing import Any


def slot_writers(cls: type, names: str) -> tuple[Callable[[Any, Any], None], ...]:
    """Direct writers for the slots ``names`` (space-separated) of a slotted class, in that order.

    ``writer(instance, value)`` sets the slot without going through ``__setattr__``, so it also
    works on frozen dataclasses; use it only in constructors, on values already checked.
    """
    return tuple(getattr(cls, name).__set__ for name in names.split())
