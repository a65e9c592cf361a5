"""HttpClient: retries, the error table, auth refresh, budgets and redaction, with no real waiting.

Shops are faked with ``responses``; dropped connections and cut-off bodies need a real socket, so
those tests use the sandbox server kit on 127.0.0.1. Every sleep goes to a list, never to the clock.
"""

from __future__ import annotations

import logging
import random
import socket
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
import requests
import responses
from urllib3.exceptions import MaxRetryError, NewConnectionError

import loyalty_connector.http as http_module
from loyalty_connector.errors import (
    AuthenticationError,
    ConfigurationError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    ShopError,
    ShopRequestError,
    ShopUnavailableError,
)
from loyalty_connector.http import (
    Action,
    BearerAuth,
    ErrorRule,
    HttpClient,
    RedactingFilter,
    RequestBudget,
    RetryPolicy,
    redact,
)
from loyalty_connector.sandbox_server import SandboxRequest, SandboxResponse, SandboxServer

BASE = "https://shop.test/api"
NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=timezone.utc)
TOKEN = "tok-SECRET-0123456789abcdef"
QUERY_SECRET = "qs-SECRET-9876543210"


@pytest.fixture
def shop() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def make_client(sleeps: list[float]) -> Iterator[Callable[..., HttpClient]]:
    clients: list[HttpClient] = []

    def make(base_url: str = BASE, **kwargs: Any) -> HttpClient:
        kwargs.setdefault("retry", RetryPolicy(max_attempts=4, backoff=0.5, max_wait=120.0, jitter=0.0))
        kwargs.setdefault("sleep", sleeps.append)
        kwargs.setdefault("now", lambda: NOW)
        kwargs.setdefault("rng", random.Random(7))
        client = HttpClient(base_url, source="testshop", timeout=(2.0, 5.0), **kwargs)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def refused_connection() -> requests.ConnectionError:
    """What requests raises when nothing listens on the port: the request never left the machine."""
    return requests.ConnectionError(MaxRetryError(None, "/x", NewConnectionError(None, "Connection refused")))  # type: ignore[arg-type]


# --- retries and waits -------------------------------------------------------------------------


def test_503_is_retried_with_exponential_backoff_then_the_body_is_returned(
    shop: responses.RequestsMock, make_client: Callable[..., HttpClient], sleeps: list[float]
) -> None:
    shop.get(f"{BASE}/orders", status=503, json={"message": "maintenance"})
    shop.get(f"{BASE}/orders", status=503, json={"message": "maintenance"})
    shop.get(f"{BASE}/orders", json={"items": [1, 2]})
    assert make_client().get_json("/orders") == {"items": [1, 2]}
    assert len(shop.calls) == 3
    assert sleeps == [0.5, 1.0]


def test_retry_after_in_seconds_is_honoured(
    shop: responses.RequestsMock, make_client: Callable[..., HttpClient], sleeps: list[float]
) -> None:
    shop.get(f"{BASE}/orders", status=429, headers={"Retry-After": "7"})
    shop.get(f"{BASE}/orders", json=[])
    assert make_client().get_json("/orders") == []
    assert sleeps == [7.0]


def test_retry_after_as_http_date_is_honoured(
    shop: responses.RequestsMock, make_client: Callable[..., HttpClient], sleeps: list[float]
) -> None:
    when = format_datetime(NOW + timedelta(seconds=90), usegmt=True)
    shop.get(f"{BASE}/orders", status=503, headers={"Retry-After": when})
    shop.get(f"{BASE}/orders", json=[])
    make_client().get_json("/orders")
    assert sleeps == [90.0]


def test_jitter_lengthens_but_never_shortens_retry_after(
    shop: responses.RequestsMock, make_client: Callable[..., HttpClient], sleeps: list[float]
) -> None:
    for _ in range(3):
        shop.get(f"{BASE}/orders", status=429, headers={"Retry-After": "5"})
    shop.get(f"{BASE}/orders", json=[])
    make_client(retry=RetryPolicy(max_attempts=4, jitter=1.0, max_wait=60.0)).get_json("/orders")
    assert len(sleeps) == 3
    assert all(5.0 <= s <= 10.0 for s in sleeps)
    assert any(s > 5.0 for s in sleeps)


