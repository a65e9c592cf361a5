"""loyalty-connector adapter for Shopware 6 (6.5, 6.6, 6.7) over the Admin API.

Registered under the entry-point group ``loyalty_connector.adapters`` as ``shopware``; the core
finds it through :data:`plugin`. Setup, settings and the managed kinds are described in
``docs/adapters/shopware.md``.
"""

from __future__ import annotations

__all__ = [
    "ClientCredentialsGrant",
    "PasswordGrant",
    "ShopwareAdapter",
    "ShopwareClient",
    "ShopwareOAuth",
    "ShopwareSettings",
    "create_shopware_adapter",
    "managed_id",
    "plugin",
]

from typing import Any

from loyalty_connector.adapter import AdapterPlugin, SandboxShop

from .adapter import ShopwareAdapter, ShopwareSettings, create_shopware_adapter
from .auth import ClientCredentialsGrant, PasswordGrant, ShopwareOAuth
from .client import ShopwareClient
from .managed import managed_id


def _sandbox(**options: Any) -> SandboxShop:
    # Imported on use: the sandbox is test and demo tooling, not needed to talk to a real shop.
    from .sandbox import ShopwareSandbox

    shop: SandboxShop = ShopwareSandbox(**options)
    return shop


plugin = AdapterPlugin(
    name="shopware",
    description="Shopware 6.5 / 6.6 / 6.7 via the Admin API (OAuth 2 integration or admin user)",
    create=create_shopware_adapter,
    sandbox=_sandbox,
    credential_names=("client_id", "client_secret", "username", "password"),
)
