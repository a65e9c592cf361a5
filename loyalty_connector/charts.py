"""Inline SVG charts for the HTML report: a heatmap, stacked and grouped bars, and a funnel.

Each function returns one ``<svg>`` element as text: no scripts, no fonts or images to fetch, so a
report opens offline and prints as it shows. Every mark carries its data — ``data-*`` attributes
with the exact value and a ``<title>`` tooltip — so a reader can hover for the figure and a test
can check the chart holds what it should.
"""

from __future__ import annotations

__all__ = ["PALETTE", "Series", "funnel", "grouped_bars", "heatmap", "stacked_bars"]

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from html import escape

PALETTE = ("#1f5f8b", "#e07b39", "#3a9d6e", "#b5485d", "#7a68a6", "#c9a227", "#5b8c99", "#8a8a8a")
"""Colour-blind-friendly enough series colours, darkest first."""

_FONT = "font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif"


@dataclass(frozen=True)
class Series:
    """One series of a bar chart: its key (in ``data-series``), legend label and colour."""

    key: str
    label: str
    color: str


def _attr(value: object) -> str:
    return escape(str(value), quote=True)


def _svg(width: int, height: int, label: str, body: list[str], chart: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
        f'role="img" aria-label="{_attr(label)}" data-chart="{_attr(chart)}" '
        f'style="{_FONT};max-width:{width}px">'
        f"<title>{escape(label)}</title>" + "".join(body) + "</svg>"
    )


def _nice_max(value: Decimal) -> Decimal:
    """The smallest 1/2/2.5/5 x 10^n at or above ``value`` (an axis top)."""
    if value <= 0:
        return Decimal(1)
    exponent = value.adjusted()
    for step in (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5), Decimal(10)):
        top = step.scaleb(exponent)
        if top >= value:
            return top
    return Decimal(10).scaleb(exponent)


def _short(value: Decimal) -> str:
    """Axis labels: 1.2M, 350k, 12."""
    for size, suffix in ((Decimal(1_000_000), "M"), (Decimal(1000), "k")):
        if abs(value) >= size:
            return f"{value / size:.1f}".rstrip("0").rstrip(".") + suffix
    return f"{value:.0f}" if value == value.to_integral_value() else f"{value:.1f}"


def _legend(series: Sequence[Series], x: int, y: int) -> list[str]:
    out, offset = [], x
    for item in series:
        out.append(f'<rect x="{offset}" y="{y - 10}" width="12" height="12" rx="2" fill="{item.color}"/>')
        out.append(f'<text x="{offset + 17}" y="{y}" font-size="12" fill="#333">{escape(item.label)}</text>')
        offset += 30 + 7 * len(item.label)
    return out


def _axis(top: Decimal, x0: int, y0: int, width: int, height: int, ticks: int = 4) -> list[str]:
    out = []
    for i in range(ticks + 1):
        value = top * i / ticks
        y = y0 + height - height * i / ticks
        out.append(f'<line x1="{x0}" x2="{x0 + width}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e4e4e4"/>')
        out.append(
            f'<text x="{x0 - 6}" y="{y + 4:.1f}" font-size="11" fill="#666" text-anchor="end">'
            f"{_short(value)}</text>"
        )
    return out


def _heat(value: Decimal | None) -> tuple[str, str]:
    """Fill and text colour of a heatmap cell: white to deep blue with the value."""
    if value is None:
        return "#f4f4f4", "#999"
    v = float(min(max(value, Decimal(0)), Decimal(1)))  # a colour, not money: float is fine here
    r, g, b = (round(255 + (t - 255) * v) for t in (31, 95, 139))
    return f"#{r:02x}{g:02x}{b:02x}", "#fff" if v > 0.5 else "#222"


def heatmap(
    rows: Sequence[tuple[str, int, Sequence[tuple[int, int]]]],
    *,
    label: str,
    chart: str = "cohort-heatmap",
) -> str:
    """Cohort retention: one row per cohort ``(month, size, [(active, size) per month offset])``.

    Each cell is a ``<g class="cell">`` with ``data-cohort``, ``data-month`` (offset), ``data-value``
    (the fraction, exact), ``data-active`` and ``data-size``, and a ``<title>`` saying the same.
    """
    span = max((len(cells) for _, _, cells in rows), default=1)
    cell_w, cell_h, left, top = 52, 26, 110, 34
    width, height = left + cell_w * span + 10, top + cell_h * max(len(rows), 1) + 10
    body = [
        f'<text x="{left + cell_w * m + cell_w / 2}" y="{top - 10}" font-size="11" fill="#555" '
        f'text-anchor="middle">M{m}</text>'
        for m in range(span)
    ]
    for r, (month, size, cells) in enumerate(rows):
        y = top + r * cell_h
        body.append(
            f'<text x="{left - 8}" y="{y + 17}" font-size="12" fill="#333" text-anchor="end">'
            f"{escape(month)} <tspan fill='#888'>({size})</tspan></text>"
        )
        for m, (active, total) in enumerate(cells):
            value = Decimal(active) / total if total else None
            fill, ink = _heat(value)
            shown = "–" if value is None else f"{value * 100:.0f}%"
            exact = "" if value is None else str(value.normalize())
            title = f"Cohort {month}, month {m}: {shown} ({active} of {total} customers)"
            body.append(
                f'<g class="cell" data-cohort="{_attr(month)}" data-month="{m}" data-value="{exact}" '
                f'data-active="{active}" data-size="{total}"><title>{escape(title)}</title>'
                f'<rect x="{left + m * cell_w}" y="{y}" width="{cell_w - 2}" height="{cell_h - 2}" rx="3" '
                f'fill="{fill}"/><text x="{left + m * cell_w + cell_w / 2 - 1}" y="{y + 17}" font-size="11" '
                f'fill="{ink}" text-anchor="middle">{shown}</text></g>'
            )
    return _svg(width, height, label, body, chart)