def test_wait_parser_supplies_the_wait_when_there_is_no_retry_after(
    shop: responses.RequestsMock, make_client: Callable[..., HttpClient], sleeps: list[float]
) -> None:
    throttled = {"errors": [{"code": "FRAMEWORK__AUTH_THROTTLED", "meta": {"parameters": {"seconds": 12}}}]}
    shop.post(f"{BASE}/oauth/token", status=429, json=throttled)
    shop.post(f"{BASE}/oauth/token", json={"access_token": "x"})

    def seconds_in_body(response: requests.Response) -> float | None:
        return float(response.json()["errors"][0]["meta"]["parameters"]["seconds"])

    client = make_client(wait_parser=seconds_in_body)
    assert client.post_json("/oauth/token", {"grant_type": "client_credentials"}) == {"access_token": "x"}
    assert sleeps == [12.0]


def test_rate_limit_gives_up_after_max_attempts_with_the_wait_asked_for(
    shop: responses.RequestsMock, make_client: Callable[..., HttpClient], sleeps: list[float]
) -> None:
    shop.get(f"{BASE}/orders", status=429, headers={"Retry-After": "3"}, json={"message": "slow down"})
    client = make_client(retry=RetryPolicy(max_attempts=3, jitter=0.0))
    with pytest.raises(RateLimitedError) as caught:
        client.get_json("/orders")
    assert caught.value.retry_after == 3.0
    assert caught.value.status == 429
    assert len(shop.calls) == 3
    assert sleeps == [3.0, 3.0]
    message = str(caught.value)
    assert message.startswith("[testshop] GET /orders -> HTTP 429: slow down. Gave up after 3 attempts.")
    assert "lower the request budget" in message


def test_a_wait_longer_than_max_wait_fails_at_once_and_reports_it(
    shop: responses.RequestsMock, make_client: Callable[..., HttpClient], sleeps: list[float]
) -> None:
    shop.get(f"{BASE}/orders", status=429, headers={"Retry-After": "600"})
    with pytest.raises(
        RateLimitedError, match=r"asked to wait 600 s, longer than RetryPolicy.max_wait"
    ) as caught:
        make_client().get_json("/orders")
    assert caught.value.retry_after == 600.0
    assert len(shop.calls) == 1
    assert sleeps == []


def test_500_is_retried_for_get(
    shop: responses.RequestsMock, make_client: Callable[..., HttpClient], sleeps: list[float]
) -> None:
    shop.get(f"{BASE}/orders", status=500)
    shop.get(f"{BASE}/orders", json={"ok": True})
    assert make_client().get_json("/orders") == {"ok": True}
    assert len(shop.calls) == 2


def test_500_is_not_retried_for_post(
    shop: responses.RequestsMock, make_client: Callable[..., HttpClient], sleeps: list[float]
) -> None:
    shop.post(f"{BASE}/coupons", status=500, json={"message": "Internal error"})
    with pytest.raises(ShopUnavailableError, match=r"Not retried: POST is not idempotent") as caught:
        make_client().post_json("/coupons", {"code": "X"})
    assert caught.value.status == 500
    assert len(shop.calls) == 1
    assert sleeps == []


def test_read_only_post_marked_idempotent_is_retried_on_500(
    shop: responses.RequestsMock, make_client: Callable[..., HttpClient]
) -> None:
    shop.post(f"{BASE}/search/order", status=500)
    shop.post(f"{BASE}/search/order", json={"data": []})
    assert make_client().post_json("/search/order", {"limit": 1}, idempotent=True) == {"data": []}
    assert len(shop.calls) == 2


