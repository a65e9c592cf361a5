"""The report from a real store: every format, and the HTML charts hold the data they should."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, timezone
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest

from loyalty_connector.adapter import Cursor, ReadRecord, Stream
from loyalty_connector.domain import (
    Customer,
    CustomerGroup,
    LineKind,
    Money,
    Order,
    OrderLine,
    OrderStatus,
    Refund,
)
from loyalty_connector.engine.customer import CustomerEvaluator
from loyalty_connector.engine.referrals import referral_code
from loyalty_connector.kpi import Period
from loyalty_connector.nps import NpsAnswer
from loyalty_connector.program import Program, parse_program
from loyalty_connector.report import KpiReport, collect_report, render_csv, render_json, render_text
from loyalty_connector.report_html import render_html
from loyalty_connector.store import SYNC_SCOPE, PageWrite, open_store
from loyalty_connector.store.analytics import open_analytics
from loyalty_connector.sync import evaluate_dirty

UTC = timezone.utc
SECRET = b"report-test-secret"
NOW = datetime(2025, 7, 1, tzinfo=UTC)
PERIOD = Period(date(2025, 1, 1), date(2025, 7, 1), "Europe/Berlin")
PROGRAM = parse_program(
    """
name: Report Test
currency: EUR
timezone: Europe/Berlin
levels:
  levels:
    - {id: bronze, name: Bronze, customer_group: Loyalty Bronze, min_orders: 1}
    - {id: silver, name: Silver, customer_group: Loyalty Silver, min_orders: 2}
points:
  earn: [{id: spend, rate: 1}]
  points_per_currency_unit: 100
referrals:
  id: refer
  referee_discount: {percent: 10}
  referrer_reward: {points: 500}
  code_prefix: "REF-"
