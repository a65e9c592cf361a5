"""Plan/apply against the sandbox shops over HTTP: programmes, store building, one shared suite.

A *kit* wraps one started sandbox shop (:class:`MagentoPlanKit`, :class:`ShopwarePlanKit`): it builds
adapters (no real sleeping on retries), changes managed objects "by hand" the way the shop's admin
would, adds hand-made objects, snapshots what the merchant owns, and knows exactly which changes the
programme change below must cause in its shop. :class:`PlanApplySuite` holds the tests both shops run;
each shop's test module subclasses it and provides the ``kit`` fixture.
"""

from __future__ import annotations

import copy
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from loyalty_connector.adapter import ShopAdapter, Stream
from loyalty_connector.engine.results import IntentKind, LedgerIntent, intent_key
from loyalty_connector.http import RetryPolicy
from loyalty_connector.plan import Plan, apply, make_plan
from loyalty_connector.program import Program, parse_program
from loyalty_connector.sandbox_server import SandboxServer
from loyalty_connector.store import Store, open_store
from loyalty_connector.sync import SyncRunner

SOURCE = "shop"
SEED = 11
CUSTOMERS = 25
ORDERS = 200
REFERRAL_SECRET = b"plan-referral-secret"
COUPON_SECRET = b"plan-coupon-secret"
CHANNEL = "98432def39fc4624b33213a56b8c944d"  # the Shopware sandbox storefront

PROGRAM_YAML = """
name: Plan test programme
currency: EUR
timezone: Europe/Berlin
levels:
  window_days: 365
  grace_days: 30
  levels:
    - {id: bronze, name: Bronze, customer_group: Loyalty Bronze, min_orders: 1}
    - {id: silver, name: Silver, customer_group: Loyalty Silver, min_spend: 3000, min_orders: 3}
    - {id: gold, name: Gold, customer_group: Loyalty Gold, min_spend: 8000, min_orders: 5}
tier_prices:
  - id: gold-paper
    skus: [PAPER-A4]
    customer_groups: [Loyalty Gold]
    breaks: [{min_qty: 10, unit_price: 3.90}, {min_qty: 50, percent_off: 12}]
  - {id: toner-volume, skus: [TONER-BLK], breaks: [{min_qty: 5, percent_off: 5}]}
free_products:
  thresholds:
    - {id: gift-500, threshold: 500, gift_sku: STAPLER-HD}
    - {id: gift-2000, threshold: 2000, gift_sku: MARKER-SET-8, gift_qty: 2, customer_groups: [Loyalty Silver]}
referrals:
  referee_discount: {percent: 10}
  referrer_reward: {coupon_amount: 25}
coupons:
  next_purchase:
    - {id: thank-you-5, discount: {percent: 5}, valid_days: 60, min_subtotal: 500}
  birthday: {id: birthday-20, discount: {amount: 20}, days_before: 7, days_after: 14}
"""

CHANGED_YAML = (
    PROGRAM_YAML.replace("threshold: 500,", "threshold: 750,")
    .replace(
        "    - {id: gold, name: Gold, customer_group: Loyalty Gold, min_spend: 8000, min_orders: 5}\n", ""
    )
    .replace(
        "  - id: gold-paper\n    skus: [PAPER-A4]\n    customer_groups: [Loyalty Gold]\n"
        "    breaks: [{min_qty: 10, unit_price: 3.90}, {min_qty: 50, percent_off: 12}]\n",
        "",
    )
)
"""The gift-500 threshold raised to 750 EUR, the Gold level (and its tier prices) dropped."""


def program() -> Program:
    return parse_program(PROGRAM_YAML)


def changed_program() -> Program:
    return parse_program(CHANGED_YAML)


Slot = tuple[str, str, str]
"""(action, kind, key) of a change."""


def slots(plan: Plan) -> set[Slot]:
    return {(c.action, c.kind, c.key) for c in plan.changes}


