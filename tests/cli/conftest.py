"""Fixtures for the CLI tests: a small Magento sandbox, a programme pointing at it, a backfilled store.

The sandbox and one backfill are shared by the whole session (a second or so); a test that changes
the store gets its own copy (:func:`synced`), and a test that changes the shop gets its own shop.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_kit import SINCE, Setup, make_setup

from loyalty_connector_magento.sandbox import MagentoSandbox


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