@pytest.mark.parametrize(
    ("status", "error", "hint"),
    [
        (400, ShopRequestError, "fix it"),
        (403, PermissionDeniedError, "lacks an ACL grant"),
        (404, NotFoundError, "Check the base URL"),
        (409, ShopRequestError, "conflicts"),
        (418, ShopRequestError, "rejected the request"),
        (422, ShopRequestError, "could not process"),
    ],
)
def test_client_errors_fail_after_exactly_one_call(
    shop: responses.RequestsMock,
    make_client: Callable[..., HttpClient],
    sleeps: list[float],
    status: int,
    error: type[ShopError],
    hint: str,
) -> None:
    shop.get(f"{BASE}/customers/5", status=status, json={"message": "No such entity"})
    with pytest.raises(error) as caught:
        make_client().get_json("/customers/5")
    assert type(caught.value) is error
    assert str(caught.value).startswith(f"[testshop] GET /customers/5 -> HTTP {status}: No such entity. ")
    assert hint in str(caught.value)
    assert caught.value.status == status
    assert caught.value.source == "testshop"
    assert len(shop.calls) == 1
    assert sleeps == []


def test_unknown_5xx_is_retried_on_idempotent_calls(
    shop: responses.RequestsMock, make_client: Callable[..., HttpClient]
) -> None:
    shop.get(f"{BASE}/orders", status=520)
    shop.get(f"{BASE}/orders", json=[])
    assert make_client().get_json("/orders") == []


def test_adapter_overrides_are_merged_over_the_default_table(
    shop: responses.RequestsMock, make_client: Callable[..., HttpClient]
) -> None:
    magento_401 = ErrorRule(Action.FAIL, AuthenticationError, "Either the token is wrong or OAuth is off.")
    client = make_client(error_table={401: magento_401}, error_parser=lambda r: r.json()["message"].upper())
    shop.get(f"{BASE}/a", status=401, json={"message": "consumer not authorized"})
    shop.get(f"{BASE}/b", status=400, json={"message": "bad filter"})
    with pytest.raises(AuthenticationError, match=r"CONSUMER NOT AUTHORIZED\. Either the token is wrong"):
        client.get_json("/a")
    with pytest.raises(
        ShopRequestError, match=r"HTTP 400: BAD FILTER\. The shop rejected the request as invalid"
    ):
        client.get_json("/b")


# --- transport failures ------------------------------------------------------------------------


def test_refused_connection_on_post_is_retried_because_it_never_reached_the_shop(
    shop: responses.RequestsMock, make_client: Callable[..., HttpClient], sleeps: list[float]
) -> None:
    shop.post(f"{BASE}/coupons", body=refused_connection())
    shop.post(f"{BASE}/coupons", body=requests.ConnectTimeout("connect timed out"))
    shop.post(f"{BASE}/coupons", json={"id": 9})
    assert make_client().post_json("/coupons", {"code": "X"}) == {"id": 9}
    assert sleeps == [0.5, 1.0]


def test_read_timeout_on_post_is_not_retried_because_the_shop_may_have_applied_it(
    shop: responses.RequestsMock, make_client: Callable[..., HttpClient], sleeps: list[float]
) -> None:
    shop.post(f"{BASE}/coupons", body=requests.ReadTimeout("read timed out"))
    with pytest.raises(
        ShopUnavailableError, match=r"no answer within the read timeout.*Not retried"
    ) as caught:
        make_client().post_json("/coupons", {"code": "X"})
    assert caught.value.status is None
    assert len(shop.calls) == 1
    assert sleeps == []


def test_read_timeout_on_get_is_retried(
    shop: responses.RequestsMock, make_client: Callable[..., HttpClient]
) -> None:
    shop.get(f"{BASE}/orders", body=requests.ReadTimeout("read timed out"))
    shop.get(f"{BASE}/orders", json=[])
    assert make_client().get_json("/orders") == []