@dataclass
class PlanKit:
    """One started sandbox shop and what the plan tests need from it."""

    shop: SandboxServer
    source: str = SOURCE
    now: datetime = field(init=False)

    def __post_init__(self) -> None:
        self.now = self.shop_time() + timedelta(days=1)

    # what each shop provides
    def shop_time(self) -> datetime:
        raise NotImplementedError

    def adapter(self, *, attempts: int = 3) -> ShopAdapter:
        raise NotImplementedError

    def merchant_objects(self) -> dict[str, Any]:
        """Everything in the shop loyalty-connector must never touch."""
        raise NotImplementedError

    def add_hand_made_rule(self) -> None:
        """A rule or promotion a person made, named like ours."""
        raise NotImplementedError

    def edit_by_hand(self) -> tuple[str, str, str]:
        """Change one field of a managed object as the admin would; return (kind, key, field)."""
        raise NotImplementedError

    def group_of(self, customer_key: str) -> str:
        """The shop's current group id of a customer."""
        raise NotImplementedError

    def writes_since(self, index: int) -> list[str]:
        """Requests after ``index`` that change the shop (``METHOD path``)."""
        raise NotImplementedError

    def expected_changes(self, gold_customers: set[str]) -> set[Slot]:
        """The changes :data:`CHANGED_YAML` must cause after the original programme was applied."""
        raise NotImplementedError

    # shared
    def build_store(self, path: Path) -> Store:
        store = open_store(path)
        SyncRunner(
            store, self.adapter(), program(), referral_secret=REFERRAL_SECRET, clock=lambda: self.now
        ).run()
        return store

    def plan(
        self, store: Store, programme: Program | None = None, adapter: ShopAdapter | None = None
    ) -> Plan:
        return make_plan(
            programme or program(),
            store,
            adapter or self.adapter(),
            now=self.now,
            coupon_secret=COUPON_SECRET,
        )

    def apply_all(self, store: Store, programme: Program | None = None) -> Plan:
        adapter = self.adapter()
        planned = self.plan(store, programme, adapter)
        report = apply(planned, adapter, store, batch_size=25)
        assert report.ok, report.to_json()
        return planned


def gold_customers(store: Store) -> set[str]:
    """Customers whose latest level entry is Gold."""
    held: dict[str, str] = {}
    for entry in store.ledger_entries(SOURCE, kinds=[IntentKind.LEVEL]):
        held[entry.customer_key] = entry.attribute("to") or "none"
    return {key for key, level in held.items() if level == "gold"}


def copy_store(source: Path, target: Path) -> Path:
    src, dst = sqlite3.connect(str(source)), sqlite3.connect(str(target))
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    return target


def fault_free(policy_attempts: int) -> RetryPolicy:
    return RetryPolicy(max_attempts=policy_attempts, backoff=0.0, jitter=0.0)


def frozen(value: Any) -> Any:
    return copy.deepcopy(value)


