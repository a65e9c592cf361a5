"""Fixtures shared by the store tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from loyalty_connector.store.sqlite import SqliteStore


@pytest.fixture
def store(tmp_path) -> Iterator[SqliteStore]:
    """A fresh, migrated SQLite store in the test's own directory, closed afterwards."""
    opened = SqliteStore(tmp_path / "loyalty.db")
    yield opened
    opened.close()
