"""The core adapter contract, run against the Shopware sandbox over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from loyalty_connector.adapter import ShopAdapter, Stream
from loyalty_connector.program import SourceConfig
from loyalty_connector.testing import AdapterContract
from loyalty_connector_shopware import plugin
from loyalty_connector_shopware.sandbox import ShopwareSandbox

_ENTITIES = {Stream.CUSTOMERS: "customer", Stream.ORDERS: "order", Stream.REFUNDS: "order_transaction"}


def connect(shop: ShopwareSandbox, **credentials: str) -> ShopAdapter:
    config = SourceConfig(adapter="shopware", base_url=shop.base_url, settings={"page_size": 100})
    return plugin.create("sw-contract", config, {**shop.credentials, **credentials}, None)


class TestShopwareContract(AdapterContract):
    @pytest.fixture
    def shop(self) -> Iterator[ShopwareSandbox]:
        with ShopwareSandbox(seed=11, customers=40, orders=160) as shop:
            yield shop

    @pytest.fixture
    def adapter(self, shop: ShopwareSandbox) -> Iterator[ShopAdapter]:
        adapter = connect(shop)
        yield adapter
        adapter.close()

    @pytest.fixture
    def bad_adapter(self, shop: ShopwareSandbox) -> Iterator[ShopAdapter]:
        adapter = connect(shop, client_secret="not-the-secret")
        yield adapter
        adapter.close()

    def touch(self, shop: Any, stream: Stream, external_id: str) -> None:
        # refunds are keyed "<transaction id>:<state>"; the record to touch is the transaction
        shop.touch(_ENTITIES[stream], external_id.split(":")[0])
