"""The choices behind the KPIs: active window, relationship length and lifecycle thresholds.

The programme's ``reports`` section sets them (:func:`kpi_settings`); command-line flags win over it.
"""

from __future__ import annotations

__all__ = ["KpiSettings", "LifecycleThresholds", "kpi_settings"]

from dataclasses import dataclass, field
from decimal import Decimal

from ..program import Program


@dataclass(frozen=True)
class LifecycleThresholds:
    """Order counts that move a customer along the lifecycle (see :func:`lifecycle_stage`).

    The programme's ``reports.lifecycle`` sets them; defaults: ``repeat`` from 2 orders ever;
    ``committed`` from 4 orders in the last 365 days; ``loyal`` from 8 orders in the last 365 days
    and a first order at least 365 days ago.
    """

    repeat_orders: int = 2
    committed_orders: int = 4
    loyal_orders: int = 8
    loyal_min_days: int = 365
    window_days: int = 365

    def __post_init__(self) -> None:
        if not 2 <= self.repeat_orders <= self.committed_orders <= self.loyal_orders:
            raise ValueError("lifecycle thresholds must satisfy 2 <= repeat <= committed <= loyal orders")
        if self.window_days <= 0 or self.loyal_min_days < 0:
            raise ValueError("lifecycle window_days must be positive and loyal_min_days not negative")


@dataclass(frozen=True)
class KpiSettings:
    """Choices behind the KPIs; the defaults are documented in ``docs/reports.md``."""

    active_days: int | None = 365
    """A customer is "at the start" of a period when their last purchase before it is at most this many
    days before its start; ``None`` counts everyone who ever bought."""
    relationship_years: Decimal | None = None
    """Expected relationship length for the CLV formula; ``None`` estimates it as 1 / annual churn."""
    lifecycle: LifecycleThresholds = field(default_factory=LifecycleThresholds)

    def __post_init__(self) -> None:
        if self.active_days is not None and self.active_days <= 0:
            raise ValueError("active_days must be positive")
        if self.relationship_years is not None and self.relationship_years <= 0:
            raise ValueError("relationship_years must be positive")


def kpi_settings(
    program: Program,
    *,
    active_days: int | None = None,
    all_time: bool = False,
    years: Decimal | None = None,
) -> KpiSettings:
    """The KPI settings of ``program.reports``, overridden by explicit values (flags win)."""
    reports = program.reports
    lifecycle = reports.lifecycle
    return KpiSettings(
        active_days=None if all_time else (active_days or reports.active_days),
        relationship_years=years if years is not None else reports.relationship_years,
        lifecycle=LifecycleThresholds(
            repeat_orders=lifecycle.repeat_orders,
            committed_orders=lifecycle.committed_orders,
            loyal_orders=lifecycle.loyal_orders,
            loyal_min_days=lifecycle.loyal_min_days,
            window_days=lifecycle.window_days,
        ),
    )
