"""The Shopware client over mocked HTTP: tokens, refresh, throttling, headers, errors, retries."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import responses
from responses import matchers

from loyalty_connector.errors import AuthenticationError, RateLimitedError, ShopRequestError
from loyalty_connector.http import RetryPolicy
from loyalty_connector_shopware.auth import ClientCredentialsGrant, PasswordGrant
from loyalty_connector_shopware.client import ShopwareClient

SAMPLES = Path("/work/shared/specs/shopware/samples")
BASE = "https://shop.test"
TOKEN_URL = f"{BASE}/api/oauth/token"
SEARCH_URL = f"{BASE}/api/search/customer"
SYNC_URL = f"{BASE}/api/_action/sync"


def sample(name: str) -> object:
    return json.loads((SAMPLES / name).read_text())


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sleeps() -> list[float]:
    return []


def make_client(clock: FakeClock, sleeps: list[float], grant: object | None = None) -> ShopwareClient:
    return ShopwareClient(
        BASE,
        grant or ClientCredentialsGrant("SWIAEXAMPLE", "top-secret-value"),  # type: ignore[arg-type]
        source="sw",
        retry=RetryPolicy(max_attempts=3, backoff=0.01, jitter=0.0, max_wait=60.0),
        sleep=sleeps.append,
        clock=clock,
    )


def token(value: str, expires_in: int = 600, refresh: str | None = None) -> dict[str, object]:
    body: dict[str, object] = {"token_type": "Bearer", "expires_in": expires_in, "access_token": value}
    if refresh is not None:
        body["refresh_token"] = refresh
    return body


def bearer(call: responses.Call) -> str | None:
    return call.request.headers.get("Authorization")


@responses.activate
def test_token_is_reused_until_shortly_before_expires_in_then_renewed(clock, sleeps) -> None:
    responses.post(TOKEN_URL, json=token("first", expires_in=300))
    responses.post(TOKEN_URL, json=token("second", expires_in=300))
    responses.post(SEARCH_URL, json={"total": 0, "data": []})
    client = make_client(clock, sleeps)

    client.search("customer", {"limit": 1})
    clock.now += 260  # 40 s left: more than the 30 s margin, keep the token
    client.search("customer", {"limit": 1})
    clock.now += 20  # 20 s left: renew before the request instead of failing mid-way
    client.search("customer", {"limit": 1})

    searches = [c for c in responses.calls if c.request.url == SEARCH_URL]
    assert [bearer(c) for c in searches] == ["Bearer first", "Bearer first", "Bearer second"]
    assert sum(c.request.url == TOKEN_URL for c in responses.calls) == 2


@responses.activate
def test_client_credentials_request_matches_the_documented_body(clock, sleeps) -> None:
    expected = {
        "grant_type": "client_credentials",
        "client_id": "SWIAEXAMPLE",
        "client_secret": "top-secret-value",
    }
    responses.post(TOKEN_URL, json=token("t"), match=[matchers.json_params_matcher(expected)])
    responses.post(SEARCH_URL, json={"data": []})
    make_client(clock, sleeps).search("customer", {"limit": 1})
    documented = sample("oauth-token.client-credentials.request.json")
    assert set(documented) == set(expected)  # type: ignore[arg-type]


@responses.activate
def test_a_401_refreshes_the_token_once_and_retries(clock, sleeps) -> None:
    responses.post(TOKEN_URL, json=token("old"))
    responses.post(TOKEN_URL, json=token("new"))
    responses.post(SEARCH_URL, status=401, json=sample("error-401.missing-authorization.json"))
    responses.post(SEARCH_URL, json={"data": [{"id": "a"}]})
    assert make_client(clock, sleeps).search("customer", {"limit": 1}) == [{"id": "a"}]
    searches = [c for c in responses.calls if c.request.url == SEARCH_URL]
    assert [bearer(c) for c in searches] == ["Bearer old", "Bearer new"]


@responses.activate
def test_a_second_401_after_refreshing_fails_with_a_clear_authentication_error(clock, sleeps) -> None:
    responses.post(TOKEN_URL, json=token("old"))
    responses.post(TOKEN_URL, json=token("new"))
    responses.post(SEARCH_URL, status=401, json=sample("error-401.missing-authorization.json"))
    responses.post(SEARCH_URL, status=401, json=sample("error-401.missing-authorization.json"))
    with pytest.raises(AuthenticationError) as caught:
        make_client(clock, sleeps).search("customer", {"limit": 1})
    message = str(caught.value)
    assert "refreshing the credentials once" in message
    assert "Missing token" in message
    assert "Bearer" not in message
    assert sum(c.request.url == SEARCH_URL for c in responses.calls) == 2


@responses.activate
def test_wrong_client_credentials_fail_with_authentication_error_without_the_secret(clock, sleeps) -> None:
    responses.post(TOKEN_URL, status=401, json=sample("error-401.invalid-client.json"))
    with pytest.raises(AuthenticationError) as caught:
        make_client(clock, sleeps).search("customer", {"limit": 1})
    assert "Client authentication failed" in str(caught.value)
    assert "top-secret-value" not in str(caught.value)
    assert not any(c.request.url == SEARCH_URL for c in responses.calls)


@responses.activate
def test_wrong_password_answered_400_is_an_authentication_error(clock, sleeps) -> None:
    responses.post(TOKEN_URL, status=400, json=sample("error-400.invalid-password-grant.json"))
    client = make_client(clock, sleeps, PasswordGrant("admin", "wrong-password"))
    with pytest.raises(AuthenticationError, match="user credentials were incorrect"):
        client.search("customer", {"limit": 1})


@responses.activate
def test_password_grant_uses_the_rotated_refresh_token_and_keeps_the_newest(clock, sleeps) -> None:
    responses.post(
        TOKEN_URL,
        json=token("a1", refresh="r1"),
        match=[matchers.json_params_matcher({"grant_type": "password"}, strict_match=False)],
    )
    responses.post(
        TOKEN_URL,
        json=token("a2", refresh="r2"),
        match=[
            matchers.json_params_matcher(
                {"grant_type": "refresh_token", "refresh_token": "r1"}, strict_match=False
            )
        ],
    )
    responses.post(
        TOKEN_URL,
        json=token("a3", refresh="r3"),
        match=[
            matchers.json_params_matcher(
                {"grant_type": "refresh_token", "refresh_token": "r2"}, strict_match=False
            )
        ],
    )
    responses.post(SEARCH_URL, json={"data": []})
    client = make_client(clock, sleeps, PasswordGrant("admin", "shopware"))
    for _ in range(3):
        client.search("customer", {"limit": 1})
        clock.now += 600
    searches = [c for c in responses.calls if c.request.url == SEARCH_URL]
    assert [bearer(c) for c in searches] == ["Bearer a1", "Bearer a2", "Bearer a3"]
    first = json.loads(responses.calls[0].request.body)
    assert first["client_id"] == "administration"


@responses.activate
@pytest.mark.parametrize("status", [400, 401])
def test_a_rejected_refresh_token_falls_back_to_the_password_grant(clock, sleeps, status) -> None:
    password = matchers.json_params_matcher({"grant_type": "password"}, strict_match=False)
    refresh = matchers.json_params_matcher({"grant_type": "refresh_token"}, strict_match=False)
    responses.post(TOKEN_URL, json=token("a1", refresh="r1"), match=[password])
    responses.post(
        TOKEN_URL,
        status=status,
        json={
            "errors": [
                {
                    "code": "8",
                    "status": str(status),
                    "title": "The refresh token is invalid.",
                    "detail": "Token has been revoked",
                }
            ]
        },
        match=[refresh],
    )
    responses.post(TOKEN_URL, json=token("a2", refresh="r9"), match=[password])
    responses.post(SEARCH_URL, json={"data": []})
    client = make_client(clock, sleeps, PasswordGrant("admin", "shopware"))
    client.search("customer", {"limit": 1})
    clock.now += 600
    client.search("customer", {"limit": 1})
    assert bearer([c for c in responses.calls if c.request.url == SEARCH_URL][-1]) == "Bearer a2"


@responses.activate
def test_auth_throttling_waits_the_seconds_from_the_body_then_retries(clock, sleeps) -> None:
    responses.post(TOKEN_URL, status=429, json=sample("error-429.auth-throttled.json"))
    responses.post(TOKEN_URL, json=token("t"))
    responses.post(SEARCH_URL, json={"data": []})
    make_client(clock, sleeps).search("customer", {"limit": 1})
    assert sleeps == [10.0]


@responses.activate
def test_auth_throttling_longer_than_the_retry_budget_fails_naming_the_wait(clock, sleeps) -> None:
    body = sample("error-429.auth-throttled.json")
    body["errors"][0]["meta"]["parameters"]["seconds"] = 900  # type: ignore[index]
    responses.post(TOKEN_URL, status=429, json=body)
    with pytest.raises(RateLimitedError) as caught:
        make_client(clock, sleeps).search("customer", {"limit": 1})
    assert caught.value.retry_after == 900
    assert sleeps == []


@responses.activate
def test_every_request_sends_accept_application_json_and_a_content_type(clock, sleeps) -> None:
    responses.post(TOKEN_URL, json=token("t"))
    responses.post(SEARCH_URL, json={"data": []})
    responses.post(SYNC_URL, json={"data": {}, "notFound": [], "deleted": []})
    client = make_client(clock, sleeps)
    client.search("customer", {"limit": 1})
    client.sync([{"key": "k", "entity": "tax", "action": "upsert", "payload": [{"id": "1"}]}])
    assert len(responses.calls) == 3
    for call in responses.calls:
        assert call.request.headers["Accept"] == "application/json"
        assert call.request.headers["Content-Type"] == "application/json"


@responses.activate
def test_a_json_api_answer_is_refused_with_a_hint_about_the_accept_header(clock, sleeps) -> None:
    responses.post(TOKEN_URL, json=token("t"))
    responses.post(f"{BASE}/api/search/product", json=sample("search-product.jsonapi.response.json"))
    with pytest.raises(ShopRequestError, match="JSON:API"):
        make_client(clock, sleeps).search("product", {"limit": 2})


@responses.activate
def test_query_limit_error_names_the_field_and_the_maximum(clock, sleeps) -> None:
    responses.post(TOKEN_URL, json=token("t"))
    responses.post(SEARCH_URL, status=400, json=sample("error-400.query-limit-exceeded.json"))
    with pytest.raises(ShopRequestError) as caught:
        make_client(clock, sleeps).search("customer", {"limit": 1000})
    message = str(caught.value)
    assert "MAX_LIMIT(=500)" in message
    assert "FRAMEWORK__QUERY_LIMIT_EXCEEDED" in message
    assert "/limit" in message


@responses.activate
def test_a_sync_batch_is_retried_after_a_gateway_error_with_the_identical_body(clock, sleeps) -> None:
    responses.post(TOKEN_URL, json=token("t"))
    responses.post(SYNC_URL, status=503, json={"errors": [{"status": "503", "title": "Service Unavailable"}]})
    responses.post(SYNC_URL, json={"data": {"customer_group": ["0" * 32]}, "notFound": [], "deleted": []})
    operations = [
        {
            "key": "k",
            "entity": "customer_group",
            "action": "upsert",
            "payload": [{"id": "0" * 32, "name": "x"}],
        }
    ]
    make_client(clock, sleeps).sync(operations)
    bodies = [c.request.body for c in responses.calls if c.request.url == SYNC_URL]
    assert len(bodies) == 2
    assert bodies[0] == bodies[1]  # same deterministic ids: the retry cannot create a duplicate


@responses.activate
def test_a_sync_batch_that_timed_out_after_sending_is_retried_because_it_is_idempotent(clock, sleeps) -> None:
    import requests

    responses.post(TOKEN_URL, json=token("t"))
    responses.post(SYNC_URL, body=requests.ReadTimeout("read timed out"))
    responses.post(SYNC_URL, json={"data": {}, "notFound": [], "deleted": []})
    make_client(clock, sleeps).sync(
        [{"key": "k", "entity": "tax", "action": "delete", "payload": [{"id": "1"}]}]
    )
    assert sum(c.request.url == SYNC_URL for c in responses.calls) == 2


@responses.activate
def test_the_default_currency_is_looked_up_once_by_its_fixed_id(clock, sleeps) -> None:
    responses.post(TOKEN_URL, json=token("t"))
    responses.post(
        f"{BASE}/api/search/currency",
        json={"data": [{"id": "b7d2554b0ce847cd82f3ac9bd1c0dfca", "isoCode": "EUR"}]},
        match=[
            matchers.json_params_matcher({"ids": ["b7d2554b0ce847cd82f3ac9bd1c0dfca"]}, strict_match=False)
        ],
    )
    client = make_client(clock, sleeps)
    assert client.default_currency() == "EUR"
    assert client.default_currency() == "EUR"
    assert sum("currency" in c.request.url for c in responses.calls) == 1


def test_base_url_with_or_without_api_suffix_reaches_the_same_root() -> None:
    from loyalty_connector_shopware.client import api_root

    assert api_root("https://shop.test") == "https://shop.test/api"
    assert api_root("https://shop.test/api/") == "https://shop.test/api"
