"""The report as aligned text tables for a terminal."""

from __future__ import annotations

__all__ = ["render_text"]

from collections.abc import Sequence

from .collect import KpiReport
from .figures import Figure, customer_metrics, rate_detail, show


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], align: str = "") -> list[str]:
    widths = [max([len(h)] + [len(row[i]) for row in rows]) for i, h in enumerate(headers)]

    def line(values: Sequence[str]) -> str:
        cells = [
            v.rjust(w) if align[i : i + 1] == "r" else v.ljust(w)
            for i, (v, w) in enumerate(zip(values, widths, strict=True))
        ]
        return ("  " + "  ".join(cells)).rstrip()

    return [line(headers), *(line(row) for row in rows)]


def _heading(title: str) -> list[str]:
    return ["", title.upper(), ""]


_BRIEF = {
    "customers_at_start": "AT START",
    "retention_rate": "RETENTION",
    "active_customers": "BOUGHT",
    "repeat_rate": "REPEAT",
    "orders": "ORDERS",
    "revenue": "REVENUE",
    "average_order_value": "AOV",
    "clv": "CLV",
}
"""The columns of the breakdown tables (churn is 100 % minus retention)."""


def render_text(report: KpiReport) -> str:
    """Aligned tables for a terminal."""
    k = report.customers
    scope = f"source {report.source}" if report.source else "all sources"
    lines = [
        f"{report.programme}: loyalty KPIs",
        f"Period {report.period}, {scope}; figures as of the end of the period.",
        "Revenue: subtotal after discounts, excluding tax and shipping, minus refunds, "
        f"in {report.currency}.",
        *_heading("Customers (registered)"),
    ]
    rows = [[label, show(value), rate_detail(value)] for _, label, value in customer_metrics(k)]
    lines += _table(("METRIC", "VALUE", ""), rows, "lr")
    for dimension in ("source", "level", "group"):
        items = [b for b in report.breakdowns if b.dimension == dimension]
        if not items:
            continue
        lines += _heading(f"Customers by {dimension}")
        table = []
        for b in items:
            values = {name: value for name, _, value in customer_metrics(b.kpis)}
            table.append([b.label, *(show(values[m]) for m in _BRIEF)])
        headers = (dimension.upper(), *_BRIEF.values())
        lines += _table(headers, table, "l" + "r" * len(_BRIEF))
    g = report.guests
    lines += _heading("Guests (orders without an account)")
    guest_values: list[Figure] = [g.orders, g.guests, g.revenue, g.average_order_value, g.excluded_orders]
    headers = ("ORDERS", "GUEST EMAILS", "REVENUE", "AVERAGE ORDER VALUE", "EXCLUDED")
    lines += _table(headers, [[show(v) for v in guest_values]], "rrrrr")
    n = report.nps
    lines += _heading("Net Promoter Score")
    if n.answers:
        lines.append(f"  NPS {show(n.score, 1)} from {n.answers:,} answers: {n.promoters:,} promoters, "
                     f"{n.passives:,} passives, {n.detractors:,} detractors; "
                     f"{n.unmatched:,} from emails matching no customer (counted).")  # fmt: skip
    else:
        lines.append("  no data: no survey answers in the period (import them with `nps import FILE.csv`)")
    lines += _heading("Lifecycle and loyalty type")
    lines += _table(("STAGE", "CUSTOMERS"), [[s.value, show(c)] for s, c in report.lifecycle], "lr")
    lines.append("")
    rows = [[t.value, show(c)] for t, c in report.loyalty_types]
    lines += _table(("LOYALTY TYPE (with NPS)", "CUSTOMERS"), rows, "lr")
    lines += _heading("Cohort retention by month of first order")
    if report.cohorts:
        span = max(len(c.active) for c in report.cohorts)
        rows = [[c.month, show(c.size), *(r.percent(0) for r in c.rates), *([""] * (span - len(c.rates)))]
                for c in report.cohorts]  # fmt: skip
        lines += _table(("COHORT", "SIZE", *(f"M{m}" for m in range(span))), rows, "lr" + "r" * span)
    else:
        lines.append("  no data: no customer placed a first order in the period")
    lines += _heading("Revenue by level (held before each order)")
    rows = [[r.name, show(r.orders), show(r.customers), show(r.revenue)] for r in report.revenue_by_level]
    lines += _table(("LEVEL", "ORDERS", "CUSTOMERS", "REVENUE"), rows, "lrrr")
    if report.points is not None:
        p = report.points
        lines += _heading("Points")
        point_values: list[Figure] = [p.earned, p.redeemed, p.expired, p.reversed, p.available, p.pending]
        point_values.append(p.liability)
        headers = ("EARNED", "REDEEMED", "EXPIRED", "REVERSED", "OUTSTANDING", "PENDING", "LIABILITY")
        lines += _table(headers, [[show(v) for v in point_values]], "rrrrrrr")
    if report.referrals is not None:
        f = report.referrals
        lines += _heading("Referral funnel")
        rows = [
            ["codes issued", show(f.codes_issued)],
            ["codes used", show(f.codes_used)],
            ["referees who ordered", show(f.referees)],
            ["qualified", show(f.qualified)],
            ["rewarded", show(f.rewarded)],
            *([f"rejected: {r}", show(c)] for r, c in f.rejected),
        ]
        lines += _table(("STAGE", "COUNT"), rows, "lr")
    if report.top_customers:
        lines += _heading("Top customers by realized CLV")
        rows = [
            [f"{t.source}/{t.customer_key}", t.company or "", show(t.orders), show(t.realized_clv)]
            for t in report.top_customers
        ]
        lines += _table(("CUSTOMER", "COMPANY", "ORDERS", "REALIZED CLV"), rows, "llrr")
    return "\n".join(lines) + "\n"
