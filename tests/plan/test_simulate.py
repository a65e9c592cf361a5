"""Simulating a programme change: replay the Magento sandbox's synced history, diff against the ledger."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from plan_kits import MagentoPlanKit
from plan_shops import CUSTOMERS, ORDERS, REFERRAL_SECRET, SEED, SOURCE, gold_customers

from loyalty_connector.program import Program, parse_program
from loyalty_connector.simulate import simulate
from loyalty_connector.store import Store, open_store
from loyalty_connector.sync import SyncRunner
from loyalty_connector_magento.sandbox import MagentoSandbox

CURRENT = """
name: Simulation programme
currency: EUR
timezone: Europe/Berlin
levels:
  window_days: 365
  grace_days: 30
  levels:
    - {id: bronze, name: Bronze, customer_group: Loyalty Bronze, min_orders: 1}
    - {id: silver, name: Silver, customer_group: Loyalty Silver, min_spend: 3000, min_orders: 3}
    - {id: gold, name: Gold, customer_group: Loyalty Gold, min_spend: 8000, min_orders: 5}
free_products:
  thresholds:
    - {id: gift-500, threshold: 500, gift_sku: STAPLER-HD}
    - {id: gift-2000, threshold: 2000, gift_sku: MARKER-SET-8}
referrals:
  referee_discount: {percent: 10}
  referrer_reward: {points: 1000}
points:
  earn:
    - {id: spend-points, rate: 1}
  expiry_days: 730
coupons:
  next_purchase:
    - {id: thank-you-5, discount: {percent: 5}, valid_days: 60, min_subtotal: 500}
"""


def current() -> Program:
    return parse_program(CURRENT)


@pytest.fixture(scope="module")
def synced(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Store, MagentoPlanKit, dict[str, str]]]:
    with MagentoSandbox(seed=SEED, customers=CUSTOMERS, orders=ORDERS) as shop:
        kit = MagentoPlanKit(shop)
        store = open_store(Path(tmp_path_factory.mktemp("simulate")) / "loyalty.db")
        adapter = kit.adapter()
        SyncRunner(store, adapter, current(), referral_secret=REFERRAL_SECRET, clock=lambda: kit.now).run()
        groups = {g.external_id: g.code for g in adapter.read_groups()}
        yield store, kit, groups
        store.close()


def contents(path: str) -> dict[str, list[tuple[Any, ...]]]:
    conn = sqlite3.connect(path)
    try:
        tables = [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {t: sorted(map(tuple, conn.execute(f"SELECT * FROM {t}")), key=repr) for t in tables}  # noqa: S608
    finally:
        conn.close()


def run(synced: Any, new: Program) -> Any:
    store, kit, groups = synced
    return simulate(
        current(), new, store, SOURCE, now=kit.now, referral_secret=REFERRAL_SECRET, group_codes=groups
    )


def test_the_current_programme_replays_to_exactly_the_ledger(synced) -> None:
    result = run(synced, current())
    assert result.baseline_mismatches == 0
    assert {c.move for c in result.customers} == {"same"}
    assert result.liability_delta == 0
    assert result.rule_changes == ()
    assert not any(c.changed for c in result.customers)


def test_raising_gold_downgrades_exactly_its_holders_after_the_grace_period_and_writes_nothing(
    synced,
) -> None:
    store, kit, _ = synced
    before = contents(store.path)
    raised = parse_program(CURRENT.replace("min_spend: 8000", "min_spend: 900000"))
    result = run(synced, raised)
    gold = gold_customers(store)
    assert gold
    assert {c.customer_key for c in result.moved("down")} == gold
    assert result.moved("up") == ()
    assert {c.effective_at for c in result.moved("down")} == {kit.now + timedelta(days=30)}
    assert {c.level_after for c in result.moved("down")} <= {"silver", "bronze"}
    assert result.summary().startswith(f"{len(gold)} customer{'s' if len(gold) > 1 else ''} move down")
    assert [(r.section, r.rule_id, r.change, r.fields) for r in result.rule_changes] == [
        ("levels", "gold", "changed", ("min_spend",))
    ]
    assert contents(store.path) == before


def test_a_higher_earn_rate_raises_the_points_liability_customer_by_customer(synced) -> None:
    doubled = parse_program(CURRENT.replace("rate: 1}", "rate: 2}"))
    result = run(synced, doubled)
    earners = [c for c in result.customers if c.points_before > 0]
    assert earners
    assert result.liability_delta > 0
    assert result.liability_delta == sum(c.points_after - c.points_before for c in result.customers)
    assert all(c.points_after > c.points_before for c in earners if c.points_before >= 2)
    assert f"points liability +{result.liability_delta:,} points" in result.summary()


def test_gift_rule_changes_are_counted_and_the_drill_down_is_json(synced) -> None:
    changed = parse_program(
        CURRENT.replace("threshold: 500,", "threshold: 750,").replace(
            "    - {id: gift-2000, threshold: 2000, gift_sku: MARKER-SET-8}\n", ""
        )
    )
    result = run(synced, changed)
    assert [(r.rule_id, r.change) for r in result.rule_changes if r.section == "free_products"] == [
        ("gift-2000", "removed"),
        ("gift-500", "changed"),
    ]
    assert "rules changed: free products 2" in result.summary()
    document = json.loads(json.dumps(result.to_json(customers="all")))
    assert document["customers_total"] == len(document["customers"]) == len(result.customers)
    first = document["customers"][0]
    assert set(first) >= {
        "customer_key",
        "level_before",
        "level_after",
        "move",
        "points_before",
        "points_after",
    }
    assert document["rule_changes"][1]["fields"] == ["threshold"]
