"""OAuth 2 of the Admin API as Shopware runs it (league/oauth2-server behind ``POST /api/oauth/token``).

Grants: ``client_credentials`` with an integration's access key id (``SWIA...``) and secret (no refresh
token), ``password`` with ``client_id: administration`` (answers a refresh token) and
``refresh_token``, which rotates: the used refresh token is revoked and a new one issued. Access
tokens live ``token_lifetime`` seconds of real time (``expires_in``); :meth:`OAuthServer.expire_all`
invalidates them at once. Error bodies are league's, passed through Shopware's error envelope.
"""

from __future__ import annotations

__all__ = ["Credentials", "OAuthServer"]

import base64
import json
import random
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any

from .errors import ApiError, error_entry

_JWT_HEADER = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9"
_INVALID_REQUEST = (
    "The request is missing a required parameter, includes an invalid parameter value, includes a parameter "
    "more than once, or is otherwise malformed."
)


@dataclass(frozen=True)
class Credentials:
    """The integration (client credentials) and the admin user (password grant) of a sandbox."""

    client_id: str
    client_secret: str
    username: str
    password: str

    @classmethod
    def generate(cls, seed: int) -> Credentials:
        rng = random.Random(f"credentials-{seed}")
        upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
        mixed = upper + "abcdefghijklmnopqrstuvwxyz"
        return cls(
            client_id="SWIA" + "".join(rng.choice(upper) for _ in range(22)),
            client_secret="".join(rng.choice(mixed) for _ in range(54)),
            username="admin",
            password="shopware",  # noqa: S106 - Shopware's documented demo password, for a local sandbox
        )

    def as_dict(self) -> dict[str, str]:
        return {
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "username": self.username,
            "password": self.password,
        }


def _oauth_error(status: int, code: str, title: str, detail: str | None) -> ApiError:
    return ApiError(status, [{"code": code, "status": str(status), "title": title, "detail": detail}])


def _denied(detail: str) -> ApiError:
    return _oauth_error(401, "9", "The resource owner or authorization server denied the request.", detail)


class OAuthServer:
    """Issues and checks tokens for one sandbox shop. Thread-safe."""

    def __init__(self, credentials: Credentials, token_lifetime: int) -> None:
        self.credentials = credentials
        self.token_lifetime = token_lifetime
        self._lock = threading.Lock()
        self._access: dict[str, float] = {}
        self._refresh: dict[str, bool] = {}
        """Refresh token -> still usable."""
        self._throttle: list[int] = []
        self.issued = 0

    def throttle_next(self, seconds: int) -> None:
        """The next token request answers 429 ``FRAMEWORK__AUTH_THROTTLED`` (without ``Retry-After``)."""
        with self._lock:
            self._throttle.append(seconds)

    def expire_all(self) -> None:
        """Every access token issued so far stops working (as if they had all expired)."""
        with self._lock:
            self._access.clear()

    def token(self, body: dict[str, Any]) -> dict[str, Any]:
        """Answer a token request body (JSON or form fields) or raise the OAuth error."""
        with self._lock:
            if self._throttle:
                seconds = self._throttle.pop(0)
                raise ApiError(
                    429,
                    [
                        error_entry(
                            429,
                            "FRAMEWORK__AUTH_THROTTLED",
                            f"Auth throttled for {seconds} seconds.",
                            parameters={"seconds": seconds},
                        )
                    ],
                )
            grant = body.get("grant_type")
            if not grant:
                raise _oauth_error(
                    400,
                    "2",
                    "The authorization grant type is not supported by the authorization server.",
                    "Check that all required parameters have been provided",
                )
            if grant == "client_credentials":
                return self._client_credentials(body)
            if grant == "password":
                return self._password(body)
            if grant == "refresh_token":
                return self._refresh_grant(body)
            raise _oauth_error(
                400,
                "2",
                "The authorization grant type is not supported by the authorization server.",
                "Check that all required parameters have been provided",
            )

    def _client_credentials(self, body: dict[str, Any]) -> dict[str, Any]:
        for name in ("client_id", "client_secret"):
            if not body.get(name):
                raise _oauth_error(400, "3", _INVALID_REQUEST, f"Check the `{name}` parameter")
        expected = (self.credentials.client_id, self.credentials.client_secret)
        given = (str(body["client_id"]), str(body["client_secret"]))
        if not (
            secrets.compare_digest(given[0], expected[0]) and secrets.compare_digest(given[1], expected[1])
        ):
            raise _oauth_error(401, "4", "Client authentication failed", None)
        return self._issue(refresh=False)

    def _check_admin_client(self, body: dict[str, Any]) -> None:
        if not body.get("client_id"):
            raise _oauth_error(400, "3", _INVALID_REQUEST, "Check the `client_id` parameter")
        if body["client_id"] != "administration":
            raise _oauth_error(401, "4", "Client authentication failed", None)

    def _password(self, body: dict[str, Any]) -> dict[str, Any]:
        self._check_admin_client(body)
        for name in ("username", "password"):
            if not body.get(name):
                raise _oauth_error(400, "3", _INVALID_REQUEST, f"Check the `{name}` parameter")
        if not (
            secrets.compare_digest(str(body["username"]), self.credentials.username)
            and secrets.compare_digest(str(body["password"]), self.credentials.password)
        ):
            raise _oauth_error(400, "6", "The user credentials were incorrect.", None)
        return self._issue(refresh=True)

    def _refresh_grant(self, body: dict[str, Any]) -> dict[str, Any]:
        self._check_admin_client(body)
        token = body.get("refresh_token")
        if not token:
            raise _oauth_error(400, "3", _INVALID_REQUEST, "Check the `refresh_token` parameter")
        state = self._refresh.get(str(token))
        if state is None:
            raise _oauth_error(401, "8", "The refresh token is invalid.", "Cannot decrypt the refresh token")
        if not state:
            raise _oauth_error(401, "8", "The refresh token is invalid.", "Token has been revoked")
        self._refresh[str(token)] = False
        return self._issue(refresh=True)

    def _issue(self, *, refresh: bool) -> dict[str, Any]:
        self.issued += 1
        claims = {"aud": "administration", "jti": secrets.token_hex(40), "iat": int(time.time())}
        payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
        access = f"{_JWT_HEADER}.{payload}.{secrets.token_urlsafe(64)}"
        self._access[access] = time.monotonic() + self.token_lifetime
        answer: dict[str, Any] = {
            "token_type": "Bearer",
            "expires_in": self.token_lifetime,
            "access_token": access,
        }
        if refresh:
            refresh_token = "def50200" + secrets.token_hex(120)
            self._refresh[refresh_token] = True
            answer["refresh_token"] = refresh_token
        return answer

    def check(self, authorization: str | None) -> None:
        """Raise the 401 Shopware answers unless ``authorization`` carries a live access token."""
        if not authorization or not authorization.strip():
            raise _denied('Missing token in "Authorization" header')
        scheme, _, token = authorization.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise _denied('Missing token in "Authorization" header')
        if token.count(".") != 2:
            raise _denied("The JWT string must have two dots")
        with self._lock:
            expires = self._access.get(token)
            if expires is None or expires <= time.monotonic():
                self._access.pop(token, None)
                raise _denied("Access token could not be verified")
