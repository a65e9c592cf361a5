"""Fixtures of the sync tests; the helpers themselves live in :mod:`sync_fakes`.

Test modules import ``sync_fakes``, never ``conftest``: every test directory's ``conftest.py`` is a
module named ``conftest``, so with several test paths on the command line (``pytest tests/sync
tests/integration``) ``from conftest import ...`` would find whichever directory's was loaded last.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sync_fakes import FakeShop, FixedClock, program

from loyalty_connector.engine.customer import CustomerEvaluator
from loyalty_connector.store.sqlite import SqliteStore


@pytest.fixture
def shop() -> FakeShop:
    return FakeShop()


@pytest.fixture
def store(tmp_path) -> Iterator[SqliteStore]:
    opened = SqliteStore(tmp_path / "loyalty.db")
    yield opened
    opened.close()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def engine() -> CustomerEvaluator:
    return CustomerEvaluator(program())
