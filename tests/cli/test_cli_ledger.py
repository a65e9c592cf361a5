"""``ledger export``: CSV, JSON and JSON lines, exact strings, filters, output files."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from cli_kit import Setup

from loyalty_connector.ledger import EXPORT_FIELDS
from loyalty_connector.store import open_store


def ledger_size(setup: Setup, **filters: object) -> int:
    store = open_store(setup.store)
    try:
        return len(store.ledger_entries(**filters))  # type: ignore[arg-type]
    finally:
        store.close()


def test_csv_export_has_the_documented_header_and_one_row_per_entry(backfilled: Setup) -> None:
    result = backfilled.run("ledger", "export")
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0]) == list(EXPORT_FIELDS)
    assert len(rows) == ledger_size(backfilled)
    assert all(row["effective_at"].endswith("+00:00") for row in rows)


def test_json_and_jsonl_exports_hold_the_same_rows(backfilled: Setup) -> None:
    as_array = json.loads(backfilled.run("ledger", "export", "--format", "json").stdout)
    as_lines = [
        json.loads(line)
        for line in backfilled.run("ledger", "export", "--format", "jsonl").stdout.splitlines()
    ]
    assert as_array == as_lines
    coupons = [row for row in as_array if row["amount"] is not None]
    assert coupons
    assert all(isinstance(row["amount"], str) for row in coupons)


def test_filters_narrow_the_export(backfilled: Setup) -> None:
    rows = json.loads(backfilled.run("ledger", "export", "--format", "json", "--kind", "earn").stdout)
    assert rows
    assert {row["kind"] for row in rows} == {"earn"}
    customer = rows[0]["customer_key"]
    mine = json.loads(backfilled.run("ledger", "export", "--format", "json", "--customer", customer).stdout)
    assert {row["customer_key"] for row in mine} == {customer}
    assert len(mine) == ledger_size(backfilled, customer_key=customer)
    recent = json.loads(
        backfilled.run("ledger", "export", "--format", "json", "--since", "2026-01-01").stdout
    )
    assert all(row["effective_at"] >= "2026-01-01" for row in recent)
    assert len(recent) < ledger_size(backfilled)


def test_export_to_a_file(backfilled: Setup, tmp_path: Path) -> None:
    target = tmp_path / "ledger.csv"
    result = backfilled.run("ledger", "export", "--output", str(target))
    assert result.exit_code == 0
    assert result.stdout == ""
    assert target.read_text(encoding="utf-8").splitlines()[0] == ",".join(EXPORT_FIELDS)
