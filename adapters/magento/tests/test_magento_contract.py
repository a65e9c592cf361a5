"""The core adapter contract, run against the Magento sandbox over HTTP with OAuth 1.0a."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from loyalty_connector.adapter import ShopAdapter, Stream, create_adapter, discover_adapters
from loyalty_connector.program import SourceConfig
from loyalty_connector.testing import AdapterContract
from loyalty_connector_magento import MagentoAdapter, create, plugin
from loyalty_connector_magento.sandbox import MagentoSandbox


def connect(shop: MagentoSandbox, **overrides: str) -> MagentoAdapter:
    config = SourceConfig(adapter="magento", base_url=shop.base_url, settings={"store_code": "all"})
    return create("m2", config, {**shop.credentials, **overrides}, None)


@pytest.fixture(scope="module")
def contract_shop() -> Iterator[MagentoSandbox]:
    with MagentoSandbox(seed=11, customers=15, orders=30) as shop:
        yield shop


class TestMagentoContract(AdapterContract):
    @pytest.fixture
    def shop(self, contract_shop: MagentoSandbox) -> MagentoSandbox:
        return contract_shop

    @pytest.fixture
    def adapter(self, shop: MagentoSandbox) -> Iterator[MagentoAdapter]:
        adapter = connect(shop)
        yield adapter
        adapter.close()

    @pytest.fixture
    def bad_adapter(self, shop: MagentoSandbox) -> Iterator[MagentoAdapter]:
        adapter = connect(shop, consumer_secret="not-the-secret-at-all-00000000000")
        yield adapter
        adapter.close()

    def touch(self, shop: Any, stream: Stream, external_id: str) -> None:
        shop.touch({Stream.REFUNDS: "creditmemos"}.get(stream, stream.value), int(external_id))


def test_the_plugin_is_registered_under_the_entry_point_and_builds_a_shop_adapter() -> None:
    assert discover_adapters()["magento"] is plugin
    with MagentoSandbox(seed=1, customers=3, orders=3) as shop:
        describe = shop.describe()
        config = SourceConfig.model_validate(describe["source"])
        adapter = create_adapter("shop", config, environ=describe["env"])
        assert isinstance(adapter, ShopAdapter)
        assert adapter.read_groups()
        adapter.close()


def test_the_plugin_sandbox_factory_builds_a_magento_sandbox() -> None:
    assert plugin.sandbox is not None
    shop = plugin.sandbox(seed=2, customers=2, orders=2)
    assert isinstance(shop, MagentoSandbox)
