"""The `report`, `nps import` and `segments` commands, run in-process against a seeded store."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from loyalty_connector.adapter import Cursor, ReadRecord, Stream
from loyalty_connector.cli.common import Context
from loyalty_connector.cli.report import EXIT_REJECTED_ROWS, nps, report, segments
from loyalty_connector.engine.customer import CustomerEvaluator
from loyalty_connector.program import load_program
from loyalty_connector.segments import EXPORT_FIELDS
from loyalty_connector.store import SYNC_SCOPE, PageWrite, open_store
from loyalty_connector.sync import evaluate_dirty
from loyalty_connector.synthetic import generate_history

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "loyalty.yaml"
NOW = datetime(2025, 11, 1, tzinfo=timezone.utc)


@click.group()
@click.pass_context
def root(ctx: click.Context) -> None:
    """Stands in for the main group: puts the programme and store in ctx.obj."""


root.add_command(report)
root.add_command(nps)
root.add_command(segments)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cli")
    program = load_program(EXAMPLE)
    history = generate_history(
        seed=5, customers=40, orders=300, source="magento-de", end=datetime(2025, 10, 1, tzinfo=timezone.utc)
    )
    store = open_store(folder / "loyalty.db")
    for stream, records in (
        (Stream.CUSTOMERS, history.customers),
        (Stream.ORDERS, history.orders),
        (Stream.REFUNDS, history.refunds),
    ):
        items = [ReadRecord(Cursor(r.updated_at, i), r.external_id, r) for i, r in enumerate(records, 1)]
        store.apply_page(PageWrite("magento-de", stream, SYNC_SCOPE, items, None, NOW))
    evaluate_dirty(
        store,
        program,
        "magento-de",
        evaluator=CustomerEvaluator(program),
        now=NOW,
        group_codes=history.group_codes,
    )
    store.close()
    return folder / "loyalty.db"


@pytest.fixture
def store(seeded: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "loyalty.db"
    with sqlite3.connect(seeded) as source, sqlite3.connect(copy) as target:
        source.backup(target)
    return copy


def run(store: Path, *args: str) -> Result:
    obj = Context(EXAMPLE, store, 0, True)
    return CliRunner().invoke(root, list(args), obj=obj, catch_exceptions=False)


def test_report_text_is_the_default_and_covers_the_last_twelve_months(store: Path) -> None:
    result = run(store, "report", "--now", "2025-10-15T10:00:00Z")
    assert result.exit_code == 0, result.output
    assert "Period 2024-10-16 to 2025-10-15 (Europe/Berlin)" in result.output
    assert "Retention rate" in result.output


def test_report_json_carries_nps_and_the_given_period(store: Path) -> None:
    result = run(store, "report", "--format", "json", "--since", "2025-01-01", "--until", "2025-07-01")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["period"]["start"] == "2025-01-01"
    assert data["period"]["end"] == "2025-07-01"
    assert "nps" in data
    assert data["customers"]["orders"] > 0


def test_report_html_and_csv_write_to_a_file(store: Path, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    result = run(store, "report", "--format", "html", "-o", str(page), "--since", "2025-01-01")
    assert result.exit_code == 0, result.output
    assert page.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    rows = run(store, "report", "--format", "csv", "--source", "magento-de", "--all-time").output
    assert rows.splitlines()[0] == "section,slice,metric,value,unit"


def test_report_rejects_an_empty_period_with_a_usage_error(store: Path) -> None:
    result = run(store, "report", "--since", "2025-05-01", "--until", "2025-05-01")
    assert result.exit_code == 2
    assert "must be before --until" in result.output


def test_report_without_a_store_fails_with_one_line(tmp_path: Path) -> None:
    result = run(tmp_path / "missing.db", "report")
    assert result.exit_code == 1
    assert "no state database" in result.output
    assert "Traceback" not in result.output


def test_nps_import_imports_good_rows_lists_bad_ones_by_line_and_is_idempotent(
    store: Path, tmp_path: Path
) -> None:
    survey = tmp_path / "survey.csv"
    survey.write_text("email,score,answered_at\nnobody@else.example,10,2025-05-01\nbad,4,\nx@y.example,12,\n")
    first = run(store, "nps", "import", str(survey))
    assert first.exit_code == EXIT_REJECTED_ROWS
    assert f"{survey}:3: email 'bad' is not an email address" in first.output
    assert f"{survey}:4: score '12'" in first.output
    assert (
        "imported 1 answers from survey.csv: 1 new, 0 updated, 0 unchanged; 1 email(s) match no customer"
        in (first.output)
    )
    again = run(store, "nps", "import", str(survey))
    assert "0 new, 0 updated, 1 unchanged" in again.output
    data = json.loads(run(store, "report", "--format", "json", "--since", "2025-01-01").output)
    assert (data["nps"]["answers"], data["nps"]["unmatched"], data["nps"]["score"]) == (1, 1, "100")


def test_nps_import_strict_imports_nothing_when_a_row_is_bad(store: Path, tmp_path: Path) -> None:
    survey = tmp_path / "survey.csv"
    survey.write_text("email,score\na@b.example,9\nb@b.example,x\n")
    result = run(store, "nps", "import", "--strict", str(survey))
    assert result.exit_code == 1
    assert "nothing imported" in result.output
    header = tmp_path / "header.csv"
    header.write_text("mail,score\n")
    assert run(store, "nps", "import", str(header)).exit_code == 1


def test_segments_export_writes_the_mailing_fields(store: Path) -> None:
    result = run(store, "segments", "export", "--segment", "lapsed", "--days", "30", "--now", "2025-11-01")
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if not line.endswith("in segment lapsed")]
    rows = list(csv.DictReader(io.StringIO("\n".join(lines))))
    assert rows
    assert tuple(rows[0]) == EXPORT_FIELDS
    assert all("@" in row["email"] and row["segment"] == "lapsed" for row in rows)
    listing = run(store, "segments", "list").output
    assert "latent-loyals" in listing


def test_segments_export_rejects_an_unknown_segment(store: Path) -> None:
    result = run(store, "segments", "export", "--segment", "nope")
    assert result.exit_code == 2
