"""The loyalty KPI report: collected from the store in one pass, rendered as text, JSON, CSV or HTML.

:func:`collect_report` reads one snapshot of the store through
:class:`~loyalty_connector.store.analytics.Analytics` — customers streamed one at a time into the
KPI collectors of :mod:`loyalty_connector.kpi` — and returns a :class:`KpiReport`. The renderers are
pure functions of that report: :func:`render_text` (aligned terminal tables), :func:`render_json`
(exact strings for money and rates, never floats; the NPS under ``nps``), :func:`render_csv` (one
tidy row per figure: section, slice, metric, value, unit) and
:func:`~loyalty_connector.report_html.render_html` (one self-contained page with inline SVG charts).
"""

from __future__ import annotations

__all__ = [
    "CSV_FIELDS",
    "Breakdown",
    "Figure",
    "KpiReport",
    "TopCustomer",
    "collect_report",
    "customer_metrics",
    "rate_detail",
    "render_csv",
    "render_json",
    "render_text",
    "report_dict",
    "show",
]

import csv
import heapq
import io
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from .domain import Money
from .engine.results import IntentKind
from .kpi import (
    Cohort,
    CohortCollector,
    CustomerFacts,
    CustomerKpis,
    CustomerKpisCollector,
    GuestKpis,
    GuestKpisCollector,
    KpiSettings,
    LevelRevenue,
    LevelRevenueCollector,
    LifecycleStage,
    LoyaltyType,
    MonthlyLevelRevenue,
    Period,
    PointsKpis,
    Rate,
    ReferralFunnel,
    customer_facts,
    level_changes,
    lifecycle_stage,
    loyalty_type,
    points_kpis,
    referral_funnel,
)
from .nps import NpsResult, latest_answers, nps
from .program import Program
from .store.analytics import Analytics

_TOP = 10
_POINT_KINDS = (IntentKind.EARN, IntentKind.BONUS, IntentKind.REFERRAL_REWARD, IntentKind.REVERSAL,
                IntentKind.EXPIRY, IntentKind.REDEMPTION)  # fmt: skip
_REFERRAL_KINDS = (IntentKind.REFERRAL_REWARD, IntentKind.REFERRAL_REJECTED)


@dataclass(frozen=True)
class Breakdown:
    """The customers' KPIs of one slice: a source, the level held at the period's start, or a group."""

    dimension: str
    key: str
    label: str
    kpis: CustomerKpis


@dataclass(frozen=True)
class TopCustomer:
    """A customer with one of the highest realized historical CLVs."""

    source: str
    customer_key: str
    email: str | None
    company: str | None
    orders: int
    realized_clv: Money


@dataclass(frozen=True)
class KpiReport:
    """Every KPI of one period, as of its end."""

    programme: str
    currency: str
    period: Period
    source: str | None
    """The one source reported on; ``None``: all of them."""
    generated_at: datetime
    settings: KpiSettings
    customers: CustomerKpis
    guests: GuestKpis
    breakdowns: tuple[Breakdown, ...]
    registered_customers: int
    """Registered customer keys known at the end (with or without orders)."""
    lifecycle: tuple[tuple[LifecycleStage, int], ...]
    loyalty_types: tuple[tuple[LoyaltyType, int], ...]
    nps: NpsResult
    cohorts: tuple[Cohort, ...]
    revenue_by_level: tuple[LevelRevenue, ...]
    monthly_revenue: MonthlyLevelRevenue
    points: PointsKpis | None
    referrals: ReferralFunnel | None
    top_customers: tuple[TopCustomer, ...]


