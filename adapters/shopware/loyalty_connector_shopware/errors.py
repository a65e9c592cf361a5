"""Shopware's error envelope, read once, and the status -> action table of the Shopware client.

Every Admin API failure answers with the same envelope (``ErrorResponseFactory``)::

    {"errors": [{"code": "FRAMEWORK__AUTH_THROTTLED", "status": "429", "title": "Too Many Requests",
                 "detail": "Auth throttled for 10 seconds.", "meta": {"parameters": {"seconds": 10}},
                 "source": {"pointer": "/limit"}}]}

All members are strings, ``detail`` may be ``null`` (league/oauth2-server errors without a hint) or
itself a JSON document, and one response may carry several errors (a sync write lists every invalid
field). :func:`envelope_message` turns all of that into one readable line; :func:`throttle_wait`
reads the wait of ``FRAMEWORK__AUTH_THROTTLED``, which Shopware sends without a ``Retry-After``
header (``AuthThrottledException``). The tables say what the core client does per status.
"""

from __future__ import annotations

__all__ = [
    "SHOPWARE_ERROR_TABLE",
    "TOKEN_ERROR_TABLE",
    "ShopwareErrorDetail",
    "envelope_message",
    "error_message",
    "parse_envelope",
    "throttle_wait",
]

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import requests

from loyalty_connector.errors import AuthenticationError, ShopRequestError
from loyalty_connector.http import Action, ErrorRule, ErrorTable

_THROTTLED = "FRAMEWORK__AUTH_THROTTLED"
_MAX_ERRORS = 5
_MAX_PART = 160


@dataclass(frozen=True)
class ShopwareErrorDetail:
    """One member of the ``errors`` list, with every field as Shopware may send it (or ``None``)."""

    code: str | None
    status: str | None
    title: str | None
    detail: str | None
    pointer: str | None
    meta: Mapping[str, Any]

    def render(self) -> str:
        """``title: detail (code, at /pointer)`` without repeating what the title already says."""
        text = self.title or ""
        if self.detail and self.detail != self.title:
            text = f"{text}: {self.detail}" if text else self.detail
        text = _squeeze(text or "no message")
        extras = [part for part in (self.code, f"at {self.pointer}" if self.pointer else None) if part]
        return f"{text} ({', '.join(extras)})" if extras else text


def _squeeze(text: str) -> str:
    text = " ".join(text.split()).rstrip(" .")
    return text if len(text) <= _MAX_PART else text[: _MAX_PART - 1] + "…"


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return str(value)


def _detail_text(value: Any) -> str | None:
    """``detail`` as text; a detail that is itself JSON (``"{\\"message\\": ...}"``) is unpacked."""
    text = _text(value)
    if text is None or not text.strip().startswith(("{", "[")):
        return text
    try:
        decoded = json.loads(text)
    except ValueError:
        return text
    found = _first_message(decoded)
    return found if found is not None else text


def _first_message(value: Any, depth: int = 0) -> str | None:
    if depth > 3:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        messages = [m for m in (_first_message(item, depth + 1) for item in value) if m]
        return "; ".join(messages) if messages else None
    if isinstance(value, Mapping):
        for key in ("message", "detail", "title", "error_description", "error", "errors"):
            found = _first_message(value.get(key), depth + 1)
            if found:
                return found
    return None


def parse_envelope(body: Any) -> list[ShopwareErrorDetail]:
    """The members of a Shopware error envelope; ``[]`` if ``body`` is not one."""
    if not isinstance(body, Mapping):
        return []
    errors = body.get("errors")
    if isinstance(errors, Mapping):  # some plugins send a single object
        errors = [errors]
    if not isinstance(errors, list):
        return []
    details: list[ShopwareErrorDetail] = []
    for item in errors:
        if not isinstance(item, Mapping):
            continue
        source = item.get("source")
        meta = item.get("meta")
        details.append(
            ShopwareErrorDetail(
                code=_text(item.get("code")),
                status=_text(item.get("status")),
                title=_text(item.get("title")),
                detail=_detail_text(item.get("detail")),
                pointer=_text(source.get("pointer")) if isinstance(source, Mapping) else None,
                meta=meta if isinstance(meta, Mapping) else {},
            )
        )
    return details


def envelope_message(body: Any) -> str | None:
    """One line for a whole envelope: every error (up to five), joined by ``; ``."""
    details = parse_envelope(body)
    if not details:
        return None
    parts = [detail.render() for detail in details[:_MAX_ERRORS]]
    more = len(details) - _MAX_ERRORS
    if more > 0:
        parts.append(f"and {more} more error{'s' if more != 1 else ''}")
    prefix = f"{len(details)} errors: " if len(details) > 1 else ""
    return prefix + "; ".join(parts)


def _body(response: requests.Response) -> Any:
    if not response.content:
        return None
    return json.loads(response.content)


def error_message(response: requests.Response) -> str | None:
    """The ``error_parser`` of the Shopware client: the envelope as one line, or ``None``."""
    try:
        body = _body(response)
    except ValueError:
        return None
    return envelope_message(body)


def throttle_wait(response: requests.Response) -> float | None:
    """The ``wait_parser``: seconds from ``meta.parameters.seconds`` of ``FRAMEWORK__AUTH_THROTTLED``.

    Shopware's login throttling (``AuthThrottledException``, 429) sends no ``Retry-After`` header;
    the wait is only in the body. Other 429s (a proxy's) fall back to the core's backoff.
    """
    try:
        body = _body(response)
    except ValueError:
        return None
    for detail in parse_envelope(body):
        parameters = detail.meta.get("parameters")
        if detail.code == _THROTTLED and isinstance(parameters, Mapping):
            seconds = parameters.get("seconds")
            if isinstance(seconds, (int, float, str)) and not isinstance(seconds, bool):
                return max(0.0, float(seconds))
    return None


SHOPWARE_ERROR_TABLE: ErrorTable = {
    400: ErrorRule(
        Action.FAIL,
        ShopRequestError,
        "Shopware rejected the request; the errors above name the field (e.g. /limit must be <= 500).",
    ),
    401: ErrorRule(
        Action.REFRESH_AUTH,
        AuthenticationError,
        "Check the integration's access key id and secret (or the admin user's credentials) and that "
        "the integration still exists in Settings > System > Integrations.",
    ),
}
"""Overrides over the core's table for Admin API calls. 403 keeps the core rule (missing ACL)."""

_CREDENTIALS_HINT = (
    "Shopware refused the credentials: check the access key id and secret of the integration "
    "(client_credentials) or the admin username and password (password grant)."
)
TOKEN_ERROR_TABLE: ErrorTable = {
    # Wrong password answers 400 (league invalidCredentials), wrong client 401 (invalidClient), and a
    # rejected refresh token 400 or 401 depending on the version: all mean "these credentials fail".
    400: ErrorRule(Action.FAIL, AuthenticationError, _CREDENTIALS_HINT),
    401: ErrorRule(Action.FAIL, AuthenticationError, _CREDENTIALS_HINT),
}
"""The table of the token endpoint's own client: every refusal there is an authentication error."""
