"""The plugin and its factory: settings, credentials per grant, discovery, page boundaries."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest

from loyalty_connector.adapter import Cursor, ShopAdapter, discover_adapters
from loyalty_connector.errors import ConfigurationError
from loyalty_connector.http import RequestBudget
from loyalty_connector.program import SourceConfig
from loyalty_connector_shopware import plugin
from loyalty_connector_shopware.adapter import ShopwareAdapter, ShopwareSettings, _cut
from loyalty_connector_shopware.auth import ClientCredentialsGrant, PasswordGrant

CLIENT = {"client_id": "SWIAEXAMPLE", "client_secret": "secret-value"}


def config(**settings: Any) -> SourceConfig:
    return SourceConfig(adapter="shopware", base_url="https://shop.test", settings=settings)


def test_the_plugin_is_discovered_through_its_entry_point() -> None:
    found = discover_adapters()["shopware"]
    assert found is plugin
    assert plugin.sandbox is not None
    assert set(plugin.credential_names) == {"client_id", "client_secret", "username", "password"}


def test_the_factory_builds_a_shop_adapter_with_defaults() -> None:
    adapter = plugin.create("shop_de", config(), CLIENT, None)
    assert isinstance(adapter, ShopAdapter)
    assert isinstance(adapter, ShopwareAdapter)
    assert adapter.source == "shop_de"
    assert adapter.capabilities.max_page_size == 200
    assert "promotion" in adapter.capabilities.writes
    assert any("Free items" in note for note in adapter.capabilities.notes)
    assert isinstance(adapter.client.auth._grant, ClientCredentialsGrant)
    adapter.close()


def test_the_password_grant_takes_username_and_password() -> None:
    adapter = plugin.create("s", config(grant="password"), {"username": "api", "password": "pw-value"}, None)
    assert isinstance(adapter.client.auth._grant, PasswordGrant)  # type: ignore[attr-defined]
    assert "pw-value" not in repr(adapter.client.auth._grant)  # type: ignore[attr-defined]
    adapter.close()


@pytest.mark.parametrize(
    ("settings", "credentials", "message"),
    [
        ({}, {"client_id": "x"}, "client_secret"),
        ({"grant": "password"}, CLIENT, "username, password"),
        ({"grant": "implicit"}, CLIENT, "settings.grant"),
        ({"page_size": 501}, CLIENT, "settings.page_size must be an integer from 1 to 500"),
        ({"page_size": True}, CLIENT, "page_size"),
        ({"timeout": -1}, CLIENT, "settings.timeout"),
        ({"rate_limit": 0}, CLIENT, "settings.rate_limit"),
        ({"sales_channel_id": "storefront"}, CLIENT, "32 hex"),
        ({"store_code": "default"}, CLIENT, "unknown Shopware setting(s) store_code"),
    ],
)
def test_bad_settings_and_missing_credentials_are_configuration_errors(
    settings, credentials, message
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        plugin.create("shop_de", config(**settings), credentials, None)
    assert message in str(caught.value)
    assert "shop_de" in str(caught.value)


def test_settings_are_parsed_into_their_types() -> None:
    parsed = ShopwareSettings.parse(
        "s",
        {
            "timeout": [3, 60],
            "rate_limit": 2.5,
            "page_size": 500,
            "sales_channel_id": "A" * 32,
            "write_batch_size": 10,
        },
    )
    assert parsed.timeout == (3.0, 60.0)
    assert parsed.rate_limit == 2.5
    assert parsed.sales_channel_id == "a" * 32
    assert ShopwareSettings.parse("s", {"timeout": 12}).timeout == (5.0, 12.0)


def test_a_rate_limit_setting_creates_a_budget_unless_one_is_shared() -> None:
    adapter = plugin.create("s", config(rate_limit=4), CLIENT, None)
    assert adapter.client._http._budget is not None  # type: ignore[attr-defined]
    shared = RequestBudget(rate=1)
    other = plugin.create("s", config(rate_limit=4), CLIENT, shared)
    assert other.client._http._budget is shared  # type: ignore[attr-defined]


def _row(second: int, tie: int, ident: str) -> tuple[Cursor, str, dict[str, Any]]:
    return (Cursor(datetime(2024, 1, 1, 0, 0, second, tzinfo=timezone.utc), tie), ident, {"id": ident})


def test_a_page_never_ends_between_two_records_sharing_a_position() -> None:
    # two refund-state transactions of one order changed in the same millisecond share a position
    rows = [_row(1, 1, "a"), _row(2, 7, "b"), _row(2, 7, "c"), _row(3, 1, "d")]
    assert [r[1] for r in _cut(rows, 2)] == ["a"]
    assert [r[1] for r in _cut(rows, 3)] == ["a", "b", "c"]
    assert [r[1] for r in _cut(rows[1:], 1)] == ["b", "c"]  # a page of only the pair keeps it whole
