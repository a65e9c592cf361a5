"""Magento error envelopes become one readable message; tier-price failure lists name their rows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import responses

from loyalty_connector.errors import AuthenticationError
from loyalty_connector.http import RetryPolicy
from loyalty_connector_magento.client import CREDENTIALS_BY_MODE, MagentoClient
from loyalty_connector_magento.errors import (
    acl_resources,
    magento_error_table,
    page_size_limit,
    render_magento_message,
    substitute,
    tier_price_failures,
    unauthorized_hint,
)

SAMPLES = Path(__file__).parent / "samples"  # copies of shared/specs/magento/samples (see SOURCES.md)


def sample(name: str) -> object:
    return json.loads((SAMPLES / name).read_text())


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "error-400.positional-parameters.adobedocs.json",
            "Invalid product data: Invalid attribute set entity type",
        ),
        ("error-404.no-such-entity-field.api-functional.json", "No such entity with id = 9999"),
        ("error-400.page-size-limit.reconstructed.json", "Maximum SearchCriteria pageSize is 300"),
        (
            "error-401.consumer-not-authorized.json",
            "The consumer isn't authorized to access Magento_Sales::actions_view.",
        ),
        ("error-400.oauth-signature-method.issue-35510.json", "Signature method HMAC-SHA1 is not supported"),
        (
            "error-400.admin-token-2fa.json",
            "Please use the 2fa provider-specific endpoints to obtain a token.",
        ),
        ("error-404.no-route.json", "Request does not match any route."),
        ("error-429.backpressure.adobedocs.json", "Too Many Requests"),
        (
            "error-500.fatal-messages-envelope.reconstructed.json",
            "Server internal error. See details in report api/1733400000123 (code 500)",
        ),
        (
            "error-400.input-exception-errors.reconstructed.json",
            'One or more input exceptions have occurred.: "firstname" is required. Enter and try again.; '
            '"lastname" is required. Enter and try again.',
        ),
    ],
)
def test_every_real_error_sample_renders_with_parameters_substituted(name: str, expected: str) -> None:
    assert render_magento_message(sample(name)) == expected


def test_list_parameters_fill_numbered_placeholders_longest_first() -> None:
    params = [str(n) for n in range(1, 12)]
    assert substitute("%1 and %11 and %2", params) == "1 and 11 and 2"


def test_dict_parameters_fill_named_placeholders_longest_key_first() -> None:
    assert substitute("%field is %fieldName", {"field": "A", "fieldName": "B"}) == "A is B"


def test_a_body_that_is_no_magento_envelope_renders_nothing() -> None:
    assert render_magento_message(["not", "an", "envelope"]) is None
    assert render_magento_message({"unrelated": 1}) is None


def test_the_trace_is_never_part_of_the_message() -> None:
    body = {"message": "Boom", "trace": "#0 /var/www/app/code/Secret.php(12): roni_cost@example.com"}
    assert render_magento_message(body) == "Boom"


def test_page_size_limit_is_read_from_the_rendered_message() -> None:
    message = render_magento_message(sample("error-400.page-size-limit.reconstructed.json"))
    assert message is not None
    assert page_size_limit(message) == 300
    assert page_size_limit("Some other 400") is None


def test_tier_price_failure_names_sku_website_group_and_qty_from_the_last_four_parameters() -> None:
    [failure] = tier_price_failures(sample("tier-prices.post.response.failures.reconstructed.json"))
    assert (failure.sku, failure.website_id, failure.customer_group, failure.quantity) == (
        "simple",
        "1",
        "ALL GROUPS",
        "3",
    )
    assert failure.message == (
        "Invalid attribute Website ID = 1. Row ID: SKU = simple, Website ID: 1, "
        "Customer Group: ALL GROUPS, Quantity: 3."
    )


def test_a_leading_fifth_tier_parameter_fills_the_price_placeholder() -> None:
    body = [
        {
            "message": "Invalid attribute Price = %price. Row ID: SKU = %SKU, Website ID: %websiteId, "
            "Customer Group: %customerGroup, Quantity: %qty.",
            "parameters": ["-5", "PAPER-A4", "0", "General", "10"],
        }
    ]
    [failure] = tier_price_failures(body)
    assert failure.message.startswith("Invalid attribute Price = -5. Row ID: SKU = PAPER-A4")
    assert "PAPER-A4, website 0, group General, qty 10" in failure.describe()


def test_an_empty_tier_price_answer_means_every_row_was_saved() -> None:
    assert tier_price_failures(sample("tier-prices.post.response.ok.adobedocs.json")) == []


# -- 401 hints ------------------------------------------------------------------------------------------

NOT_AUTHORIZED = "The consumer isn't authorized to access Magento_Sales::actions_view"


def test_the_acl_resources_of_a_401_are_read_from_the_rendered_message() -> None:
    rendered = render_magento_message(sample("error-401.consumer-not-authorized.json"))
    assert acl_resources(rendered or "") == ("Magento_Sales::actions_view",)
    both = "The consumer isn't authorized to access Magento_Sales::actions_view, Magento_Sales::sales."
    assert acl_resources(both) == ("Magento_Sales::actions_view", "Magento_Sales::sales")
    assert acl_resources("The signature is invalid. Verify and try again.") == ()


@pytest.mark.parametrize("mode", ["oauth", "bearer", "admin_token"])
def test_a_401_hint_names_the_acl_resource_the_shop_named(mode: str) -> None:
    refused = magento_error_table(mode)[401].error
    text = str(refused(f"GET /V1/orders -> HTTP 401: {NOT_AUTHORIZED}. ", source="m2", status=401))
    hint = text.split(f"{NOT_AUTHORIZED}. ", 1)[1]
    assert "the ACL resource Magento_Sales::actions_view" in hint
    assert "named above" not in text
    assert isinstance(refused(""), AuthenticationError)


@pytest.mark.parametrize("mode", ["oauth", "bearer", "admin_token"])
def test_a_401_naming_no_resource_points_at_the_credentials_not_at_a_grant(mode: str) -> None:
    hint = unauthorized_hint(mode, acl_resources("The signature is invalid. Verify and try again."))
    assert "ACL resource " not in hint.replace("named no ACL resource", "")
    assert any(word in hint for word in ("consumer key/secret", "access_token", "username/password"))


def test_several_resources_are_all_named() -> None:
    hint = unauthorized_hint("oauth", ("Magento_Sales::actions_view", "Magento_Sales::sales"))
    assert "the ACL resources Magento_Sales::actions_view, Magento_Sales::sales" in hint


@responses.activate
def test_a_rejected_signature_over_http_says_no_resource_was_named_and_what_to_check() -> None:
    url = "https://shop.example.com/rest/all/V1/orders"
    responses.get(url, status=401, json=sample("error-401.oauth-signature-invalid.reconstructed.json"))
    credentials = {name: f"{name}-value-1234" for name in CREDENTIALS_BY_MODE["oauth"]}
    client = MagentoClient(
        "https://shop.example.com", source="m2", credentials=credentials, retry=RetryPolicy(max_attempts=1)
    )
    with pytest.raises(AuthenticationError) as caught:
        client.get("/V1/orders")
    text = str(caught.value)
    assert text.startswith("[m2] GET /V1/orders -> HTTP 401: The signature is invalid")
    assert "named no ACL resource" in text
    assert "consumer key/secret" in text
    assert "named above" not in text
    assert not any(value in text for value in credentials.values())
