"""Building frozen slotted dataclasses at the cost of a plain object, for values valid by construction.

The generated ``__init__`` of a frozen dataclass writes every field through ``object.__setattr__``,
which for a result with a dozen fields costs more than the rule that produced it. The engine's hot
classes (cart lines, ledger intents, rule outcomes) keep their frozen, slotted, comparable dataclass
surface but are built in one of two cheaper ways:

- :func:`slot_writers`: their own ``__init__`` writes each slot through its descriptor;
- a *builder*: a plain class with exactly the same slots whose ``__init__`` assigns them as ordinary
  attributes and then turns the instance into the frozen class (``__class__`` assignment, which
  CPython allows between classes of identical layout). The result is an ordinary instance of the
  frozen class; only the engine's internal hot loops use builders, on values it built itself.
  :func:`check_builder` verifies the layouts match when the module is imported.
"""

from __future__ import annotations

__all__ = ["check_builder", "slot_writers"]

from collections.abc import Callable
from typing import Any


def slot_writers(cls: type, names: str) -> tuple[Callable[[Any, Any], None], ...]:
    """Direct writers for the slots ``names`` (space-separated) of a slotted class, in that order.

    ``writer(instance, value)`` sets the slot without going through ``__setattr__``, so it also
    works on frozen dataclasses; use it only in constructors, on values already checked.
    """
    return tuple(getattr(cls, name).__set__ for name in names.split())


def check_builder(builder: type, cls: type) -> None:
    """Fail at import unless ``builder`` has exactly the slots of ``cls``, in the same order, and the
    same base (what ``__class__`` assignment from one to the other needs)."""
    slots = getattr(builder, "__slots__", None)
    if slots is None or slots != getattr(cls, "__slots__", None) or builder.__bases__ != cls.__bases__:
        raise TypeError(f"{builder.__name__} must have the slots and bases of {cls.__name__}")