class PlanApplySuite:
    """The plan/apply behaviour every shop must show. Subclasses provide ``kit`` and ``template``."""

    @pytest.fixture
    def kit(self) -> PlanKit:
        raise NotImplementedError

    @pytest.fixture
    def template(self) -> Path:
        """A store synced from a shop seeded like ``kit``'s (built once per module)."""
        raise NotImplementedError

    @pytest.fixture
    def store(self, kit: PlanKit, template: Path, tmp_path: Path) -> Iterator[Store]:
        opened = open_store(copy_store(template, tmp_path / "loyalty.db"))
        yield opened
        opened.close()

    def test_a_plan_on_an_empty_shop_creates_every_object_and_writes_nothing(
        self, kit: PlanKit, store: Store
    ) -> None:
        before = kit.merchant_objects()
        requests_before = len(kit.shop.requests)
        planned = kit.plan(store)
        state = planned.state
        counts = planned.counts_by_kind()
        assert planned.counts()["update"] == planned.counts()["delete"] == 0
        assert counts["customer_group"]["create"] == 3
        assert counts["group_assignment"]["create"] == len(state.assignments) > 0
        assert state.referral is not None
        assert len(state.referral.codes) == len(list(store.records(SOURCE, Stream.CUSTOMERS))) > 0
        assert state.coupons, "the sandbox history must leave coupons valid at the plan's instant"
        assert kit.writes_since(requests_before) == []
        assert kit.merchant_objects() == before
        assert store.applied_objects(SOURCE) == []

    def test_after_apply_the_next_plan_is_empty_and_the_merchants_objects_are_untouched(
        self, kit: PlanKit, store: Store
    ) -> None:
        before = kit.merchant_objects()
        applied = kit.apply_all(store)
        again = kit.plan(store)
        assert not again.has_changes, [i.to_json() for i in again.items[:5]]
        assert again.drift == ()
        assert kit.merchant_objects() == before
        recorded = {(a.kind, a.key) for a in store.applied_objects(SOURCE)}
        assert recorded == {(c.kind, c.key) for c in applied.changes}
        codes = {a.notes.get("ledger_key") for a in store.applied_objects(SOURCE)} - {None}
        assert codes == {c.ledger_key for c in applied.state.coupons}

    def test_raising_a_threshold_and_dropping_a_level_plans_exactly_those_changes(
        self, kit: PlanKit, store: Store
    ) -> None:
        kit.apply_all(store)
        gold = gold_customers(store)
        assert gold, "the sandbox history must have Gold customers"
        changed = kit.plan(store, changed_program())
        assert slots(changed) == kit.expected_changes(gold)
        kit.apply_all(store, changed_program())
        assert not kit.plan(store, changed_program()).has_changes

    def test_a_hand_made_rule_is_never_touched_and_hand_changes_show_as_drift(
        self, kit: PlanKit, store: Store
    ) -> None:
        kit.apply_all(store)
        kit.add_hand_made_rule()
        before = kit.merchant_objects()
        kind, key, name = kit.edit_by_hand()
        drifted = kit.plan(store)
        [drift] = drifted.drift
        assert (drift.kind, drift.key) == (kind, key)
        assert name in {d.name.split(".")[0] for d in drift.diffs}
        assert slots(drifted) == {("update", kind, key)}
        kit.apply_all(store)
        assert not kit.plan(store).has_changes
        assert kit.merchant_objects() == before

    def test_a_customer_who_loses_their_level_goes_back_to_their_own_group(
        self, kit: PlanKit, store: Store
    ) -> None:
        applied = kit.apply_all(store)
        [assignment] = [a for a in applied.state.assignments if a.home_group_id is not None][:1]
        key, home = assignment.customer_key, assignment.home_group_id
        assert kit.group_of(key) != home
        lost = LedgerIntent(
            key=intent_key("bronze", IntentKind.LEVEL, SOURCE, key, "level:test:none"),
            kind=IntentKind.LEVEL,
            rule_id="bronze",
            source=SOURCE,
            customer_key=key,
            record="level:test:none",
            effective_at=kit.now,
            reason="moved down to no level",
            attributes=(("from", assignment.level_id), ("to", "none")),
        )
        store.record_intents(SOURCE, [lost], at=kit.now)
        released = kit.plan(store)
        assert slots(released) == {("delete", "group_assignment", key)}
        kit.apply_all(store)
        assert kit.group_of(key) == home
        assert not kit.plan(store).has_changes
        assert (("group_assignment", key)) not in {(a.kind, a.key) for a in store.applied_objects(SOURCE)}

    def test_an_apply_interrupted_by_faults_reports_what_is_left_and_a_rerun_finishes_it(
        self, kit: PlanKit, store: Store
    ) -> None:
        adapter = kit.adapter(attempts=1)
        planned = kit.plan(store, adapter=adapter)
        kit.shop.faults.configure(error_rate=0.35, kinds=("503", "500"), seed=SEED, retry_after=None)
        first = apply(planned, adapter, store, batch_size=10)
        kit.shop.faults.clear()
        assert not first.ok
        assert first.succeeded, "some changes must get through before the faults stop the rest"
        left = len(first.failed) + len(first.not_attempted)
        assert left > 0
        rest = kit.plan(store)
        assert 0 < len(rest.items) < len(planned.items)
        finished = apply(rest, kit.adapter(), store)
        assert finished.ok, finished.to_json()
        assert not kit.plan(store).has_changes
