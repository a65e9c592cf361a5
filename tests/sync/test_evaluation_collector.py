"""Evaluation pauses the cyclic garbage collector for each batch and always gives it back as it was."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sync_fakes import NOW, SECRET, SOURCE, T0, FakeShop, customer, order, program

from loyalty_connector.adapter import Cursor, Stream
from loyalty_connector.engine.customer import CustomerEvaluator
from loyalty_connector.errors import StoreError
from loyalty_connector.store import SYNC_SCOPE, PageWrite
from loyalty_connector.store.sqlite import SqliteStore
from loyalty_connector.sync import evaluate_dirty


@pytest.fixture
def store(tmp_path) -> Iterator[SqliteStore]:
    shop = FakeShop()
    for n in range(1, 6):
        shop.put(customer(n, T0 + timedelta(minutes=n)))
        shop.put(order(100 + n, str(n), T0 + timedelta(hours=1, minutes=n)))
    store = SqliteStore(tmp_path / "loyalty.db")
    for stream in (Stream.CUSTOMERS, Stream.ORDERS):
        page = shop.read(stream, Cursor.at(T0 - timedelta(days=1)), 1000, None)
        store.apply_page(PageWrite(SOURCE, stream, SYNC_SCOPE, page.items, page.last_position, NOW))
    yield store
    store.close()


@pytest.fixture
def collector_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


class Watching:
    """The engine's evaluator, noting whether the collector ran while each customer was evaluated."""

    def __init__(self) -> None:
        self.engine = CustomerEvaluator(program())
        self.collector_states: list[bool] = []

    def evaluate(self, *args: Any, **kwargs: Any) -> Any:
        self.collector_states.append(gc.isenabled())
        return self.engine.evaluate(*args, **kwargs)


def test_the_collector_is_paused_while_a_batch_is_evaluated_and_resumed_after(store, collector_on):
    watching = Watching()
    report = evaluate_dirty(store, program(), SOURCE, evaluator=watching, now=NOW, referral_secret=SECRET,
                            batch_size=2)  # fmt: skip
    assert report.customers_evaluated == 5
    assert watching.collector_states == [False] * 5
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off(store, collector_on):
    gc.disable()
    evaluate_dirty(store, program(), SOURCE, evaluator=Watching(), now=NOW, referral_secret=SECRET)
    assert not gc.isenabled()


def test_the_collector_is_resumed_when_writing_a_batch_fails(store, collector_on, monkeypatch):
    def failing(*args: Any, **kwargs: Any) -> int:
        raise StoreError("disk full")

    monkeypatch.setattr(store, "apply_evaluations", failing)
    with pytest.raises(StoreError):
        evaluate_dirty(store, program(), SOURCE, evaluator=Watching(), now=NOW, referral_secret=SECRET)
    assert gc.isenabled()
