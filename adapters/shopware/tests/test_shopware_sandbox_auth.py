"""OAuth of the sandbox behaves like Shopware's: grants, rotation, expiry, throttling, error bodies."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests

from loyalty_connector_shopware.sandbox import ShopwareSandbox
from loyalty_connector_shopware.sandbox.catalogue import STOREFRONT_ID

SAMPLES = Path(__file__).parent / "test_shopware_sandbox_samples"


def sample(name: str) -> Any:
    return json.loads((SAMPLES / name).read_text(encoding="utf-8"))


@pytest.fixture
def shop():
    with ShopwareSandbox(seed=3, customers=20, orders=40, token_lifetime=300) as running:
        yield running


def token(shop: ShopwareSandbox, **body: Any) -> requests.Response:
    return requests.post(f"{shop.base_url}/api/oauth/token", json=body, timeout=10)


def client_credentials(shop: ShopwareSandbox) -> dict[str, Any]:
    credentials = shop.credentials
    return token(
        shop,
        grant_type="client_credentials",
        client_id=credentials["client_id"],
        client_secret=credentials["client_secret"],
    ).json()


def password_grant(shop: ShopwareSandbox, password: str | None = None) -> requests.Response:
    credentials = shop.credentials
    return token(
        shop,
        client_id="administration",
        grant_type="password",
        scopes="write",
        username=credentials["username"],
        password=password or credentials["password"],
    )


def get_groups(shop: ShopwareSandbox, access_token: str | None) -> requests.Response:
    headers = {"Accept": "application/json"}
    if access_token is not None:
        headers["Authorization"] = f"Bearer {access_token}"
    return requests.get(f"{shop.base_url}/api/customer-group", headers=headers, timeout=10)


def test_client_credentials_grant_issues_a_bearer_token_without_refresh_token(shop):
    answer = client_credentials(shop)
    assert answer["token_type"] == "Bearer"
    assert answer["expires_in"] == 300
    assert "refresh_token" not in answer
    assert shop.credentials["client_id"].startswith("SWIA")
    assert get_groups(shop, answer["access_token"]).status_code == 200


def test_client_credentials_grant_accepts_a_form_encoded_body(shop):
    credentials = shop.credentials
    response = requests.post(
        f"{shop.base_url}/api/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": credentials["client_id"],
            "client_secret": credentials["client_secret"],
        },
        timeout=10,
    )
    assert response.status_code == 200
    assert response.json()["token_type"] == "Bearer"


def test_wrong_client_secret_answers_401_invalid_client(shop):
    response = token(
        shop, grant_type="client_credentials", client_id=shop.credentials["client_id"], client_secret="nope"
    )
    assert response.status_code == 401
    assert response.json() == sample("error-401.invalid-client.json")


def test_password_grant_issues_a_refresh_token(shop):
    answer = password_grant(shop).json()
    assert answer["refresh_token"].startswith("def502")
    assert get_groups(shop, answer["access_token"]).status_code == 200


def test_wrong_password_answers_400_invalid_credentials(shop):
    response = password_grant(shop, password="wrong")
    assert response.status_code == 400
    assert response.json() == sample("error-400.invalid-password-grant.json")


def test_refresh_token_rotates_and_an_old_one_is_rejected_after_use(shop):
    first = password_grant(shop).json()
    second = token(
        shop, grant_type="refresh_token", client_id="administration", refresh_token=first["refresh_token"]
    )
    assert second.status_code == 200
    rotated = second.json()
    assert rotated["refresh_token"] != first["refresh_token"]
    assert get_groups(shop, rotated["access_token"]).status_code == 200
    reused = token(
        shop, grant_type="refresh_token", client_id="administration", refresh_token=first["refresh_token"]
    )
    assert reused.status_code == 401
    assert reused.json()["errors"][0] == {
        "code": "8",
        "status": "401",
        "title": "The refresh token is invalid.",
        "detail": "Token has been revoked",
    }
    again = token(
        shop, grant_type="refresh_token", client_id="administration", refresh_token=rotated["refresh_token"]
    )
    assert again.status_code == 200


def test_missing_authorization_answers_the_real_401_body(shop):
    response = get_groups(shop, None)
    assert response.status_code == 401
    assert response.json() == sample("error-401.missing-authorization.json")


def test_expired_tokens_answer_401_access_denied(shop):
    access = client_credentials(shop)["access_token"]
    shop.expire_tokens()
    response = get_groups(shop, access)
    assert response.status_code == 401
    error = response.json()["errors"][0]
    assert error["code"] == "9"
    assert error["title"] == "The resource owner or authorization server denied the request."
    assert error["detail"] == "Access token could not be verified"
    assert get_groups(shop, client_credentials(shop)["access_token"]).status_code == 200


def test_a_malformed_token_is_denied(shop):
    response = get_groups(shop, "not-a-jwt")
    assert response.status_code == 401
    assert response.json()["errors"][0]["detail"] == "The JWT string must have two dots"


def test_throttled_token_request_answers_429_without_retry_after(shop):
    shop.throttle_auth(seconds=10)
    credentials = shop.credentials
    response = token(
        shop,
        grant_type="client_credentials",
        client_id=credentials["client_id"],
        client_secret=credentials["client_secret"],
    )
    assert response.status_code == 429
    assert "Retry-After" not in response.headers
    assert response.json() == sample("error-429.auth-throttled.json")
    assert client_credentials(shop)["token_type"] == "Bearer", "throttling applies to the next request only"


def test_unknown_grant_type_is_refused(shop):
    response = token(shop, grant_type="implicit")
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "2"


def test_injected_faults_carry_shopwares_error_envelope(shop):
    access = client_credentials(shop)["access_token"]
    shop.faults.fail_next("503")
    response = get_groups(shop, access)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert response.json()["errors"][0]["status"] == "503"
    shop.faults.fail_next("429")
    assert get_groups(shop, access).json()["errors"][0]["code"] == "FRAMEWORK__RATE_LIMIT_EXCEEDED"


def test_describe_gives_a_programme_source_with_env_var_names_only(shop):
    described = shop.describe()
    assert described["base_url"] == shop.base_url
    source = described["source"]
    assert source == {
        "adapter": "shopware",
        "base_url": shop.base_url,
        "settings": {"grant": "client_credentials", "sales_channel_id": STOREFRONT_ID},
        "credentials": {"client_id": "SHOPWARE_CLIENT_ID", "client_secret": "SHOPWARE_CLIENT_SECRET"},
    }
    assert described["env"] == {
        "SHOPWARE_CLIENT_ID": shop.credentials["client_id"],
        "SHOPWARE_CLIENT_SECRET": shop.credentials["client_secret"],
    }
    assert shop.credentials["client_secret"] not in json.dumps(source)


def test_describe_names_the_storefront_every_seeded_customer_is_bound_to(shop):
    channel = shop.describe()["source"]["settings"]["sales_channel_id"]
    assert channel in shop.entities["sales_channel"]
    assert {c["salesChannelId"] for c in shop.entities["customer"].values()} == {channel}
