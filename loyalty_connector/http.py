"""The one HTTP client of loyalty-connector: pooled session, timeouts, retries, rate limit, redaction.

Adapters never import ``requests``; they build an :class:`HttpClient` and pass it what differs
per shop (an :class:`Auth`, an envelope ``error_parser``, a ``wait_parser``, ``error_table``
overrides)::

    client = HttpClient("https://shop.example/rest/default", source="magento",
                        auth=BearerAuth(lambda: token), budget=RequestBudget(rate=4, burst=4))
    page = client.get_json("/V1/orders", params=[("searchCriteria[pageSize]", 100)])

Every failure is classified in one place: the error table maps an HTTP status (or a
:class:`FailureKind` for failures without a status) to an :class:`ErrorRule` — retry, fail or
refresh the credentials — and to the :class:`~loyalty_connector.errors.ShopError` raised. Retries
are bounded, back off exponentially, honour ``Retry-After`` and never repeat a call the shop may
already have applied. Every message and log line passes through :func:`redact`; bodies are never
logged.
"""

from __future__ import annotations

__all__ = [
    "DEFAULT_ERROR_TABLE",
    "Action",
    "Auth",
    "BearerAuth",
    "ErrorRule",
    "ErrorTable",
    "FailureKind",
    "HttpClient",
    "QueryParams",
    "RedactingFilter",
    "RequestBudget",
    "RetryPolicy",
    "redact",
]

import functools
import itertools
import logging
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import metadata
from types import TracebackType
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlsplit

import requests
import tenacity
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError

from loyalty_connector.errors import AuthenticationError, ConfigurationError, RateLimitedError, ShopError
from loyalty_connector.fastjson import decode_json
from loyalty_connector.interrupt import pause
from loyalty_connector.ratelimit import (
    DEFAULT_ERROR_TABLE,
    Action,
    ErrorRule,
    ErrorTable,
    FailureKind,
    RequestBudget,
    RetryPolicy,
    parse_retry_after,
)
from loyalty_connector.redaction import (
    BODY_PEEK,
    RedactingFilter,
    fallback_message,
    redact,
    scrub,
    secrets_in,
    shorten,
)

logger = logging.getLogger(__name__)

_DESCRIPTIONS = {
    FailureKind.CONNECT: "could not connect; the request never reached the shop",
    FailureKind.READ_TIMEOUT: "no answer within the read timeout",
    FailureKind.DROPPED: "the connection broke before the whole response arrived",
    FailureKind.TRANSPORT: "the request could not be sent",
}
_IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
_LONG_QUERY = 120
_LIBRARY_LOGGERS = ("urllib3.connectionpool", "urllib3.util.retry")


ParamValue = str | int | float
QueryParams = Mapping[str, ParamValue] | Sequence[tuple[str, ParamValue]]
"""Query parameters: a mapping, or a sequence of pairs when order or repeated keys matter."""


class Auth(Protocol):
    """How a client authenticates. Adapters implement it (OAuth 1.0a, OAuth 2, admin tokens)."""

    def apply(self, prepared: requests.PreparedRequest) -> None:
        """Add credentials to ``prepared``. Called on every attempt, once its URL and params are final."""

    def refresh(self) -> bool:
        """Get fresh credentials after a 401; return True if a retry may now succeed."""


class BearerAuth:
    """``Authorization: Bearer <token>`` from ``token_provider``, asked on every attempt.

    ``refresh`` (optional) fetches a new token after a 401 and returns True on success; an OAuth 2
    adapter passes its token cache's refresh here, and fetches tokens with ``authenticate=False``.
    """

    def __init__(self, token_provider: Callable[[], str], refresh: Callable[[], bool] | None = None) -> None:
        self._token_provider = token_provider
        self._refresh = refresh

    def apply(self, prepared: requests.PreparedRequest) -> None:
        token = self._token_provider()
        if not token:
            raise AuthenticationError("no access token is available; check the credentials for this shop")
        prepared.headers["Authorization"] = f"Bearer {token}"

    def refresh(self) -> bool:
        return self._refresh() if self._refresh is not None else False

    def __repr__(self) -> str:
        return "BearerAuth(<token hidden>)"


