"""``customer show`` and ``points``: level, balance, history, referral state and the engine's reasons."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from cli_kit import Setup

from loyalty_connector.store import open_store

NOW = "2026-11-20T12:00:00Z"


@pytest.fixture(scope="module")
def busiest(backfilled: Setup) -> tuple[str, str]:
    """(customer id, e-mail) of the customer with the most ledger entries."""
    store = open_store(backfilled.store)
    try:
        counts = Counter(e.customer_key for e in store.ledger_entries("shop"))
    finally:
        store.close()
    key = max(counts, key=lambda k: (counts[k], k))
    return key, backfilled.shop.customers[int(key)]["email"]


def test_customer_show_gives_level_points_referral_code_and_recent_ledger(
    backfilled: Setup, busiest: tuple[str, str]
) -> None:
    key, email = busiest
    result = backfilled.run("customer", "show", key, "--now", NOW)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"customer {key} of shop:")
    assert f"<{email}>" in lines[0]
    assert any(line.startswith("level ") for line in lines)
    assert any(line.startswith("points ") and "available" in line for line in lines)
    assert any(line.startswith("referrals  code KONTOR-") for line in lines)
    assert any(line.startswith("ledger ") for line in lines)
    assert "why, rule by rule" not in result.stdout


def test_explain_says_why_each_rule_did_or_did_not_apply(backfilled: Setup, busiest: tuple[str, str]) -> None:
    key, _ = busiest
    result = backfilled.run("customer", "show", key, "--explain", "--now", NOW)
    assert result.exit_code == 0
    why = result.stdout.split("why, rule by rule (✓ given, ✗ not given):\n", 1)[1]
    assert "spend-points" in why
    assert "✓" in why
    assert "silver" in why or "gold" in why
    assert "birthday-20" in why


def test_customer_show_json_parses_and_matches_the_points_commands(
    backfilled: Setup, busiest: tuple[str, str]
) -> None:
    key, _ = busiest
    data = json.loads(backfilled.run("customer", "show", key, "--json", "--now", NOW).stdout)
    assert data["customer"]["id"] == key
    assert data["source"] == "shop"
    assert {o["rule_id"] for o in data["outcomes"]} >= {"spend-points", "thank-you-5"}
    assert data["referral"]["code"].startswith("KONTOR-")
    balance = json.loads(backfilled.run("points", "balance", key, "--json", "--now", NOW).stdout)
    assert balance["available"] == data["points"]["available"]
    assert balance["pending"] == data["points"]["pending"]


def test_a_customer_is_found_by_email_as_well_as_by_id(backfilled: Setup, busiest: tuple[str, str]) -> None:
    key, email = busiest
    by_id = backfilled.run("customer", "show", key, "--now", NOW, "--offline").stdout
    by_email = backfilled.run("customer", "show", email.upper(), "--now", NOW, "--offline").stdout
    assert by_id == by_email


def test_now_makes_the_answer_reproducible(backfilled: Setup, busiest: tuple[str, str]) -> None:
    key, _ = busiest
    first = backfilled.run("customer", "show", key, "--explain", "--now", NOW, "--offline").stdout
    second = backfilled.run("customer", "show", key, "--explain", "--now", NOW, "--offline").stdout
    assert first == second
    assert "as of 2026-11-20 12:00 UTC" in first


def test_an_unknown_customer_fails_with_one_line(backfilled: Setup) -> None:
    result = backfilled.run("customer", "show", "nobody@example.invalid")
    assert result.exit_code == 1
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error: no customer 'nobody@example.invalid' in shop")


def test_points_history_lists_only_entries_that_moved_points(
    backfilled: Setup, busiest: tuple[str, str]
) -> None:
    key, _ = busiest
    data = json.loads(backfilled.run("points", "history", key, "--json").stdout)
    assert data["entries"]
    assert all(row["points"] != 0 for row in data["entries"])
    text = backfilled.run("points", "history", key, "--limit", "3")
    assert text.exit_code == 0
    assert text.stdout.splitlines()[0].split() == [
        "DATE",
        "KIND",
        "RULE",
        "POINTS",
        "AVAILABLE",
        "EXPIRES",
        "REASON",
    ]
    assert len(text.stdout.splitlines()) == 4


def test_points_balance_at_an_instant_before_any_order_is_zero(
    backfilled: Setup, busiest: tuple[str, str]
) -> None:
    key, _ = busiest
    result = backfilled.run("points", "balance", key, "--now", "2020-01-01")
    assert result.exit_code == 0
    assert ": 0 points available (worth 0.00 EUR), 0 pending" in result.stdout
