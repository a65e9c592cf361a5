"""Mapping output is pinned byte for byte: real samples, a seeded sandbox shop and corrupted payloads.

Every real sample and every customer, order and refunded transaction of a seeded sandbox shop is mapped, plus
seeded corruptions of them (a field deleted, nulled or given a wrong type, at any depth). The result
of each — the record's ``model_dump(mode="json")``, or the exception's type and message, which is the
quarantine reason — goes into one sha256. The constants were recorded from the mapping as it was
before its speed work, so any fast path must give exactly the same records and the same reasons.
If the sandbox's seed data ever changes on purpose, record the constants again from a mapping known
to be right (a failing assertion shows the new fingerprint).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from loyalty_connector.adapter import Stream
from loyalty_connector.testing import fingerprint, read_all, seeded_corruptions
from loyalty_connector_shopware.adapter import ShopwareAdapter
from loyalty_connector_shopware.auth import ClientCredentialsGrant
from loyalty_connector_shopware.client import ShopwareClient
from loyalty_connector_shopware.criteria import stream_query
from loyalty_connector_shopware.mapping import change_position, map_customer, map_order
from loyalty_connector_shopware.refunds import map_refund
from loyalty_connector_shopware.sandbox import ShopwareSandbox

SAMPLES = Path(__file__).parent / "test_shopware_sandbox_samples"
MAPPERS: dict[str, Callable[[Any], Any]] = {
    "customers": lambda raw: map_customer(raw, "sw"),
    "orders": lambda raw: map_order(raw, "sw", base_currency="EUR"),
    "orders-without-base": lambda raw: map_order(raw, "sw"),
    "orders-in-chf": lambda raw: map_order(raw, "sw", base_currency="CHF"),
    "refunds": lambda raw: map_refund(raw, "sw"),
}
TIEBREAKS = {name: stream_query(Stream(name.split("-")[0])).tiebreak for name in MAPPERS}
SAMPLE_FILES = {
    "orders": ["order.entity.app-php-sdk-payment.json"],
    "customers": ["customer.entity.app-php-sdk-payment.json"],
    "refunds": ["order-transaction.entity.app-php-sdk-payment.json"],
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
    float("nan"),
    12.345,
    "2024-02-30 10:00:00",
    "12",
    "eur",
    "gross",
    "product",
    "promotion",
    "refunded",
    1e40,
    -0.001,
    2.675,
    [],
    {},
    ["x"],
)

# every field the mapping reads, so that most corruptions hit something that matters
_READ_FIELDS = (
    "id autoIncrement createdAt updatedAt email guest firstName lastName company vatIds groupId birthday "
    "salesChannelId currency isoCode itemRounding totalRounding decimals taxStatus price orderCustomer "
    "customer customerId lineItems type payload quantity totalPrice calculatedTaxes tax code referencedId "
    "productNumber productId promotionId identifier categoryIds label parentId position stateMachineState "
    "technicalName amountTotal amountNet shippingCosts shippingTotal currencyFactor orderNumber "
    "orderDateTime order orderId captures refunds positions amount"
)
READ_KEYS = frozenset(_READ_FIELDS.split())

SANDBOX_FINGERPRINT = "b452c62c923ac0815178e5fb1c7c9b563dc53ef17c1812c0c5d95720c2d0b07b"
CORRUPTED_FINGERPRINT = "699b80f1a9982e8e3d014ce7cd0ffb6db6b5778eccbf96add082d37d4ffadeee"


def sample(name: str, *, decimals: bool = False) -> Any:
    text = (SAMPLES / name).read_text()
    return json.loads(text, parse_float=Decimal) if decimals else json.loads(text)


@pytest.fixture(scope="module")
def payloads() -> dict[str, list[dict[str, Any]]]:
    """Every sample (floats and ``parse_float=Decimal``) plus every row of a seeded sandbox, per stream."""
    found: dict[str, list[dict[str, Any]]] = {
        stream: [sample(name, decimals=decimals) for name in names for decimals in (False, True)]
        for stream, names in SAMPLE_FILES.items()
    }
    with ShopwareSandbox(seed=23, customers=300, orders=2500) as shop:
        credentials = shop.credentials
        grant = ClientCredentialsGrant(credentials["client_id"], credentials["client_secret"])
        client = ShopwareClient(shop.base_url, grant, source="sw")
        adapter = ShopwareAdapter("sw", client, page_size=200)
        search = client.search
        for stream in Stream:
            rows: dict[str, dict[str, Any]] = {}

            def capture(*args: Any, _rows: dict[str, dict[str, Any]] = rows, **kwargs: Any) -> Any:
                result = search(*args, **kwargs)
                _rows.update((str(row.get("id")), row) for row in result)
                return result

            client.search = capture  # type: ignore[method-assign]
            read_all(adapter, stream, limit=200)
            found[stream.value] += [rows[key] for key in sorted(rows)]
        adapter.close()
    for variant in ("orders-without-base", "orders-in-chf"):
        found[variant] = found["orders"][::10]
    return found


def outcome(stream: str, payload: Any) -> Any:
    """What reading one row gives: its position and record, or the exception that quarantines it."""
    try:
        position = change_position(payload, TIEBREAKS[stream])
        return [str(position), MAPPERS[stream](payload).model_dump(mode="json")]
    except Exception as exc:  # the fingerprint pins whatever is raised, quarantine reason or not
        return [type(exc).__name__, str(exc)]


def test_samples_and_a_seeded_sandbox_map_to_the_recorded_fingerprint(payloads) -> None:
    results = [[stream, outcome(stream, row)] for stream, rows in payloads.items() for row in rows]
    assert sum(1 for _, result in results if isinstance(result[1], dict)) >= 3000
    assert fingerprint(results) == SANDBOX_FINGERPRINT


def test_corrupted_payloads_fail_or_map_exactly_as_recorded(payloads) -> None:
    results = [
        [stream, repr(path), repr(broken), outcome(stream, damaged)]
        for stream, path, broken, damaged in seeded_corruptions(payloads, read_keys=READ_KEYS, broken=BROKEN)
    ]
    failures = sum(1 for *_, result in results if not isinstance(result[1], dict))
    assert failures > 200
    assert fingerprint(results) == CORRUPTED_FINGERPRINT
