"""Criteria bodies for ``POST /api/search/<entity>``: keyset pages, associations and includes.

Shopware's ``updatedAt`` is ``NULL`` until a record is first changed, so a record's change time is
``updatedAt ?? createdAt``. MySQL sorts ``NULL`` first in ascending order, so one query sorted by
``updatedAt, createdAt, autoIncrement`` returns every never-updated record before every updated
one — not in ``(updatedAt ?? createdAt)`` order. Each keyset page is therefore read as two
queries, one per *population*, each sorted by its own timestamp and the tiebreak:

- ``created``: ``updatedAt IS NULL`` and ``(createdAt, tiebreak) > cursor``, sorted ``createdAt``;
- ``updated``: ``(updatedAt, tiebreak) > cursor`` (a range excludes ``NULL``), sorted ``updatedAt``;

and the adapter merges the two by position. The tiebreak is ``autoIncrement`` (customers, orders):
a range on ``id`` would compare binary ids with hex strings and mean nothing. ``order_transaction``
has no ``autoIncrement`` (``OrderTransactionDefinition``), so transactions are ordered by their
order's ``autoIncrement`` (the ``order`` association is readable by the Admin API).

Timestamps are sent as UTC ``Y-m-d H:i:s.v`` strings: Shopware stores ``DATETIME(3)`` in UTC and
ignores offsets in filter values. Every body sends ``limit`` (at most 500 on 6.6+, and on 6.5 an
absent limit means the whole table), ``page: 1`` and ``total-count-mode: 0`` (no ``COUNT(*)``).
"""

from __future__ import annotations

__all__ = [
    "MAX_LIMIT",
    "POPULATIONS",
    "REFUND_STATES",
    "StreamQuery",
    "format_timestamp",
    "keyset_criteria",
    "listing_criteria",
    "stream_query",
]

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Literal

from loyalty_connector.adapter import Cursor, Stream

MAX_LIMIT = 500
"""Shopware's ``MAX_LIMIT`` for search requests (``QueryLimitExceededException`` above it)."""

REFUND_STATES = ("refunded", "refunded_partially")
"""``order_transaction`` states that become :class:`~loyalty_connector.domain.Refund` records."""

Population = Literal["created", "updated"]
POPULATIONS: tuple[Population, ...] = ("created", "updated")

_STATE_INCLUDES = ["technicalName"]
_CURRENCY_INCLUDES = ["isoCode", "factor", "itemRounding", "totalRounding"]
_ORDER_MONEY = [
    "amountTotal",
    "amountNet",
    "positionPrice",
    "shippingTotal",
    "taxStatus",
    "price",
    "shippingCosts",
    "currencyFactor",
    "itemRounding",
    "totalRounding",
    "currency",
]


@dataclass(frozen=True)
class StreamQuery:
    """How one stream is searched: entity, tiebreak field, fixed filters, associations, includes."""

    entity: str
    """The search route's entity name, e.g. ``order-transaction`` (``/api/search/order-transaction``)."""
    tiebreak: str
    filters: tuple[Mapping[str, Any], ...] = ()
    associations: Mapping[str, Any] = field(default_factory=dict)
    includes: Mapping[str, Sequence[str]] = field(default_factory=dict)


_CUSTOMERS = StreamQuery(
    entity="customer",
    tiebreak="autoIncrement",
    # Guest checkouts create customer rows with guest=true; the domain keys guests by email instead.
    filters=({"type": "equals", "field": "guest", "value": False},),
    includes={
        "customer": [
            "id",
            "autoIncrement",
            "createdAt",
            "updatedAt",
            "email",
            "firstName",
            "lastName",
            "company",
            "vatIds",
            "groupId",
            "birthday",
            "salesChannelId",
            "guest",
            "customerNumber",
        ],
    },
)

_ORDERS = StreamQuery(
    entity="order",
    tiebreak="autoIncrement",
    associations={
        "stateMachineState": {},
        "currency": {},
        "orderCustomer": {"associations": {"customer": {}}},
        "lineItems": {"sort": [{"field": "position", "order": "ASC"}]},
        "transactions": {
            "associations": {"stateMachineState": {}},
            "sort": [{"field": "createdAt", "order": "ASC"}],
        },
    },
    includes={
        "order": [
            "id",
            "autoIncrement",
            "orderNumber",
            "createdAt",
            "updatedAt",
            "orderDateTime",
            *_ORDER_MONEY,
            "orderCustomer",
            "lineItems",
            "transactions",
            "stateMachineState",
            "primaryOrderTransactionId",
        ],
        "order_customer": ["email", "customerId", "firstName", "lastName", "company", "customer"],
        "customer": ["id", "guest"],
        "order_line_item": [
            "id",
            "type",
            "label",
            "quantity",
            "unitPrice",
            "totalPrice",
            "price",
            "payload",
            "parentId",
            "position",
            "referencedId",
            "identifier",
            "productId",
            "promotionId",
        ],
        "order_transaction": ["id", "createdAt", "updatedAt", "amount", "stateMachineState"],
        "state_machine_state": _STATE_INCLUDES,
        "currency": _CURRENCY_INCLUDES,
    },
)

