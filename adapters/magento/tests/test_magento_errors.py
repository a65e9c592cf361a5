"""Magento error envelopes become one readable message; tier-price failure lists name their rows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from loyalty_connector_magento.errors import (
    page_size_limit,
    render_magento_message,
    substitute,
    tier_price_failures,
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
