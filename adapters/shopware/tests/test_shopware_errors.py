"""Shopware's error envelope becomes one readable line; throttling waits come from the body."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests

from loyalty_connector_shopware.errors import envelope_message, error_message, parse_envelope, throttle_wait

SAMPLES = Path("/work/shared/specs/shopware/samples")


def response(body: object, status: int = 400) -> requests.Response:
    made = requests.Response()
    made.status_code = status
    made._content = json.dumps(body).encode() if not isinstance(body, bytes) else body
    return made


def sample(name: str) -> object:
    return json.loads((SAMPLES / name).read_text())


def test_null_detail_falls_back_to_the_title_and_code() -> None:
    assert envelope_message(sample("error-401.invalid-client.json")) == "Client authentication failed (4)"


def test_detail_and_title_are_joined_with_code_and_pointer() -> None:
    message = envelope_message(sample("error-400.query-limit-exceeded.json"))
    assert message == (
        "Bad Request: The limit must be lower than or equal to MAX_LIMIT(=500). Given: 1000 "
        "(FRAMEWORK__QUERY_LIMIT_EXCEEDED, at /limit)"
    )


def test_a_detail_that_is_itself_json_is_unpacked() -> None:
    body = {
        "errors": [
            {"status": "500", "title": "Internal", "detail": json.dumps({"message": "Deadlock found"})}
        ]
    }
    assert envelope_message(body) == "Internal: Deadlock found"


def test_a_detail_that_only_looks_like_json_is_kept_as_text() -> None:
    body = {"errors": [{"title": "Bad", "detail": "{not json"}]}
    assert envelope_message(body) == "Bad: {not json"


def test_several_errors_are_all_named_in_one_line() -> None:
    body = {
        "errors": [
            {
                "code": "c1",
                "status": "400",
                "title": "Constraint",
                "detail": "This value should not be blank.",
                "source": {"pointer": "/0/name"},
            },
            {
                "code": "c2",
                "status": "400",
                "title": "Constraint",
                "detail": "This value is too long.",
                "source": {"pointer": "/1/code"},
            },
        ]
    }
    assert envelope_message(body) == (
        "2 errors: Constraint: This value should not be blank (c1, at /0/name); "
        "Constraint: This value is too long (c2, at /1/code)"
    )


def test_many_errors_are_summarised_after_five() -> None:
    body = {"errors": [{"title": f"e{i}"} for i in range(8)]}
    message = envelope_message(body)
    assert message is not None
    assert message.startswith("8 errors: e0; e1; e2; e3; e4; and 3 more errors")


def test_numbers_as_codes_and_missing_members_are_tolerated() -> None:
    details = parse_envelope({"errors": [{"code": 6, "status": 400}, "junk"]})
    assert len(details) == 1
    assert details[0].code == "6"
    assert details[0].render() == "no message (6)"


@pytest.mark.parametrize("body", [b"<html><title>502 Bad Gateway</title></html>", b"", {"message": "nope"}])
def test_bodies_that_are_not_envelopes_give_no_message(body: object) -> None:
    assert error_message(response(body)) is None


def test_throttle_wait_reads_seconds_from_meta_parameters() -> None:
    assert throttle_wait(response(sample("error-429.auth-throttled.json"), 429)) == 10.0


def test_throttle_wait_ignores_other_429s() -> None:
    assert (
        throttle_wait(
            response(
                {"errors": [{"status": "429", "code": "OTHER", "meta": {"parameters": {"seconds": 5}}}]}, 429
            )
        )
        is None
    )