def test_refused_connection_against_a_real_port_gives_up_with_the_attempt_count(
    make_client: Callable[..., HttpClient], sleeps: list[float]
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = make_client(f"http://127.0.0.1:{port}", retry=RetryPolicy(max_attempts=3, jitter=0.0))
    with pytest.raises(ShopUnavailableError) as caught:
        client.post_json("/coupons", {"code": "X"})
    assert "could not connect; the request never reached the shop" in str(caught.value)
    assert "Gave up after 3 attempts" in str(caught.value)
    assert sleeps == [0.5, 1.0]


def test_truncated_json_body_on_get_is_retried(
    shop: responses.RequestsMock, make_client: Callable[..., HttpClient], sleeps: list[float]
) -> None:
    shop.get(f"{BASE}/orders", body='{"items": [1, 2', content_type="application/json")
    shop.get(f"{BASE}/orders", json={"items": [1, 2]})
    assert make_client().get_json("/orders") == {"items": [1, 2]}
    assert sleeps == [0.5]


def test_truncated_json_body_on_post_is_not_retried(
    shop: responses.RequestsMock, make_client: Callable[..., HttpClient]
) -> None:
    shop.post(f"{BASE}/coupons", body="<html>502 Bad Gateway", content_type="text/html")
    with pytest.raises(ShopUnavailableError, match=r"not valid JSON.*Not retried"):
        make_client().post_json("/coupons", {"code": "X"})
    assert len(shop.calls) == 1


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    server = SandboxServer()
    payload = {"items": [{"id": n, "email": f"c{n}@example.com"} for n in range(200)]}
    server.route("GET", "/orders", lambda request: SandboxResponse(200, payload))
    server.route("POST", "/coupons", lambda request: SandboxResponse(201, {"id": 1}))
    with server:
        yield server


@pytest.mark.parametrize("fault", ["truncate", "drop"])
def test_real_cut_off_body_or_dropped_connection_on_get_is_retried(
    sandbox: SandboxServer, make_client: Callable[..., HttpClient], sleeps: list[float], fault: str
) -> None:
    sandbox.faults.fail_next(fault)
    body = make_client(sandbox.base_url).get_json("/orders")
    assert len(body["items"]) == 200
    assert [(r.path, r.fault) for r in sandbox.requests] == [("/orders", fault), ("/orders", None)]
    assert sleeps == [0.5]


def test_real_dropped_connection_on_post_is_not_retried(
    sandbox: SandboxServer, make_client: Callable[..., HttpClient]
) -> None:
    sandbox.faults.fail_next("drop")
    with pytest.raises(
        ShopUnavailableError, match=r"connection broke before the whole response.*Not retried"
    ):
        make_client(sandbox.base_url).post_json("/coupons", {"code": "X"})
    assert len(sandbox.requests) == 1


# --- authentication ----------------------------------------------------------------------------


class Tokens:
    """A token cache whose refresh hands out the next token."""

    def __init__(self, *tokens: str, refresh_works: bool = True) -> None:
        self.tokens = list(tokens)
        self.refreshes = 0
        self.refresh_works = refresh_works

    def current(self) -> str:
        return self.tokens[0]

    def refresh(self) -> bool:
        self.refreshes += 1
        if self.refresh_works and len(self.tokens) > 1:
            self.tokens.pop(0)
            return True
        return False


def test_401_refreshes_the_token_once_and_retries_with_it(
    shop: responses.RequestsMock, make_client: Callable[..., HttpClient], sleeps: list[float]
) -> None:
    tokens = Tokens("old-token-123", "new-token-456")
    shop.get(f"{BASE}/orders", status=401, json={"errors": [{"detail": "expired"}]})
    shop.get(f"{BASE}/orders", json=[])
    assert make_client(auth=BearerAuth(tokens.current, tokens.refresh)).get_json("/orders") == []
    assert tokens.refreshes == 1
    assert [c.request.headers["Authorization"] for c in shop.calls] == [
        "Bearer old-token-123",
        "Bearer new-token-456",
    ]
    assert sleeps == []


def test_401_after_a_refresh_raises_authentication_error(
    shop: responses.RequestsMock, make_client: Callable[..., HttpClient]
) -> None:
    tokens = Tokens("old-token-123", "new-token-456")
    shop.get(f"{BASE}/orders", status=401, json={"errors": [{"detail": "The access token is invalid"}]})
    with pytest.raises(AuthenticationError) as caught:
        make_client(auth=BearerAuth(tokens.current, tokens.refresh)).get_json("/orders")
    assert tokens.refreshes == 1
    assert len(shop.calls) == 2
    assert "Still rejected after refreshing the credentials once" in str(caught.value)
    assert "Check the credentials" in str(caught.value)


@pytest.mark.parametrize("auth", [None, BearerAuth(lambda: "only-token-1")])
def test_401_without_a_way_to_refresh_fails_after_one_call(
    shop: responses.RequestsMock, make_client: Callable[..., HttpClient], auth: BearerAuth | None
) -> None:
    shop.get(f"{BASE}/orders", status=401)
    with pytest.raises(AuthenticationError, match=r"GET /orders -> HTTP 401"):
        make_client(auth=auth).get_json("/orders")
    assert len(shop.calls) == 1


def test_token_endpoint_calls_bypass_auth(
    shop: responses.RequestsMock, make_client: Callable[..., HttpClient]
) -> None:
    shop.post(f"{BASE}/oauth/token", json={"access_token": "a"})
    make_client(auth=BearerAuth(lambda: "t-123456")).post_json("/oauth/token", {}, authenticate=False)
    assert "Authorization" not in shop.calls[0].request.headers


def test_auth_is_applied_on_every_attempt_after_the_url_is_final(
    shop: responses.RequestsMock, make_client: Callable[..., HttpClient]
) -> None:
    signed: list[str] = []

    class SigningAuth:
        def apply(self, prepared: requests.PreparedRequest) -> None:
            signed.append(prepared.url or "")
            prepared.headers["Authorization"] = f'OAuth oauth_signature="sig-{len(signed)}-abcdef"'

        def refresh(self) -> bool:
            return False

    shop.get(f"{BASE}/orders", status=503)
    shop.get(f"{BASE}/orders", json=[])
    make_client(auth=SigningAuth()).get_json("/orders", params=[("b", "2"), ("a", "1")])
    assert signed == [f"{BASE}/orders?b=2&a=1"] * 2
    assert shop.calls[1].request.headers["Authorization"] == 'OAuth oauth_signature="sig-2-abcdef"'


# --- requests as sent ---------------------------------------------------------------------------


def test_params_order_is_preserved_in_the_url(
    shop: responses.RequestsMock, make_client: Callable[..., HttpClient]
) -> None:
    shop.get(f"{BASE}/V1/orders", json={"items": []})
    params: list[tuple[str, str | int]] = [
        ("searchCriteria[filter_groups][0][filters][0][field]", "updated_at"),
        ("searchCriteria[filter_groups][0][filters][0][value]", "2024-01-01 00:00:00"),
        ("searchCriteria[sortOrders][0][field]", "updated_at"),
        ("searchCriteria[sortOrders][1][field]", "entity_id"),
        ("searchCriteria[pageSize]", 100),
    ]
    make_client().get_json("/V1/orders", params=params)
    query = urlsplit(str(shop.calls[0].request.url)).query
    names = [unquote(pair.split("=")[0]) for pair in query.split("&")]
    assert names == [name for name, _ in params]
    assert query.endswith("searchCriteria%5BpageSize%5D=100")


def test_requests_carry_user_agent_json_accept_and_default_headers(
    shop: responses.RequestsMock, make_client: Callable[..., HttpClient]
) -> None:
    shop.put(f"{BASE}/rules/1", status=204)
    client = make_client(default_headers={"X-Store": "default"})
    assert client.put_json("/rules/1", {"name": "x"}, headers={"X-Trace": "1"}) is None
    sent = shop.calls[0].request
    assert sent.headers["User-Agent"].startswith("loyalty-connector")
    assert sent.headers["Accept"] == "application/json"
    assert (sent.headers["X-Store"], sent.headers["X-Trace"]) == ("default", "1")
    assert sent.body == b'{"name": "x"}'


def test_request_returns_the_raw_response(
    shop: responses.RequestsMock, make_client: Callable[..., HttpClient]
) -> None:
    shop.delete(f"{BASE}/rules/1", body="", status=204)
    shop.patch(f"{BASE}/rules/2", json={"id": 2})
    client = make_client()
    assert client.request("delete", "rules/1").status_code == 204
    assert client.delete_json("/rules/1") is None
    assert client.patch_json("/rules/2", {"active": False}) == {"id": 2}


def test_shared_budget_paces_every_client_and_a_429_holds_everyone_back(
    shop: responses.RequestsMock, make_client: Callable[..., HttpClient]
) -> None:
    clock = [0.0]
    budget_sleeps: list[float] = []

    def budget_sleep(seconds: float) -> None:
        budget_sleeps.append(seconds)
        clock[0] += seconds

    budget = RequestBudget(rate=2.0, burst=1, clock=lambda: clock[0], sleep=budget_sleep)
    first, second = make_client(budget=budget), make_client(budget=budget)
    shop.get(f"{BASE}/orders", json=[])
    for client in (first, second, first, second):
        client.get_json("/orders")
    assert budget_sleeps == [0.5, 0.5, 0.5]
    shop.get(f"{BASE}/slow", status=429, headers={"Retry-After": "30"})
    with pytest.raises(RateLimitedError):
        make_client(budget=budget, retry=RetryPolicy(max_attempts=1)).get_json("/slow")
    budget_sleeps.clear()
    second.get_json("/orders")
    assert budget_sleeps == [pytest.approx(30.0)]


def test_bad_base_url_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match=r"base_url must be an absolute http\(s\) URL"):
        HttpClient("shop.test/api", source="testshop")


