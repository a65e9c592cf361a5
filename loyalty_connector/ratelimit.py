"""When to try again and how long to wait: the error table, the retry policy, the shared budget.

The decision half of :mod:`loyalty_connector.http`, kept apart because it is data and arithmetic
over injectable clocks, with no I/O: the error table maps each HTTP status (or failure kind) to an
:class:`ErrorRule` — retry, fail or refresh credentials, and the error to raise; :class:`RetryPolicy`
decides each wait between attempts; :func:`parse_retry_after` reads the wait the shop asked for;
:class:`RequestBudget` is a token bucket several clients (e.g. parallel backfill windows) draw from
so that together they stay within the shop's rate limit. Import these from :mod:`loyalty_connector.http`.
"""

from __future__ import annotations

__all__ = [
    "DEFAULT_ERROR_TABLE",
    "Action",
    "ErrorRule",
    "ErrorTable",
    "FailureKind",
    "RequestBudget",
    "RetryPolicy",
    "parse_retry_after",
]

import math
import random
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from enum import Enum
from types import MappingProxyType

from loyalty_connector.errors import (
    AuthenticationError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    ShopError,
    ShopRequestError,
    ShopUnavailableError,
)
from loyalty_connector.interrupt import pause

_SECONDS = re.compile(r"\d+(?:\.\d+)?")
_EPSILON = 1e-9
"""Slack for float rounding, so a waiter is never left sleeping ~0 s over and over."""


class Action(Enum):
    """What the client does about a failed attempt."""

    RETRY = "retry"
    """Try again after a wait: the shop did not act on the request (429, 502-504, never connected)."""
    RETRY_IF_IDEMPOTENT = "retry_if_idempotent"
    """Try again only if repeating the call is harmless; otherwise fail (500, timeouts, cut bodies)."""
    FAIL = "fail"
    """Raise at once: asking again will not help."""
    REFRESH_AUTH = "refresh_auth"
    """Ask the :class:`Auth` for fresh credentials once, then retry; fail if that does not help."""


class FailureKind(str, Enum):
    """Error-table keys for failures without a usable status, and the fallbacks for unlisted ones."""

    CONNECT = "connect"
    """Connection refused, DNS failure or connect timeout: the request never reached the shop."""
    READ_TIMEOUT = "read_timeout"
    """Sent, but no answer within the read timeout: the shop may have acted on it."""
    DROPPED = "dropped"
    """The connection broke after the request was sent, or the body arrived cut off."""
    BAD_BODY = "bad_body"
    """A success status whose body should be JSON and is not (truncated, or an HTML page)."""
    TRANSPORT = "transport"
    """Any other failure to send (TLS, proxy, too many redirects)."""
    CLIENT_ERROR = "4xx"
    """Fallback for a 4xx status the table does not list."""
    SERVER_ERROR = "5xx"
    """Fallback for a 5xx status the table does not list."""


@dataclass(frozen=True)
class ErrorRule:
    """One row of the error table: the action to take, the error to raise, and what to do about it.

    ``error`` must accept ``(message, *, source=..., status=...)`` like every ``ShopError``;
    a :class:`~loyalty_connector.errors.RateLimitedError` also receives ``retry_after``.
    ``hint`` is the sentence that tells the operator what to do; it ends the error message.
    """

    action: Action
    error: type[ShopError]
    hint: str


ErrorTable = Mapping[int | str, ErrorRule]
"""Status code or :class:`FailureKind` -> rule. An adapter's table is merged over the default one."""

