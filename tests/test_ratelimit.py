"""RetryPolicy waits, Retry-After parsing and the shared RequestBudget, all on fake clocks."""

from __future__ import annotations

import random
import threading
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loyalty_connector.errors import ShopUnavailableError
from loyalty_connector.http import DEFAULT_ERROR_TABLE, Action, FailureKind
from loyalty_connector.ratelimit import RequestBudget, RetryPolicy, parse_retry_after

NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=timezone.utc)


class FakeClock:
    """Monotonic seconds that only move when someone sleeps; safe to share between threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.now += seconds


@given(
    asked=st.floats(min_value=0, max_value=10_000, allow_nan=False),
    attempt=st.integers(min_value=1, max_value=30),
    jitter=st.floats(min_value=0, max_value=3, allow_nan=False),
    max_wait=st.floats(min_value=0, max_value=600, allow_nan=False),
    seed=st.integers(min_value=0, max_value=2**32),
)
def test_jitter_never_shortens_the_wait_the_shop_asked_for(
    asked: float, attempt: int, jitter: float, max_wait: float, seed: int
) -> None:
    policy = RetryPolicy(jitter=jitter, max_wait=max_wait)
    wait = policy.delay(attempt, asked, random.Random(seed))
    assert wait >= asked
    assert wait <= max(asked, max_wait)


@given(attempt=st.integers(min_value=1, max_value=200), seed=st.integers(min_value=0, max_value=2**32))
def test_backoff_without_an_asked_wait_stays_between_the_exponential_step_and_max_wait(
    attempt: int, seed: int
) -> None:
    policy = RetryPolicy(backoff=0.5, max_wait=60.0, jitter=0.5)
    wait = policy.delay(attempt, None, random.Random(seed))
    assert min(0.5 * 2 ** (attempt - 1), 60.0) <= wait <= 60.0


def test_backoff_doubles_per_attempt_without_jitter() -> None:
    policy = RetryPolicy(backoff=0.5, max_wait=3.0, jitter=0.0)
    assert [policy.delay(n, None, random.Random(0)) for n in range(1, 6)] == [0.5, 1.0, 2.0, 3.0, 3.0]


@pytest.mark.parametrize(
    "kwargs", [{"max_attempts": 0}, {"backoff": -1.0}, {"max_wait": -1.0}, {"jitter": -0.1}]
)
def test_retry_policy_rejects_nonsense(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="RetryPolicy"):
        RetryPolicy(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("7", 7.0),
        (" 2.5 ", 2.5),
        (format_datetime(NOW + timedelta(seconds=90), usegmt=True), 90.0),
        (format_datetime(NOW - timedelta(seconds=90), usegmt=True), 0.0),
        ("Wed, 01 May 2024 12:00:30 GMT", 30.0),
        (None, None),
        ("soon", None),
        ("-5", None),
    ],
)
def test_parse_retry_after_reads_seconds_and_http_dates(header: str | None, expected: float | None) -> None:
    assert parse_retry_after(header, NOW) == expected


def test_default_table_retries_only_what_the_shop_did_not_act_on() -> None:
    assert DEFAULT_ERROR_TABLE[429].action is Action.RETRY
    assert DEFAULT_ERROR_TABLE[500].action is Action.RETRY_IF_IDEMPOTENT
    assert DEFAULT_ERROR_TABLE[FailureKind.CONNECT].action is Action.RETRY
    assert DEFAULT_ERROR_TABLE[FailureKind.READ_TIMEOUT].action is Action.RETRY_IF_IDEMPOTENT
    assert DEFAULT_ERROR_TABLE["5xx"].error is ShopUnavailableError
    with pytest.raises(TypeError):
        DEFAULT_ERROR_TABLE[400] = DEFAULT_ERROR_TABLE[404]  # type: ignore[index]


def test_budget_spends_the_burst_then_waits_one_interval_per_request() -> None:
    clock = FakeClock()
    budget = RequestBudget(rate=2.0, burst=2, clock=clock, sleep=clock.sleep)
    waited = [budget.acquire() for _ in range(4)]
    assert waited == [0.0, 0.0, 0.5, 0.5]
    assert clock.now == pytest.approx(1.0)


def test_budget_refills_while_idle_but_never_beyond_the_burst() -> None:
    clock = FakeClock()
    budget = RequestBudget(rate=1.0, burst=3, clock=clock, sleep=clock.sleep)
    for _ in range(3):
        budget.acquire()
    clock.sleep(100.0)
    assert [budget.acquire() for _ in range(4)] == [0.0, 0.0, 0.0, 1.0]


def test_budget_shared_by_threads_never_exceeds_its_rate() -> None:
    clock = FakeClock()
    budget = RequestBudget(rate=5.0, burst=2, clock=clock, sleep=clock.sleep)
    grants: list[float] = []
    grants_lock = threading.Lock()

    def worker() -> None:
        for _ in range(10):
            budget.acquire()
            with grants_lock:
                grants.append(clock())

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert not any(thread.is_alive() for thread in threads)
    grants.sort()
    assert len(grants) == 40
    # A token bucket never grants more than burst + rate * span within any span of time.
    for i in range(len(grants)):
        for j in range(i, len(grants)):
            assert j - i + 1 <= 2 + 5.0 * (grants[j] - grants[i]) + 1e-9
    assert grants[-1] >= (40 - 2) / 5.0 - 1e-9


def test_budget_pause_holds_everyone_until_the_instant_then_resumes_one_at_a_time() -> None:
    clock = FakeClock()
    budget = RequestBudget(rate=1.0, burst=5, clock=clock, sleep=clock.sleep)
    budget.pause(30.0)
    assert budget.acquire() == pytest.approx(30.0)
    assert budget.acquire() == pytest.approx(1.0)


def test_budget_pause_never_shortens_an_existing_pause() -> None:
    clock = FakeClock()
    budget = RequestBudget(rate=1.0, burst=1, clock=clock, sleep=clock.sleep)
    budget.pause(20.0)
    budget.pause(5.0)
    budget.pause(0.0)
    assert budget.acquire() == pytest.approx(20.0)


@pytest.mark.parametrize(("rate", "burst"), [(0.0, 1), (-1.0, 1), (float("inf"), 1), (1.0, 0)])
def test_budget_rejects_nonsense(rate: float, burst: int) -> None:
    with pytest.raises(ValueError, match="RequestBudget"):
        RequestBudget(rate=rate, burst=burst)
