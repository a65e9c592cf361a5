"""The evaluation side of the store written faster with the same rows: ledger rows, known keys, due marks."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from loyalty_connector.engine.results import IntentKind, LedgerIntent
from loyalty_connector.store import CustomerEvaluation
from loyalty_connector.store import pages as page_writes
from loyalty_connector.store.rows import ledger_row, ledger_rows, ts, ts_or_none
from loyalty_connector.store.sqlite import SqliteStore

SOURCE = "shop"
T0 = datetime(2025, 3, 1, 9, 0, tzinfo=timezone.utc)
NOW = datetime(2025, 6, 1, tzinfo=timezone.utc)
BERLIN = timezone(timedelta(hours=2))


def intent(n: int, customer_key: str = "1", **fields: object) -> LedgerIntent:
    values: dict[str, object] = {
        "key": f"spend/{SOURCE}/{customer_key}/order:{n}",
        "kind": IntentKind.EARN,
        "rule_id": "spend",
        "source": SOURCE,
        "customer_key": customer_key,
        "record": f"order:{n}",
        "effective_at": T0 + timedelta(days=n),
        "reason": f"1 point per EUR of order {n}",
        "points": 10 * n,
    }
    values.update(fields)
    return LedgerIntent(**values)  # type: ignore[arg-type]


def row_as_before(item: LedgerIntent, recorded_at: datetime, run_id: int | None) -> tuple[object, ...]:
    """The ledger row as the store encoded it before rows were encoded a batch at a time."""
    return (
        item.key, item.kind.value, item.rule_id, item.source, item.customer_key, item.record, item.points,
        None if item.amount is None else str(item.amount), item.currency,
        None if item.percent is None else str(item.percent),
        ts(item.effective_at), ts_or_none(item.available_at), ts_or_none(item.expires_at), item.reverses,
        json.dumps(dict(item.attributes), sort_keys=True) if item.attributes else "{}",
        item.reason, ts(recorded_at), run_id,
    )  # fmt: skip


def varied_intents() -> list[LedgerIntent]:
    shared = T0 + timedelta(hours=5)
    return [
        intent(1),
        intent(2, available_at=shared, expires_at=shared + timedelta(days=365)),
        intent(3, effective_at=shared, available_at=shared),  # one instant in several columns
        intent(4, effective_at=shared.astimezone(BERLIN)),  # the same instant in another zone
        intent(5, kind=IntentKind.COUPON, amount=Decimal("20.00"), currency="EUR", points=0),
        intent(6, kind=IntentKind.COUPON, percent=Decimal("5"), points=0, reverses="spend/shop/1/order:1"),
        intent(7, attributes=(("rate", "1"), ("base", "5064.10"), ("level", "bronze"))),  # unsorted
        intent(8, attributes=(("note", 'Müller "quoted" \\ \n tab\t €'), ("emoji", "\U0001f600"))),
        intent(9, attributes=(("same", "first"), ("same", "last"))),  # the last one wins, as in dict()
        intent(10, effective_at=datetime(2025, 3, 1, tzinfo=timezone.utc)),  # no microseconds
    ]


def test_ledger_rows_encode_exactly_what_one_row_at_a_time_did():
    items = varied_intents()
    expected = [row_as_before(item, NOW, 7) for item in items]
    assert ledger_rows(items, NOW, 7) == expected
    assert [ledger_row(item, NOW, 7) for item in items] == expected


def test_attributes_that_are_not_text_are_still_encoded_by_json():
    odd = intent(1, attributes=(("count", 3), ("flag", True)))  # not what the engine makes, still valid
    assert ledger_rows([odd], NOW, None)[0][14] == json.dumps({"count": 3, "flag": True}, sort_keys=True)


def raw(store: SqliteStore) -> sqlite3.Connection:
    return sqlite3.connect(store.path)


def evaluation(
    customer_key: str, intents: list[LedgerIntent], generation: int | None = 1
) -> CustomerEvaluation:
    return CustomerEvaluation(customer_key, generation, intents, None, NOW + timedelta(days=1))


def test_re_evaluating_adds_only_new_keys_and_leaves_recorded_entries_untouched(store):
    first = [intent(n) for n in range(1, 4)]
    assert store.apply_evaluations(SOURCE, [evaluation("1", first)], at=T0, run_id=None) == 3
    before = raw(store).execute("SELECT * FROM ledger ORDER BY id").fetchall()
    changed = [intent(n, reason="another wording") for n in range(1, 4)] + [intent(4)]
    assert store.apply_evaluations(SOURCE, [evaluation("1", changed)], at=NOW, run_id=None) == 1
    after = raw(store).execute("SELECT * FROM ledger ORDER BY id").fetchall()
    assert after[:3] == before, "recorded entries keep their reason and recording time"
    assert [row[1] for row in after[3:]] == [intent(4).key]


def test_a_key_recorded_under_another_customer_is_still_never_recorded_twice(store):
    store.apply_evaluations(SOURCE, [evaluation("1", [intent(1)])], at=T0, run_id=None)
    moved = intent(1, customer_key="2", key=intent(1).key)
    assert (
        store.apply_evaluations(SOURCE, [evaluation("2", [moved, intent(2, "2")])], at=NOW, run_id=None) == 1
    )
    assert raw(store).execute("SELECT COUNT(*) FROM ledger").fetchone()[0] == 2


def mark(store: SqliteStore, keys: list[str]) -> None:
    conn = sqlite3.connect(store.path, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    page_writes.mark_dirty(conn, SOURCE, keys, ts(T0))
    conn.execute("COMMIT")
    conn.close()


def test_due_customers_pages_through_marks_and_due_reviews_in_key_order(store):
    keys = [f"{n:03d}" for n in range(30)]
    mark(store, keys[::2])  # even keys marked, 004 and 010 twice
    mark(store, ["004", "010"])
    reviews = [evaluation(key, [], generation=None) for key in keys[1::3]]  # 001, 004, 007, ...
    store.apply_evaluations(SOURCE, reviews, at=T0 - timedelta(days=2), run_id=None)
    conn = sqlite3.connect(store.path)
    conn.execute("UPDATE customer_reviews SET next_review_at = ? WHERE customer_key < '015'", (ts(T0),))
    conn.execute("UPDATE customer_reviews SET next_review_at = ? WHERE customer_key >= '015'", (ts(NOW),))
    conn.commit()
    conn.close()
    due_reviews = {key for key in keys[1::3] if key < "015"}
    expected = sorted(
        (key, 2 if key in ("004", "010") else (1 if key in keys[::2] else None))
        for key in set(keys[::2]) | due_reviews
    )
    for limit in (1, 3, 7, 100):
        found, after = [], ""
        while batch := store.due_customers(SOURCE, T0, after=after, limit=limit):
            assert len(batch) <= limit
            found += [(due.customer_key, due.generation) for due in batch]
            after = batch[-1].customer_key
        assert found == expected, limit
