"""Who may call the sandbox: OAuth 1.0a integrations, Bearer tokens, admin tokens, and the ACL.

Reproduces Magento 2.4.4+:

- OAuth 1.0a (``Magento\\Framework\\Oauth``): only HMAC-SHA256; protocol parameters from the
  ``Authorization: OAuth`` header, the query string split on ``&``/``=`` and decoded with PHP's
  ``rawurldecode`` — a ``+`` stays a plus sign, so a client that encodes spaces as ``+`` computes a
  different signature than Magento (send ``%20``). JSON bodies are not signed. Nonces are single use.
- ``Authorization: Bearer <integration access token>`` only while the 2.4.4 switch "Allow OAuth
  Access Tokens to be used as standalone Bearer tokens" is on; otherwise, like an unknown or
  expired token, the request is simply unauthenticated.
- ``POST /V1/integration/admin/token`` issues 4-hour admin tokens (sandbox clock); with 2FA enabled
  correct credentials get the 400 asking for a provider-specific endpoint.
- Unauthenticated or denied calls answer 401 "The consumer isn't authorized to access %resources.".
"""

from __future__ import annotations

__all__ = ["ACL_PARENTS", "Authenticator", "Credentials", "make_credentials"]

import hmac
import random
import re
import string
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from oauthlib.oauth1.rfc5849 import signature

from loyalty_connector.sandbox_server import SandboxRequest

from .errors import WebapiError, consumer_not_authorized, input_errors, required_field

_PROTOCOL = re.compile(r"oauth_[a-z_-]+")
_ALPHABET = string.ascii_lowercase + string.digits
_TOKEN_LIFETIME = 4 * 3600
_TIME_DEVIATION = 600
_REQUIRED = (
    "oauth_consumer_key",
    "oauth_signature",
    "oauth_signature_method",
    "oauth_nonce",
    "oauth_timestamp",
    "oauth_token",
)
_CONSUMER_ID = 1

ACL_PARENTS: dict[str, str] = {
    "Magento_Sales::sales": "Magento_Backend::admin",
    "Magento_Sales::sales_operation": "Magento_Sales::sales",
    "Magento_Sales::sales_order": "Magento_Sales::sales_operation",
    "Magento_Sales::actions": "Magento_Sales::sales_order",
    "Magento_Sales::actions_view": "Magento_Sales::actions",
    "Magento_Sales::create": "Magento_Sales::actions",
    "Magento_Sales::creditmemo": "Magento_Sales::actions",
    "Magento_Sales::sales_invoice": "Magento_Sales::sales_operation",
    "Magento_Sales::sales_creditmemo": "Magento_Sales::sales_operation",
    "Magento_Customer::customer": "Magento_Backend::admin",
    "Magento_Customer::manage": "Magento_Customer::customer",
    "Magento_Customer::actions": "Magento_Customer::manage",
    "Magento_Customer::delete": "Magento_Customer::actions",
    "Magento_Customer::group": "Magento_Customer::customer",
    "Magento_Catalog::catalog": "Magento_Backend::admin",
    "Magento_Catalog::catalog_inventory": "Magento_Catalog::catalog",
    "Magento_Catalog::products": "Magento_Catalog::catalog_inventory",
    "Magento_Backend::marketing": "Magento_Backend::admin",
    "Magento_CatalogRule::promo": "Magento_Backend::marketing",
    "Magento_SalesRule::quote": "Magento_CatalogRule::promo",
    "Magento_Backend::stores": "Magento_Backend::admin",
    "Magento_Backend::stores_settings": "Magento_Backend::stores",
    "Magento_Backend::store": "Magento_Backend::stores_settings",
}
"""Where each ACL resource used here sits in the resource tree (a denied parent denies its children)."""


@dataclass(frozen=True)
class Credentials:
    consumer_key: str
    consumer_secret: str
    access_token: str
    access_token_secret: str
    admin_username: str
    admin_password: str

    def as_dict(self) -> dict[str, str]:
        return {
            "consumer_key": self.consumer_key,
            "consumer_secret": self.consumer_secret,
            "access_token": self.access_token,
            "access_token_secret": self.access_token_secret,
            "admin_username": self.admin_username,
            "admin_password": self.admin_password,
        }


def _token(rng: random.Random) -> str:
    return "".join(rng.choice(_ALPHABET) for _ in range(32))


def make_credentials(rng: random.Random) -> Credentials:
    """An integration (32-character key, secret, token, token secret) and an admin user."""
    return Credentials(
        _token(rng), _token(rng), _token(rng), _token(rng), "loyalty-admin", f"Sandbox-{_token(rng)[:12]}"
    )


@dataclass(frozen=True)
class _Secrets:
    client_secret: str
    resource_owner_secret: str


def _oauth_params(request: SandboxRequest) -> dict[str, str] | None:
    """Magento's ``Oauth\\Helper\\Request::prepareRequest``: header protocol params + raw query params."""
    header = request.header("authorization") or ""
    position = header.lower().find("oauth ")
    if position < 0:
        return None
    params: dict[str, str] = {}
    for part in header[position + 6 :].split(","):
        name, sep, value = part.strip().partition("=")
        if sep and _PROTOCOL.search(name):
            params[unquote(name)] = unquote(value.strip('"'))
    _, _, query = request.raw_target.partition("?")
    for piece in query.split("&") if query else ():
        pieces = piece.split("=")
        if len(pieces) == 2 and not _PROTOCOL.search(pieces[0]):
            params[unquote(pieces[0])] = unquote(pieces[1])
    return params


