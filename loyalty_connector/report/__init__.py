"""The loyalty KPI report: collected from the store in one pass, rendered as text, JSON, CSV or HTML.

:func:`collect_report` (:mod:`.collect`) reads one snapshot of the store through
:class:`~loyalty_connector.store.analytics.Analytics` — customers streamed one at a time into the
KPI collectors of :mod:`loyalty_connector.kpi` — and returns a :class:`KpiReport`. The renderers are
pure functions of that report: :func:`render_text` (aligned terminal tables), :func:`render_json`
(exact strings for money and rates, never floats; the NPS under ``nps``), :func:`render_csv` (one
tidy row per figure: section, slice, metric, value, unit) and
:func:`~loyalty_connector.report_html.render_html` (one self-contained page with inline SVG charts).

Each renderer has its module (:mod:`.to_text`, :mod:`.to_json`, :mod:`.to_csv`; HTML lives in
:mod:`loyalty_connector.report_html`), and the figure rows they share are in :mod:`.figures`.
Import from ``loyalty_connector.report``.
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

from .collect import Breakdown, KpiReport, TopCustomer, collect_report
from .figures import Figure, customer_metrics, rate_detail, show
from .to_csv import CSV_FIELDS, render_csv
from .to_json import render_json, report_dict
from .to_text import render_text
