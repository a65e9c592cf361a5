"""The CLI's front matter: programme validation, schema, adapters, global options, usage errors."""

from __future__ import annotations

import json
from pathlib import Path

from cli_kit import EXAMPLE
from click.testing import CliRunner

from loyalty_connector.cli import main


def test_rules_validate_accepts_the_example_programme_and_counts_its_rules() -> None:
    result = CliRunner().invoke(main, ["rules", "validate", str(EXAMPLE)])
    assert result.exit_code == 0
    assert "valid — 12 rules" in result.stdout
    assert "tier_prices 2" in result.stdout


def test_rules_validate_names_file_line_and_field_of_every_problem(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\ncurrency: EUR\ntier_prices:\n  - id: t\n    skus: [A]\n    breaks: []\n")
    result = CliRunner().invoke(main, ["rules", "validate", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}:6: tier_prices.0.breaks:" in result.stderr
    assert "Traceback" not in result.output


def test_rules_schema_prints_a_json_schema() -> None:
    result = CliRunner().invoke(main, ["rules", "schema"])
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert schema["title"] == "loyalty-connector programme"
    assert "sources" in schema["properties"]


def test_config_is_accepted_after_the_command_too(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["rules", "validate", "--config", str(EXAMPLE)])
    assert result.exit_code == 0
    assert str(EXAMPLE) in result.stdout


def test_config_from_the_environment_is_used_and_a_flag_wins_over_it(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.yaml"
    from_env = CliRunner().invoke(main, ["rules", "validate"], env={"LOYALTY_CONNECTOR_CONFIG": str(EXAMPLE)})
    assert from_env.exit_code == 0
    flag_wins = CliRunner().invoke(
        main, ["--config", str(missing), "rules", "validate"], env={"LOYALTY_CONNECTOR_CONFIG": str(EXAMPLE)}
    )
    assert flag_wins.exit_code == 1
    assert str(missing) in flag_wins.stderr


def test_a_missing_programme_file_fails_with_one_line_and_exit_1(tmp_path: Path) -> None:
    missing = tmp_path / "loyalty.yaml"
    for command in (["sync"], ["backfill", "--since", "2024-01-01"], ["customer", "show", "1"]):
        result = CliRunner().invoke(main, ["--config", str(missing), *command])
        assert result.exit_code == 1, command
        lines = result.stderr.strip().splitlines()
        assert lines == [f"error: programme file {missing} does not exist; pass --config FILE"]


def test_bad_arguments_exit_2_with_the_usage_message() -> None:
    for args in (
        ["backfill"],
        ["sync", "--page-size", "0"],
        ["backfill", "--since", "yesterday-ish"],
        ["ledger", "export", "--format", "xml"],
        ["sync", "--no-such-option"],
        ["no-such-command"],
    ):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 2, args
        assert "Usage:" in result.stderr


def test_backfill_refuses_an_empty_span_as_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["backfill", "--since", "2025-01-02", "--until", "2025-01-01"])
    assert result.exit_code == 2
    assert "is not before" in result.stderr


def test_sources_list_shows_the_adapters_found_through_entry_points() -> None:
    text = CliRunner().invoke(main, ["sources", "list"])
    assert text.exit_code == 0
    assert "magento" in text.stdout
    data = json.loads(CliRunner().invoke(main, ["sources", "list", "--json"]).stdout)
    names = {row["name"]: row for row in data["adapters"]}
    assert names["magento"]["sandbox"] is True


def test_sandbox_serve_rejects_an_adapter_without_a_sandbox() -> None:
    result = CliRunner().invoke(main, ["sandbox", "serve", "woocommerce"])
    assert result.exit_code == 2
    assert "no sandbox for 'woocommerce'" in result.stderr


def test_the_rules_group_carries_plan_apply_and_simulate() -> None:
    result = CliRunner().invoke(main, ["rules", "--help"])
    assert result.exit_code == 0
    commands = {
        line.split()[0] for line in result.stdout.split("Commands:\n", 1)[1].splitlines() if line.strip()
    }
    assert commands == {"apply", "plan", "schema", "simulate", "validate"}
