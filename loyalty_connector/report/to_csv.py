"""The report as tidy CSV: one row per figure (section, slice, metric, value, unit)."""

from __future__ import annotations

__all__ = ["CSV_FIELDS", "render_csv"]

import csv
import io
from decimal import Decimal

from ..domain import Money
from ..kpi import Rate
from .collect import KpiReport
from .figures import Figure, _decimal, customer_metrics

CSV_FIELDS = ("section", "slice", "metric", "value", "unit")


def _plain(value: Figure) -> str:
    """A figure as exact text for CSV: rates and Decimals as plain numbers, money without currency."""
    if value is None:
        return ""
    if isinstance(value, Rate):
        return "" if value.value is None else _decimal(value.value, 6)
    if isinstance(value, Money):
        return str(value.amount)
    if isinstance(value, Decimal):
        return _decimal(value, 6)
    return str(value)


def _unit(value: Figure, currency: str) -> str:
    if isinstance(value, Rate):
        return "rate"
    if isinstance(value, Money):
        return value.currency
    if isinstance(value, Decimal):
        return "number"
    return "count" if isinstance(value, int) and not isinstance(value, bool) else ""


def render_csv(report: KpiReport) -> str:
    """One row per figure: ``section,slice,metric,value,unit`` (rates as fractions, money in ``unit``)."""
    rows: list[tuple[str, str, str, Figure]] = []
    for name, _, value in customer_metrics(report.customers):
        rows.append(("customers", "all", name, value))
    for b in report.breakdowns:
        for name, _, value in customer_metrics(b.kpis):
            rows.append((f"customers_by_{b.dimension}", b.key, name, value))
    g = report.guests
    guest_figures: list[tuple[str, Figure]] = [
        ("orders", g.orders),
        ("guests", g.guests),
        ("revenue", g.revenue),
        ("average_order_value", g.average_order_value),
        ("excluded_orders", g.excluded_orders),
    ]
    rows += [("guests", "all", name, value) for name, value in guest_figures]
    n = report.nps
    rows.append(("nps", "all", "nps", n.score))
    for name in ("answers", "promoters", "passives", "detractors", "matched", "unmatched"):
        rows.append(("nps", "all", name, getattr(n, name)))
    rows += [("lifecycle", "all", stage.value, count) for stage, count in report.lifecycle]
    rows += [("loyalty_type", "all", kind.value, count) for kind, count in report.loyalty_types]
    for cohort in report.cohorts:
        rows.append(("cohorts", cohort.month, "size", cohort.size))
        rows += [("cohorts", cohort.month, f"month_{m}", rate) for m, rate in enumerate(cohort.rates)]
    for r in report.revenue_by_level:
        rows.append(("revenue_by_level", r.level_id, "orders", r.orders))
        rows.append(("revenue_by_level", r.level_id, "revenue", r.revenue))
    for month in report.monthly_revenue.months:
        for level, _ in report.monthly_revenue.levels:
            value = report.monthly_revenue.revenue.get((month, level), Money.zero(report.currency))
            rows.append(("monthly_revenue", f"{month}/{level}", "revenue", value))
    if report.points is not None:
        p = report.points
        for name in ("earned", "redeemed", "expired", "reversed", "available", "pending"):
            rows.append(("points", "all", name, getattr(p, name)))
        rows.append(("points", "all", "liability", p.liability))
        rows.append(("points", "all", "pending_liability", p.pending_liability))
        for m in p.monthly:
            for name in ("earned", "redeemed", "expired", "reversed"):
                rows.append(("points_monthly", m.month, name, getattr(m, name)))
    if report.referrals is not None:
        f = report.referrals
        for name in ("codes_issued", "codes_used", "referees", "qualified", "rewarded"):
            rows.append(("referrals", "all", name, getattr(f, name)))
        rows += [("referrals_rejected", "all", reason, count) for reason, count in f.rejected]
    for t in report.top_customers:
        rows.append(("top_customers", f"{t.source}/{t.customer_key}", "realized_clv", t.realized_clv))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    writer.writerows((s, sl, m, _plain(v), _unit(v, report.currency)) for s, sl, m, v in rows)
    return out.getvalue()
