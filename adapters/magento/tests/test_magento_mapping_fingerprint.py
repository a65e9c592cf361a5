"""Mapping output is pinned byte for byte: real samples, a seeded sandbox shop and corrupted payloads.

Every real sample and every customer, order and credit memo of a seeded sandbox shop is mapped, plus
seeded corruptions of them (a field deleted, nulled or given a wrong type, at any depth). The result
of each — the record's ``model_dump(mode="json")``, or the exception's type and message, which is the
quarantine reason — goes into one sha256. The constants were recorded from the mapping as it was
before its speed work, so any fast path must give exactly the same records and the same reasons.
If the sandbox's seed data ever changes on purpose, record the constants again from a mapping known
to be right (a failing assertion shows the new fingerprint).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from loyalty_connector.adapter import Stream
from loyalty_connector.program import SourceConfig
from loyalty_connector.testing import fingerprint, read_all, seeded_corruptions
from loyalty_connector_magento import create
from loyalty_connector_magento.mapping import map_customer, map_order, map_refund, position_of
from loyalty_connector_magento.sandbox import MagentoSandbox

SAMPLES = Path(__file__).parent / "samples"
MAPPERS: dict[str, tuple[Callable[[Any, str], Any], str]] = {
    "customers": (map_customer, "id"),
    "orders": (map_order, "entity_id"),
    "refunds": (map_refund, "entity_id"),
}
SAMPLE_FILES = {
    "orders": ["order.configurable-pending.ns8-2.3.json", "order.discount-3-configurables.ns8-2.3.json"],
    "customers": ["customer.luma-4-addresses.ns8-2.3.json"],
    "refunds": ["creditmemo.get.response.kb-mdva-36572.json"],
}
BROKEN = (
    "delete",
    None,
    "",
    "  ",
    "abc",
    True,
    0,
    -3,
    1.5,
    Decimal("NaN"),
    Decimal("12.345"),
    "2024-02-30 10:00:00",
    "12",
    "eur",
    Decimal("1E+40"),
    -0.001,
    [],
    {},
    ["x"],
)

# every field the mapping reads, so that most corruptions hit something that matters
_READ_FIELDS = (
    "entity_id id state status order_currency_code base_currency_code customer_is_guest "
    "customer_id customer_email billing_address email items increment_id created_at updated_at "
    "subtotal discount_amount shipping_amount tax_amount grand_total base_grand_total "
    "customer_group_id coupon_code coupon_codes extension_attributes item_id sku name "
    "qty_ordered price qty_refunded qty_canceled parent_item_id firstname lastname addresses "
    "default_billing company vat_id taxvat group_id dob website_id qty order_item_id row_total "
    "order_id reward_points_balance"
)
READ_KEYS = frozenset(_READ_FIELDS.split())

SANDBOX_FINGERPRINT = "99e803ded12928fba1e5a3f76d08ccaab947b7b2452054353ba8f4613d4e0b02"
CORRUPTED_FINGERPRINT = "5fa1dcfbc7c3bbef0cf0db620d9829cd1e3f3d34591b040cdf821b8b8dd10ca1"


def sample(name: str) -> Any:
    return json.loads((SAMPLES / name).read_text(), parse_float=Decimal)


@pytest.fixture(scope="module")
def payloads() -> dict[str, list[dict[str, Any]]]:
    """Every sample plus every row of a seeded sandbox, as the client parses them, per stream."""
    found: dict[str, list[dict[str, Any]]] = {
        stream: [sample(name) for name in names] for stream, names in SAMPLE_FILES.items()
    }
    found["customers"] += sample("search-customers.response.adobedocs.json")["items"]
    with MagentoSandbox(seed=23, customers=300, orders=2500) as shop:
        config = SourceConfig(adapter="magento", base_url=shop.base_url, settings={"store_code": "all"})
        adapter = create("m2", config, shop.credentials, None)
        search = adapter.client.search
        for stream in Stream:
            rows = found[stream.value]

            def capture(*args: Any, _rows: list[dict[str, Any]] = rows, **kwargs: Any) -> Any:
                result = search(*args, **kwargs)
                _rows.extend(result.items)
                return result

            adapter.client.search = capture  # type: ignore[method-assign]
            read_all(adapter, stream, limit=100)
        adapter.close()
    return found


def outcome(stream: str, payload: Any) -> Any:
    """What reading one row gives: its position and record, or the exception that quarantines it."""
    mapper, id_field = MAPPERS[stream]
    try:
        position, external_id = position_of(payload, id_field)
        return [str(position), external_id, mapper(payload, "m2").model_dump(mode="json")]
    except Exception as exc:  # the fingerprint pins whatever is raised, quarantine reason or not
        return [type(exc).__name__, str(exc)]


def test_samples_and_a_seeded_sandbox_map_to_the_recorded_fingerprint(payloads) -> None:
    results = [[stream, outcome(stream, row)] for stream, rows in payloads.items() for row in rows]
    assert sum(1 for _, result in results if len(result) == 3) >= 3000
    assert fingerprint(results) == SANDBOX_FINGERPRINT


def test_corrupted_payloads_fail_or_map_exactly_as_recorded(payloads) -> None:
    results = [
        [stream, repr(path), repr(broken), outcome(stream, damaged)]
        for stream, path, broken, damaged in seeded_corruptions(payloads, read_keys=READ_KEYS, broken=BROKEN)
    ]
    for row in payloads["orders"][:30]:
        for place in ("top", "extension"):
            for value in (None, 0, "x", Decimal("1.5")):
                damaged = copy.deepcopy(row)
                holder = damaged if place == "top" else damaged.setdefault("extension_attributes", {})
                holder["reward_points_balance" if place == "top" else "base_reward_currency_amount"] = value
                results.append(["orders", place, repr(value), outcome("orders", damaged)])
    failures = sum(1 for *_, result in results if len(result) == 2)
    assert failures > 200
    assert fingerprint(results) == CORRUPTED_FINGERPRINT
