"""``loyalty-connector demo`` at small sizes: both sandboxes, backfill, summary, plan/apply, a sync."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_kit import EXAMPLE
from click.testing import CliRunner

from loyalty_connector.cli import main
from loyalty_connector.demo import sample_program, sample_program_text
from loyalty_connector.program import load_program

SMALL = ["--customers", "40", "--orders", "200", "--now", "2026-11-20T12:00:00Z"]


@pytest.fixture(scope="module")
def demo_json(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    store = tmp_path_factory.mktemp("demo") / "demo.db"
    result = CliRunner().invoke(
        main,
        ["--config", str(EXAMPLE), "demo", *SMALL, "--json", "--store", str(store)],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    data: dict[str, object] = json.loads(result.stdout)
    assert store.exists()
    return data


def test_the_demo_backfills_both_sandbox_shops(demo_json: dict[str, object]) -> None:
    shops = {shop["source"]: shop for shop in demo_json["shops"]}  # type: ignore[attr-defined]
    assert set(shops) == {"magento-demo", "shopware-demo"}
    for run in demo_json["backfills"]:  # type: ignore[attr-defined]
        assert run["streams"]["orders"]["inserted"] == 200
        assert all(counts["quarantined"] == 0 for counts in run["streams"].values())
        assert run["ledger_entries_added"] > 0


def test_the_summary_tallies_rules_levels_and_the_cart_replay(demo_json: dict[str, object]) -> None:
    summary = demo_json["summary"]
    rules = {(t["rule_id"], t["kind"]) for t in summary["rules"]}  # type: ignore[index]
    assert ("spend-points", "earn") in rules
    assert ("welcome-bonus", "bonus") in rules
    levels = {level["name"]: level["customers"] for level in summary["levels"]}  # type: ignore[index]
    assert set(levels) == {"Gold", "Silver", "Bronze", "no level"}
    assert sum(levels.values()) >= 70
    replay = demo_json["replay"]
    assert replay["orders"] + replay["skipped"] == 400  # type: ignore[index]
    assert {g["rule_id"] for g in replay["gifts"]} == {"gift-stapler", "gift-pens"}  # type: ignore[index]
    assert all(t["examples"] or t["lines"] == 0 for t in replay["tiers"])  # type: ignore[index]


def test_the_programme_is_applied_to_each_shop_and_a_second_plan_has_no_changes(
    demo_json: dict[str, object],
) -> None:
    applied = {a["source"]: a for a in demo_json["applied"]}  # type: ignore[attr-defined]
    assert set(applied) == {"magento-demo", "shopware-demo"}
    for pushed in applied.values():
        assert pushed["ok"], pushed
        assert pushed["after"] == {"create": 0, "update": 0, "delete": 0}
        kinds = {k["kind"]: k for k in pushed["kinds"]}
        assert kinds["customer_group"]["create"] == 3
        assert kinds["group_assignment"]["create"] > 0
        for counts in kinds.values():
            planned = counts["create"] + counts["update"] + counts["delete"]
            assert counts["ok"] == planned > 0
            assert counts["failed"] == 0
    magento = {k["kind"] for k in applied["magento-demo"]["kinds"]}
    shopware = {k["kind"] for k in applied["shopware-demo"]["kinds"]}
    # coupon codes need the demo secret; Shopware promotions need the storefront's sales channel
    assert {"cart_rule", "coupon", "tier_price"} <= magento
    assert {"promotion", "promotion_code", "tier_price"} <= shopware


def test_the_incremental_sync_reads_only_the_changes_and_pays_the_referral(
    demo_json: dict[str, object],
) -> None:
    for sync in demo_json["syncs"]:  # type: ignore[attr-defined]
        customers, orders = sync["streams"]["customers"], sync["streams"]["orders"]
        assert customers["inserted"] == 2
        assert orders["inserted"] == 2
        assert sum(s["read"] for s in sync["streams"].values()) < 400
        kinds = {entry["kind"] for entry in sync["entries"]}
        assert {"referral_reward", "referral_rejected"} <= kinds
        rejected = next(e for e in sync["entries"] if e["kind"] == "referral_rejected")
        assert "reason=self_referral:company" in rejected["attributes"]
    assert set(demo_json["changes"]) == {"magento-demo", "shopware-demo"}  # type: ignore[arg-type]


def test_the_text_demo_prints_every_section_without_tracebacks() -> None:
    result = CliRunner().invoke(main, ["--config", str(EXAMPLE), "demo", *SMALL, "--adapter", "magento"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    headings = ("1. Sandbox shops", "2. Backfill", "3. What each rule did", "4. The sample programme")
    for heading in (*headings, "5. A few changes"):
        assert heading in out
    step = out[out.index("4. The sample programme") : out.index("5. A few changes")]
    assert "magento-demo: planned " in step
    assert " ok and 0 failed in " in step
    assert "KIND" in step
    assert "CREATE" in step
    assert "customer_group" in step
    assert step.rstrip().endswith("plan after apply: no changes")
    assert "a temporary store, removed at the end" in out
    assert "fixed demo secret" in out
    assert "e.g. " in out
    assert "referral reward for referee" in out
    assert out.rstrip().splitlines()[-1].startswith("done in ")
    assert "Traceback" not in result.output


def test_the_packaged_sample_programme_is_the_one_examples_links_to() -> None:
    assert EXAMPLE.read_text(encoding="utf-8") == sample_program_text()


def test_the_sample_programme_loads_from_any_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = load_program(EXAMPLE).model_dump()
    monkeypatch.chdir(tmp_path)
    assert not Path("examples").exists()
    assert sample_program().model_dump() == expected


def test_the_demo_command_finds_its_programme_outside_the_repository(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    env = {"LOYALTY_CONNECTOR_CONFIG": None}
    result = CliRunner().invoke(main, ["demo", "--adapter", "no-such-shop"], env=env)
    # the programme loaded; the run stops only at the (deliberately) missing sandbox
    assert result.exit_code == 1
    assert "no adapter with a sandbox shop is installed" in result.output
    assert "does not exist" not in result.output


def test_an_explicit_config_still_wins_over_the_packaged_sample(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["demo", "--config", "mine.yaml", "--adapter", "no-such-shop"])
    assert result.exit_code == 1
    assert "programme file mine.yaml does not exist" in result.output
