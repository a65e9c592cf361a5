"""Authentication and authorisation as Magento 2.4.4+ answers them, plus Magento-looking injected faults."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from magento_sandbox_client import SIGNATURE_HMAC_SHA1, ShopClient, criteria

from loyalty_connector_magento.sandbox import MagentoSandbox

NOT_AUTHORIZED = "The consumer isn't authorized to access %resources."
SIGN_IN_FAILED = (
    "The account sign-in was incorrect or your account is disabled temporarily. "
    "Please wait and try again later."
)


@pytest.fixture(scope="module")
def shop() -> Iterator[MagentoSandbox]:
    with MagentoSandbox(seed=2, customers=20, orders=60) as sandbox:
        yield sandbox


@pytest.fixture
def client(shop: MagentoSandbox) -> ShopClient:
    return ShopClient(shop)


def admin_login(
    client: ShopClient, username: str | None = None, password: str | None = None
) -> requests.Response:
    creds = client.shop.credentials
    body = {"username": username or creds["admin_username"], "password": password or creds["admin_password"]}
    return client.post("/integration/admin/token", body, auth="none")


def test_an_oauth_signed_request_with_a_query_is_accepted(client: ShopClient) -> None:
    params = criteria([[("updated_at", "2025-01-01 00:00:00", "gt")]], [("entity_id", "ASC")], 5)
    response = client.get("/orders", params)
    assert response.status_code == 200
    assert len(response.json()["items"]) == 5


def test_a_query_with_spaces_encoded_as_plus_fails_the_signature(client: ShopClient) -> None:
    # Magento decodes the query for the signature with rawurldecode: '+' stays '+', so a client that
    # signs "a b" but sends "a+b" disagrees with the server. Clients must send %20.
    params = criteria([[("updated_at", "2025-01-01 00:00:00", "gt")]])
    response = client.get("/orders", params, plus_for_spaces=True)
    assert response.status_code == 401
    assert response.json() == {"message": "The signature is invalid. Verify and try again."}


def test_hmac_sha1_is_refused_as_in_magento_2_4_4(client: ShopClient) -> None:
    response = client.get("/orders/1", signature_method=SIGNATURE_HMAC_SHA1)
    assert response.status_code == 400
    assert response.json() == {"message": "Signature method %1 is not supported", "parameters": ["HMAC-SHA1"]}


def test_a_wrong_secret_gives_the_invalid_signature_401(client: ShopClient) -> None:
    url = client.url("/orders/1")
    headers = client.oauth_headers("GET", url, consumer_secret="x" * 32)
    response = client.session.get(url, headers=headers, timeout=10)
    assert response.status_code == 401
    assert response.json() == {"message": "The signature is invalid. Verify and try again."}


def test_an_unknown_consumer_and_a_replayed_nonce_are_401(client: ShopClient) -> None:
    url = client.url("/orders/1")
    unknown = client.session.get(
        url, headers=client.oauth_headers("GET", url, consumer_key="k" * 32), timeout=10
    )
    assert unknown.status_code == 401
    assert unknown.json() == {"message": "A consumer having the specified key does not exist"}
    headers = client.oauth_headers("GET", url)
    assert client.session.get(url, headers=headers, timeout=10).status_code == 200
    replay = client.session.get(url, headers=headers, timeout=10)
    assert replay.status_code == 401
    assert replay.json() == {
        "message": "The nonce is already being used by the consumer with ID %1",
        "parameters": [1],
    }


def test_json_bodies_are_not_part_of_the_oauth_signature(client: ShopClient) -> None:
    response = client.post("/products/tier-prices-information", {"skus": ["PAPER-A4"]})
    assert response.status_code == 200


def test_missing_credentials_name_the_resource_of_the_route(client: ShopClient) -> None:
    response = client.get("/orders", auth="none")
    assert response.status_code == 401
    assert response.json() == {
        "message": NOT_AUTHORIZED,
        "parameters": {"resources": "Magento_Sales::actions_view"},
    }
    groups = client.get("/customerGroups/search", auth="none")
    assert groups.json()["parameters"] == {"resources": "Magento_Customer::group"}


def test_the_access_token_works_as_bearer_only_while_the_2_4_4_switch_is_on(client: ShopClient) -> None:
    assert client.get("/orders/1", auth="bearer").status_code == 200
    with MagentoSandbox(seed=2, customers=5, orders=5, bearer_tokens_enabled=False) as strict:
        refused = ShopClient(strict).get("/orders/1", auth="bearer")
        assert refused.status_code == 401
        assert refused.json() == {
            "message": NOT_AUTHORIZED,
            "parameters": {"resources": "Magento_Sales::actions_view"},
        }
        assert ShopClient(strict).get("/orders/1").status_code == 200


def test_an_admin_token_is_a_json_string_that_works_until_it_expires(
    shop: MagentoSandbox, client: ShopClient
) -> None:
    response = admin_login(client)
    assert response.status_code == 200
    token = response.json()
    assert isinstance(token, str)
    assert len(token) == 32
    assert client.get("/customers/1", auth="bearer", token=token).status_code == 200
    shop.expire_admin_tokens()
    expired = client.get("/customers/1", auth="bearer", token=token)
    assert expired.status_code == 401
    assert expired.json()["message"] == NOT_AUTHORIZED


def test_wrong_admin_credentials_and_missing_fields_are_refused(client: ShopClient) -> None:
    wrong = admin_login(client, password="not-the-password")
    assert wrong.status_code == 401
    assert wrong.json() == {"message": SIGN_IN_FAILED}
    empty = client.post("/integration/admin/token", {}, auth="none")
    assert empty.status_code == 400
    assert empty.json()["message"] == "One or more input exceptions have occurred."
    assert [e["parameters"]["fieldName"] for e in empty.json()["errors"]] == ["username", "password"]


def test_two_factor_auth_answers_400_after_checking_the_credentials() -> None:
    with MagentoSandbox(seed=2, customers=5, orders=5, two_factor_auth=True) as shop:
        client = ShopClient(shop)
        blocked = admin_login(client)
        assert blocked.status_code == 400
        assert blocked.json() == {
            "message": "Please use the 2fa provider-specific endpoints to obtain a token.",
            "parameters": {"active_providers": ["google"]},
        }
        assert admin_login(client, password="wrong").status_code == 401


def test_a_denied_acl_resource_refuses_its_routes_and_children_only() -> None:
    with MagentoSandbox(seed=2, customers=5, orders=5) as shop:
        client = ShopClient(shop)
        shop.deny_resource("Magento_Sales::sales")
        orders = client.get("/orders/1")
        assert orders.status_code == 401
        assert orders.json() == {
            "message": NOT_AUTHORIZED,
            "parameters": {"resources": "Magento_Sales::actions_view"},
        }
        memos = client.get("/creditmemos")
        assert memos.json()["parameters"] == {"resources": "Magento_Sales::sales_creditmemo"}
        assert client.get("/customers/1").status_code == 200
        shop.allow_resource("Magento_Sales::sales")
        assert client.get("/orders/1").status_code == 200


def test_injected_faults_look_like_magento_and_its_web_server(
    shop: MagentoSandbox, client: ShopClient
) -> None:
    shop.faults.configure(retry_after="3")
    try:
        shop.faults.fail_next("429")
        limited = client.get("/orders/1")
        assert limited.status_code == 429
        assert limited.json() == {"message": "Too Many Requests", "trace": None}
        assert limited.headers["Retry-After"] == "3"
        shop.faults.fail_next("503")
        maintenance = client.get("/orders/1")
        assert maintenance.status_code == 503
        assert maintenance.headers["Retry-After"] == "3"
        assert "Service Temporarily Unavailable" in maintenance.text
        shop.faults.fail_next("500")
        masked = client.get("/orders/1")
        assert masked.status_code == 500
        assert masked.json()["message"].startswith(
            "Internal Error. Details are available in Magento log file."
        )
        shop.faults.fail_next("502")
        gateway = client.get("/orders/1")
        assert gateway.status_code == 502
        assert gateway.headers["Content-Type"].startswith("text/html")
    finally:
        shop.faults.clear()
    assert client.get("/orders/1").status_code == 200
