"""The KPI report as one self-contained HTML page: inline CSS, inline SVG charts, nothing fetched.

The page opens offline, mails as one attachment and prints on A4: headline figures as cards, then
the cohort retention heatmap, monthly revenue by level, points earned vs redeemed vs expired, the
referral funnel, and the tables behind them. Every chart mark carries its exact value as a
``data-value`` attribute and a ``<title>`` tooltip (see :mod:`loyalty_connector.charts`).
"""

from __future__ import annotations

__all__ = ["render_html"]

from collections.abc import Sequence
from decimal import Decimal
from html import escape

from .charts import PALETTE, Series, funnel, grouped_bars, heatmap, stacked_bars
from .domain import Money
from .kpi import NO_LEVEL
from .report import Figure, KpiReport, customer_metrics, rate_detail, show

_CSS = """
:root { --ink:#1d2733; --muted:#66707a; --line:#e3e6ea; --accent:#1f5f8b; --bg:#f6f7f9; }
* { box-sizing:border-box; }
body { margin:0; background:var(--bg); color:var(--ink);
       font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif; }
main { max-width:1180px; margin:0 auto; padding:28px 32px 48px; }
header h1 { margin:0 0 4px; font-size:26px; letter-spacing:-.01em; }
header p { margin:2px 0; color:var(--muted); }
h2 { font-size:17px; margin:0 0 4px; }
section { background:#fff; border:1px solid var(--line); border-radius:10px; padding:18px 20px;
          margin:18px 0; break-inside:avoid; }
section > p.note { margin:0 0 12px; color:var(--muted); font-size:13px; }
.cards { display:grid; grid-template-columns:repeat(4, 1fr); gap:12px; margin:20px 0 6px; }
.card { background:#fff; border:1px solid var(--line); border-radius:10px; padding:12px 14px; }
.card .label { color:var(--muted); font-size:12px; text-transform:uppercase; letter-spacing:.04em; }
.card .value { font-size:21px; font-weight:650; margin-top:2px; color:var(--accent); white-space:nowrap; }
.card .detail { color:var(--muted); font-size:12px; }
.grid2 { display:grid; grid-template-columns:1fr 1fr; gap:18px; }
.grid2 > section { margin:0; }
table { border-collapse:collapse; width:100%; font-size:13px; }
th, td { padding:5px 8px; border-bottom:1px solid var(--line); text-align:left; }
td { white-space:nowrap; }
.scroll { overflow-x:auto; }
th { color:var(--muted); font-weight:600; font-size:12px; text-transform:uppercase; letter-spacing:.03em; }
td.num, th.num { text-align:right; font-variant-numeric:tabular-nums; }
.nodata { color:var(--muted); font-style:italic; }
svg { display:block; margin:8px 0 4px; overflow:visible; }
footer { color:var(--muted); font-size:12px; margin-top:24px; }
@media print { body { background:#fff; } main { padding:0; } section { border-color:#ccc; } }
"""


def _cell(value: str, numeric: bool = True) -> str:
    cls = ' class="num"' if numeric else ""
    if value == "no data":
        return f'<td{cls}><span class="nodata">no data</span></td>'
    return f"<td{cls}>{escape(value)}</td>"


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], *, first_text: int = 1) -> str:
    head = "".join(
        f"<th{' class=num' if i >= first_text else ''}>{escape(h)}</th>" for i, h in enumerate(headers)
    )
    body = "".join(
        "<tr>" + "".join(_cell(v, i >= first_text) for i, v in enumerate(row)) + "</tr>" for row in rows
    )
    return f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def _card(label: str, value: Figure, detail: str = "", places: int = 2) -> str:
    text = show(value, places)
    shown = '<span class="nodata">no data</span>' if text == "no data" else escape(text)
    return (
        f'<div class="card" data-kpi="{escape(label)}"><div class="label">{escape(label)}</div>'
        f'<div class="value">{shown}</div><div class="detail">{escape(detail)}</div></div>'
    )


def _section(title: str, note: str, body: str, key: str) -> str:
    note_html = f'<p class="note">{escape(note)}</p>' if note else ""
    return f'<section id="{key}"><h2>{escape(title)}</h2>{note_html}{body}</section>'


