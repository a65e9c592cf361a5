"""Helpers the CLI tests import: the example programme, a programme writer and :class:`Setup`.

A module of its own (not ``conftest``) so that test directories collected together never import
another directory's ``conftest`` under the same name.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner, Result

from loyalty_connector.cli import main
from loyalty_connector_magento.sandbox import MagentoSandbox

__all__ = ["EXAMPLE", "SECRET", "SINCE", "SOURCE", "Setup", "make_setup", "write_programme"]

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "loyalty.yaml"
SECRET = "cli-test-referral-secret-9f3c"
SOURCE = "shop"
SINCE = "2020-01-01"


def write_programme(path: Path, sources: dict[str, Any]) -> Path:
    """The example programme with ``sources`` replaced."""
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    data["sources"] = sources
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


@dataclass
class Setup:
    """A programme file, a store and the environment a CLI run needs."""

    shop: MagentoSandbox
    config: Path
    store: Path
    env: dict[str, str]

    def run(self, *args: str, env: dict[str, str] | None = None) -> Result:
        runner = CliRunner()
        base = ["--config", str(self.config), "--store", str(self.store)]
        return runner.invoke(main, [*base, *args], env={**self.env, **(env or {})}, catch_exceptions=False)

    def secrets(self) -> list[str]:
        """Every secret value a run may know: credentials and the referral secret."""
        values = [v for v in self.shop.credentials.values() if len(v) >= 8]
        return [*values, SECRET]


def make_setup(shop: MagentoSandbox, folder: Path) -> Setup:
    info = shop.describe()
    config = write_programme(folder / "loyalty.yaml", {SOURCE: info["source"]})
    env = {**info["env"], "LOYALTY_REFERRAL_SECRET": SECRET}
    return Setup(shop, config, folder / "loyalty.db", env)
