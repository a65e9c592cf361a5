"""Magento error bodies turned into one readable line, and the status -> action table for Magento.

Magento answers errors in two envelopes (``Magento\\Framework\\Webapi\\ErrorProcessor``,
``Magento\\Framework\\Webapi\\Rest\\Response::_renderMessages``)::

    {"message": "No such entity with %fieldName = %fieldValue",
     "parameters": {"fieldName": "id", "fieldValue": 9999}, "errors": [...], "trace": "..."}
    {"messages": {"error": [{"code": 500, "message": "Server internal error. See details in report ..."}]}}

``parameters`` is either a list (placeholders ``%1``, ``%2``...) or an object (``%name``); they are
substituted the way ``Magento\\Framework\\Phrase\\Renderer\\Placeholder`` does (``strtr``: longest key
first). The ``trace`` is never shown: it can hold file paths and personal data.

The table overrides the core's default only where Magento differs: a 401 there can mean a missing ACL
grant, a disabled standalone-bearer token or an expired admin token (all three answer
``"The consumer isn't authorized to access %resources."``), or credentials refused outright (a bad
OAuth signature answers ``"The signature is invalid. Verify and try again."`` and names no resource).
A 401 raises :class:`MagentoAuthenticationError`, whose hint names the ACL resource when the shop's
message names one, and otherwise points at the credentials.
"""

from __future__ import annotations

__all__ = [
    "ADMIN_2FA_HINT",
    "PAGE_SIZE_LIMIT",
    "AdminTokenAuthenticationError",
    "BearerAuthenticationError",
    "MagentoAuthenticationError",
    "OAuthAuthenticationError",
    "TierPriceFailure",
    "acl_resources",
    "magento_error_table",
    "page_size_limit",
    "parse_error_response",
    "render_magento_message",
    "substitute",
    "tier_price_failures",
    "unauthorized_hint",
]

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import requests

from loyalty_connector.errors import (
    AuthenticationError,
    NotFoundError,
    PermissionDeniedError,
    ShopRequestError,
)
from loyalty_connector.http import Action, ErrorRule

PAGE_SIZE_LIMIT = re.compile(r"Maximum SearchCriteria pageSize is (\d+)")
"""``Magento\\Framework\\Webapi\\Validator\\SearchCriteriaValidator``, once parameters are substituted."""

_NOT_AUTHORIZED = re.compile(r"isn't authorized to access (?P<resources>\w+::\w+(?:,\s*\w+::\w+)*)")
"""``Magento\\Webapi\\Controller\\Rest\\RequestValidator``: "The consumer isn't authorized to access
%resources." with the route's ACL resources joined by ``", "``."""

_INTEGRATION_API = "System > Extensions > Integrations > edit > API"
_INTEGRATION_DETAILS = "System > Extensions > Integrations > edit > Integration Details"
_STANDALONE_BEARER = (
    "with auth: bearer on Magento 2.4.4+, the shop may not accept integration access tokens as standalone "
    "bearer tokens (enable Stores > Configuration > Services > OAuth > Consumer Settings > 'Allow OAuth "
    "Access Tokens to be used as standalone Bearer tokens', or use auth: oauth, which works on every 2.4 "
    "shop)"
)

ADMIN_2FA_HINT = (
    "Admin-token auth needs Two-Factor Authorization off for API token requests (Magento_TwoFactorAuth "
    "is on by default since 2.4.0); create an integration instead (System > Extensions > Integrations) "
    "and use auth: oauth."
)


def substitute(message: str, parameters: Any) -> str:
    """Fill Magento placeholders: a list fills ``%1``, ``%2``...; an object fills ``%name``."""
    if isinstance(parameters, Mapping):
        pairs = {f"%{key}": _plain(value) for key, value in parameters.items()}
    elif isinstance(parameters, Sequence) and not isinstance(parameters, str | bytes):
        pairs = {f"%{index + 1}": _plain(value) for index, value in enumerate(parameters)}
    else:
        return message
    if not pairs:
        return message
    pattern = re.compile("|".join(re.escape(key) for key in sorted(pairs, key=len, reverse=True)))
    return pattern.sub(lambda match: pairs[match.group(0)], message)