"""
)


def day(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, 10, tzinfo=UTC)


def customer(n: int, created: datetime) -> Customer:
    return Customer(
        source="shop",
        external_id=str(n),
        email=f"buyer{n}@firma{n}.example",
        company=f"Firma {n} AG",
        vat_id=f"DE{n:09d}",
        created_at=created,
        updated_at=created,
    )


def order(
    n: int,
    who: str | None,
    placed: datetime,
    amount: str = "100.00",
    *,
    currency: str = "EUR",
    codes: tuple[str, ...] = (),
    email: str | None = None,
) -> Order:
    money = Money.of(amount, currency)
    zero = Money.zero(currency)
    line = OrderLine(
        line_id=f"{n}-1",
        sku="PAPER",
        qty=Decimal(1),
        unit_price=money,
        row_total=money,
        discount=zero,
        tax=zero,
        kind=LineKind.PRODUCT,
    )
    return Order(
        source="shop",
        external_id=str(n),
        number=str(n),
        customer_id=who,
        email=email or f"buyer{who}@firma{who}.example",
        status=OrderStatus.COMPLETE,
        raw_status="complete",
        currency=currency,
        placed_at=placed,
        updated_at=placed,
        lines=(line,),
        subtotal=money,
        discount=zero,
        shipping=zero,
        tax=zero,
        grand_total=money,
        coupon_codes=codes,
    )


def build_store(path: Path, program: Program = PROGRAM) -> Path:
    """Six customers and a guest: retained, churned, a March cohort, a referral, a refund, a USD order."""
    code = referral_code(SECRET, "shop", "1", prefix="REF-", length=10)
    customers = [
        customer(1, day(2024, 6, 1)),
        customer(2, day(2025, 3, 1)),
        customer(3, day(2025, 3, 1)),
        customer(4, day(2024, 1, 1)),
        customer(5, day(2025, 2, 1)),
        customer(6, day(2025, 4, 1)),
    ]
    orders = [
        order(101, "1", day(2024, 10, 5)),
        order(102, "1", day(2025, 3, 10), "200.00"),
        order(103, "1", day(2025, 5, 3)),
        order(104, "2", day(2025, 3, 5)),
        order(105, "2", day(2025, 5, 20)),
        order(106, "3", day(2025, 3, 15)),
        order(107, "4", day(2024, 9, 1)),
        order(108, None, day(2025, 4, 1), "80.00", email="guest@else.example"),
        order(109, "6", day(2025, 4, 10), "300.00", codes=(code,)),
        order(110, "2", day(2025, 6, 1), "50.00", currency="USD"),
    ]
    refunds = [
        Refund(
            source="shop",
            external_id="901",
            order_id="102",
            created_at=day(2025, 3, 20),
            updated_at=day(2025, 3, 20),
            amount=Money.of("50.00", "EUR"),
        )
    ]
    store = open_store(path)
    try:
        for stream, records in (
            (Stream.CUSTOMERS, customers),
            (Stream.ORDERS, orders),
            (Stream.REFUNDS, refunds),
        ):
            items = [ReadRecord(Cursor(r.updated_at, i), r.external_id, r) for i, r in enumerate(records, 1)]
            store.apply_page(PageWrite("shop", stream, SYNC_SCOPE, items, None, NOW))
        evaluate_dirty(
            store, program, "shop", evaluator=CustomerEvaluator(program), now=NOW, referral_secret=SECRET
        )
    finally:
        store.close()
    with open_analytics(path) as analytics:
        answers = [
            NpsAnswer("buyer1@firma1.example", 10, day(2025, 4, 1)),
            NpsAnswer("buyer3@firma3.example", 9, day(2025, 4, 2)),
            NpsAnswer("stranger@else.example", 2, day(2025, 4, 3)),
        ]
        analytics.record_nps_answers(answers, imported_at=NOW)
    return path


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> KpiReport:
    path = build_store(tmp_path_factory.mktemp("report") / "loyalty.db")
    with open_analytics(path) as analytics:
        return collect_report(analytics, PROGRAM, PERIOD, now=NOW)


def test_report_counts_customers_guests_and_money_from_the_store(report: KpiReport) -> None:
    k = report.customers
    assert (k.customers_at_start, k.retained, k.churned) == (2, 1, 1)  # customer 1 stayed, 4 churned
    assert (k.active_customers, k.new_customers, k.repeat_customers) == (4, 3, 2)
    assert (k.orders, k.priced_orders, k.excluded_orders) == (7, 6, 1)
    assert k.revenue == Money.of("850.00", "EUR")  # 200 - 50 refunded + 100 + 100 + 100 + 100 + 300
    assert k.refunded == Money.of("50.00", "EUR")
    g = report.guests
    assert (g.orders, g.guests, g.revenue) == (1, 1, Money.of("80.00", "EUR"))
    assert report.registered_customers == 6
    assert {stage.value: n for stage, n in report.lifecycle}["first_contact"] == 1


def test_report_nps_loyalty_types_points_and_referrals(report: KpiReport) -> None:
    assert (report.nps.answers, report.nps.unmatched, report.nps.score) == (3, 1, Decimal("33.3"))
    types = {kind.value: count for kind, count in report.loyalty_types}
    assert (types["true"], types["latent"]) == (1, 1)
    assert report.points is not None
    assert report.points.earned > 0
    assert report.referrals is not None
    assert (report.referrals.codes_used, report.referrals.referees, report.referrals.rewarded) == (1, 1, 1)
    assert report.referrals.codes_issued == 6


def test_json_carries_the_nps_under_nps_and_money_as_exact_strings(report: KpiReport) -> None:
    data = json.loads(render_json(report))
    assert data["nps"]["score"] == "33.3"
    assert data["nps"]["unmatched"] == 1
    assert data["customers"]["revenue"] == {"amount": "850.00", "currency": "EUR"}
    assert data["customers"]["churn_rate"] == {"value": "0.5", "numerator": 1, "denominator": 2}
    assert data["period"] == {
        "start": "2025-01-01",
        "end": "2025-07-01",
        "end_exclusive": True,
        "timezone": "Europe/Berlin",
    }
    march = next(c for c in data["cohorts"] if c["month"] == "2025-03")
    assert march["retention"][2] == "0.5"


def test_group_rows_are_labelled_by_the_names_the_last_sync_stored(tmp_path: Path) -> None:
    path = build_store(tmp_path / "loyalty.db")
    store = open_store(path)
    try:
        moved = customer(1, day(2024, 6, 1)).model_copy(
            update={"group_id": "4", "updated_at": day(2025, 1, 1)}
        )
        item = ReadRecord(Cursor(moved.updated_at, 1), moved.external_id, moved)
        store.apply_page(PageWrite("shop", Stream.CUSTOMERS, SYNC_SCOPE, [item], None, NOW))
        group = CustomerGroup(source="shop", external_id="4", code="wholesale", name="Wholesale")
        store.record_groups("shop", [group], at=NOW)
    finally:
        store.close()
    with open_analytics(path) as analytics:
        named = collect_report(analytics, PROGRAM, PERIOD, now=NOW)
    groups = {b.key: b.label for b in named.breakdowns if b.dimension == "group"}
    assert groups == {"shop/4": "Wholesale", "shop/none": "none"}


def test_csv_has_one_tidy_row_per_figure(report: KpiReport) -> None:
    rows = list(csv.DictReader(io.StringIO(render_csv(report))))
    found = {(r["section"], r["slice"], r["metric"]): (r["value"], r["unit"]) for r in rows}
    assert found[("customers", "all", "retention_rate")] == ("0.5", "rate")
    assert found[("customers", "all", "revenue")] == ("850.00", "EUR")
    assert found[("cohorts", "2025-03", "month_2")] == ("0.5", "rate")
    assert found[("nps", "all", "nps")] == ("33.3", "number")
    assert found[("customers_by_source", "shop", "orders")] == ("7", "count")


def test_text_report_is_aligned_and_says_no_data_for_an_empty_period(
    report: KpiReport, tmp_path: Path
) -> None:
    text = render_text(report)
    assert "Retention rate" in text
    assert "50.0 %  1 of 2" in text
    assert "NPS 33.3 from 3 answers" in text
    empty_store = tmp_path / "empty.db"
    open_store(empty_store).close()
    with open_analytics(empty_store) as analytics:
        empty = collect_report(analytics, PROGRAM, PERIOD, now=NOW)
    rendered = render_text(empty)
    assert "no data" in rendered
    assert "Traceback" not in rendered
    assert empty.customers.retention_rate.value is None
    assert json.loads(render_json(empty))["nps"]["score"] is None


class _Charts(HTMLParser):
    """Collects every element's attributes and the text of <title> elements inside chart marks."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.titles: list[str] = []
        self._in_title = False
        self.external: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.elements.append((tag, found))
        self._in_title = tag == "title"
        for name in ("src", "href"):
            if found.get(name):
                self.external.append(f"{tag} {name}={found[name]}")
        if tag in ("script", "link", "img", "iframe"):
            self.external.append(tag)

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.titles.append(data)

    def handle_endtag(self, tag: str) -> None:
        self._in_title = False

    def marks(self, cls: str) -> list[dict[str, str | None]]:
        return [a for tag, a in self.elements if tag == "g" and a.get("class") == cls]


