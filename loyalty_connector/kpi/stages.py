"""Where a customer stands: lifecycle stage from purchase counts, loyalty type from NPS x behaviour."""

from __future__ import annotations

__all__ = ["LifecycleStage", "LoyaltyType", "lifecycle_stage", "loyalty_type"]

import enum
from collections.abc import Sequence
from datetime import datetime, timedelta

from .settings import LifecycleThresholds


class LifecycleStage(str, enum.Enum):
    """Where a registered customer stands (see :func:`lifecycle_stage`)."""

    FIRST_CONTACT = "first_contact"
    FIRST_PURCHASE = "first_purchase"
    REPEAT = "repeat"
    COMMITTED = "committed"
    LOYAL = "loyal"


class LoyaltyType(str, enum.Enum):
    """Attitude (NPS) crossed with behaviour (repeat purchases), for customers who answered the survey."""

    TRUE = "true"
    """A promoter who buys again."""
    LATENT = "latent"
    """A promoter who has not bought again (yet): worth a campaign."""
    SPURIOUS = "spurious"
    """Buys again without being a promoter: held by habit or convenience, at risk when a rival comes."""
    NONE = "none"
    """Neither a promoter nor a repeat buyer."""


def lifecycle_stage(
    purchases: Sequence[datetime], at: datetime, thresholds: LifecycleThresholds | None = None
) -> LifecycleStage:
    """The stage at ``at`` given purchase times: no purchase, one, repeat, committed or loyal.

    ``loyal``: at least ``loyal_orders`` in the ``window_days`` before ``at`` and a first purchase at
    least ``loyal_min_days`` before; ``committed``: at least ``committed_orders`` in the window;
    ``repeat``: at least ``repeat_orders`` ever; ``first_purchase``: one or more but fewer.
    """
    rules = thresholds or LifecycleThresholds()
    done = sorted(p for p in purchases if p < at)
    if not done:
        return LifecycleStage.FIRST_CONTACT
    recent = sum(1 for p in done if p >= at - timedelta(days=rules.window_days))
    if recent >= rules.loyal_orders and done[0] <= at - timedelta(days=rules.loyal_min_days):
        return LifecycleStage.LOYAL
    if recent >= rules.committed_orders:
        return LifecycleStage.COMMITTED
    if len(done) >= rules.repeat_orders:
        return LifecycleStage.REPEAT
    return LifecycleStage.FIRST_PURCHASE


def loyalty_type(score: int | None, orders: int, repeat_orders: int = 2) -> LoyaltyType | None:
    """True, latent, spurious or no loyalty from an NPS ``score`` and an order count; ``None``: no NPS."""
    if score is None:
        return None
    promoter = score >= 9
    repeat = orders >= repeat_orders
    if promoter:
        return LoyaltyType.TRUE if repeat else LoyaltyType.LATENT
    return LoyaltyType.SPURIOUS if repeat else LoyaltyType.NONE