def test_close_leaves_a_session_passed_in_open(make_client: Callable[..., HttpClient]) -> None:
    session = requests.Session()
    closed: list[bool] = []
    session.close = lambda: closed.append(True)  # type: ignore[method-assign]
    with make_client(session=session):
        pass
    assert closed == []


# --- secrets and logs ---------------------------------------------------------------------------


def test_secrets_never_reach_exception_messages_or_logs_even_when_the_shop_echoes_them(
    shop: responses.RequestsMock, make_client: Callable[..., HttpClient], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    echo = f"token {TOKEN} rejected for /orders?access_token={QUERY_SECRET}; Authorization: Bearer {TOKEN}"
    shop.get(f"{BASE}/orders", status=503, body=f"<pre>{echo}</pre>", content_type="text/html")
    shop.get(f"{BASE}/orders", status=400, json={"message": echo, "password": "hunter2-password"})
    client = make_client(auth=BearerAuth(lambda: TOKEN))
    with pytest.raises(ShopRequestError) as caught:
        client.get_json("/orders", params={"access_token": QUERY_SECRET, "page": 1})
    shop.post(f"{BASE}/token", status=503, json={"error_description": f"bad client_secret {QUERY_SECRET}"})
    with pytest.raises(ShopUnavailableError) as exhausted:
        make_client(retry=RetryPolicy(max_attempts=2, jitter=0.0)).post_json(
            "/token", {"client_secret": QUERY_SECRET}, authenticate=False, idempotent=True
        )
    texts = [str(caught.value), str(exhausted.value), caplog.text]
    for text in texts:
        assert TOKEN not in text
        assert QUERY_SECRET not in text
        assert "hunter2" not in text
    assert "HTTP 400: token [REDACTED] rejected" in str(caught.value)
    assert "access_token=[REDACTED]" in caplog.text


def test_secrets_in_real_urls_stay_out_of_library_logs(
    make_client: Callable[..., HttpClient], caplog: pytest.LogCaptureFixture
) -> None:
    server = SandboxServer()
    server.route("GET", "/echo", lambda r: SandboxResponse(400, {"message": f"you sent {r.raw_target}"}))

    def auth_echo(request: SandboxRequest) -> SandboxResponse:
        return SandboxResponse(400, {"message": f"header was {request.header('authorization')}"})

    server.route("GET", "/auth", auth_echo)
    caplog.set_level(logging.DEBUG)
    with server:
        client = make_client(server.base_url, auth=BearerAuth(lambda: TOKEN))
        with pytest.raises(ShopRequestError) as echoed:
            client.get_json("/echo", params={"access_token": QUERY_SECRET})
        with pytest.raises(ShopRequestError) as header:
            client.get_json("/auth")
    # The client side only: the sandbox plays the shop, whose own access log is not ours to keep clean.
    client_side = [
        r.getMessage() for r in caplog.records if r.name.startswith(("urllib3", "loyalty_connector.http"))
    ]
    assert any("/echo?access_token=[REDACTED]" in line for line in client_side)
    for text in (str(echoed.value), str(header.value), *client_side):
        assert QUERY_SECRET not in text
        assert TOKEN not in text


def test_each_retry_is_logged_with_reason_and_wait_and_bodies_never_are(
    shop: responses.RequestsMock, make_client: Callable[..., HttpClient], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="loyalty_connector.http")
    shop.get(f"{BASE}/orders", status=429, headers={"Retry-After": "4"}, json={"message": "jane@example.com"})
    shop.get(f"{BASE}/orders", json={"email": "jane@example.com"})
    make_client().get_json("/orders")
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [
        "[testshop] GET /orders: HTTP 429 (attempt 1 of 4); retrying in 4.00 s (the shop asked for 4 s)"
    ]
    debug = [r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG]
    assert len(debug) == 2
    assert debug[0].startswith("[testshop] GET /api/orders -> 429 in ")
    assert debug[1].endswith("(attempt 2)")
    assert "jane@example.com" not in caplog.text


def test_long_queries_are_logged_by_parameter_name_only(
    shop: responses.RequestsMock, make_client: Callable[..., HttpClient], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="loyalty_connector.http")
    shop.get(f"{BASE}/orders", json=[])
    params = [(f"searchCriteria[filter][{n}][value]", f"customer{n}@example.com") for n in range(6)]
    make_client().get_json("/orders", params=params)
    assert "customer0@example.com" not in caplog.text
    assert "searchCriteria[filter][5][value]=…" in caplog.text


def test_non_json_error_bodies_are_cut_to_a_short_summary(
    shop: responses.RequestsMock, make_client: Callable[..., HttpClient]
) -> None:
    shop.get(f"{BASE}/a", status=404, body="<html><title>Page not found</title><body>huge</body></html>")
    shop.get(f"{BASE}/b", status=400, body="x" * 5000, content_type="text/plain")
    shop.get(f"{BASE}/c", status=400, json={"customer": {"email": "jane@example.com"}})
    client = make_client()
    with pytest.raises(NotFoundError, match=r"HTTP 404: Page not found\. "):
        client.get_json("/a")
    with pytest.raises(ShopRequestError) as long_body:
        client.get_json("/b")
    assert "x" * 199 + "…" in str(long_body.value)
    assert "x" * 201 not in str(long_body.value)
    with pytest.raises(ShopRequestError) as no_message:
        client.get_json("/c")
    assert "jane@example.com" not in str(no_message.value)
    assert "no message in the response" in str(no_message.value)


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("Authorization: Bearer abc.def-ghi", "abc.def-ghi"),
        ('{"access_token":"eyJhbGciOi.x.y","expires_in":600}', "eyJhbGciOi"),
        ('{"refresh_token": "def50200aa", "token_type": "Bearer"}', "def50200aa"),
        ("/rest/V1/orders?searchCriteria[pageSize]=5&access_token=qqq111&x=1", "qqq111"),
        ('OAuth oauth_consumer_key="ck111", oauth_token="tk222", oauth_signature="sig%3D333"', "ck111"),
        ('OAuth oauth_consumer_key="ck111", oauth_token="tk222", oauth_signature="sig%3D333"', "tk222"),
        ('OAuth oauth_consumer_key="ck111", oauth_token="tk222", oauth_signature="sig%3D333"', "sig%3D333"),
        ("oauth_signature=sig444&oauth_token=tk555", "sig444"),
        ("grant_type=password&username=admin&password=hunter2&client_secret=cs666", "hunter2"),
        ("grant_type=password&username=admin&password=hunter2&client_secret=cs666", "cs666"),
        ("{'Authorization': 'Basic dXNlcjpwYXNz'}", "dXNlcjpwYXNz"),
        ('{"customer": {"newPassword": "p@ss w0rd"}}', "p@ss w0rd"),
        ("client_secret: cs777 was wrong", "cs777"),
    ],
)
def test_redact_removes_credentials(text: str, secret: str) -> None:
    assert secret not in redact(text)
    assert "[REDACTED]" in redact(text)


