"""The sync engine against the Shopware sandbox over HTTP: faults, 401, idempotency, changes mid-read.

:class:`ShopwareKit` is the Shopware side of the shared suite (see ``conftest.py``). Shopware-specific:
an access token that expires between pages is refreshed once and the sync goes on; a payment refunded
after a sync reaches the store as a refund record, and the stored order stays as a fresh read has it
(its status follows its own state machine, never the payment, whose changes do not move the order).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from loyalty_connector.adapter import Record, ShopAdapter, Stream
from loyalty_connector.domain import Order, OrderStatus, Refund
from loyalty_connector.http import RequestBudget, RetryPolicy
from loyalty_connector.sandbox_server import SandboxRequest
from loyalty_connector.store import Store, open_store
from loyalty_connector.testing import read_all

if TYPE_CHECKING:
    import conftest as shared
else:  # the alias the integration conftest registers (see its docstring)
    import integration_conftest as shared


def _shopware_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)


@dataclass
class ShopwareKit(shared.ShopKit):
    name = "shopware"

    def __post_init__(self) -> None:
        self.stream_paths = {
            Stream.CUSTOMERS: "/search/customer",
            Stream.ORDERS: "/search/order",
            Stream.REFUNDS: "/search/order-transaction",
        }
        super().__post_init__()

    @property
    def shopware(self) -> Any:
        return self.shop

    def adapter(
        self,
        *,
        budget: RequestBudget | None = None,
        sleep: Callable[[float], None] | None = None,
        retry: RetryPolicy | None = None,
        wrong_credentials: bool = False,
    ) -> ShopAdapter:
        from loyalty_connector_shopware import ClientCredentialsGrant, ShopwareAdapter, ShopwareClient

        values = self.shopware.credentials
        secret = "x" * len(values["client_secret"]) if wrong_credentials else values["client_secret"]
        options: dict[str, Any] = {"budget": budget}
        if sleep is not None:
            options["sleep"] = sleep
        if retry is not None:
            options["retry"] = retry
        client = ShopwareClient(
            self.shop.base_url,
            ClientCredentialsGrant(values["client_id"], secret),
            source=self.source,
            **options,
        )
        return ShopwareAdapter(self.source, client, page_size=shared.PAGE_SIZE)

    def state_names(self) -> dict[str, str]:
        """State id -> technical name, for every state machine."""
        return {key: name for key, (_machine, name) in self._state_ids().items()}

    def _state_ids(self) -> dict[str, tuple[str, str]]:
        tables = self.shopware.entities
        machines = {row["id"]: row["technicalName"] for row in tables["state_machine"].values()}
        return {
            row["id"]: (machines[row["stateMachineId"]], row["technicalName"])
            for row in tables["state_machine_state"].values()
        }

    def _state_id(self, machine: str, name: str) -> str:
        return next(key for key, value in self._state_ids().items() if value == (machine, name))

    def change_order(self, external_id: str) -> None:
        order = self.shopware.entities["order"][external_id]
        cancelled = self._state_id("order.state", "cancelled")
        if order["stateId"] == cancelled:
            self.shopware.touch("order", external_id, customerComment="changed")
        else:
            self.shopware.touch("order", external_id, stateId=cancelled)

    def change_customer(self, external_id: str) -> None:
        self.shopware.touch("customer", external_id, lastName="Renamed")

    def add_order(self, customer_id: str) -> str:
        placed = self.shopware.add_order(customer_id, [("TONER-BLK", 3)], state="completed")
        return str(placed["id"])

    def add_customer(self, number: int) -> str:
        added = self.shopware.add_customer(
            email=f"buyer{number}@neu-kunde{number}.example", company=f"Neukunde {number} GmbH"
        )
        return str(added["id"])

    def refund_order(self, external_id: str) -> str | None:
        try:
            transaction = self.shopware.set_transaction_state(external_id, "refunded")
        except ValueError:
            return None
        return f"{transaction['id']}:refunded"

    def expected(self, stream: Stream) -> dict[str, Record]:
        adapter = self.adapter()
        try:
            items = read_all(adapter, stream, limit=shared.PAGE_SIZE)
        finally:
            adapter.close()
        return {item.external_id: item.record for item in items if item.record is not None}

    def raw_state(self, stream: Stream) -> dict[str, shared.StreamState]:
        with self.shop.lock:
            tables = self.shopware.entities
            states = self._state_ids()

            def changed(row: dict[str, Any]) -> datetime:
                return _shopware_time(row.get("updatedAt") or row["createdAt"])

            if stream is Stream.CUSTOMERS:
                return {
                    key: shared.StreamState(changed(row))
                    for key, row in tables["customer"].items()
                    if not row["guest"]
                }
            if stream is Stream.ORDERS:
                return {
                    key: shared.StreamState(changed(row), states[row["stateId"]][1])
                    for key, row in tables["order"].items()
                }
            refunds = {}
            for key, row in tables["order_transaction"].items():
                state = states[row["stateId"]][1]
                if state in ("refunded", "refunded_partially"):
                    refunds[f"{key}:{state}"] = shared.StreamState(changed(row))
            return refunds

    def superseded(self, stream: Stream) -> set[str]:
        """A partial refund stays a record of its own once its transaction is refunded in full."""
        if stream is not Stream.REFUNDS:
            return set()
        return {key.replace(":refunded", ":refunded_partially") for key in self.raw_state(stream)}


@contextmanager
def shopware_kit(customers: int = shared.CUSTOMERS, orders: int = shared.ORDERS) -> Iterator[ShopwareKit]:
    """A started Shopware sandbox of the seeded size, as a kit."""
    from loyalty_connector_shopware.sandbox import ShopwareSandbox

    with ShopwareSandbox(seed=shared.SEED, customers=customers, orders=orders) as shop:
        yield ShopwareKit(shop)


class TestShopwareSandboxSync(shared.SandboxSyncSuite):
    @classmethod
    def started(cls) -> AbstractContextManager[ShopwareKit]:
        return shopware_kit()

    def test_a_token_expiring_between_pages_is_refreshed_once_and_the_sync_completes(
        self, kit: ShopwareKit, reference: Store, store: Store
    ) -> None:
        searches = 0

        def expire_on_the_fifth_search(request: SandboxRequest) -> None:
            nonlocal searches
            if request.path.startswith("/api/search/order"):
                searches += 1
                if searches == 5:
                    kit.shopware.expire_tokens()

        kit.shop.hooks.append(expire_on_the_fifth_search)
        kit.backfill(store)
        kit.shop.hooks.clear()
        tokens = [r for r in kit.shop.requests if r.path.endswith("/oauth/token")]
        assert [r.status for r in tokens] == [200, 200]
        assert sum(1 for r in kit.shop.requests if r.status == 401) == 1
        shared.assert_same_store(store.path, reference.path)


def latest_paid_order(kit: ShopwareKit) -> str:
    """The most recently changed completed order whose payment is ``paid``."""
    with kit.shop.lock:
        tables = kit.shopware.entities
        states = kit.state_names()
        payments: dict[str, dict[str, Any]] = {}
        for row in tables["order_transaction"].values():
            newest = payments.get(row["orderId"])
            if newest is None or str(row["createdAt"]) > str(newest["createdAt"]):
                payments[row["orderId"]] = row
        paid = [
            (str(row.get("updatedAt") or row["createdAt"]), key)
            for key, row in tables["order"].items()
            if states[row["stateId"]] == "completed" and key in payments
            and states[payments[key]["stateId"]] == "paid"
        ]  # fmt: skip
    latest: str = max(paid)[1]
    return latest


def test_a_payment_refunded_after_a_sync_arrives_as_a_refund_record(tmp_path: Path) -> None:
    with shopware_kit() as kit:
        store = open_store(tmp_path / "loyalty.db")
        kit.sync(store)
        order_id = latest_paid_order(kit)
        refund_id = kit.refund_order(order_id)
        report = kit.sync(store)
        refunds = {r.external_id: r for r in store.records(shared.SOURCE, Stream.REFUNDS)}
        store.close()
    assert report.streams[Stream.REFUNDS].inserted == 1
    refund = refunds[str(refund_id)]
    assert isinstance(refund, Refund)
    assert refund.order_id == order_id


def test_a_payment_refunded_after_a_sync_leaves_the_stored_order_as_a_fresh_read_has_it(
    tmp_path: Path,
) -> None:
    """The order's status comes from its own state machine only: a payment change does not move the
    order's change time, so a status derived from the payment would go stale in the store."""
    with shopware_kit() as kit:
        store = open_store(tmp_path / "loyalty.db")
        kit.sync(store)
        order_id = latest_paid_order(kit)
        kit.refund_order(order_id)
        kit.sync(store)
        stored = {o.external_id: o for o in store.records(shared.SOURCE, Stream.ORDERS)}[order_id]
        store.close()
        fresh = kit.expected(Stream.ORDERS)[order_id]
    assert isinstance(stored, Order)
    assert isinstance(fresh, Order)
    assert stored.model_dump() == fresh.model_dump()
    assert stored.status is OrderStatus.COMPLETE