@pytest.fixture(scope="module")
def charts(report: KpiReport) -> _Charts:
    parser = _Charts()
    parser.feed(render_html(report))
    return parser


def test_html_is_self_contained(charts: _Charts) -> None:
    assert charts.external == []
    kinds = {a.get("data-chart") for tag, a in charts.elements if tag == "svg"}
    assert kinds == {"cohort-heatmap", "revenue-by-level", "points-flow", "referral-funnel"}


def test_heatmap_cell_for_cohort_2025_03_month_2_carries_its_value(charts: _Charts) -> None:
    cell = next(c for c in charts.marks("cell") if c["data-cohort"] == "2025-03" and c["data-month"] == "2")
    assert Decimal(cell["data-value"] or "") == Decimal("0.5")
    assert (cell["data-active"], cell["data-size"]) == ("1", "2")
    assert "Cohort 2025-03, month 2: 50% (1 of 2 customers)" in charts.titles


def test_monthly_revenue_bars_hold_each_level_s_revenue(charts: _Charts) -> None:
    bars = {
        (b["data-category"], b["data-series"]): Decimal(b["data-value"] or "0") for b in charts.marks("bar")
    }
    # customer 2's May order came after their first (March) order made them Bronze
    assert bars[("2025-05", "bronze")] == Decimal("100.00")
    assert sum(
        v
        for (month, series), v in bars.items()
        if month == "2025-03" and series in ("none", "bronze", "silver")
    ) == Decimal("350.00")
    assert bars[("2025-01", "none")] == 0


def test_points_chart_and_funnel_hold_their_figures(report: KpiReport, charts: _Charts) -> None:
    assert report.points is not None
    earned = sum(Decimal(b["data-value"] or "0") for b in charts.marks("bar") if b["data-series"] == "earned")
    assert earned == report.points.earned
    stages = {s["data-stage"]: int(s["data-value"] or "0") for s in charts.marks("stage")}
    assert stages == {"issued": 6, "used": 1, "qualified": 1, "rewarded": 1}
