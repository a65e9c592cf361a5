"""Results are frozen, comparable values however they are built; keys keep their one format."""

from __future__ import annotations

import copy
import dataclasses
import inspect
import pickle
from datetime import datetime, timezone
from decimal import Decimal

import pytest

from loyalty_connector.engine.results import (
    IntentKind,
    LedgerIntent,
    RuleOutcome,
    intent_key,
    intent_key_prefix,
    new_intent,
    new_outcome,
)

AT = datetime(2026, 3, 2, 10, 0, tzinfo=timezone.utc)


def intent(**changes: object) -> LedgerIntent:
    fields: dict[str, object] = {
        "key": "spend/earn/shop/c1/order:1",
        "kind": IntentKind.EARN,
        "rule_id": "spend",
        "source": "shop",
        "customer_key": "c1",
        "record": "order:1",
        "effective_at": AT,
        "reason": "10 points",
        "points": 10,
        "available_at": AT,
        "attributes": (("base", "10.00"),),
    }
    return LedgerIntent(**{**fields, **changes})  # type: ignore[arg-type]


def test_a_ledger_intent_keeps_its_defaults_and_compares_and_hashes_by_value() -> None:
    built = intent()
    assert (built.amount, built.currency, built.percent, built.expires_at, built.reverses) == (None,) * 5
    assert built == intent()
    assert hash(built) == hash(intent())
    assert built != intent(points=11)
    assert len({built, intent(), intent(points=11)}) == 2


def test_a_ledger_intent_is_frozen_and_survives_replace_copy_pickle_and_asdict() -> None:
    built = intent()
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.points = 3  # type: ignore[misc]
    assert dataclasses.replace(built, points=3).points == 3
    assert copy.deepcopy(built) == built
    assert pickle.loads(pickle.dumps(built)) == built  # noqa: S301 (bytes this test just made)
    assert dataclasses.asdict(built)["attributes"] == (("base", "10.00"),)


def test_a_rule_outcome_is_a_frozen_value_with_optional_progress() -> None:
    outcome = RuleOutcome("gift", False, "add 5.00 EUR", Decimal("0.5"), "5.00 EUR")
    assert outcome == RuleOutcome("gift", False, "add 5.00 EUR", progress=Decimal("0.5"), missing="5.00 EUR")
    assert RuleOutcome("gift", True, "given").progress is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        outcome.applied = True  # type: ignore[misc]


@pytest.mark.parametrize("kind", [IntentKind.EARN, "earn"])
def test_an_intent_key_is_its_prefix_followed_by_the_record(kind: IntentKind | str) -> None:
    key = intent_key("spend-points", kind, "magento-de", "1042", "order:100000123")
    assert key == "spend-points/earn/magento-de/1042/order:100000123"
    assert key == intent_key_prefix("spend-points", kind, "magento-de", "1042") + "order:100000123"


@pytest.mark.parametrize("cls", [LedgerIntent, RuleOutcome])
def test_the_hand_written_constructor_takes_every_field_in_order_with_its_default(cls: type) -> None:
    parameters = list(inspect.signature(cls.__init__).parameters.values())[1:]
    fields = dataclasses.fields(cls)
    assert [p.name for p in parameters] == [f.name for f in fields]
    assert [p.default for p in parameters] == [
        inspect.Parameter.empty if f.default is dataclasses.MISSING else f.default for f in fields
    ]


def _builders() -> list[tuple[type, type]]:
    from loyalty_connector.engine import account, cart, customer, levels, results

    return [
        (results._IntentBuilder, LedgerIntent),
        (results._OutcomeBuilder, RuleOutcome),
        (account._ClaimBuilder, account.ReversalClaim),
        (cart._ResultBuilder, cart.CartResult),
        (customer._ResultBuilder, customer.CustomerResult),
        (levels._StateBuilder, levels.LevelState),
        (levels._TimelineBuilder, levels.LevelTimeline),
    ]


@pytest.mark.parametrize(("builder", "cls"), _builders())
def test_each_fast_builder_takes_the_fields_of_its_class_in_order(builder: type, cls: type) -> None:
    parameters = list(inspect.signature(builder.__init__).parameters.values())[1:]
    assert [p.name for p in parameters] == [f.name for f in dataclasses.fields(cls)]


def test_an_intent_from_the_engine_builder_is_an_ordinary_frozen_ledger_intent() -> None:
    fields = dataclasses.asdict(intent())
    built = new_intent(**fields)
    assert type(built) is LedgerIntent
    assert built == intent()
    assert hash(built) == hash(intent())
    assert repr(built) == repr(intent())
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.points = 3  # type: ignore[misc]
    assert pickle.loads(pickle.dumps(built)) == built  # noqa: S301 (bytes this test just made)
    assert dataclasses.replace(built, points=3) == intent(points=3)


def test_an_outcome_from_the_engine_builder_is_an_ordinary_rule_outcome() -> None:
    built = new_outcome("gift", False, "add 5.00 EUR", Decimal("0.5"), "5.00 EUR")
    assert type(built) is RuleOutcome
    assert built == RuleOutcome("gift", False, "add 5.00 EUR", Decimal("0.5"), "5.00 EUR")
    assert new_outcome("gift", True, "given") == RuleOutcome("gift", True, "given")


def test_a_builder_whose_slots_differ_from_its_class_is_refused_at_import() -> None:
    from loyalty_connector.engine.slots import check_builder

    class Wrong:
        __slots__ = ("applied", "missing", "progress", "reason", "rule_id")

    with pytest.raises(TypeError, match="slots and bases of RuleOutcome"):
        check_builder(Wrong, RuleOutcome)