@dataclass(frozen=True)
class _Call:
    method: str
    path: str
    request: requests.Request
    json_body: Any
    idempotent: bool
    authenticate: bool
    want_json: bool


class _Attempted(Exception):
    """A failed attempt the table says to retry (or to refresh credentials for); internal."""

    def __init__(
        self, rule: ErrorRule, text: str, reason: str, status: int | None, asked: float | None, attempt: int
    ) -> None:
        super().__init__(text)
        self.rule, self.text, self.reason, self.status = rule, text, reason, status
        self.asked, self.attempt = asked, attempt


class _Retryable(_Attempted):
    pass


class _AuthRejected(_Attempted):
    pass


def _user_agent() -> str:
    try:
        return f"loyalty-connector/{metadata.version('loyalty-connector')}"
    except metadata.PackageNotFoundError:
        return "loyalty-connector"


_USER_AGENT = _user_agent()


class HttpClient:
    """A pooled, retrying, rate-limited, redacting JSON-over-HTTP client for one shop.

    Thread-safe for concurrent requests: workers may share one client, or several clients may
    share one :class:`RequestBudget`. ``sleep``, ``now`` (UTC wall clock, for HTTP-date
    ``Retry-After``) and ``rng`` (jitter) are injectable so tests never really wait. The default
    ``sleep`` is :func:`~loyalty_connector.interrupt.pause`: a back-off in a reader thread whose
    reading is called off (Ctrl-C) ends at once instead of running out.
    """

    def __init__(
        self,
        base_url: str,
        *,
        source: str,
        timeout: tuple[float, float] = (5.0, 30.0),
        retry: RetryPolicy = RetryPolicy(),  # noqa: B008 - frozen dataclass, safe as a default
        budget: RequestBudget | None = None,
        auth: Auth | None = None,
        error_parser: Callable[[requests.Response], str | None] | None = None,
        wait_parser: Callable[[requests.Response], float | None] | None = None,
        error_table: ErrorTable | None = None,
        default_headers: Mapping[str, str] | None = None,
        sleep: Callable[[float], None] = pause,
        session: requests.Session | None = None,
        user_agent: str = _USER_AGENT,
        pool_maxsize: int = 8,
        now: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
        rng: random.Random | None = None,
    ) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigurationError(
                f"[{source}] base_url must be an absolute http(s) URL, e.g. https://shop.example"
            )
        self.base_url = base_url.rstrip("/")
        self.source = source
        self._timeout = timeout
        self._retry = retry
        self._budget = budget
        self._auth = auth
        self._error_parser = error_parser
        self._wait_parser = wait_parser
        self._table: ErrorTable = {**DEFAULT_ERROR_TABLE, **(error_table or {})}
        self._headers = {"User-Agent": user_agent, "Accept": "application/json"}
        self._headers.update(default_headers or {})
        self._sleep = sleep
        self._now = now
        self._rng = rng or random.Random()
        self._owns_session = session is None
        self._session = session or requests.Session()
        if self._owns_session:
            adapter = HTTPAdapter(pool_connections=2, pool_maxsize=pool_maxsize, max_retries=0)
            self._session.mount("https://", adapter)
            self._session.mount("http://", adapter)
        self._settings: dict[tuple[str, str], dict[str, Any]] = {}
        for name in _LIBRARY_LOGGERS:
            library_logger = logging.getLogger(name)
            if not any(isinstance(f, RedactingFilter) for f in library_logger.filters):
                library_logger.addFilter(RedactingFilter())

    def request(
        self,
        method: str,
        path: str,
        *,
        params: QueryParams | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
        authenticate: bool = True,
    ) -> requests.Response:
        """Send one request (with retries) and return a response whose status is below 400.

        ``idempotent`` defaults to True for GET, HEAD, PUT, DELETE and OPTIONS; mark read-only POSTs
        (searches) ``idempotent=True`` so they are retried like GETs. ``authenticate=False`` skips
        the :class:`Auth`, for the token endpoint itself. Raises a ``ShopError`` from the table.
        """
        return self._send(method, path, params, json, headers, idempotent, authenticate, want_json=False)[0]

    def get_json(
        self,
        path: str,
        *,
        params: QueryParams | None = None,
        headers: Mapping[str, str] | None = None,
        authenticate: bool = True,
    ) -> Any:
        """GET ``path`` and return the decoded JSON body (``None`` for an empty body)."""
        return self._send("GET", path, params, None, headers, None, authenticate, want_json=True)[1]

    def post_json(
        self,
        path: str,
        json: Any = None,
        *,
        params: QueryParams | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
        authenticate: bool = True,
    ) -> Any:
        """POST ``json`` and return the decoded JSON body. Not retried unless ``idempotent=True``."""
        return self._send("POST", path, params, json, headers, idempotent, authenticate, want_json=True)[1]

    def put_json(
        self,
        path: str,
        json: Any = None,
        *,
        params: QueryParams | None = None,
        headers: Mapping[str, str] | None = None,
        authenticate: bool = True,
    ) -> Any:
        """PUT ``json`` and return the decoded JSON body."""
        return self._send("PUT", path, params, json, headers, None, authenticate, want_json=True)[1]

    def patch_json(
        self,
        path: str,
        json: Any = None,
        *,
        params: QueryParams | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
        authenticate: bool = True,
    ) -> Any:
        """PATCH ``json`` and return the decoded JSON body. Not retried unless ``idempotent=True``."""
        return self._send("PATCH", path, params, json, headers, idempotent, authenticate, want_json=True)[1]

    def delete_json(
        self,
        path: str,
        *,
        params: QueryParams | None = None,
        headers: Mapping[str, str] | None = None,
        authenticate: bool = True,
    ) -> Any:
        """DELETE ``path`` and return the decoded JSON body (``None`` for an empty body)."""
        return self._send("DELETE", path, params, None, headers, None, authenticate, want_json=True)[1]

    def close(self) -> None:
        """Release pooled connections (a session passed in by the caller is left open)."""
        if self._owns_session:
            self._session.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _send(
        self,
        method: str,
        path: str,
        params: QueryParams | None,
        json_body: Any,
        headers: Mapping[str, str] | None,
        idempotent: bool | None,
        authenticate: bool,
        *,
        want_json: bool,
    ) -> tuple[requests.Response, Any]:
        verb = method.upper()
        pairs = [
            (str(k), str(v)) for k, v in (params.items() if isinstance(params, Mapping) else params or ())
        ]
        url = f"{self.base_url}/{path.lstrip('/')}"
        request = requests.Request(
            verb, url, params=pairs, json=json_body, headers={**self._headers, **(headers or {})}
        )
        is_idempotent = verb in _IDEMPOTENT_METHODS if idempotent is None else idempotent
        call = _Call(verb, path, request, json_body, is_idempotent, authenticate, want_json)
        refreshed = False
        while True:
            try:
                return self._with_retries(call)
            except _AuthRejected as rejected:
                if refreshed or self._auth is None or not self._auth.refresh():
                    note = "Still rejected after refreshing the credentials once. " if refreshed else ""
                    raise self._error(rejected.rule, rejected.text, rejected.status, None, note) from None
                refreshed = True
                logger.warning(
                    "[%s] %s: %s; refreshed the credentials, retrying once",
                    self.source,
                    f"{call.method} {call.path}",
                    rejected.reason,
                )

    def _with_retries(self, call: _Call) -> tuple[requests.Response, Any]:
        counter = itertools.count(1)
        retrying = tenacity.Retrying(
            stop=self._should_stop,
            wait=self._wait_for,
            retry=tenacity.retry_if_exception_type(_Retryable),
            before_sleep=functools.partial(self._log_retry, call),
            sleep=self._sleep,
            reraise=True,
        )
        try:
            return retrying(lambda: self._attempt(call, next(counter)))
        except _Retryable as failure:
            if failure.asked is not None and failure.asked > self._retry.max_wait:
                note = (
                    f"The shop asked to wait {failure.asked:.0f} s, longer than RetryPolicy.max_wait "
                    f"({self._retry.max_wait:.0f} s); gave up after {_attempts(failure.attempt)}. "
                )
            else:
                note = f"Gave up after {_attempts(failure.attempt)}. "
            raise self._error(failure.rule, failure.text, failure.status, failure.asked, note) from None

    def _attempt(self, call: _Call, attempt: int) -> tuple[requests.Response, Any]:
        if self._budget is not None:
            self._budget.acquire()
        prepared = self._session.prepare_request(call.request)
        if call.authenticate and self._auth is not None:
            self._auth.apply(prepared)
        secrets = secrets_in(prepared.headers, call.json_body)
        target = scrub(_loggable_target(prepared.url or ""), secrets)
        settings = self._environment(prepared.url or "")
        started = time.perf_counter()
        try:
            response = self._session.send(prepared, timeout=self._timeout, allow_redirects=True, **settings)
        except requests.RequestException as exc:
            kind = _kind_of(exc)
            self._trace(call, target, type(exc).__name__, started, attempt)
            reason = f"{_DESCRIPTIONS[kind]} ({type(exc).__name__})"
            raise self._decide(call, kind, reason, reason, None, None, attempt, secrets) from None
        status = response.status_code
        self._trace(call, target, str(status), started, attempt)
        if status >= 400:
            rule_key = status if status in self._table else _fallback_key(status)
            rule = self._table[rule_key]
            asked = self._asked_wait(response) if rule.action is not Action.FAIL else None
            if self._budget is not None and issubclass(rule.error, RateLimitedError):
                self._budget.pause(
                    asked if asked is not None else self._retry.delay(attempt, None, self._rng)
                )
            detail = f"HTTP {status}: {self._shop_message(response, secrets)}"
            raise self._decide(call, rule_key, detail, f"HTTP {status}", status, asked, attempt, secrets)
        if not call.want_json or not response.content:
            return response, None
        try:
            return response, decode_json(response.content)
        except ValueError:
            reason = f"HTTP {status} with a body that is not valid JSON (cut off, or an HTML page)"
            raise self._decide(
                call, FailureKind.BAD_BODY, reason, reason, status, None, attempt, secrets
            ) from None

    def _environment(self, url: str) -> dict[str, Any]:
        """requests' settings from the environment (proxies, CA bundle) for ``url``'s host, read once.

        requests reads them on every call, scanning every environment variable twice (proxies and
        their exceptions) — a quarter of a millisecond per request, for values that do not change
        while a sync runs. They depend only on the scheme and host, so one lookup per host serves.
        """
        parts = urlsplit(url)
        key = (parts.scheme, parts.netloc)
        settings = self._settings.get(key)
        if settings is None:
            settings = self._settings[key] = dict(
                self._session.merge_environment_settings(url, {}, None, None, None)
            )
        return settings

    def _decide(
        self,
        call: _Call,
        key: int | str,
        detail: str,
        reason: str,
        status: int | None,
        asked: float | None,
        attempt: int,
        secrets: frozenset[str],
    ) -> Exception:
        rule = self._table[key]
        text = scrub(f"{call.method} {call.path} -> {detail}", secrets)
        if rule.action is Action.RETRY or (rule.action is Action.RETRY_IF_IDEMPOTENT and call.idempotent):
            return _Retryable(rule, text, reason, status, asked, attempt)
        if rule.action is Action.REFRESH_AUTH and call.authenticate and self._auth is not None:
            return _AuthRejected(rule, text, reason, status, asked, attempt)
        note = ""
        if rule.action is Action.RETRY_IF_IDEMPOTENT:
            note = (
                f"Not retried: {call.method} is not idempotent and the shop may have applied it; "
                "check before sending it again. "
            )
        return self._error(rule, text, status, asked, note)

    def _error(
        self, rule: ErrorRule, text: str, status: int | None, asked: float | None, note: str
    ) -> ShopError:
        message = f"{text}. {note}{rule.hint}"
        if issubclass(rule.error, RateLimitedError):
            return rule.error(message, source=self.source, status=status, retry_after=asked)
        return rule.error(message, source=self.source, status=status)

    def _should_stop(self, state: tenacity.RetryCallState) -> bool:
        failure = _failure_of(state)
        too_long = failure is not None and failure.asked is not None and failure.asked > self._retry.max_wait
        return too_long or state.attempt_number >= self._retry.max_attempts

    def _wait_for(self, state: tenacity.RetryCallState) -> float:
        failure = _failure_of(state)
        return self._retry.delay(state.attempt_number, failure.asked if failure else None, self._rng)

    def _log_retry(self, call: _Call, state: tenacity.RetryCallState) -> None:
        failure = _failure_of(state)
        if failure is None or state.next_action is None:
            return
        asked = f" (the shop asked for {failure.asked:g} s)" if failure.asked is not None else ""
        logger.warning(
            "[%s] %s: %s (attempt %d of %d); retrying in %.2f s%s",
            self.source,
            f"{call.method} {call.path}",
            failure.reason,
            state.attempt_number,
            self._retry.max_attempts,
            state.next_action.sleep,
            asked,
        )

    def _asked_wait(self, response: requests.Response) -> float | None:
        asked = parse_retry_after(response.headers.get("Retry-After"), self._now())
        if asked is None and self._wait_parser is not None:
            try:
                asked = self._wait_parser(response)
            except (ValueError, KeyError, IndexError, TypeError, AttributeError):
                logger.debug("[%s] wait_parser could not read the response", self.source)
        return asked

    def _shop_message(self, response: requests.Response, secrets: frozenset[str]) -> str:
        parsed: str | None = None
        if self._error_parser is not None:
            try:
                parsed = self._error_parser(response)
            except (ValueError, KeyError, IndexError, TypeError, AttributeError):
                logger.debug("[%s] error_parser could not read the response", self.source)
        return shorten(scrub((parsed or fallback_message(response))[:BODY_PEEK], secrets))

    def _trace(self, call: _Call, target: str, outcome: str, started: float, attempt: int) -> None:
        elapsed = round((time.perf_counter() - started) * 1000)
        logger.debug(
            "[%s] %s %s -> %s in %d ms (attempt %d)",
            self.source,
            call.method,
            target,
            outcome,
            elapsed,
            attempt,
        )


