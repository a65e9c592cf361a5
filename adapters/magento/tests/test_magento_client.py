"""The Magento client over mocked HTTP: the three auth modes, retries, and readable errors."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

import pytest
import responses

from loyalty_connector.errors import (
    AuthenticationError,
    ConfigurationError,
    NotFoundError,
    RateLimitedError,
    ShopRequestError,
    ShopUnavailableError,
)
from loyalty_connector.http import RetryPolicy
from loyalty_connector.program import SourceConfig
from loyalty_connector_magento import create
from loyalty_connector_magento.auth import OAuth1Signer
from loyalty_connector_magento.client import Filter, MagentoClient

BASE = "https://shop.example.com"
ORDERS = f"{BASE}/rest/all/V1/orders"
TOKEN_URL = f"{BASE}/rest/all/V1/integration/admin/token"
SAMPLES = Path(__file__).parent / "samples"
OAUTH = {
    "consumer_key": "ck-1234567890",
    "consumer_secret": "cs-secret-abc",
    "access_token": "at-0987654321",
    "access_token_secret": "ats-secret-xyz",
}
EMPTY = {"items": [], "search_criteria": {}, "total_count": 0}


def sample(name: str) -> Any:
    return json.loads((SAMPLES / name).read_text())


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def client(mode: str = "oauth", credentials: dict[str, str] | None = None, **kw: Any) -> MagentoClient:
    creds = credentials if credentials is not None else OAUTH
    kw.setdefault("retry", RetryPolicy(max_attempts=3, backoff=0.01, max_wait=30))
    kw.setdefault("sleep", Sleeps())
    return MagentoClient(BASE, source="m2", auth_mode=mode, credentials=creds, **kw)


# --- OAuth 1.0a ---------------------------------------------------------------------------------------


def fixed_signer() -> OAuth1Signer:
    return OAuth1Signer(*OAUTH.values(), nonce=lambda: "n0nce4242", timestamp=lambda: "1700000000")


SIGNED_URL = f"{ORDERS}?searchCriteria%5BpageSize%5D=2&searchCriteria%5BcurrentPage%5D=1"


def test_oauth_header_matches_the_known_hmac_sha256_vector() -> None:
    assert fixed_signer().authorization("GET", SIGNED_URL) == (
        'OAuth oauth_nonce="n0nce4242", oauth_timestamp="1700000000", oauth_version="1.0", '
        'oauth_signature_method="HMAC-SHA256", oauth_consumer_key="ck-1234567890", '
        'oauth_token="at-0987654321", oauth_signature="bTWg5DKM%2Fk6eLkMWrqJ0WGEaogCELim%2FNF1Ono0zbYA%3D"'
    )


def test_oauth_signature_is_hmac_sha256_over_the_rfc5849_base_string_with_query_parameters() -> None:
    def pct(text: str) -> str:
        return quote(text, safe="~")

    params = [
        ("oauth_consumer_key", OAUTH["consumer_key"]),
        ("oauth_nonce", "n0nce4242"),
        ("oauth_signature_method", "HMAC-SHA256"),
        ("oauth_timestamp", "1700000000"),
        ("oauth_token", OAUTH["access_token"]),
        ("oauth_version", "1.0"),
        ("searchCriteria[pageSize]", "2"),
        ("searchCriteria[currentPage]", "1"),
    ]
    normalized = "&".join(f"{k}={v}" for k, v in sorted((pct(k), pct(v)) for k, v in params))
    base_string = f"GET&{pct(ORDERS)}&{pct(normalized)}"
    assert base_string.startswith(
        "GET&https%3A%2F%2Fshop.example.com%2Frest%2Fall%2FV1%2Forders&oauth_consumer_key"
    )
    key = f"{OAUTH['consumer_secret']}&{OAUTH['access_token_secret']}".encode()
    expected = base64.b64encode(hmac.new(key, base_string.encode(), hashlib.sha256).digest()).decode()
    header = fixed_signer().authorization("GET", SIGNED_URL)
    assert f'oauth_signature="{quote(expected, safe="")}"' in header


@responses.activate
def test_oauth_signs_the_final_url_and_leaves_the_json_body_out_of_the_signature() -> None:
    responses.post(f"{BASE}/rest/all/V1/customerGroups", json={"id": 4, "code": "Gold"})
    signer = fixed_signer()
    c = client(oauth_signer=signer)
    c.post("/V1/customerGroups", {"group": {"code": "Gold", "tax_class_id": 3}})
    sent = responses.calls[0].request
    assert sent.headers["Authorization"] == signer.authorization("POST", f"{BASE}/rest/all/V1/customerGroups")
    assert json.loads(sent.body) == {"group": {"code": "Gold", "tax_class_id": 3}}


@responses.activate
def test_a_rejected_oauth_signature_fails_at_once_with_what_to_check() -> None:
    responses.get(ORDERS, status=401, json=sample("error-401.oauth-signature-invalid.reconstructed.json"))
    with pytest.raises(AuthenticationError) as caught:
        client().search("/V1/orders", [], page_size=5)
    text = str(caught.value)
    assert "The signature is invalid" in text
    assert "consumer key/secret" in text
    assert OAUTH["consumer_secret"] not in text
    assert len(responses.calls) == 1


# --- bearer and admin token ---------------------------------------------------------------------------


@responses.activate
def test_bearer_mode_sends_the_access_token_and_explains_both_causes_of_a_401() -> None:
    responses.get(ORDERS, status=401, json=sample("error-401.consumer-not-authorized.json"))
    with pytest.raises(AuthenticationError) as caught:
        client("bearer", {"access_token": "tok-standalone-123"}).search("/V1/orders", [], page_size=5)
    assert responses.calls[0].request.headers["Authorization"] == "Bearer tok-standalone-123"
    text = str(caught.value)
    assert "Magento_Sales::actions_view" in text
    assert "ACL resource" in text
    assert "standalone Bearer tokens" in text
    assert "auth: oauth" in text
    assert "tok-standalone-123" not in text


@responses.activate
def test_admin_token_is_fetched_once_and_re_requested_once_after_a_401() -> None:
    tokens = iter(["adm-token-1", "adm-token-2"])
    responses.add_callback(
        responses.POST, TOKEN_URL, callback=lambda request: (200, {}, json.dumps(next(tokens)))
    )
    responses.get(ORDERS, status=401, json=sample("error-401.consumer-not-authorized.json"))
    responses.get(ORDERS, json=EMPTY)
    c = client("admin_token", {"username": "api-user", "password": "pa55word!"})
    assert c.search("/V1/orders", [], page_size=5).items == []
    auths = [
        call.request.headers.get("Authorization") for call in responses.calls if "orders" in call.request.url
    ]
    assert auths == ["Bearer adm-token-1", "Bearer adm-token-2"]
    assert json.loads(responses.calls[0].request.body) == {"username": "api-user", "password": "pa55word!"}
    c.search("/V1/orders", [], page_size=5)
    assert sum("admin/token" in call.request.url for call in responses.calls) == 2


@responses.activate
def test_admin_token_with_two_factor_auth_on_recommends_an_integration() -> None:
    responses.post(TOKEN_URL, status=400, json=sample("error-400.admin-token-2fa.json"))
    with pytest.raises(AuthenticationError) as caught:
        client("admin_token", {"username": "api-user", "password": "pa55word!"}).get("/V1/orders")
    text = str(caught.value)
    assert "Two-Factor" in text
    assert "integration" in text
    assert "auth: oauth" in text
    assert "pa55word!" not in text


@responses.activate
def test_admin_token_with_a_wrong_password_names_the_credentials_to_check() -> None:
    responses.post(
        TOKEN_URL,
        status=401,
        json={"message": "The account sign-in was incorrect or your account is disabled temporarily."},
    )
    with pytest.raises(AuthenticationError, match="username and password") as caught:
        client("admin_token", {"username": "api-user", "password": "pa55word!"}).get("/V1/orders")
    assert "pa55word!" not in str(caught.value)


@pytest.mark.parametrize(
    ("mode", "credentials", "missing"),
    [
        ("oauth", {"consumer_key": "a", "consumer_secret": "b", "access_token": "c"}, "access_token_secret"),
        ("bearer", {}, "access_token"),
        ("admin_token", {"username": "u"}, "password"),
    ],
)
def test_a_missing_credential_is_a_configuration_error_naming_it(
    mode: str, credentials: dict[str, str], missing: str
) -> None:
    config = SourceConfig(adapter="magento", base_url=BASE, settings={"auth": mode})
    with pytest.raises(ConfigurationError, match=missing):
        create("m2", config, credentials, None)


def test_an_unknown_setting_or_auth_mode_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="pagesize"):
        create("m2", SourceConfig(adapter="magento", base_url=BASE, settings={"pagesize": 5}), OAUTH, None)
    with pytest.raises(ConfigurationError, match=r"settings\.auth"):
        create("m2", SourceConfig(adapter="magento", base_url=BASE, settings={"auth": "basic"}), OAUTH, None)


# --- retries, store codes, searchCriteria --------------------------------------------------------------


@responses.activate
def test_a_503_is_retried_and_retry_after_is_honoured() -> None:
    responses.get(ORDERS, status=503, headers={"Retry-After": "7"}, body="<html>busy</html>")
    responses.get(
        ORDERS, status=429, headers={"Retry-After": "2"}, json=sample("error-429.backpressure.adobedocs.json")
    )
    responses.get(ORDERS, json=EMPTY)
    sleeps = Sleeps()
    assert client(sleep=sleeps).search("/V1/orders", [], page_size=5).items == []
    assert len(sleeps) == 2
    assert sleeps[0] >= 7
    assert 2 <= sleeps[1] < 7


@responses.activate
def test_rate_limiting_that_never_ends_fails_with_a_rate_limited_error() -> None:
    responses.get(
        ORDERS, status=429, headers={"Retry-After": "1"}, json=sample("error-429.backpressure.adobedocs.json")
    )
    with pytest.raises(RateLimitedError, match="Too Many Requests"):
        client().search("/V1/orders", [], page_size=5)
    assert len(responses.calls) == 3


@responses.activate
@pytest.mark.parametrize(
    ("status", "name", "error"),
    [
        (400, "error-400.positional-parameters.adobedocs.json", ShopRequestError),
        (404, "error-404.entity-not-found.order.json", NotFoundError),
    ],
)
def test_400_and_404_are_not_retried(status: int, name: str, error: type[Exception]) -> None:
    responses.get(f"{ORDERS}/9", status=status, json=sample(name))
    with pytest.raises(error):
        client().get("/V1/orders/9")
    assert len(responses.calls) == 1


@responses.activate
def test_a_masked_500_on_a_write_is_not_retried_and_says_so() -> None:
    responses.post(
        f"{BASE}/rest/all/V1/salesRules", status=500, json=sample("error-500.masked.reconstructed.json")
    )
    with pytest.raises(ShopUnavailableError) as caught:
        client().post("/V1/salesRules", {"rule": {}})
    assert "Report ID: webapi-6751d1c3a4f2e" in str(caught.value)
    assert "Not retried" in str(caught.value)
    assert len(responses.calls) == 1


@responses.activate
def test_an_unknown_store_code_is_a_404_that_points_at_store_code() -> None:
    responses.get(f"{BASE}/rest/nostore/V1/orders", status=404, json=sample("error-404.no-route.json"))
    with pytest.raises(NotFoundError) as caught:
        client(store_code="nostore").search("/V1/orders", [], page_size=5)
    assert "Request does not match any route" in str(caught.value)
    assert "store_code" in str(caught.value)


@responses.activate
def test_search_sends_filter_groups_explicit_directions_page_size_and_page_one() -> None:
    responses.get(ORDERS, json=EMPTY)
    groups = [
        [Filter("updated_at", "2025-03-04 10:11:12", "gt")],
        [Filter("state", "new"), Filter("state", "processing")],
    ]
    client().search("/V1/orders", groups, sort=[("updated_at", "asc")], page_size=50)
    pairs = parse_qsl(urlsplit(responses.calls[0].request.url).query)
    assert pairs == [
        ("searchCriteria[filter_groups][0][filters][0][field]", "updated_at"),
        ("searchCriteria[filter_groups][0][filters][0][value]", "2025-03-04 10:11:12"),
        ("searchCriteria[filter_groups][0][filters][0][condition_type]", "gt"),
        ("searchCriteria[filter_groups][1][filters][0][field]", "state"),
        ("searchCriteria[filter_groups][1][filters][0][value]", "new"),
        ("searchCriteria[filter_groups][1][filters][0][condition_type]", "eq"),
        ("searchCriteria[filter_groups][1][filters][1][field]", "state"),
        ("searchCriteria[filter_groups][1][filters][1][value]", "processing"),
        ("searchCriteria[filter_groups][1][filters][1][condition_type]", "eq"),
        ("searchCriteria[sortOrders][0][field]", "updated_at"),
        ("searchCriteria[sortOrders][0][direction]", "ASC"),
        ("searchCriteria[pageSize]", "50"),
        ("searchCriteria[currentPage]", "1"),
    ]


@responses.activate
def test_page_size_above_the_shops_input_limit_adapts_to_the_named_maximum_and_warns_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def answer(request: Any) -> tuple[int, dict[str, str], str]:
        size = int(dict(parse_qsl(urlsplit(request.url).query))["searchCriteria[pageSize]"])
        if size > 300:
            return 400, {}, json.dumps(sample("error-400.page-size-limit.reconstructed.json"))
        return 200, {}, json.dumps(EMPTY)

    responses.add_callback(responses.GET, ORDERS, callback=answer)
    c = client()
    with caplog.at_level(logging.WARNING):
        first = c.search("/V1/orders", [], page_size=500)
        second = c.search("/V1/orders", [], page_size=500)
    assert (first.page_size, second.page_size, c.page_cap) == (300, 300, 300)
    sizes = [
        dict(parse_qsl(urlsplit(call.request.url).query))["searchCriteria[pageSize]"]
        for call in responses.calls
    ]
    assert sizes == ["500", "300", "300"]
    warnings = [r for r in caplog.records if "pageSize" in r.getMessage()]
    assert len(warnings) == 1
    assert "300" in warnings[0].getMessage()


@responses.activate
def test_amounts_are_parsed_as_decimals() -> None:
    responses.get(f"{ORDERS}/3", body='{"grand_total": 36.39}')
    body = client().get("/V1/orders/3")
    assert str(body["grand_total"]) == "36.39"
    assert type(body["grand_total"]).__name__ == "Decimal"


@responses.activate
def test_oauth_sends_spaces_as_percent20_because_magento_rawurldecodes_the_query_it_signs() -> None:
    responses.get(ORDERS, json=EMPTY)
    signer = fixed_signer()
    client(oauth_signer=signer).search(
        "/V1/orders", [[Filter("updated_at", "2025-03-04 10:11:12", "gt")]], page_size=5
    )
    sent = responses.calls[0].request
    assert "+" not in urlsplit(sent.url).query
    assert "2025-03-04%2010%3A11%3A12" in sent.url
    assert sent.headers["Authorization"] == signer.authorization("GET", sent.url)