class _Slices:
    def __init__(self, program: Program, period: Period, settings: KpiSettings) -> None:
        self.program, self.period, self.settings = program, period, settings
        self.collectors: dict[tuple[str, str], CustomerKpisCollector] = {}

    def add(self, dimension: str, key: str, facts: CustomerFacts) -> None:
        collector = self.collectors.get((dimension, key))
        if collector is None:
            collector = CustomerKpisCollector(self.period, self.program.currency, self.settings)
            self.collectors[(dimension, key)] = collector
        collector.add(facts)

    def result(self) -> tuple[Breakdown, ...]:
        levels = self.program.levels.levels if self.program.levels is not None else []
        rank = {level.id: n for n, level in enumerate(reversed(levels))}
        names = {level.id: level.name for level in levels}
        sources = {key for dim, key in self.collectors if dim == "source"}
        order = {"source": 0, "level": 1, "group": 2}

        def sort_key(item: tuple[str, str]) -> tuple[int, int, str]:
            dim, key = item
            return order[dim], rank.get(key, len(rank)) if dim == "level" else 0, key

        out = []
        for dim, key in sorted(self.collectors, key=sort_key):
            if dim == "level":
                label = names.get(key, "no level")
            elif dim == "group" and len(sources) == 1:
                label = key.split("/", 1)[1]
            else:
                label = key
            out.append(Breakdown(dim, key, label, self.collectors[(dim, key)].result()))
        return tuple(out)


def collect_report(
    analytics: Analytics,
    program: Program,
    period: Period,
    *,
    now: datetime,
    source: str | None = None,
    settings: KpiSettings | None = None,
) -> KpiReport:
    """Every KPI of ``period`` (as of its end) from one store snapshot; ``source``: only that shop."""
    settings = settings or KpiSettings()
    since, until = period.since, period.until
    with analytics.snapshot():
        levels = level_changes(analytics.ledger(until=until, source=source, kinds=[IntentKind.LEVEL]))
        answers = list(analytics.nps_answers(until=until))
        latest = latest_answers(answers, until=until)
        overall = CustomerKpisCollector(period, program.currency, settings)
        guests = GuestKpisCollector(period, program.currency)
        slices = _Slices(program, period, settings)
        cohorts = CohortCollector(period)
        by_level = LevelRevenueCollector(program, period)
        stages: Counter[LifecycleStage] = Counter()
        types: Counter[LoyaltyType] = Counter()
        emails: set[str] = set()
        top: list[tuple[Decimal, str, str, TopCustomer]] = []
        registered = 0
        for history in analytics.histories(until=until, source=source):
            facts = customer_facts(
                program, history, until=until, levels=levels.get((history.source, history.customer_key), ())
            )
            guests.add(facts)
            if facts.is_guest:
                continue
            registered += 1
            overall.add(facts)
            for collector in (cohorts, by_level):
                collector.add(facts)
            slices.add("source", facts.source, facts)
            slices.add("level", facts.level_before(since), facts)
            group = facts.customer.group_id if facts.customer is not None else None
            slices.add("group", f"{facts.source}/{group or 'none'}", facts)
            stages[lifecycle_stage([p.placed_at for p in facts.purchases], until, settings.lifecycle)] += 1
            if facts.email is not None:
                emails.add(facts.email)
                answer = latest.get(facts.email)
                kind = loyalty_type(
                    answer.score if answer else None, len(facts.purchases), settings.lifecycle.repeat_orders
                )
                if kind is not None:
                    types[kind] += 1
            _keep_top(top, facts, program.currency)
        points = points_kpis(
            program, period, analytics.ledger(until=until, source=source, kinds=_POINT_KINDS)
        )
        funnel = None
        if program.referrals is not None:
            funnel = referral_funnel(
                program,
                period,
                codes_issued=analytics.referral_codes_issued(until=until, source=source),
                uses=analytics.referral_uses(since=since, until=until, source=source),
                entries=analytics.ledger(until=until, source=source, kinds=_REFERRAL_KINDS),
            )
    revenue_rows, monthly = by_level.result()
    return KpiReport(
        programme=program.name,
        currency=program.currency,
        period=period,
        source=source,
        generated_at=now,
        settings=settings,
        customers=overall.result(),
        guests=guests.result(),
        breakdowns=slices.result(),
        registered_customers=registered,
        lifecycle=tuple((stage, stages[stage]) for stage in LifecycleStage),
        loyalty_types=tuple((kind, types[kind]) for kind in LoyaltyType),
        nps=nps(latest_answers(answers, since=since, until=until), emails),
        cohorts=cohorts.result(),
        revenue_by_level=revenue_rows,
        monthly_revenue=monthly,
        points=points,
        referrals=funnel,
        top_customers=tuple(
            t for *_, t in sorted(top, key=lambda i: (-i[0], i[3].source, i[3].customer_key))
        ),
    )


