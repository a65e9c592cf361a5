"""OAuth 2 access tokens for the Shopware Admin API: fetched, cached, refreshed ahead of expiry.

Two grants are supported (``POST /api/oauth/token``, see Shopware's "Authentication &
Authorisation" guide):

- ``client_credentials`` with an integration's access key id and secret access key — the right
  choice for a server-side connector; there is no refresh token, a new token is simply requested.
- ``password`` with ``client_id: "administration"`` and an admin user's credentials. Its refresh
  tokens rotate (league/oauth2-server revokes the old one when it issues a new one), so the newest
  one is kept; a rejected refresh token (400 or 401 depending on the version) falls back to a new
  password grant.

The token's lifetime is taken from ``expires_in`` of each response (600 s by default, configurable
in the shop), never assumed, and a token is renewed ``refresh_margin`` seconds before it expires so
that a long page request does not start with a token about to die. :class:`ShopwareOAuth` is the
:class:`~loyalty_connector.http.Auth` of the API client: ``refresh()`` is what the client calls once
on a 401. Tokens and secrets never appear in ``repr``, logs or errors.
"""

from __future__ import annotations

__all__ = ["TOKEN_PATH", "ClientCredentialsGrant", "Grant", "PasswordGrant", "ShopwareOAuth"]

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests

from loyalty_connector.errors import AuthenticationError, ShopRequestError
from loyalty_connector.http import HttpClient

logger = logging.getLogger(__name__)

TOKEN_PATH = "/oauth/token"  # noqa: S105 - a route, not a secret
"""Relative to the Admin API root (``<shop>/api``)."""

_ADMIN_CLIENT_ID = "administration"


@dataclass(frozen=True)
class ClientCredentialsGrant:
    """An integration's access key id (``SWIA...``) and secret access key."""

    client_id: str
    client_secret: str = field(repr=False)

    def body(self) -> dict[str, str]:
        return {
            "grant_type": "client_credentials",
            "client_id": self.client_id,
            "client_secret": self.client_secret,
        }


@dataclass(frozen=True)
class PasswordGrant:
    """An admin user's username and password, used with the ``administration`` client."""

    username: str
    password: str = field(repr=False)
    scopes: str = "write"

    def body(self) -> dict[str, str]:
        return {
            "grant_type": "password",
            "client_id": _ADMIN_CLIENT_ID,
            "scopes": self.scopes,
            "username": self.username,
            "password": self.password,
        }


Grant = ClientCredentialsGrant | PasswordGrant


@dataclass
class _Token:
    access_token: str = field(repr=False)
    expires_at: float
    lifetime: float
    refresh_token: str | None = field(default=None, repr=False)


class ShopwareOAuth:
    """The :class:`~loyalty_connector.http.Auth` of the Shopware client: a cached bearer token.

    ``token_client`` is an :class:`HttpClient` on the Admin API root whose error table turns every
    refusal into :class:`~loyalty_connector.errors.AuthenticationError`; token requests are sent
    with ``authenticate=False``. ``clock`` is monotonic seconds, injectable for tests.
    """

    def __init__(
        self,
        token_client: HttpClient,
        grant: Grant,
        *,
        refresh_margin: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = token_client
        self._grant = grant
        self._margin = refresh_margin
        self._clock = clock
        self._lock = threading.Lock()
        self._token: _Token | None = None

    def __repr__(self) -> str:
        return f"ShopwareOAuth(grant={type(self._grant).__name__}, <token hidden>)"

    # -- the Auth protocol ----------------------------------------------------------------------

    def apply(self, prepared: requests.PreparedRequest) -> None:
        prepared.headers["Authorization"] = f"Bearer {self.access_token()}"

    def refresh(self) -> bool:
        """Called once by the client after a 401: drop the token and get a new one."""
        with self._lock:
            stale = self._token
            self._token = None
            self._token = self._renew(stale.refresh_token if stale else None)
        return True

    # -- tokens ---------------------------------------------------------------------------------

    def access_token(self) -> str:
        """A token valid for at least the refresh margin, fetching or renewing one if needed."""
        with self._lock:
            token = self._token
            if token is None or self._clock() >= token.expires_at - self._margin_for(token):
                self._token = token = self._renew(token.refresh_token if token else None)
            return token.access_token

    def _margin_for(self, token: _Token) -> float:
        # A shop configured with very short tokens must not make every request fetch a new one.
        return min(self._margin, token.lifetime / 2)

    def _renew(self, refresh_token: str | None) -> _Token:
        if refresh_token is not None and isinstance(self._grant, PasswordGrant):
            try:
                return self._request(
                    {
                        "grant_type": "refresh_token",
                        "client_id": _ADMIN_CLIENT_ID,
                        "refresh_token": refresh_token,
                    },
                    previous_refresh=refresh_token,
                )
            except AuthenticationError:
                logger.info("[%s] refresh token rejected; logging in again", self._client.source)
        return self._request(self._grant.body(), previous_refresh=None)

    def _request(self, body: dict[str, str], *, previous_refresh: str | None) -> _Token:
        started = self._clock()
        # A token request changes nothing that a second one would break (a rotated refresh token
        # that was already used falls back to the password grant), so transient failures may retry.
        data = self._client.post_json(TOKEN_PATH, json=body, authenticate=False, idempotent=True)
        return _parse_token(data, started, previous_refresh, self._client.source)


def _parse_token(data: Any, started: float, previous_refresh: str | None, source: str) -> _Token:
    if not isinstance(data, dict) or not isinstance(data.get("access_token"), str):
        raise AuthenticationError(
            "the token endpoint answered without an access_token; is the base URL the shop's root "
            "(the Admin API is expected under /api)?",
            source=source,
        )
    token_type = str(data.get("token_type", "Bearer"))
    if token_type.lower() != "bearer":
        raise ShopRequestError(f"unexpected token type {token_type!r} from /api/oauth/token", source=source)
    try:
        lifetime = float(data.get("expires_in", 0))
    except (TypeError, ValueError):
        lifetime = 0.0
    if lifetime <= 0:
        raise AuthenticationError(
            "the token endpoint answered without a positive expires_in; cannot tell when to renew",
            source=source,
        )
    refresh = data.get("refresh_token")
    return _Token(
        access_token=data["access_token"],
        expires_at=started + lifetime,
        lifetime=lifetime,
        refresh_token=refresh if isinstance(refresh, str) and refresh else previous_refresh,
    )