def _plain(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(_plain(item) for item in value)
    if isinstance(value, Mapping):
        return ", ".join(f"{key}: {_plain(item)}" for key, item in value.items())
    return "" if value is None else str(value)


def render_magento_message(body: Any) -> str | None:
    """One readable message from either Magento error envelope, or ``None`` if the body is neither."""
    if not isinstance(body, Mapping):
        return None
    parts: list[str] = []
    message = body.get("message")
    if isinstance(message, str) and message:
        parts.append(substitute(message, body.get("parameters")))
    for error in body.get("errors") or []:
        if isinstance(error, Mapping) and isinstance(error.get("message"), str):
            detail = substitute(error["message"], error.get("parameters"))
            if detail not in parts:
                parts.append(detail)
    messages = body.get("messages")
    if isinstance(messages, Mapping):
        for error in messages.get("error") or []:
            if isinstance(error, Mapping) and isinstance(error.get("message"), str):
                text = substitute(error["message"], error.get("parameters"))
                code = error.get("code")
                parts.append(f"{text} (code {code})" if code is not None else text)
    if not parts:
        return None
    head, *rest = parts
    return head if not rest else f"{head}: " + "; ".join(rest)


def parse_error_response(response: requests.Response) -> str | None:
    """The ``error_parser`` for :class:`~loyalty_connector.http.HttpClient`: Magento's message or None."""
    try:
        body = json.loads(response.content.decode("utf-8", errors="replace"))
    except ValueError:
        return None
    return render_magento_message(body)


def page_size_limit(message: str) -> int | None:
    """The maximum page size named by a 400 "Maximum SearchCriteria pageSize is N", if that is the error."""
    match = PAGE_SIZE_LIMIT.search(message)
    return int(match.group(1)) if match else None


@dataclass(frozen=True)
class TierPriceFailure:
    """One row ``POST /V1/products/tier-prices`` (or ``-delete``) refused, answered inside a 200."""

    sku: str
    website_id: str
    customer_group: str
    quantity: str
    message: str

    def describe(self) -> str:
        return (
            f"SKU {self.sku}, website {self.website_id}, group {self.customer_group}, "
            f"qty {self.quantity}: {self.message}"
        )


_TIER_ROW_KEYS = ("SKU", "websiteId", "customerGroup", "qty")


def tier_price_failures(body: Any) -> list[TierPriceFailure]:
    """Read the per-row failure list of the tier-price endpoints.

    ``TierPriceValidator`` builds each failure from a named map whose *last four* entries are always
    SKU, website id, customer group and quantity (optionally preceded by ``price``/``priceType``), but the
    REST layer serializes ``parameters`` as a positional list of strings. So the last four values name
    the row, and a fifth leading value fills the one remaining placeholder of the message.
    """
    if not isinstance(body, list):
        return []
    failures: list[TierPriceFailure] = []
    for entry in body:
        if not isinstance(entry, Mapping):
            continue
        raw_message = str(entry.get("message") or "tier price row rejected")
        params = [_plain(value) for value in entry.get("parameters") or []]
        row = (["?"] * 4 + params)[-4:]
        named: dict[str, str] = dict(zip(_TIER_ROW_KEYS, row, strict=True))
        leading = params[:-4]
        if leading:
            others = [
                name for name in re.findall(r"%([A-Za-z]\w*)", raw_message) if name not in _TIER_ROW_KEYS
            ]
            if others:
                named[others[0]] = leading[0]
        failures.append(
            TierPriceFailure(
                sku=row[0],
                website_id=row[1],
                customer_group=row[2],
                quantity=row[3],
                message=substitute(raw_message, named),
            )
        )
    return failures


def acl_resources(message: str) -> tuple[str, ...]:
    """The ACL resources a Magento 401 message names ("isn't authorized to access X, Y"), else ``()``."""
    match = _NOT_AUTHORIZED.search(message)
    if match is None:
        return ()
    return tuple(part.strip() for part in match.group("resources").split(","))


def unauthorized_hint(auth_mode: str, resources: Sequence[str]) -> str:
    """What to do about a 401 in ``auth_mode``: grant the named ACL resources, else check the credentials."""
    named = ""
    if resources:
        named = f"the ACL resource{'s' if len(resources) > 1 else ''} {', '.join(resources)}"
    if auth_mode == "admin_token":
        if named:
            return (
                "The admin token was refused even after requesting a new one: give the admin user's role "
                f"{named} (System > Permissions > User Roles > Role Resources)."
            )
        return (
            "The admin token was refused even after requesting a new one: check the admin user's "
            "username/password and that the user is active (System > Permissions > All Users)."
        )
    if auth_mode == "bearer":
        if named:
            return (
                f"Either the integration lacks {named} ({_INTEGRATION_API}: grant it, then re-authorize the "
                f"integration), or, {_STANDALONE_BEARER}."
            )
        return (
            "The shop named no ACL resource, so it refused the token itself: check that access_token is "
            f"the integration's current access token ({_INTEGRATION_DETAILS}) and that the integration is "
            "active."
        )
    if named:
        return (
            f"Grant the integration {named} ({_INTEGRATION_API}; re-authorize after changing resources) "
            f"and check that the integration is active ({_INTEGRATION_DETAILS})."
        )
    return (
        "The shop named no ACL resource, so it refused the OAuth request itself: check the integration's "
        f"consumer key/secret and access token/secret ({_INTEGRATION_DETAILS}) and that the integration "
        "is active."
    )


class MagentoAuthenticationError(AuthenticationError):
    """A 401 from Magento; the message ends with :func:`unauthorized_hint` for the client's auth mode.

    The error table leaves the 401 hint empty: the resource can only be read from the shop's message,
    which reaches the error class, not the table.
    """

    auth_mode: ClassVar[str] = "oauth"

    def __init__(self, message: str, *, source: str | None = None, status: int | None = None) -> None:
        hint = unauthorized_hint(self.auth_mode, acl_resources(message))
        super().__init__(f"{message.rstrip()} {hint}", source=source, status=status)


class OAuthAuthenticationError(MagentoAuthenticationError):
    """A 401 under OAuth 1.0a integration credentials (``settings.auth: oauth``)."""

    auth_mode = "oauth"


class BearerAuthenticationError(MagentoAuthenticationError):
    """A 401 with the integration's access token used as a bearer token (``settings.auth: bearer``)."""

    auth_mode = "bearer"


class AdminTokenAuthenticationError(MagentoAuthenticationError):
    """A 401 under an admin user's token (``settings.auth: admin_token``), after one re-request."""

    auth_mode = "admin_token"


_REFUSED: dict[str, type[MagentoAuthenticationError]] = {
    "oauth": OAuthAuthenticationError,
    "bearer": BearerAuthenticationError,
    "admin_token": AdminTokenAuthenticationError,
}


def magento_error_table(auth_mode: str) -> dict[int | str, ErrorRule]:
    """Magento's overrides of the core status table, with hints that say what to do."""
    refused = _REFUSED.get(auth_mode, OAuthAuthenticationError)
    action = Action.REFRESH_AUTH if auth_mode == "admin_token" else Action.FAIL
    return {
        401: ErrorRule(action, refused, ""),
        403: ErrorRule(
            Action.FAIL,
            PermissionDeniedError,
            "Grant the integration (or admin role) the ACL resource for this call; see "
            "docs/adapters/magento.md for the resource each command needs.",
        ),
        404: ErrorRule(
            Action.FAIL,
            NotFoundError,
            "A 404 'Request does not match any route' means the URL is wrong: check base_url (the shop "
            "root, without /rest) and settings.store_code (a store view code, or 'all').",
        ),
        400: ErrorRule(Action.FAIL, ShopRequestError, "The shop rejected the request; nothing was changed."),
    }
