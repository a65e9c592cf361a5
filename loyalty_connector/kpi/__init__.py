"""Loyalty KPIs over domain records and ledger entries: pure functions, no I/O, no clock.

Every KPI is computed for a :class:`Period` of whole days in the programme's time zone, half-open
(``[start, end)``), and "as of" its end: orders placed, refunds made and ledger entries effective
at or after ``end`` are not seen, so a report for a past period does not change when time moves on
(only when late data for that period arrives). Definitions, formulas and examples are in
``docs/reports.md``; in short:

- A *purchase* is an order that is not canceled. Its *revenue* is the subtotal after discounts,
  excluding tax and shipping, minus the refunds made on it (refunded goods value), in programme
  currency. An order in another currency is converted with ``exchange_rates`` when the programme
  says ``foreign_currency: convert``; otherwise it has no revenue and is counted as *excluded* from
  money KPIs (it still counts as a purchase for retention, churn, repeat rate and frequency).
- A *customer* is a registered customer; guests (orders without an account) are tallied apart.
- A customer *at the start* of a period bought at least once before it, most recently within
  ``active_days`` before its start; they are *retained* when they buy in the period, *churned*
  when they do not (so retention + churn = 100 %).

Rates are :class:`Rate` (numerator, denominator; the value is ``None`` — "no data" — when the
denominator is 0); money is :class:`~loyalty_connector.domain.Money` in the programme currency.
The collectors (``add`` each customer's facts, then ``result()``) let a report stream customers one
at a time instead of holding every order in memory.

The package holds one module per idea: :mod:`.period` (periods, rates), :mod:`.settings`,
:mod:`.facts` (a customer's purchases as the KPIs read them), :mod:`.customers` (customers and
guests in a period), :mod:`.stages` (lifecycle and loyalty type), :mod:`.cohorts`, :mod:`.levels`
(revenue by level), :mod:`.points` and :mod:`.referrals` (from the ledger). Import from
``loyalty_connector.kpi``.
"""

from __future__ import annotations

__all__ = [
    "COUNTED_STATUSES",
    "NO_LEVEL",
    "Cohort",
    "CohortCollector",
    "CustomerFacts",
    "CustomerKpis",
    "CustomerKpisCollector",
    "GuestKpis",
    "GuestKpisCollector",
    "KpiSettings",
    "LevelChange",
    "LevelRevenue",
    "LevelRevenueCollector",
    "LifecycleStage",
    "LifecycleThresholds",
    "LoyaltyType",
    "MonthlyLevelRevenue",
    "OrderHistory",
    "Period",
    "PointsCollector",
    "PointsKpis",
    "PointsMonth",
    "Purchase",
    "Rate",
    "ReferralFunnel",
    "customer_facts",
    "customer_kpis",
    "kpi_settings",
    "level_changes",
    "lifecycle_stage",
    "loyalty_type",
    "month_key",
    "order_revenue",
    "points_kpis",
    "referral_funnel",
]

from .cohorts import Cohort, CohortCollector
from .customers import CustomerKpis, CustomerKpisCollector, GuestKpis, GuestKpisCollector, customer_kpis
from .facts import (
    COUNTED_STATUSES,
    NO_LEVEL,
    CustomerFacts,
    LevelChange,
    OrderHistory,
    Purchase,
    customer_facts,
    level_changes,
    order_revenue,
)
from .levels import LevelRevenue, LevelRevenueCollector, MonthlyLevelRevenue
from .period import Period, Rate, month_key
from .points import PointsCollector, PointsKpis, PointsMonth, points_kpis
from .referrals import ReferralFunnel, referral_funnel
from .settings import KpiSettings, LifecycleThresholds, kpi_settings
from .stages import LifecycleStage, LoyaltyType, lifecycle_stage, loyalty_type
