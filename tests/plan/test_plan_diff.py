"""Comparing wanted fields with what a shop answers: by meaning, not by type."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from loyalty_connector.diff import FieldDiff, field_diffs, jsonable, same_value

AT = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("want", "have"),
    [
        (Decimal("22.50"), 22.5),
        ("500", 500),
        (Decimal(100), "100.0"),
        (AT, "2026-06-01T14:00:00.000+02:00"),
        ({"a": 1}, {"a": 1, "operator": None}),
        ([{"type": "x"}], [{"type": "x", "extra": True}]),
        (None, None),
        (True, True),
    ],
)
def test_values_that_mean_the_same_are_the_same(want: object, have: object) -> None:
    assert same_value(want, have)


@pytest.mark.parametrize(
    ("want", "have"),
    [
        (Decimal("22.50"), 22.49),
        ("REF-A", "ref-a"),
        (True, "1"),
        (None, ""),
        ([1, 2], [1, 2, 3]),
        ({"a": 1}, {"b": 1}),
        (AT, AT + timedelta(milliseconds=1)),
        (False, None),
    ],
)
def test_values_that_differ_are_different(want: object, have: object) -> None:
    assert not same_value(want, have)


def test_a_nested_change_is_named_by_its_path_down_to_the_leaf() -> None:
    want = {
        "name": "gift",
        "condition": {"conditions": [{"attribute": "subtotal", "value": "750"}]},
        "qty": 1,
    }
    have = {
        "name": "gift",
        "condition": {"conditions": [{"attribute": "subtotal", "value": "500"}]},
        "qty": 1,
    }
    assert field_diffs(want, have) == (FieldDiff("condition.conditions[0].value", "500", "750"),)


def test_lists_of_different_length_are_one_change() -> None:
    assert field_diffs({"ids": [1, 2]}, {"ids": [1]}) == (FieldDiff("ids", [1], [1, 2]),)


def test_json_keeps_decimals_and_instants_exact() -> None:
    assert jsonable({"p": Decimal("0.10"), "at": AT, "xs": (Decimal(1),)}) == {
        "p": "0.10",
        "at": "2026-06-01T12:00:00+00:00",
        "xs": ["1"],
    }
