"""The ledger as read: balances are sums, redemptions are idempotent, exports keep Decimals exact."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from loyalty_connector.engine.results import IntentKind, LedgerIntent, intent_key
from loyalty_connector.ledger import (
    EXPORT_FIELDS,
    as_redemption,
    balance,
    export_rows,
    history,
    pending,
    record_redemption,
    redemption_key,
)
from loyalty_connector.store import CustomerEvaluation
from loyalty_connector.store.sqlite import SqliteStore

SOURCE = "shop"
T0 = datetime(2025, 2, 1, 12, 0, tzinfo=timezone.utc)
RUN_AT = datetime(2025, 2, 2, tzinfo=timezone.utc)


def entry(
    record: str, points: int, kind: IntentKind = IntentKind.EARN, customer: str = "7", **fields
) -> LedgerIntent:
    fields.setdefault("effective_at", T0)
    return LedgerIntent(
        key=intent_key("spend", kind, SOURCE, customer, record),
        kind=kind,
        rule_id="spend",
        source=SOURCE,
        customer_key=customer,
        record=record,
        reason=f"{kind.value} for {record}",
        points=points,
        **fields,
    )


@pytest.fixture
def store(tmp_path):
    opened = SqliteStore(tmp_path / "loyalty.db")
    yield opened
    opened.close()


def write(store: SqliteStore, *intents: LedgerIntent) -> int:
    evaluation = CustomerEvaluation("7", None, intents, None, None)
    return store.apply_evaluations(SOURCE, [evaluation], at=RUN_AT, run_id=None)


def test_the_balance_sums_entries_available_by_then_and_pending_ones_apart(store):
    earn = entry("order:1", 300, available_at=T0 + timedelta(days=14))
    bonus = entry("order:1/bonus", 100, kind=IntentKind.BONUS)
    taken_back = entry(
        "refund:9", -50, kind=IntentKind.REVERSAL, effective_at=T0 + timedelta(days=3), reverses=earn.key
    )
    write(store, earn, bonus, taken_back)
    assert balance(store, SOURCE, "7", T0 - timedelta(seconds=1)) == 0
    assert (balance(store, SOURCE, "7", T0), pending(store, SOURCE, "7", T0)) == (100, 300)
    day5 = T0 + timedelta(days=5)
    assert (balance(store, SOURCE, "7", day5), pending(store, SOURCE, "7", day5)) == (50, 300)
    day14 = T0 + timedelta(days=14)
    assert (balance(store, SOURCE, "7", day14), pending(store, SOURCE, "7", day14)) == (350, 0)
    assert balance(store, SOURCE, "other", day14) == 0


def test_writing_the_same_entry_twice_records_it_once(store):
    assert write(store, entry("order:1", 10)) == 1
    assert write(store, entry("order:1", 10), entry("order:2", 5)) == 1
    assert [e.record for e in history(store, SOURCE, "7")] == ["order:1", "order:2"]
    assert balance(store, SOURCE, "7", RUN_AT) == 15


def test_history_is_in_effective_order_and_filters_by_kind_and_time(store):
    write(
        store,
        entry("order:2", 20, effective_at=T0 + timedelta(days=2)),
        entry("order:1", 10, effective_at=T0 + timedelta(days=1)),
        entry("refund:1", -5, kind=IntentKind.REVERSAL, effective_at=T0 + timedelta(days=3)),
    )
    assert [e.record for e in history(store, SOURCE, "7")] == ["order:1", "order:2", "refund:1"]
    assert [e.record for e in history(store, SOURCE, kinds=[IntentKind.REVERSAL])] == ["refund:1"]
    window = history(store, SOURCE, "7", since=T0 + timedelta(days=2), until=T0 + timedelta(days=3))
    assert [e.record for e in window] == ["order:2"]
    assert len(history(store, limit=2)) == 2


def test_export_rows_keep_decimals_and_timestamps_as_exact_strings(store):
    coupon = entry(
        "birthday:2025",
        0,
        kind=IntentKind.COUPON,
        amount=Decimal("12.50"),
        currency="EUR",
        percent=Decimal("7.5"),
        expires_at=T0 + timedelta(days=14),
        attributes=(("birthday", "1980-02-08"), ("channel", "b2b")),
    )
    write(store, coupon)
    [row] = export_rows(history(store, SOURCE))
    assert list(row) == list(EXPORT_FIELDS)
    assert (row["amount"], row["percent"], row["points"]) == ("12.50", "7.5", 0)
    assert row["expires_at"] == "2025-02-15T12:00:00+00:00"
    assert row["attributes"] == "birthday=1980-02-08;channel=b2b"
    assert json.loads(json.dumps(row))["amount"] == "12.50"
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=EXPORT_FIELDS)
    writer.writeheader()
    writer.writerow(row)
    assert "12.50" in buffer.getvalue()


def test_a_redemption_is_recorded_once_and_never_beyond_the_balance(store):
    write(store, entry("order:1", 300))
    assert record_redemption(store, SOURCE, "7", 120, RUN_AT, reference="order-555") is True
    assert record_redemption(store, SOURCE, "7", 120, RUN_AT, reference="order-555") is False
    assert balance(store, SOURCE, "7", RUN_AT) == 180
    with pytest.raises(ValueError, match="only 180 are available"):
        record_redemption(store, SOURCE, "7", 500, RUN_AT, reference="order-556")
    [spent] = history(store, SOURCE, "7", kinds=[IntentKind.REDEMPTION])
    assert spent.key == redemption_key(SOURCE, "7", "order-555")
    assert as_redemption(spent).key == "order-555"
    assert as_redemption(spent).points == 120
    assert store.due_customers(SOURCE, RUN_AT, after="", limit=10)[0].customer_key == "7"
