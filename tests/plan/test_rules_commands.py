"""``rules plan | apply | simulate`` in-process with click's CliRunner, against the Magento sandbox."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import pytest
import yaml
from click.testing import CliRunner
from plan_kits import MagentoPlanKit, magento_kit
from plan_shops import CHANGED_YAML, COUPON_SECRET, PROGRAM_YAML, REFERRAL_SECRET, SOURCE

from loyalty_connector.cli.rules import apply_command, plan_command, simulate_command
from loyalty_connector.program import Program, load_program


@dataclass
class Obj:
    """What the main CLI puts in ``ctx.obj``."""

    config: Path
    store: Path

    def store_file(self) -> Path:
        return self.store

    def program(self) -> Program:
        return load_program(self.config)


def rules_group(obj: Obj) -> click.Group:
    @click.group()
    @click.pass_context
    def rules(ctx: click.Context) -> None:
        ctx.obj = obj

    for command in (plan_command, apply_command, simulate_command):
        rules.add_command(command)
    return rules


@dataclass
class Setup:
    kit: MagentoPlanKit
    obj: Obj
    env: dict[str, str]

    def run(self, *args: str) -> Any:
        return CliRunner().invoke(
            rules_group(self.obj), [*args, "--now", self.kit.now.isoformat()], env=self.env
        )

    def managed_rules(self) -> list[str]:
        return [
            r["name"] for r in self.kit.magento.sales_rules.values() if str(r["name"]).startswith("[loyalty]")
        ]


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[Setup]:
    for kit in magento_kit():
        described = kit.shop.describe()
        document = yaml.safe_load(PROGRAM_YAML)
        document["sources"] = {SOURCE: described["source"]}
        config = tmp_path / "loyalty.yaml"
        config.write_text(yaml.safe_dump(document), encoding="utf-8")
        kit.build_store(tmp_path / "loyalty.db").close()
        env = {
            **described["env"],
            "LOYALTY_REFERRAL_SECRET": REFERRAL_SECRET.decode(),
            "LOYALTY_COUPON_SECRET": COUPON_SECRET.decode(),
        }
        yield Setup(kit, Obj(config, tmp_path / "loyalty.db"), env)


def test_plan_exits_2_with_changes_apply_executes_them_and_plan_then_exits_0(setup: Setup) -> None:
    planned = setup.run("plan", "--json", "--detailed-exitcode")
    assert planned.exit_code == 2, planned.output
    [document] = json.loads(planned.output)["plans"]
    assert document["counts"]["create"] > 0
    assert document["counts"]["update"] == document["counts"]["delete"] == 0
    applied = setup.run("apply", "--yes")
    assert applied.exit_code == 0, applied.output
    assert f"{document['counts']['create']} change(s) applied to {SOURCE}." in applied.output
    assert setup.managed_rules()
    again = setup.run("plan", "--detailed-exitcode")
    assert again.exit_code == 0, again.output
    assert "No changes" in again.output


def test_the_readable_plan_lists_field_changes_and_counts(setup: Setup) -> None:
    assert setup.run("apply", "--yes").exit_code == 0
    setup.obj.config.write_text(
        setup.obj.config.read_text(encoding="utf-8").replace("threshold: 500", "threshold: 750"),
        encoding="utf-8",
    )
    shown = setup.run("plan")
    assert shown.exit_code == 0, shown.output
    assert "~ cart_rule gift:gift-500" in shown.output
    assert 'condition.conditions[0].value: "500" -> "750"' in shown.output
    assert "Plan: 0 to create, 1 to update, 0 to delete." in shown.output


def test_apply_off_a_terminal_without_yes_refuses_and_changes_nothing(setup: Setup) -> None:
    refused = setup.run("apply")
    assert refused.exit_code == 1
    assert "refusing to apply without --yes" in refused.output
    assert setup.managed_rules() == []


def test_simulate_prints_a_summary_and_drills_down_to_one_customer(setup: Setup, tmp_path: Path) -> None:
    new = tmp_path / "new.yaml"
    document = yaml.safe_load(CHANGED_YAML)
    document["sources"] = yaml.safe_load(setup.obj.config.read_text(encoding="utf-8"))["sources"]
    new.write_text(yaml.safe_dump(document), encoding="utf-8")
    shown = setup.run("simulate", str(new), "--offline")
    assert shown.exit_code == 0, shown.output
    assert "move down (after the 30-day grace period)" in shown.output
    assert "rule levels/gold: removed" in shown.output
    drilled = setup.run("simulate", str(new), "--offline", "--json", "--customer", "1")
    assert drilled.exit_code == 0, drilled.output
    [sim] = json.loads(drilled.output)["simulations"]
    assert [c["customer_key"] for c in sim["customers"]] == ["1"]


def test_errors_are_one_line_without_a_traceback(setup: Setup, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\ncurrency: EUR\nlevels: {levels: []}\n", encoding="utf-8")
    invalid = setup.run("simulate", str(bad), "--offline")
    assert invalid.exit_code == 1
    assert "bad.yaml" in invalid.output
    assert "Traceback" not in invalid.output
    setup.obj.store.unlink()
    missing = setup.run("plan")
    assert missing.exit_code == 1
    assert "no state database" in missing.output