@pytest.mark.parametrize(
    "text",
    [
        '{"password": "hunter2-cut-off-by-trunca',
        '"password": "' + "a\\" * 5000,
        '"token": "' * 2000,
    ],
)
def test_redact_handles_unterminated_and_adversarial_values_in_linear_time(text: str) -> None:
    assert "hunter2" not in redact(text)
    assert "a\\a\\" not in redact(text)


def test_a_secret_cut_by_truncation_does_not_leak_its_first_characters(
    shop: responses.RequestsMock, make_client: Callable[..., HttpClient]
) -> None:
    shop.get(f"{BASE}/orders", status=400, body="x" * 190 + TOKEN, content_type="text/plain")
    with pytest.raises(ShopRequestError) as caught:
        make_client(auth=BearerAuth(lambda: TOKEN)).get_json("/orders")
    assert TOKEN[:8] not in str(caught.value)


def test_redact_leaves_ordinary_text_alone() -> None:
    text = "GET /api/order?page=2&limit=100 -> HTTP 503: maintenance until 12:00. Try again later."
    assert redact(text) == text


def test_redacting_filter_cleans_messages_arguments_and_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    log = logging.getLogger("tests.redaction")
    log.addFilter(RedactingFilter())
    caplog.set_level(logging.INFO, logger="tests.redaction")
    try:
        try:
            raise ValueError(f"failed with Authorization: Bearer {TOKEN}")
        except ValueError:
            log.exception("calling %s", f"/x?access_token={QUERY_SECRET}")
    finally:
        log.filters.clear()
    assert TOKEN not in caplog.text
    assert QUERY_SECRET not in caplog.text
    assert "calling /x?access_token=[REDACTED]" in caplog.text


