"""loyalty-connector adapter for Magento 2.4 / Adobe Commerce (admin REST API).

Registered under the ``loyalty_connector.adapters`` entry point as ``magento``. A programme source::

    sources:
      shop:
        adapter: magento
        base_url: https://shop.example.com
        settings: {store_code: all, auth: oauth, page_size: 100}
        credentials:
          consumer_key: MAGENTO_CONSUMER_KEY
          consumer_secret: MAGENTO_CONSUMER_SECRET
          access_token: MAGENTO_ACCESS_TOKEN
          access_token_secret: MAGENTO_ACCESS_TOKEN_SECRET

See ``docs/adapters/magento.md`` for the settings, the three auth modes and the ACL resources.
"""

from __future__ import annotations

__all__ = [
    "AdminTokenAuth",
    "MagentoAdapter",
    "MagentoClient",
    "ManagedScope",
    "OAuth1Signer",
    "create",
    "free_product_rule",
    "plugin",
    "referral_rule",
]

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from loyalty_connector.adapter import AdapterPlugin
from loyalty_connector.errors import ConfigurationError
from loyalty_connector.http import RequestBudget

from .adapter import MagentoAdapter
from .auth import AdminTokenAuth, OAuth1Signer
from .client import AUTH_MODES, MagentoClient
from .sales_rules import free_product_rule, referral_rule
from .writers import ManagedScope

if TYPE_CHECKING:
    from loyalty_connector.adapter import SandboxShop
    from loyalty_connector.program import SourceConfig

_SETTINGS = (
    "store_code",
    "auth",
    "page_size",
    "timeout",
    "rate_limit",
    "managed_groups",
    "managed_skus",
    "workers",
)


def _number(settings: Mapping[str, Any], name: str, default: float, source: str) -> float:
    value = settings.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ConfigurationError(f"magento source {source!r}: settings.{name} must be a positive number")
    return float(value)


def _timeout(settings: Mapping[str, Any], source: str) -> tuple[float, float]:
    value = settings.get("timeout")
    if value is None:
        return (5.0, 30.0)
    if isinstance(value, list | tuple) and len(value) == 2:
        connect = _number({"timeout": value[0]}, "timeout", 5.0, source)
        return connect, _number({"timeout": value[1]}, "timeout", 30.0, source)
    read = _number(settings, "timeout", 30.0, source)
    return min(5.0, read), read


def _codes(settings: Mapping[str, Any], name: str, source: str) -> tuple[str, ...]:
    value = settings.get(name, [])
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise ConfigurationError(f"magento source {source!r}: settings.{name} must be a list of strings")
    return tuple(value)


def create(
    source_name: str, config: SourceConfig, credentials: Mapping[str, str], budget: RequestBudget | None
) -> MagentoAdapter:
    """Build a connected adapter from a programme source (``settings`` + resolved ``credentials``).

    Credentials by ``settings.auth``: ``oauth`` — consumer_key, consumer_secret, access_token,
    access_token_secret; ``bearer`` — access_token; ``admin_token`` — username, password.
    """
    settings = dict(config.settings)
    unknown = sorted(set(settings) - set(_SETTINGS))
    if unknown:
        raise ConfigurationError(
            f"magento source {source_name!r}: unknown setting(s) {', '.join(unknown)}; "
            f"known: {', '.join(_SETTINGS)}"
        )
    auth = str(settings.get("auth", "oauth"))
    if auth not in AUTH_MODES:
        raise ConfigurationError(
            f"magento source {source_name!r}: settings.auth must be one of {', '.join(AUTH_MODES)}"
        )
    page_size = int(_number(settings, "page_size", 100, source_name))
    if budget is None and settings.get("rate_limit") is not None:
        rate = _number(settings, "rate_limit", 1, source_name)
        budget = RequestBudget(rate=rate, burst=max(1, int(rate)))
    client = MagentoClient(
        config.base_url,
        source=source_name,
        auth_mode=auth,
        credentials=credentials,
        store_code=str(settings.get("store_code", "all")),
        timeout=_timeout(settings, source_name),
        budget=budget,
    )
    scope = ManagedScope(
        _codes(settings, "managed_groups", source_name), _codes(settings, "managed_skus", source_name)
    )
    workers = int(_number(settings, "workers", 4, source_name))
    return MagentoAdapter(source_name, client, page_size=page_size, scope=scope, workers=workers)


def _sandbox(**kwargs: Any) -> SandboxShop:
    from .sandbox import MagentoSandbox  # imported on use: the library never needs the sandbox

    shop: SandboxShop = MagentoSandbox(**kwargs)
    return shop


plugin = AdapterPlugin(
    name="magento",
    description="Magento 2.4 / Adobe Commerce admin REST API (OAuth 1.0a integration, bearer or admin token)",
    create=create,
    sandbox=_sandbox,
    credential_names=(
        "consumer_key",
        "consumer_secret",
        "access_token",
        "access_token_secret",
        "username",
        "password",
    ),
)