_REFUNDS = StreamQuery(
    entity="order-transaction",
    tiebreak="order.autoIncrement",
    filters=(
        {"type": "equalsAny", "field": "stateMachineState.technicalName", "value": list(REFUND_STATES)},
    ),
    associations={
        "stateMachineState": {},
        "order": {"associations": {"currency": {}}},
        # The refund amounts, when a payment app recorded them (order_transaction_capture_refund).
        "captures": {
            "associations": {"refunds": {"associations": {"stateMachineState": {}, "positions": {}}}}
        },
    },
    includes={
        "order_transaction": [
            "id",
            "orderId",
            "createdAt",
            "updatedAt",
            "amount",
            "stateMachineState",
            "order",
            "captures",
        ],
        "order": ["id", "autoIncrement", "orderNumber", *_ORDER_MONEY],
        "order_transaction_capture": ["id", "refunds"],
        "order_transaction_capture_refund": ["id", "createdAt", "amount", "stateMachineState", "positions"],
        "order_transaction_capture_refund_position": ["id", "orderLineItemId", "quantity", "amount"],
        "state_machine_state": _STATE_INCLUDES,
        "currency": _CURRENCY_INCLUDES,
    },
)

_QUERIES = {Stream.CUSTOMERS: _CUSTOMERS, Stream.ORDERS: _ORDERS, Stream.REFUNDS: _REFUNDS}


def stream_query(stream: Stream) -> StreamQuery:
    """The search definition of ``stream``."""
    return _QUERIES[stream]


def format_timestamp(moment: datetime) -> str:
    """``moment`` in UTC as Shopware's storage format ``Y-m-d H:i:s.v``, truncated to milliseconds."""
    utc = moment.astimezone(timezone.utc)
    return utc.strftime("%Y-%m-%d %H:%M:%S.") + f"{utc.microsecond // 1000:03d}"


def _ceil_ms(moment: datetime) -> datetime:
    """The first millisecond at or after ``moment`` (Shopware stores milliseconds)."""
    extra = moment.microsecond % 1000
    return moment if extra == 0 else moment + timedelta(microseconds=1000 - extra)


def keyset_criteria(
    query: StreamQuery, population: Population, cursor: Cursor, limit: int, until: datetime | None = None
) -> dict[str, Any]:
    """The body for the records of ``population`` strictly after ``cursor`` (and before ``until``).

    ``(changed, tiebreak) > (t, n)`` is ``changed > t OR (changed = t AND tiebreak > n)``. A cursor
    time with sub-millisecond digits cannot equal a stored time, so only ``changed > t`` (truncated,
    which is exact for millisecond values) is sent then.
    """
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit must be between 1 and {MAX_LIMIT}, got {limit}")
    changed = "createdAt" if population == "created" else "updatedAt"
    at = format_timestamp(cursor.changed_at)
    after: dict[str, Any] = {"type": "range", "field": changed, "parameters": {"gt": at}}
    if cursor.changed_at.microsecond % 1000 == 0:
        tie = {
            "type": "multi",
            "operator": "and",
            "queries": [
                {"type": "equals", "field": changed, "value": at},
                {"type": "range", "field": query.tiebreak, "parameters": {"gt": cursor.tiebreak}},
            ],
        }
        after = {"type": "multi", "operator": "or", "queries": [after, tie]}
    filters: list[Mapping[str, Any]] = [*query.filters, after]
    if population == "created":
        filters.insert(0, {"type": "equals", "field": "updatedAt", "value": None})
    if until is not None:
        filters.append(
            {"type": "range", "field": changed, "parameters": {"lt": format_timestamp(_ceil_ms(until))}}
        )
    body: dict[str, Any] = {
        "page": 1,
        "limit": limit,
        "total-count-mode": 0,
        "filter": filters,
        "sort": [
            {"field": changed, "order": "ASC"},
            {"field": query.tiebreak, "order": "ASC"},
            {"field": "id", "order": "ASC"},
        ],
    }
    if query.associations:
        body["associations"] = dict(query.associations)
    if query.includes:
        body["includes"] = {alias: list(fields) for alias, fields in query.includes.items()}
    return body


def listing_criteria(
    *,
    page: int,
    limit: int,
    filters: Sequence[Mapping[str, Any]] = (),
    associations: Mapping[str, Any] | None = None,
    includes: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, Any]:
    """A plain paged listing sorted by ``id`` (small, rarely changing sets: groups, managed objects)."""
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit must be between 1 and {MAX_LIMIT}, got {limit}")
    body: dict[str, Any] = {
        "page": page,
        "limit": limit,
        "total-count-mode": 0,
        "filter": list(filters),
        "sort": [{"field": "id", "order": "ASC"}],
    }
    if associations:
        body["associations"] = dict(associations)
    if includes:
        body["includes"] = {alias: list(fields) for alias, fields in includes.items()}
    return body
