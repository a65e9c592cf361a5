"""The report as JSON: exact strings for money, rates and decimals (never floats), the NPS under ``nps``."""

from __future__ import annotations

__all__ = ["render_json", "report_dict"]

import json
from decimal import Decimal
from typing import Any

from ..domain import Money
from ..kpi import CustomerKpis, PointsKpis, Rate, ReferralFunnel
from .collect import KpiReport
from .figures import Figure, _decimal, customer_metrics


def _json_value(value: Figure) -> Any:
    if isinstance(value, Rate):
        return {
            "value": None if value.value is None else _decimal(value.value, 6),
            "numerator": value.numerator,
            "denominator": value.denominator,
        }
    if isinstance(value, Money):
        return {"amount": str(value.amount), "currency": value.currency}
    if isinstance(value, Decimal):
        return _decimal(value, 6)
    return value


def _kpis_dict(k: CustomerKpis) -> dict[str, Any]:
    out = {name: _json_value(value) for name, _, value in customer_metrics(k)}
    out["relationship_years_estimated"] = k.relationship_years_estimated
    out["customers_with_purchases"] = k.customers_with_purchases
    out["priced_orders"] = k.priced_orders
    return out


def report_dict(report: KpiReport) -> dict[str, Any]:
    """The report as JSON-ready data: money ``{"amount": "1.00", "currency": "EUR"}``, rates with parts."""
    n, g = report.nps, report.guests
    return {
        "programme": report.programme,
        "currency": report.currency,
        "period": {
            "start": report.period.start.isoformat(),
            "end": report.period.end.isoformat(),
            "end_exclusive": True,
            "timezone": report.period.timezone,
        },
        "source": report.source,
        "generated_at": report.generated_at.isoformat(),
        "settings": {
            "active_days": report.settings.active_days,
            "relationship_years": _json_value(report.settings.relationship_years),
            "lifecycle": vars(report.settings.lifecycle),
        },
        "customers": _kpis_dict(report.customers),
        "breakdowns": [
            {"dimension": b.dimension, "key": b.key, "label": b.label, "kpis": _kpis_dict(b.kpis)}
            for b in report.breakdowns
        ],
        "guests": {
            "orders": g.orders,
            "guests": g.guests,
            "priced_orders": g.priced_orders,
            "excluded_orders": g.excluded_orders,
            "revenue": _json_value(g.revenue),
            "average_order_value": _json_value(g.average_order_value),
        },
        "nps": {
            "score": _json_value(n.score),
            "answers": n.answers,
            "promoters": n.promoters,
            "passives": n.passives,
            "detractors": n.detractors,
            "promoter_share": _json_value(n.share("promoter")),
            "detractor_share": _json_value(n.share("detractor")),
            "matched": n.matched,
            "unmatched": n.unmatched,
        },
        "registered_customers": report.registered_customers,
        "lifecycle": {stage.value: count for stage, count in report.lifecycle},
        "loyalty_types": {kind.value: count for kind, count in report.loyalty_types},
        "cohorts": [
            {
                "month": c.month,
                "size": c.size,
                "active": list(c.active),
                "retention": [_json_value(r)["value"] for r in c.rates],
            }
            for c in report.cohorts
        ],
        "revenue_by_level": [
            {
                "level": r.level_id,
                "name": r.name,
                "orders": r.orders,
                "customers": r.customers,
                "revenue": _json_value(r.revenue),
            }
            for r in report.revenue_by_level
        ],
        "monthly_revenue_by_level": [
            {
                "month": month,
                "level": level,
                "revenue": _json_value(
                    report.monthly_revenue.revenue.get((month, level), Money.zero(report.currency))
                ),
            }
            for month in report.monthly_revenue.months
            for level, _ in report.monthly_revenue.levels
        ],
        "points": None if report.points is None else _points_dict(report.points),
        "referrals": None if report.referrals is None else _referrals_dict(report.referrals),
        "top_customers": [
            {
                "source": t.source,
                "customer": t.customer_key,
                "email": t.email,
                "company": t.company,
                "orders": t.orders,
                "realized_clv": _json_value(t.realized_clv),
            }
            for t in report.top_customers
        ],
    }


def _points_dict(p: PointsKpis) -> dict[str, Any]:
    return {
        "earned": p.earned,
        "redeemed": p.redeemed,
        "expired": p.expired,
        "reversed": p.reversed,
        "available": p.available,
        "pending": p.pending,
        "point_value": _json_value(p.point_value),
        "liability": _json_value(p.liability),
        "pending_liability": _json_value(p.pending_liability),
        "monthly": [vars(m) for m in p.monthly],
    }


def _referrals_dict(r: ReferralFunnel) -> dict[str, Any]:
    return {
        "codes_issued": r.codes_issued,
        "codes_used": r.codes_used,
        "referees": r.referees,
        "qualified": r.qualified,
        "rewarded": r.rewarded,
        "rejected": dict(r.rejected),
    }


def render_json(report: KpiReport) -> str:
    """The report as one JSON document."""
    return json.dumps(report_dict(report), ensure_ascii=False, indent=2) + "\n"