class Authenticator:
    """Checks every protected request; holds issued admin tokens, used nonces and denied resources."""

    def __init__(
        self,
        credentials: Credentials,
        *,
        bearer_tokens_enabled: bool,
        two_factor_auth: bool,
        clock: Callable[[], int],
        rng: random.Random,
    ) -> None:
        self.credentials = credentials
        self.bearer_tokens_enabled = bearer_tokens_enabled
        self.two_factor_auth = two_factor_auth
        self.denied: set[str] = set()
        self._clock = clock
        self._rng = rng
        self._admin_tokens: dict[str, int] = {}
        self._nonces: set[str] = set()
        self._lock = threading.Lock()

    def issue_admin_token(self, body: Any) -> str:
        """``POST /V1/integration/admin/token``."""
        body = body if isinstance(body, dict) else {}
        username, password = body.get("username"), body.get("password")
        missing = [
            required_field(name)
            for name, value in (("username", username), ("password", password))
            if not value
        ]
        if missing:
            raise input_errors(missing)
        valid_user = hmac.compare_digest(str(username), self.credentials.admin_username)
        valid_password = hmac.compare_digest(str(password), self.credentials.admin_password)
        if not (valid_user and valid_password):
            raise WebapiError.of(
                401,
                "The account sign-in was incorrect or your account is disabled temporarily. "
                "Please wait and try again later.",
            )
        if self.two_factor_auth:
            raise WebapiError.of(
                400,
                "Please use the 2fa provider-specific endpoints to obtain a token.",
                {"active_providers": ["google"]},
            )
        with self._lock:
            token = _token(self._rng)
            self._admin_tokens[token] = self._clock() + _TOKEN_LIFETIME
        return token

    def expire_admin_tokens(self) -> None:
        with self._lock:
            self._admin_tokens.clear()

    def is_denied(self, resource: str) -> bool:
        node: str | None = resource
        while node is not None:
            if node in self.denied:
                return True
            node = ACL_PARENTS.get(node)
        return False

    def authorize(self, request: SandboxRequest, resources: list[str]) -> str:
        """Raise the Magento error for an unauthenticated or unauthorized request; return who called."""
        caller = self._authenticate(request)
        if caller is None or any(self.is_denied(resource) for resource in resources):
            raise consumer_not_authorized(resources)
        return caller

    def _authenticate(self, request: SandboxRequest) -> str | None:
        params = _oauth_params(request)
        if params is not None:
            self._verify_oauth(request, params)
            return "integration"
        header = request.header("authorization") or ""
        if header[:7].lower() != "bearer ":
            return None
        token = header[7:].strip()
        if hmac.compare_digest(token, self.credentials.access_token):
            return "bearer" if self.bearer_tokens_enabled else None
        with self._lock:
            expires = self._admin_tokens.get(token)
        if expires is not None and expires > self._clock():
            return "admin"
        return None

    def _verify_oauth(self, request: SandboxRequest, params: dict[str, str]) -> None:
        if "oauth_version" in params and params["oauth_version"] != "1.0":
            raise WebapiError.of(400, 'The "%1" Oauth version isn\'t supported.', [params["oauth_version"]])
        missing = [required_field(name) for name in _REQUIRED if name not in params]
        if missing:
            raise input_errors(missing)
        if len(params["oauth_token"]) != 32:
            raise WebapiError.of(400, "The token length is invalid. Check the length and try again.")
        method = params["oauth_signature_method"]
        if method != "HMAC-SHA256":
            raise WebapiError.of(400, "Signature method %1 is not supported", [method])
        key = params["oauth_consumer_key"]
        if len(key) != 32:
            raise WebapiError.of(401, "Consumer key is not the correct length")
        if not hmac.compare_digest(key, self.credentials.consumer_key):
            raise WebapiError.of(401, "A consumer having the specified key does not exist")
        stamp = params["oauth_timestamp"]
        if not stamp.isdigit() or int(stamp) <= 0 or int(stamp) > time.time() + _TIME_DEVIATION:
            raise WebapiError.of(401, "Incorrect timestamp value in the oauth_timestamp parameter")
        with self._lock:
            if params["oauth_nonce"] in self._nonces:
                raise WebapiError.of(
                    401, "The nonce is already being used by the consumer with ID %1", [_CONSUMER_ID]
                )
            self._nonces.add(params["oauth_nonce"])
        if not hmac.compare_digest(params["oauth_token"], self.credentials.access_token):
            raise WebapiError.of(401, "Specified token does not exist")
        host = request.header("host") or "127.0.0.1"
        uri = signature.base_string_uri(f"http://{host}{request.path}")
        pairs = [(name, value) for name, value in params.items() if name != "oauth_signature"]
        base = signature.signature_base_string(request.method, uri, signature.normalize_parameters(pairs))
        secrets = _Secrets(self.credentials.consumer_secret, self.credentials.access_token_secret)
        expected = signature.sign_hmac_sha256_with_client(base, secrets)
        if not hmac.compare_digest(expected, params["oauth_signature"]):
            raise WebapiError.of(401, "The signature is invalid. Verify and try again.")
