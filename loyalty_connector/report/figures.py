"""A report's figures as (metric, label, value) rows, and how a figure reads for people.

Shared by every renderer: :func:`customer_metrics` fixes the order and names of a
:class:`~loyalty_connector.kpi.CustomerKpis`' figures; :func:`show` and :func:`rate_detail` format one
for a terminal or a page.
"""

from __future__ import annotations

__all__ = ["Figure", "customer_metrics", "rate_detail", "show"]

from decimal import Decimal

from ..domain import Money
from ..kpi import CustomerKpis, Rate

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
