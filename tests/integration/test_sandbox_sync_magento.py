"""The sync engine against the Magento sandbox over HTTP: faults, 401, idempotency, changes mid-read.

Magento-specific: an order the shop commits late, with a change time just before the sync
checkpoint, is still read by the next sync thanks to the look-back.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import timedelta
from typing import TYPE_CHECKING

from loyalty_connector.adapter import Stream
from loyalty_connector.store import SYNC_SCOPE, Store
from loyalty_connector.sync import DEFAULT_LOOK_BACK

if TYPE_CHECKING:
    import conftest as shared
else:  # the alias the integration conftest registers (see its docstring)
    import integration_conftest as shared


class TestMagentoSandboxSync(shared.SandboxSyncSuite):
    @classmethod
    def started(cls) -> AbstractContextManager[shared.MagentoKit]:
        return shared.magento_kit()

    def test_an_order_committed_late_inside_the_look_back_is_read_by_the_next_sync(
        self, kit: shared.MagentoKit, store: Store
    ) -> None:
        kit.sync(store)
        checkpoint = store.checkpoint(shared.SOURCE, Stream.ORDERS, SYNC_SCOPE)
        assert checkpoint is not None
        late = checkpoint.changed_at - DEFAULT_LOOK_BACK + timedelta(seconds=30)
        first = min(kit.magento.orders)
        kit.magento.touch(
            "orders",
            first,
            state="canceled",
            status="canceled",
            updated_at=late.strftime("%Y-%m-%d %H:%M:%S"),
        )
        report = kit.sync(store)
        assert report.streams[Stream.ORDERS].updated == 1
        shared.assert_store_matches_shop(kit, store)
