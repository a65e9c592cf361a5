"""Waits in reader threads end at once when the reading is called off, instead of running out."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
import responses

from loyalty_connector.errors import StoppedError
from loyalty_connector.http import HttpClient, RetryPolicy
from loyalty_connector.interrupt import pause, stoppable
from loyalty_connector.sync.readahead import ReadAhead

BASE = "https://shop.test/api"
HOUR = 3600.0


def test_pause_outside_stoppable_work_is_a_plain_sleep():
    assert pause(0) is None


def test_pause_in_work_already_called_off_raises_at_once():
    stop = threading.Event()
    stop.set()
    with stoppable(stop), pytest.raises(StoppedError, match="called off"):
        pause(HOUR)


def test_stoppable_blocks_nest_and_restore_the_outer_event():
    outer, inner = threading.Event(), threading.Event()
    inner.set()
    with stoppable(outer):
        with stoppable(inner), pytest.raises(StoppedError):
            pause(HOUR)
        outer.set()
        with pytest.raises(StoppedError):
            pause(HOUR)


def test_an_hour_long_wait_in_another_thread_ends_when_its_work_is_called_off():
    stop, waiting = threading.Event(), threading.Event()
    outcome: list[str] = []

    def worker() -> None:
        with stoppable(stop):
            waiting.set()
            try:
                pause(HOUR)
                outcome.append("slept the hour")
            except StoppedError:
                outcome.append("stopped")

    thread = threading.Thread(target=worker)
    thread.start()
    waiting.wait()
    stop.set()
    thread.join(timeout=60)
    assert not thread.is_alive()
    assert outcome == ["stopped"]


def test_leaving_a_read_ahead_while_its_reader_backs_off_does_not_wait_for_the_retry():
    """The shop answers 503 with Retry-After: one hour; the caller leaves after the first page."""
    backing_off = threading.Event()

    def sleep(seconds: float) -> None:
        backing_off.set()
        pause(seconds)  # the client's default, observed

    client = HttpClient(
        BASE, source="test", retry=RetryPolicy(max_attempts=3, max_wait=2 * HOUR, jitter=0.0), sleep=sleep
    )

    def pages() -> Iterator[object]:
        yield client.get_json("/orders", params={"page": 1})
        yield client.get_json("/orders", params={"page": 2})

    outcome: list[object] = []

    def consume() -> None:
        with ReadAhead(pages, name="orders") as items:
            for item in items:
                outcome.append(item)
                backing_off.wait()  # the reader is now sleeping out the Retry-After
                break

    with responses.RequestsMock() as shop:
        shop.get(f"{BASE}/orders?page=1", json={"items": [1]})
        shop.get(f"{BASE}/orders?page=2", status=503, headers={"Retry-After": str(int(HOUR))})
        caller = threading.Thread(target=consume)
        caller.start()
        caller.join(timeout=60)
        assert not caller.is_alive(), "leaving the block waited for the hour-long back-off"
        assert len(shop.calls) == 2, "no request is sent after the reading was called off"
    assert outcome == [{"items": [1]}]
    assert not [t for t in threading.enumerate() if t.name.startswith("read-ahead")]
