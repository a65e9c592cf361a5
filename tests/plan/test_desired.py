"""The shop-neutral desired state computed from the programme and a store synced from the Magento sandbox."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from plan_kits import MagentoPlanKit
from plan_shops import (
    COUPON_SECRET,
    CUSTOMERS,
    ORDERS,
    SEED,
    SOURCE,
    changed_program,
    gold_customers,
    program,
)

from loyalty_connector.adapter import Stream
from loyalty_connector.desired import ShopFacts, coupon_code, desired_state
from loyalty_connector.engine.results import IntentKind
from loyalty_connector.errors import ConfigurationError
from loyalty_connector.plan import make_plan
from loyalty_connector.program import parse_program
from loyalty_connector.store import Store
from loyalty_connector_magento.sandbox import MagentoSandbox


@pytest.fixture(scope="module")
def synced(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, MagentoPlanKit]]:
    with MagentoSandbox(seed=SEED, customers=CUSTOMERS, orders=ORDERS) as shop:
        kit = MagentoPlanKit(shop)
        store = kit.build_store(Path(tmp_path_factory.mktemp("desired")) / "loyalty.db")
        yield store, kit
        store.close()


def latest_levels(store: Store) -> dict[str, str]:
    held: dict[str, str] = {}
    for entry in store.ledger_entries(SOURCE, kinds=[IntentKind.LEVEL]):
        held[entry.customer_key] = entry.attribute("to") or "none"
    return held


def test_each_customer_with_a_level_is_assigned_the_group_of_their_latest_level_entry(synced) -> None:
    store, kit = synced
    state = desired_state(program(), store, SOURCE, now=kit.now)
    groups = {level.id: level.customer_group for level in program().levels.levels}  # type: ignore[union-attr]
    expected = {key: groups[level] for key, level in latest_levels(store).items() if level != "none"}
    assert {a.customer_key: a.group_code for a in state.assignments} == expected
    assert [g.group_code for g in state.levels] == ["Loyalty Bronze", "Loyalty Silver", "Loyalty Gold"]
    assert state.releases == ()
    homes = {c.key: c.group_id for c in store.records(SOURCE, Stream.CUSTOMERS)}
    assert all(a.home_group_id == homes[a.customer_key] for a in state.assignments)


def test_customers_at_a_level_the_programme_dropped_are_placed_by_its_remaining_levels(synced) -> None:
    store, kit = synced
    gold = gold_customers(store)
    assert gold
    state = desired_state(changed_program(), store, SOURCE, now=kit.now)
    placed = {a.customer_key: a.level_id for a in state.assignments if a.customer_key in gold}
    assert set(placed) == gold
    assert set(placed.values()) <= {"silver", "bronze"}
    assert any("no longer has" in warning for warning in state.warnings)


def test_customers_without_a_level_in_a_loyalty_group_are_released_to_their_home_group(synced) -> None:
    store, kit = synced
    without = sorted(k for k, level in latest_levels(store).items() if level == "none")
    assert without
    released = without[0]
    facts = ShopFacts(assigned=frozenset({released}), home_groups={released: "2"})
    state = desired_state(program(), store, SOURCE, now=kit.now, facts=facts)
    [release] = state.releases
    home = next(c.group_id for c in store.records(SOURCE, Stream.CUSTOMERS) if c.key == released)
    assert (release.customer_key, release.home_group_id) == (released, home)


def test_only_coupons_valid_at_the_instant_are_issued_and_their_codes_are_stable_and_secret(synced) -> None:
    store, kit = synced
    state = desired_state(program(), store, SOURCE, now=kit.now, coupon_secret=COUPON_SECRET)
    entries = {
        e.key: e for e in store.ledger_entries(SOURCE, kinds=[IntentKind.COUPON, IntentKind.REFERRAL_REWARD])
    }
    assert state.coupons
    for coupon in state.coupons:
        entry = entries[coupon.ledger_key]
        assert (entry.available_at or entry.effective_at) <= kit.now
        assert entry.expires_at is None or kit.now < entry.expires_at
        assert coupon.code == coupon_code(
            COUPON_SECRET, SOURCE, coupon.ledger_key, coupon.rule_key.split(":")[0]
        )
    valid_later = desired_state(
        program(), store, SOURCE, now=kit.now + timedelta(days=400), coupon_secret=COUPON_SECRET
    )
    assert {c.ledger_key for c in valid_later.coupons}.isdisjoint({c.ledger_key for c in state.coupons})
    other = desired_state(program(), store, SOURCE, now=kit.now, coupon_secret=b"another secret")
    assert {c.code for c in other.coupons}.isdisjoint({c.code for c in state.coupons})
    unsigned = desired_state(program(), store, SOURCE, now=kit.now)
    assert unsigned.coupons == ()
    assert any("LOYALTY_COUPON_SECRET" in warning for warning in unsigned.warnings)


def test_referral_codes_come_from_the_store(synced) -> None:
    store, kit = synced
    state = desired_state(program(), store, SOURCE, now=kit.now)
    assert state.referral is not None
    codes = {c.customer_key: c.code for c in state.referral.codes}
    assert codes == store.referral_codes(SOURCE, list(codes))
    assert (state.referral.percent, state.referral.amount) == (Decimal(10), None)


def test_tier_prices_gifts_and_coupon_rules_follow_the_programme(synced) -> None:
    store, kit = synced
    text = """
name: t
currency: EUR
timezone: Europe/Berlin
tier_prices:
  - {id: a, skus: [PAPER-A4], categories: [paper], breaks: [{min_qty: 10, unit_price: 3.9}]}
  - {id: b, skus: [PAPER-A4], breaks: [{min_qty: 10, unit_price: 3.5}, {min_qty: 20, percent_off: 10}]}
free_products:
  mode: highest
  thresholds:
    - {id: small, threshold: 100, gift_sku: CLIPS-28-100}
    - {id: big, threshold: 500, gift_sku: STAPLER-HD}
    - {id: old, threshold: 50, gift_sku: PEN-BLUE-50, valid_until: 2020-01-31}
coupons:
  next_purchase: [{id: np, discount: {amount: 15}, valid_days: 30}]
"""
    state = desired_state(parse_program(text), store, SOURCE, now=kit.now)
    assert [
        (t.rule_id, t.customer_group, t.min_qty, t.unit_price, t.percent_off) for t in state.tier_prices
    ] == [
        ("a", None, Decimal(10), Decimal("3.9"), None),
        ("b", None, Decimal(20), None, Decimal(10)),
    ]
    assert any("categories" in w for w in state.warnings)
    assert any("already set by rule 'a'" in w for w in state.warnings)
    gifts = {g.rule_id: g for g in state.gifts}
    assert set(gifts) == {"small", "big"}, "a threshold whose window has ended is not pushed"
    assert (gifts["small"].below, gifts["big"].below) == (Decimal(500), None)
    assert (gifts["big"].priority, gifts["small"].priority) == (1, 2)
    assert [(r.key, r.amount, r.percent) for r in state.coupon_rules] == [
        ("next_purchase:np", Decimal(15), None)
    ]
    assert state.referral is None
    assert state.assignments == ()


def test_planning_with_an_adapter_that_cannot_translate_fails_with_one_clear_error(synced) -> None:
    store, kit = synced

    class ReadOnlyAdapter:
        source = SOURCE

    with pytest.raises(ConfigurationError, match="no desired_objects"):
        make_plan(program(), store, ReadOnlyAdapter(), now=kit.now)  # type: ignore[arg-type]
