"""Plan/apply against the Shopware sandbox over HTTP: empty shop, apply, programme change, drift, faults."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from plan_kits import ShopwarePlanKit, shopware_kit
from plan_shops import PlanApplySuite, copy_store, program

from loyalty_connector.errors import ConfigurationError
from loyalty_connector.plan import make_plan
from loyalty_connector.store import open_store


@pytest.fixture(scope="module")
def shopware_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("shopware") / "template.db"
    for kit in shopware_kit():
        kit.build_store(path).close()
    return path


class TestShopwarePlanApply(PlanApplySuite):
    @pytest.fixture
    def kit(self) -> Iterator[ShopwarePlanKit]:
        yield from shopware_kit()

    @pytest.fixture
    def template(self, shopware_template: Path) -> Path:
        return shopware_template


def test_promotions_without_a_sales_channel_fail_the_plan_with_the_setting_to_add(
    shopware_template: Path, tmp_path: Path
) -> None:
    for kit in shopware_kit():
        store = open_store(copy_store(shopware_template, tmp_path / "loyalty.db"))
        with pytest.raises(ConfigurationError, match="sales_channel_id"):
            make_plan(program(), store, kit.adapter(channel=None), now=kit.now)
        store.close()


def test_tier_prices_start_at_one_and_never_rise_with_quantity(
    shopware_template: Path, tmp_path: Path
) -> None:
    for kit in shopware_kit():
        store = open_store(copy_store(shopware_template, tmp_path / "loyalty.db"))
        planned = kit.plan(store)
        rows = sorted(
            (c.fields["quantity_start"], c.fields["quantity_end"], c.fields["prices"][0]["net"])
            for c in planned.changes
            if c.kind == "tier_price" and c.fields["rule_key"] == "groups:loyalty gold"
        )
        # PAPER-A4 lists at 4.20 net: 3.90 from 10, 12 % off (3.70) from 50.
        assert [(s, e, str(n)) for s, e, n in rows] == [(1, 9, "4.20"), (10, 49, "3.90"), (50, None, "3.70")]
        store.close()