def _charts(report: KpiReport) -> list[str]:
    currency = report.currency
    cohorts = [(c.month, c.size, [(n, c.size) for n in c.active]) for c in report.cohorts]
    out = []
    heat = (
        heatmap(cohorts, label="Cohort retention by month of first order")
        if cohorts
        else '<p class="nodata">no data: no customer placed a first order in the period</p>'
    )
    out.append(
        _section(
            "Cohort retention",
            "Share of each month's new customers who bought again 0, 1, 2… months later "
            "(months in the programme time zone).",
            heat,
            "cohorts",
        )
    )
    monthly = report.monthly_revenue
    colors = list(PALETTE)
    series = [
        Series(level, name, "#b8bec6" if level == NO_LEVEL else colors[i % len(colors)])
        for i, (level, name) in enumerate(monthly.levels)
    ]
    values = {key: money.amount for key, money in monthly.revenue.items()}

    def money_fmt(value: Decimal) -> str:
        return str(Money.of(value, currency))

    revenue_chart = stacked_bars(
        monthly.months,
        series,
        values,
        label=f"Monthly revenue by level ({currency})",
        chart="revenue-by-level",
        fmt=money_fmt,
    )
    out.append(
        _section(
            "Monthly revenue by level",
            f"Net revenue in {currency} by the level each customer held just before the order.",
            revenue_chart,
            "revenue",
        )
    )
    pair = []
    if report.points is not None:
        p = report.points
        kinds = [
            Series("earned", "Earned", PALETTE[2]),
            Series("redeemed", "Redeemed", PALETTE[0]),
            Series("expired", "Expired", PALETTE[3]),
        ]
        points = {(m.month, k.key): Decimal(getattr(m, k.key)) for m in p.monthly for k in kinds}
        chart = grouped_bars(
            [m.month for m in p.monthly],
            kinds,
            points,
            label="Points earned, redeemed and expired per month",
            chart="points-flow",
            fmt=lambda v: f"{v:,.0f} points",
        )
        note = (
            f"Outstanding {p.available:,} points = {p.liability} liability "
            f"(plus {p.pending:,} pending = {p.pending_liability})."
        )
        pair.append(_section("Points earned vs redeemed vs expired", note, chart, "points"))
    if report.referrals is not None:
        f = report.referrals
        stages = [
            ("issued", "Codes issued", f.codes_issued),
            ("used", "Referees who ordered", f.referees),
            ("qualified", "Qualified", f.qualified),
            ("rewarded", "Rewarded", f.rewarded),
            *((f"rejected:{reason}", f"Rejected: {reason}", count) for reason, count in f.rejected),
        ]
        pair.append(
            _section(
                "Referral funnel",
                f"{f.codes_used:,} distinct codes used in the period.",
                funnel(stages, label="Referral funnel"),
                "referrals",
            )
        )
    out += pair
    return out