def _keep_top(top: list[tuple[Decimal, str, str, TopCustomer]], facts: CustomerFacts, currency: str) -> None:
    value = facts.realized_value
    if not value:
        return
    customer = facts.customer
    entry = TopCustomer(
        facts.source,
        facts.customer_key,
        facts.email,
        customer.company if customer is not None else None,
        len(facts.purchases),
        Money.of(value, currency),
    )
    # a min-heap of the best ``_TOP``; ties broken by (source, key) so the list is deterministic
    item = (value, _inverse(facts.source), _inverse(facts.customer_key), entry)
    if len(top) < _TOP:
        heapq.heappush(top, item)
    elif item[:3] > top[0][:3]:
        heapq.heapreplace(top, item)


def _inverse(text: str) -> str:
    return "".join(chr(0x10FFFF - ord(c)) for c in text)


# -- figures as rows, shared by the renderers ---------------------------------------------------------

Figure = int | Rate | Money | Decimal | bool | str | None


def customer_metrics(k: CustomerKpis) -> list[tuple[str, str, Figure]]:
    """(metric name, label, value) of one :class:`CustomerKpis`, in reading order."""
    years = "Relationship years" + (" (1/churn)" if k.relationship_years_estimated else "")
    return [
        ("customers_at_start", "Customers at start", k.customers_at_start),
        ("retained", "Retained", k.retained),
        ("retention_rate", "Retention rate", k.retention_rate),
        ("churned", "Churned", k.churned),
        ("churn_rate", "Churn rate", k.churn_rate),
        ("active_customers", "Customers who bought", k.active_customers),
        ("new_customers", "New customers (first order)", k.new_customers),
        ("repeat_customers", "Repeat customers (2+ orders)", k.repeat_customers),
        ("repeat_rate", "Repeat customer rate", k.repeat_rate),
        ("orders", "Orders", k.orders),
        ("purchase_frequency", "Purchase frequency (orders/customer)", k.purchase_frequency),
        ("revenue", "Revenue (net of refunds)", k.revenue),
        ("refunded", "Refunded", k.refunded),
        ("excluded_orders", "Orders excluded (currency)", k.excluded_orders),
        ("average_order_value", "Average order value", k.average_order_value),
        ("purchases_per_year", "Purchases per year", k.purchases_per_year),
        ("relationship_years", years, k.relationship_years),
        ("clv", "Customer lifetime value (formula)", k.clv),
        ("realized_clv", "Realized CLV per customer (avg)", k.realized_clv),
    ]  # fmt: skip


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


def _decimal(value: Decimal, places: int) -> str:
    text = f"{value:.{places}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def show(value: Figure, places: int = 2) -> str:
    """A figure for people: ``12.5 %``, ``1,234.50 EUR``, ``no data``."""
    if value is None:
        return "no data"
    if isinstance(value, Rate):
        return value.percent()
    if isinstance(value, Money):
        return str(value)
    if isinstance(value, Decimal):
        return f"{value:,.{places}f}"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    return value


def rate_detail(value: Figure) -> str:
    """``500 of 5,000`` for a rate with data; empty otherwise."""
    if isinstance(value, Rate) and value.denominator:
        return f"{value.numerator:,} of {value.denominator:,}"
    return ""


# -- JSON ------------------------------------------------------------------------------------------------


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


# -- CSV -------------------------------------------------------------------------------------------------

CSV_FIELDS = ("section", "slice", "metric", "value", "unit")


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


# -- text ------------------------------------------------------------------------------------------------


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
