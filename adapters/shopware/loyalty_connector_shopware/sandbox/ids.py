"""Record ids as Shopware 6.5+ generates them: 32 hex digits of a time-ordered UUIDv7."""

from __future__ import annotations

__all__ = ["uuid7"]

import random


def uuid7(ms: int, rng: random.Random) -> str:
    """A UUIDv7-shaped hex id (time-ordered, as Shopware 6.5+ generates) for the instant ``ms``."""
    bits = rng.getrandbits(74)
    return f"{ms & 0xFFFFFFFFFFFF:012x}7{bits >> 62:03x}{(0b10 << 62) | (bits & ((1 << 62) - 1)):016x}"
