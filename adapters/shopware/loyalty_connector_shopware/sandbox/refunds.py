"""Refunds as Shopware 6.4.12+ records them: a capture on the payment and completed capture refunds.

A partial refund that returns goods names the line in an ``order_transaction_capture_refund_position``.
"""

from __future__ import annotations

__all__ = ["add_refund"]

import random
from typing import Any

from .catalogue import state_id
from .clock import format_ms
from .ids import uuid7
from .pricing import OrderLine, calculated_price
from .schema import LIVE_VERSION_ID, blank_record
from .store import ShopStore


def add_refund(
    store: ShopStore,
    rng: random.Random,
    transaction_id: str,
    amount: dict[str, Any],
    refund: float,
    tax_status: str,
    at: int,
    *,
    returned: tuple[str, OrderLine] | None = None,
) -> dict[str, Any]:
    """Record a completed refund of ``refund`` on a transaction (creating its capture if it has none)."""
    captures = store.children("order_transaction_capture", "orderTransactionId", transaction_id)
    if captures:
        capture_id = captures[0]["id"]
    else:
        capture_id = uuid7(at, rng)
        store.insert(
            "order_transaction_capture",
            blank_record(
                "order_transaction_capture",
                capture_id,
                createdAt=format_ms(at),
                orderTransactionId=transaction_id,
                orderTransactionVersionId=LIVE_VERSION_ID,
                stateId=state_id("order_transaction_capture.state", "completed"),
                amount=amount,
            ),
        )
    refund_id = uuid7(at, rng)
    record = blank_record(
        "order_transaction_capture_refund",
        refund_id,
        createdAt=format_ms(at),
        captureId=capture_id,
        captureVersionId=LIVE_VERSION_ID,
        stateId=state_id("order_transaction_capture_refund.state", "completed"),
        reason="Goods returned" if returned is not None else None,
        amount=calculated_price(refund, 1, refund, 19.0, tax_status),
    )
    store.insert("order_transaction_capture_refund", record)
    if returned is not None:
        line_id, line = returned
        store.insert(
            "order_transaction_capture_refund_position",
            blank_record(
                "order_transaction_capture_refund_position",
                uuid7(at, rng),
                createdAt=format_ms(at),
                refundId=refund_id,
                refundVersionId=LIVE_VERSION_ID,
                orderLineItemId=line_id,
                orderLineItemVersionId=LIVE_VERSION_ID,
                reason="damaged",
                quantity=line.quantity,
                amount=calculated_price(
                    line.unit_price, line.quantity, line.total_price, line.tax_rate, tax_status
                ),
            ),
        )
    return record