def _failure_of(state: tenacity.RetryCallState) -> _Attempted | None:
    exc = state.outcome.exception() if state.outcome is not None and state.outcome.failed else None
    return exc if isinstance(exc, _Attempted) else None


def _fallback_key(status: int) -> FailureKind:
    return FailureKind.CLIENT_ERROR if status < 500 else FailureKind.SERVER_ERROR


def _kind_of(exc: requests.RequestException) -> FailureKind:
    if isinstance(exc, requests.ConnectTimeout):
        return FailureKind.CONNECT
    if isinstance(exc, requests.ReadTimeout):
        return FailureKind.READ_TIMEOUT
    if isinstance(exc, (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError)):
        return FailureKind.DROPPED
    if isinstance(exc, (requests.exceptions.SSLError, requests.exceptions.ProxyError)):
        return FailureKind.TRANSPORT
    if isinstance(exc, requests.ConnectionError):
        reason = exc.args[0] if exc.args else None
        reason = reason.reason if isinstance(reason, MaxRetryError) else reason
        return FailureKind.CONNECT if isinstance(reason, ConnectTimeoutError) else FailureKind.DROPPED
    return FailureKind.TRANSPORT


def _loggable_target(url: str) -> str:
    """Path and query for a log line; a long query is reduced to its parameter names."""
    parts = urlsplit(url)
    if not parts.query:
        return parts.path
    if len(parts.query) <= _LONG_QUERY:
        return f"{parts.path}?{parts.query}"
    names = dict.fromkeys(name for name, _ in parse_qsl(parts.query, keep_blank_values=True))
    return f"{parts.path}?" + "&".join(f"{name}=…" for name in names)


def _attempts(count: int) -> str:
    return f"{count} attempt{'s' if count != 1 else ''}"
