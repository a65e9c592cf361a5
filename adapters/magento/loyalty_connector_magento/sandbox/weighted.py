"""A weighted random choice that is cheap to repeat (seeding draws hundreds of thousands of them).

``random.choices`` re-accumulates the weights on every call; this keeps them accumulated.
"""

from __future__ import annotations

__all__ = ["Weighted"]

import bisect
import itertools
import random
from collections.abc import Sequence
from typing import Generic, TypeVar

T = TypeVar("T")


class Weighted(Generic[T]):
    """Options with weights; :meth:`pick` draws one with a single ``random()`` call."""

    def __init__(self, options: Sequence[T], weights: Sequence[float]) -> None:
        if len(options) != len(weights) or not options:
            raise ValueError("need as many weights as options, and at least one")
        self._options = tuple(options)
        self._cumulative = tuple(itertools.accumulate(weights))
        self._total = self._cumulative[-1]

    def pick(self, rng: random.Random) -> T:
        return self._options[bisect.bisect(self._cumulative, rng.random() * self._total)]
