"""Plan/apply against the Magento sandbox over HTTP: empty shop, apply, programme change, drift, faults."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from plan_kits import MagentoPlanKit, magento_kit
from plan_shops import PlanApplySuite


@pytest.fixture(scope="module")
def magento_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("magento") / "template.db"
    for kit in magento_kit():
        kit.build_store(path).close()
    return path


class TestMagentoPlanApply(PlanApplySuite):
    @pytest.fixture
    def kit(self) -> Iterator[MagentoPlanKit]:
        yield from magento_kit()

    @pytest.fixture
    def template(self, magento_template: Path) -> Path:
        return magento_template
