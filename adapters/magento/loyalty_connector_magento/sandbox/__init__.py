"""A local Magento 2.4 sandbox shop: the admin REST API over real HTTP on 127.0.0.1.

Tests, the demo and benchmarks run the Magento adapter against it::

    from loyalty_connector_magento.sandbox import MagentoSandbox

    with MagentoSandbox(seed=7, customers=300, orders=3000) as shop:
        source = shop.describe()["source"]
"""

from __future__ import annotations

__all__ = ["MagentoSandbox"]

from .server import MagentoSandbox
