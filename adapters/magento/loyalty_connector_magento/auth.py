"""The three ways merchants let an integration call Magento's admin REST API.

- :class:`OAuth1Signer` — OAuth 1.0a, signed per request with the integration's consumer key/secret
  and access token/secret. Works on every 2.4 shop. Only ``HMAC-SHA256``: since 2.4.4 Magento answers
  ``400 "Signature method HMAC-SHA1 is not supported"`` (magento/magento2#35510). Query parameters are
  signed, JSON bodies are not (RFC 5849 §3.4.1.3.1 only signs form-encoded bodies; Magento's own REST
  functional-test client, ``dev/tests/api-functional/.../OauthClient/Signature.php``, signs the decoded
  query parameters plus the ``oauth_*`` ones). Signing is done by ``oauthlib``.
- The integration's access token as a Bearer token (``loyalty_connector.http.BearerAuth``). Since
  2.4.4 the shop accepts that only with "Allow OAuth Access Tokens to be used as standalone Bearer
  tokens" (``oauth/consumer/enable_integration_as_bearer``); otherwise the call is anonymous and
  answers the same 401 as a missing ACL grant (Adobe "Token-based authentication" guide).
- :class:`AdminTokenAuth` — an admin user's token from ``POST /V1/integration/admin/token`` (4 h
  lifetime), fetched lazily and re-requested once on a 401. With ``Magento_TwoFactorAuth`` on (the
  default since 2.4.0) that endpoint answers 400 "Please use the 2fa provider-specific endpoints to
  obtain a token." (``magento/security-package`` ``AdminAccessTokenService``): reported as an
  :class:`~loyalty_connector.errors.AuthenticationError` recommending an integration.

No secret ever reaches a log line or an exception message.
"""

from __future__ import annotations

__all__ = ["AdminTokenAuth", "OAuth1Signer", "TokenFetcher", "spaces_as_percent20"]

import logging
import threading
from collections.abc import Callable
from urllib.parse import urlsplit, urlunsplit

import requests
from oauthlib.oauth1 import SIGNATURE_HMAC_SHA256, SIGNATURE_TYPE_AUTH_HEADER
from oauthlib.oauth1 import Client as OAuthClient

logger = logging.getLogger(__name__)

TokenFetcher = Callable[[], str]
"""Requests a fresh admin token from the shop (raises a ShopError subclass on failure)."""


def spaces_as_percent20(url: str) -> str:
    """Re-encode spaces in the query as ``%20`` instead of form-style ``+``.

    Magento reads the query for the signature by splitting on ``&``/``=`` and ``rawurldecode`` (as its
    REST functional-test client does), so a ``+`` stays a plus there while RFC 5849 clients read it as a
    space: the signatures would differ for every filter value with a space (timestamps). In a
    form-encoded query a literal plus is always ``%2B``, so every ``+`` is a space.
    """
    parts = urlsplit(url)
    if "+" not in parts.query:
        return url
    return urlunsplit(parts._replace(query=parts.query.replace("+", "%20")))


class OAuth1Signer:
    """Signs each request (after its final URL is built) with OAuth 1.0a HMAC-SHA256.

    ``nonce`` and ``timestamp`` factories exist for tests that check a known signature vector;
    by default oauthlib draws a fresh random nonce and the current time for every attempt.
    """

    def __init__(
        self,
        consumer_key: str,
        consumer_secret: str,
        access_token: str,
        access_token_secret: str,
        *,
        nonce: Callable[[], str] | None = None,
        timestamp: Callable[[], str] | None = None,
    ) -> None:
        self._consumer_key = consumer_key
        self._consumer_secret = consumer_secret
        self._access_token = access_token
        self._access_token_secret = access_token_secret
        self._nonce = nonce
        self._timestamp = timestamp

    def __repr__(self) -> str:
        return "OAuth1Signer(HMAC-SHA256, secrets redacted)"

    def authorization(self, method: str, url: str) -> str:
        """The ``Authorization`` header value for ``method url`` (query parameters included)."""
        client = OAuthClient(
            self._consumer_key,
            client_secret=self._consumer_secret,
            resource_owner_key=self._access_token,
            resource_owner_secret=self._access_token_secret,
            signature_method=SIGNATURE_HMAC_SHA256,
            signature_type=SIGNATURE_TYPE_AUTH_HEADER,
            nonce=self._nonce() if self._nonce else None,
            timestamp=self._timestamp() if self._timestamp else None,
        )
        # The JSON body is deliberately not passed: only form-encoded bodies take part in the signature.
        _, headers, _ = client.sign(url, http_method=method.upper())
        return str(headers["Authorization"])

    def apply(self, request: requests.PreparedRequest) -> None:
        request.url = spaces_as_percent20(request.url or "")
        request.headers["Authorization"] = self.authorization(request.method or "GET", request.url)

    def refresh(self) -> bool:
        """OAuth credentials do not expire; nothing to refresh."""
        return False


class AdminTokenAuth:
    """An admin bearer token, fetched on first use and re-fetched once when the shop answers 401."""

    def __init__(self, fetch: TokenFetcher | None = None) -> None:
        self._fetch = fetch
        self._token: str | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return "AdminTokenAuth(token redacted)"

    def bind(self, fetch: TokenFetcher) -> None:
        """Set how to fetch a token (the client that fetches it needs this auth first)."""
        self._fetch = fetch

    def _current(self) -> str:
        with self._lock:
            if self._token is None:
                if self._fetch is None:
                    raise RuntimeError("AdminTokenAuth used before a token fetcher was bound")
                self._token = self._fetch()
                logger.info("obtained a Magento admin token")
            return self._token

    def apply(self, request: requests.PreparedRequest) -> None:
        request.headers["Authorization"] = f"Bearer {self._current()}"

    def refresh(self) -> bool:
        """Forget the token so the next attempt fetches a new one (admin tokens live 4 hours)."""
        with self._lock:
            self._token = None
        logger.info("Magento refused the admin token; requesting a new one")
        return True