_TRANSIENT_HINT = "The shop or a proxy in front of it is unavailable or overloaded; try again later."
DEFAULT_ERROR_TABLE: ErrorTable = MappingProxyType(
    {
        400: ErrorRule(Action.FAIL, ShopRequestError, "The shop rejected the request as invalid; fix it."),
        401: ErrorRule(
            Action.REFRESH_AUTH,
            AuthenticationError,
            "Check the credentials configured for this shop (token, client id and secret).",
        ),
        403: ErrorRule(
            Action.FAIL,
            PermissionDeniedError,
            "The integration lacks an ACL grant for this resource; grant it in the shop's admin.",
        ),
        404: ErrorRule(
            Action.FAIL, NotFoundError, "Check the base URL, the store code and that the record exists."
        ),
        # ConflictError is not a ShopError (it means a lock or a changed shop state), so a 409 is a
        # rejected request like any other 4xx.
        409: ErrorRule(
            Action.FAIL, ShopRequestError, "The shop's state conflicts with the request; re-read and retry."
        ),
        422: ErrorRule(
            Action.FAIL, ShopRequestError, "The shop could not process the payload; fix the fields."
        ),
        429: ErrorRule(
            Action.RETRY,
            RateLimitedError,
            "The shop is rate limiting us; lower the request budget or try again after the wait it asks for.",
        ),
        500: ErrorRule(
            Action.RETRY_IF_IDEMPOTENT,
            ShopUnavailableError,
            "The shop failed internally; check its error log, then try again.",
        ),
        502: ErrorRule(Action.RETRY, ShopUnavailableError, _TRANSIENT_HINT),
        503: ErrorRule(Action.RETRY, ShopUnavailableError, _TRANSIENT_HINT),
        504: ErrorRule(Action.RETRY, ShopUnavailableError, _TRANSIENT_HINT),
        FailureKind.CLIENT_ERROR: ErrorRule(Action.FAIL, ShopRequestError, "The shop rejected the request."),
        FailureKind.SERVER_ERROR: ErrorRule(
            Action.RETRY_IF_IDEMPOTENT, ShopUnavailableError, _TRANSIENT_HINT
        ),
        FailureKind.CONNECT: ErrorRule(
            Action.RETRY, ShopUnavailableError, "Check the base URL, DNS, and that the shop is up."
        ),
        FailureKind.READ_TIMEOUT: ErrorRule(
            Action.RETRY_IF_IDEMPOTENT,
            ShopUnavailableError,
            "The shop is slow; try again later or raise the read timeout.",
        ),
        FailureKind.DROPPED: ErrorRule(Action.RETRY_IF_IDEMPOTENT, ShopUnavailableError, _TRANSIENT_HINT),
        FailureKind.BAD_BODY: ErrorRule(Action.RETRY_IF_IDEMPOTENT, ShopUnavailableError, _TRANSIENT_HINT),
        FailureKind.TRANSPORT: ErrorRule(
            Action.FAIL, ShopUnavailableError, "Check the base URL, TLS certificate and proxy settings."
        ),
    }
)


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries with exponential backoff and lengthen-only jitter.

    ``max_attempts`` counts every try, the first included. Without a wait asked by the shop, the
    n-th retry waits ``backoff * 2 ** (n - 1)`` seconds, capped at ``max_wait``. A wait the shop asks
    for (``Retry-After`` or an adapter's ``wait_parser``) is honoured as is; if it is longer than
    ``max_wait`` the client gives up at once and reports the wait instead of sleeping for it.
    ``jitter`` is the largest fraction added at random to spread workers apart: it only ever
    lengthens a wait, never shortens it (shortening a ``Retry-After`` just earns another 429).
    """

    max_attempts: int = 5
    backoff: float = 0.5
    max_wait: float = 120.0
    jitter: float = 0.25

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("RetryPolicy.max_attempts must be at least 1 (the first try counts)")
        if self.backoff < 0 or self.max_wait < 0 or self.jitter < 0:
            raise ValueError("RetryPolicy.backoff, max_wait and jitter must not be negative")

    def delay(self, attempt: int, asked: float | None, rng: random.Random) -> float:
        """Seconds to sleep after failed ``attempt`` (1-based), given the wait the shop ``asked`` for.

        The result is never below ``asked`` and, beyond that, never above ``max_wait``.
        """
        if asked is not None:
            base = max(0.0, asked)
        else:
            base = min(self.backoff * 2.0 ** min(attempt - 1, 64), self.max_wait)
        lengthened = base * (1.0 + self.jitter * rng.random())
        return max(base, min(lengthened, self.max_wait))


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP-date (RFC 9110 §10.2.3).

    ``now`` is the current UTC time, used for the HTTP-date form. Returns ``None`` when the header
    is missing or unreadable, and ``0.0`` for a date already past.
    """
    if value is None:
        return None
    text = value.strip()
    if _SECONDS.fullmatch(text):
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - now).total_seconds())


class RequestBudget:
    """A thread-safe token bucket: at most ``burst`` requests at once, refilled at ``rate`` per second.

    One budget is shared by every client and worker talking to the same shop, so parallel backfill
    windows together stay within its limit. When any of them is told to slow down (a 429),
    :meth:`pause` holds back everyone until the instant the shop named. ``clock`` (monotonic
    seconds) and ``sleep`` are injectable so tests run on a fake clock.
    """

    def __init__(
        self,
        rate: float,
        burst: int = 1,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = pause,
    ) -> None:
        if not rate > 0 or math.isinf(rate):
            raise ValueError("RequestBudget.rate must be a positive number of requests per second")
        if burst < 1:
            raise ValueError("RequestBudget.burst must be at least 1")
        self.rate = float(rate)
        self.burst = int(burst)
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._tokens = float(burst)
        self._updated = clock()
        self._paused_until = -math.inf

    def acquire(self) -> float:
        """Block until a request may be sent; return how many seconds were spent waiting."""
        waited = 0.0
        while True:
            with self._lock:
                now = self._clock()
                self._refill(now)
                if now >= self._paused_until - _EPSILON and self._tokens >= 1.0 - _EPSILON:
                    self._tokens = max(0.0, self._tokens - 1.0)
                    return waited
                wait = max(self._paused_until - now, (1.0 - self._tokens) / self.rate)
            self._sleep(wait)
            waited += wait

    def pause(self, seconds: float) -> None:
        """Hold back every user of this budget for ``seconds`` from now (a shop said "slow down").

        Tokens saved up before the pause are dropped: when it ends one request may go at once and
        the rest follow at ``rate``, instead of a burst that would earn the next 429.
        """
        if seconds <= 0:
            return
        with self._lock:
            now = self._clock()
            self._refill(now)
            until = now + seconds
            if until > self._paused_until:
                self._paused_until = until
                refilled = self._tokens + (until - max(now, self._updated)) * self.rate
                self._tokens = min(1.0, max(0.0, refilled))
                self._updated = until

    def _refill(self, now: float) -> None:
        if now > self._updated:
            self._tokens = min(float(self.burst), self._tokens + (now - self._updated) * self.rate)
            self._updated = now
