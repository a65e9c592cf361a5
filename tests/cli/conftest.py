"""Fixtures for the CLI tests: a small Magento sandbox, a programme pointing at it, a backfilled store.

The sandbox and one backfill are shared by the whole session (a second or so); a test that changes
the store gets its own copy (:func:`synced`), and a test that changes the shop gets its own shop.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result

from loyalty_connector.cli import main
from loyalty_connector_magento.sandbox import MagentoSandbox

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


@pytest.fixture(scope="session")
def shared_shop() -> Iterator[MagentoSandbox]:
    with MagentoSandbox(seed=11, customers=40, orders=240) as shop:
        yield shop


@pytest.fixture(scope="session")
def backfilled(shared_shop: MagentoSandbox, tmp_path_factory: pytest.TempPathFactory) -> Setup:
    """One backfill of the shared shop, done once; tests read it through copies."""
    setup = make_setup(shared_shop, tmp_path_factory.mktemp("backfilled"))
    result = setup.run("backfill", "--since", SINCE, "--window", "365")
    assert result.exit_code == 0, result.output
    return setup


@pytest.fixture
def synced(backfilled: Setup, tmp_path: Path) -> Setup:
    """A private copy of the backfilled store, next to the same programme."""
    copy = tmp_path / "loyalty.db"
    with sqlite3.connect(backfilled.store) as source, sqlite3.connect(copy) as target:
        source.backup(target)
    return Setup(backfilled.shop, backfilled.config, copy, dict(backfilled.env))


@pytest.fixture
def own_shop(tmp_path: Path) -> Iterator[Setup]:
    """A shop of the test's own (for tests that change it), with an empty store."""
    with MagentoSandbox(seed=13, customers=15, orders=60) as shop:
        yield make_setup(shop, tmp_path)