def _tables(report: KpiReport) -> list[str]:
    k = report.customers
    rows = [[label, show(value), rate_detail(value)] for _, label, value in customer_metrics(k)]
    out = [
        _section(
            "All KPIs",
            "Registered customers. Customers at start: bought in the "
            f"{report.settings.active_days or 'unlimited'} days before the period; "
            "churned: did not buy in it.",
            _table(("Metric", "Value", ""), rows),
            "kpis",
        )
    ]
    brief = ("customers_at_start", "retention_rate", "active_customers", "repeat_rate", "orders", "revenue",
             "average_order_value", "clv")  # fmt: skip
    labels = {name: label for name, label, _ in customer_metrics(k)}
    for dimension in ("source", "level", "group"):
        items = [b for b in report.breakdowns if b.dimension == dimension]
        if not items:
            continue
        table_rows = []
        for b in items:
            values = {name: value for name, _, value in customer_metrics(b.kpis)}
            table_rows.append([b.label, *(show(values[m]) for m in brief)])
        headers = (dimension.title(), *(labels[m].split(" (")[0] for m in brief))
        out.append(_section(f"By {dimension}", "", _table(headers, table_rows), f"by-{dimension}"))
    n = report.nps
    if n.answers:
        nps_note = (
            f"{n.answers:,} answers (latest per respondent in the period); {n.unmatched:,} from emails "
            "that match no customer are counted too."
        )
        nps_rows = [["Promoters (9–10)", show(n.promoters)], ["Passives (7–8)", show(n.passives)],
                    ["Detractors (0–6)", show(n.detractors)], ["NPS", show(n.score, 1)]]  # fmt: skip
        nps_html = _table(("", "Answers"), nps_rows)
    else:
        nps_note, nps_html = "", '<p class="nodata">no data: no survey answers in the period</p>'
    life = _table(("Stage", "Customers"), [[s.value.replace("_", " "), show(c)] for s, c in report.lifecycle])
    types = _table(("Loyalty type", "Customers"), [[t.value, show(c)] for t, c in report.loyalty_types])
    out.append(
        '<div class="grid2">'
        + _section("Net Promoter Score", nps_note, nps_html, "nps")
        + _section("Lifecycle and loyalty type", "", life + types, "lifecycle")
        + "</div>"
    )
    g = report.guests
    guest_rows = [[show(g.orders), show(g.guests), show(g.revenue), show(g.average_order_value)]]
    level_rows = [
        [r.name, show(r.orders), show(r.customers), show(r.revenue)] for r in report.revenue_by_level
    ]
    out.append(
        '<div class="grid2">'
        + _section(
            "Revenue by level", "", _table(("Level", "Orders", "Customers", "Revenue"), level_rows), "levels"
        )
        + _section(
            "Guests",
            "Orders placed without an account, kept out of the customer KPIs.",
            _table(("Orders", "Guest emails", "Revenue", "Avg order"), guest_rows, first_text=0),
            "guests",
        )
        + "</div>"
    )
    if report.top_customers:
        top_rows = [
            [f"{t.source}/{t.customer_key}", t.company or "", show(t.orders), show(t.realized_clv)]
            for t in report.top_customers
        ]
        out.append(
            _section(
                "Top customers by realized CLV",
                "Net revenue of all their orders to the end of the period.",
                _table(("Customer", "Company", "Orders", "Realized CLV"), top_rows, first_text=2),
                "top",
            )
        )
    return out


def render_html(report: KpiReport) -> str:
    """The whole report as one HTML document (UTF-8), with no external resources."""
    k, n = report.customers, report.nps
    scope = f"source {report.source}" if report.source else "all sources"
    cards = [
        _card("Retention rate", k.retention_rate, f"{k.retained:,} of {k.customers_at_start:,} customers"),
        _card("Churn rate", k.churn_rate, f"{k.churned:,} did not buy again"),
        _card("Repeat customer rate", k.repeat_rate, f"{k.repeat_customers:,} of {k.active_customers:,}"),
        _card("Purchase frequency", k.purchase_frequency, "orders per customer"),
        _card("Revenue", k.revenue, f"{k.orders:,} orders, net of refunds"),
        _card("Average order value", k.average_order_value, "revenue / orders"),
        _card("Customer lifetime value", k.clv, "AOV × purchases/year × years"),
        _card("NPS", n.score, f"{n.answers:,} answers" if n.answers else "no survey answers", places=1),
    ]
    body = [
        "<header>",
        f"<h1>{escape(report.programme)} — loyalty KPIs</h1>",
        f"<p>{escape(str(report.period))} · {escape(scope)} · as of the end of the period</p>",
        f"<p>Revenue = subtotal after discounts, excluding tax and shipping, minus refunds, in "
        f"{escape(report.currency)}.</p>",
        "</header>",
        '<div class="cards">' + "".join(cards) + "</div>",
        *_charts(report),
        *_tables(report),
        f"<footer>Generated {escape(report.generated_at.isoformat(timespec='seconds'))} "
        "by loyalty-connector. Definitions: docs/reports.md.</footer>",
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(report.programme)} — loyalty KPIs {escape(str(report.period))}</title>"
        f"<style>{_CSS}</style></head><body><main>" + "\n".join(body) + "</main></body></html>\n"
    )