def test_public_names_are_exported() -> None:
    for name in http_module.__all__:
        value = getattr(http_module, name)
        if callable(value) and not hasattr(value, "__origin__"):
            assert value.__doc__, name
    assert {"HttpClient", "RetryPolicy", "ErrorRule", "Action", "DEFAULT_ERROR_TABLE", "Auth"} <= set(
        http_module.__all__
    )
    assert {"BearerAuth", "RequestBudget", "redact", "RedactingFilter"} <= set(http_module.__all__)


def test_redact_blanks_oauthlib_debug_parameter_pairs() -> None:
    line = (
        "Collected params: [('oauth_nonce', '123'), ('oauth_consumer_key', 'ck_abcdef123'), "
        "('oauth_token', 'tk_9876')]"
    )
    cleaned = redact(line)
    assert "ck_abcdef123" not in cleaned
    assert "tk_9876" not in cleaned
    assert "('oauth_nonce', '123')" in cleaned


def test_redact_blanks_percent_encoded_oauth_values_in_a_signature_base_string() -> None:
    base = (
        "GET&http%3A%2F%2Fshop%2Frest&oauth_consumer_key%3Dck_ab%2Bc123%26oauth_token%3Dtk_9876"
        "%26oauth_version%3D1.0"
    )
    cleaned = redact(base)
    assert "ck_ab" not in cleaned
    assert "tk_9876" not in cleaned
    assert "oauth_version%3D1.0" in cleaned


def test_proxy_settings_come_from_the_environment_once_per_host(shop, make_client, monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    monkeypatch.setenv("NO_PROXY", "other.test")
    client = make_client()
    merged: list[str] = []
    merge = client._session.merge_environment_settings

    def counting(url: str, *args: Any) -> Any:
        merged.append(url)
        return merge(url, *args)

    monkeypatch.setattr(client._session, "merge_environment_settings", counting)
    shop.get(f"{BASE}/orders", json={"items": []})
    seen: list[Any] = []
    original = requests.adapters.HTTPAdapter.send

    def spy(self: Any, request: Any, **kwargs: Any) -> Any:
        seen.append(kwargs.get("proxies"))
        return original(self, request, **kwargs)

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", spy)
    client.get_json("/orders")
    client.get_json("/orders")
    assert merged == [f"{BASE}/orders"], "read once for the host, not on every request"
    assert [proxies["https"] for proxies in seen] == ["http://proxy.internal:3128"] * 2, "every request"