def _bars(
    categories: Sequence[str],
    series: Sequence[Series],
    values: Mapping[tuple[str, str], Decimal],
    *,
    label: str,
    chart: str,
    fmt: Callable[[Decimal], str],
    stacked: bool,
) -> str:
    left, top, plot_h, bottom = 64, 34, 220, 46
    band = max(34, 1020 // max(len(categories), 1))
    width, height = left + band * len(categories) + 16, top + plot_h + bottom
    if stacked:
        totals = [sum((values.get((c, s.key), Decimal(0)) for s in series), Decimal(0)) for c in categories]
        peak = max(totals, default=Decimal(0))
    else:
        peak = max(
            (values.get((c, s.key), Decimal(0)) for c in categories for s in series), default=Decimal(0)
        )
    axis_top = _nice_max(peak)
    body = _legend(series, left, 16) + _axis(axis_top, left, top, band * len(categories), plot_h)
    inner = band * 0.72
    for i, category in enumerate(categories):
        x0 = left + band * i + (band - inner) / 2
        base = Decimal(0)
        for j, item in enumerate(series):
            value = values.get((category, item.key), Decimal(0))
            h = plot_h * float(value / axis_top) if axis_top else 0.0
            if stacked:
                y, x, w = top + plot_h - plot_h * float((base + value) / axis_top), x0, inner
                base += value
            else:
                w = inner / len(series)
                x, y = x0 + j * w, top + plot_h - h
            title = f"{category}, {item.label}: {fmt(value)}"
            body.append(
                f'<g class="bar" data-category="{_attr(category)}" data-series="{_attr(item.key)}" '
                f'data-value="{value}"><title>{escape(title)}</title><rect x="{x:.1f}" y="{y:.1f}" '
                f'width="{max(w - 1, 1):.1f}" height="{max(h, 0):.1f}" fill="{item.color}"/></g>'
            )
        body.append(
            f'<text x="{left + band * i + band / 2:.1f}" y="{top + plot_h + 16}" font-size="11" fill="#555" '
            f'text-anchor="middle">{escape(category[2:] if len(category) == 7 else category)}</text>'
        )
    return _svg(width, height, label, body, chart)


def stacked_bars(
    categories: Sequence[str],
    series: Sequence[Series],
    values: Mapping[tuple[str, str], Decimal],
    *,
    label: str,
    chart: str,
    fmt: Callable[[Decimal], str] = str,
) -> str:
    """One stacked bar per category (e.g. month), a segment per series (e.g. level); ``data-value`` exact."""
    return _bars(categories, series, values, label=label, chart=chart, fmt=fmt, stacked=True)


def grouped_bars(
    categories: Sequence[str],
    series: Sequence[Series],
    values: Mapping[tuple[str, str], Decimal],
    *,
    label: str,
    chart: str,
    fmt: Callable[[Decimal], str] = str,
) -> str:
    """Side-by-side bars per category, one per series (e.g. points earned, redeemed, expired)."""
    return _bars(categories, series, values, label=label, chart=chart, fmt=fmt, stacked=False)


def funnel(stages: Sequence[tuple[str, str, int]], *, label: str, chart: str = "referral-funnel") -> str:
    """Horizontal bars ``(key, label, count)``, top stage first, each with its share of the first stage."""
    left, bar_h, gap, top, plot_w = 190, 26, 8, 10, 460
    height = top + (bar_h + gap) * max(len(stages), 1) + 6
    first = stages[0][2] if stages else 0
    peak = max((count for _, _, count in stages), default=0) or 1
    body = []
    for i, (key, text, count) in enumerate(stages):
        y = top + i * (bar_h + gap)
        w = plot_w * count / peak
        share = f" · {count / first * 100:.0f}% of {stages[0][1].lower()}" if first and i else ""
        color = PALETTE[0] if not key.startswith("rejected") else PALETTE[3]
        body.append(
            f'<g class="stage" data-stage="{_attr(key)}" data-value="{count}"><title>{escape(text)}: {count}'
            f"{escape(share)}</title>"
            f'<text x="{left - 8}" y="{y + 17}" font-size="12" fill="#333" text-anchor="end">'
            f"{escape(text)}</text>"
            f'<rect x="{left}" y="{y}" width="{max(w, 1):.1f}" height="{bar_h}" rx="3" fill="{color}"/>'
            f'<text x="{left + max(w, 1) + 6:.1f}" y="{y + 17}" font-size="12" fill="#333">{count:,}'
            f"{escape(share)}</text></g>"
        )
    return _svg(left + plot_w + 170, height, label, body, chart)
