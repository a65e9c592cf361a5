"""The Shopware 6 :class:`~loyalty_connector.adapter.ShopAdapter`: keyset pages in, managed objects out.

``read`` returns the records of a stream strictly after a cursor in ``(updatedAt ?? createdAt,
tiebreak)`` order. Because MySQL sorts ``NULL`` first, one query cannot produce that order, so each
page is two keyset queries — never-updated records by ``createdAt`` and updated ones by
``updatedAt`` (see :mod:`.criteria`) — merged by position. A record that changes between the two
queries can show up in both; it is kept once, at its newer position. A record the mapping cannot
read keeps its position and is returned with ``error`` and ``raw`` for the quarantine.

Streams: ``customers`` (``customer``, guests excluded), ``orders`` (``order`` with its lines,
customer, currency, state and transactions) and ``refunds`` (``order_transaction`` in a refund
state: payment and refund state changes do not touch ``order.updatedAt``, so they are a stream of
their own).
"""

from __future__ import annotations

__all__ = ["ShopwareAdapter", "ShopwareSettings", "create_shopware_adapter"]

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import InvalidOperation
from typing import TYPE_CHECKING, Any

from loyalty_connector.adapter import (
    Capabilities,
    Change,
    ChangeResult,
    Cursor,
    ManagedObject,
    Page,
    ReadRecord,
    Record,
    Stream,
)
from loyalty_connector.domain import CustomerGroup
from loyalty_connector.errors import ConfigurationError, MappingError
from loyalty_connector.http import RequestBudget

from .auth import ClientCredentialsGrant, Grant, PasswordGrant
from .client import ShopwareClient
from .criteria import MAX_LIMIT, POPULATIONS, keyset_criteria, stream_query
from .desired import desired_objects as translate
from .managed import KINDS
from .mapping import change_position, map_customer, map_customer_group, map_order
from .reader import ManagedReader
from .refunds import map_refund
from .writers import ManagedWriter

if TYPE_CHECKING:
    from loyalty_connector.desired import DesiredState
    from loyalty_connector.program import SourceConfig

logger = logging.getLogger(__name__)

NOTES = (
    "Free items: Shopware has no gift primitive and cannot add a zero-value line to a cart; a free "
    "product is a promotion with a 100 % discount on a set group, and the customer must put the "
    "product in the cart.",
    "A partially refunded payment without capture refunds (written by payment apps) is read as a "
    "refund of amount 0: Shopware records the state, not the amount; the full refund reverses the rest.",
    "Loyalty points are not a Shopware concept; balances live in loyalty-connector's ledger.",
)
_MAPPING_FAILURES = (MappingError, ValueError, KeyError, TypeError, AttributeError, InvalidOperation)


@dataclass(frozen=True)
class ShopwareSettings:
    """``settings`` of a Shopware source in ``loyalty.yaml`` (no secrets here)."""

    grant: str = "client_credentials"
    page_size: int = 200
    timeout: tuple[float, float] = (5.0, 30.0)
    rate_limit: float | None = None
    sales_channel_id: str | None = None
    write_batch_size: int = 100

    @classmethod
    def parse(cls, source: str, settings: Mapping[str, Any]) -> ShopwareSettings:
        known = {"grant", "page_size", "timeout", "rate_limit", "sales_channel_id", "write_batch_size"}
        unknown = sorted(set(settings) - known)
        if unknown:
            raise ConfigurationError(
                f"source {source!r}: unknown Shopware setting(s) {', '.join(unknown)}; "
                f"known: {', '.join(sorted(known))}"
            )
        grant = settings.get("grant", "client_credentials")
        if grant not in ("client_credentials", "password"):
            raise ConfigurationError(
                f"source {source!r}: settings.grant must be client_credentials or password, got {grant!r}"
            )
        page_size = _int_setting(source, settings, "page_size", 200, 1, MAX_LIMIT)
        batch = _int_setting(source, settings, "write_batch_size", 100, 1, MAX_LIMIT)
        timeout = settings.get("timeout", 30.0)
        if isinstance(timeout, (int, float)) and not isinstance(timeout, bool) and timeout > 0:
            pair = (min(5.0, float(timeout)), float(timeout))
        elif (
            isinstance(timeout, (list, tuple))
            and len(timeout) == 2
            and all(isinstance(t, (int, float)) and not isinstance(t, bool) and t > 0 for t in timeout)
        ):
            pair = (float(timeout[0]), float(timeout[1]))
        else:
            raise ConfigurationError(
                f"source {source!r}: settings.timeout must be seconds (a positive number) or "
                f"[connect, read] seconds, got {timeout!r}"
            )
        rate = settings.get("rate_limit")
        if rate is not None and (isinstance(rate, bool) or not isinstance(rate, (int, float)) or rate <= 0):
            raise ConfigurationError(
                f"source {source!r}: settings.rate_limit must be requests per second (> 0), got {rate!r}"
            )
        channel = settings.get("sales_channel_id")
        if channel is not None and (not isinstance(channel, str) or len(channel) != 32):
            raise ConfigurationError(
                f"source {source!r}: settings.sales_channel_id must be a Shopware id (32 hex characters), "
                f"got {channel!r}"
            )
        return cls(
            grant=str(grant),
            page_size=page_size,
            timeout=pair,
            rate_limit=float(rate) if rate is not None else None,
            sales_channel_id=channel.lower() if isinstance(channel, str) else None,
            write_batch_size=batch,
        )


def _int_setting(
    source: str, settings: Mapping[str, Any], name: str, default: int, low: int, high: int
) -> int:
    value = settings.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConfigurationError(
            f"source {source!r}: settings.{name} must be an integer from {low} to {high}, got {value!r}"
        )
    return value


def grant_from(source: str, grant: str, credentials: Mapping[str, str]) -> Grant:
    """The OAuth grant for ``grant`` from ``credentials``; a missing credential is named."""
    names = ("client_id", "client_secret") if grant == "client_credentials" else ("username", "password")
    missing = [name for name in names if not credentials.get(name)]
    if missing:
        raise ConfigurationError(
            f"source {source!r} (Shopware, grant {grant}) needs the credential(s) {', '.join(missing)}: "
            "map each to an environment variable under credentials: in loyalty.yaml"
        )
    if grant == "client_credentials":
        return ClientCredentialsGrant(credentials["client_id"], credentials["client_secret"])
    return PasswordGrant(credentials["username"], credentials["password"])


class ShopwareAdapter:
    """A Shopware 6.5 / 6.6 / 6.7 shop seen through its Admin API."""

    def __init__(
        self,
        source: str,
        client: ShopwareClient,
        *,
        page_size: int = 200,
        sales_channel_id: str | None = None,
        write_batch_size: int = 100,
    ) -> None:
        self.source = source
        self.client = client
        self._page_size = page_size
        self._sales_channel_id = sales_channel_id
        self._write_batch_size = write_batch_size

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities(
            streams=frozenset(Stream),
            writes=frozenset(KINDS),
            # Shopware serves at most 500 per search and a read asks for one record more than it returns.
            max_page_size=min(self._page_size, MAX_LIMIT - 1),
            notes=NOTES,
        )

    def read(self, stream: Stream, cursor: Cursor, limit: int, *, until: datetime | None = None) -> Page:
        size = max(1, min(limit, self.capabilities.max_page_size))
        # One record more than the page per query: the merged list then always shows the record
        # that follows the page, so a page can be kept from ending inside a shared position.
        fetch = size + 1
        query = stream_query(stream)
        rows: list[tuple[Cursor, str, dict[str, Any]]] = []
        full = False
        for population in POPULATIONS:
            data = self.client.search(query.entity, keyset_criteria(query, population, cursor, fetch, until))
            full = full or len(data) >= fetch
            for raw in data:
                try:
                    position = change_position(raw, query.tiebreak)
                except MappingError as exc:
                    raise MappingError(
                        f"[{self.source}] {stream.value}: record {raw.get('id')!r}: {exc}; the search "
                        "response lacks the fields the keyset needs (check includes and ACL read grants)",
                        record_id=exc.record_id,
                        field=exc.field,
                    ) from None
                rows.append((position, str(raw.get("id")), raw))
        newest: dict[str, tuple[Cursor, str, dict[str, Any]]] = {}
        for row in rows:
            position = row[0]
            if position <= cursor or (until is not None and position.changed_at >= until):
                continue  # the shop's filter already excludes these; never trust it to the boundary
            seen = newest.get(row[1])
            if seen is None or seen[0] < position:
                newest[row[1]] = row  # changed between the two queries: keep its newer state
        ordered = sorted(newest.values(), key=lambda row: (row[0], row[1]))
        page = _cut(ordered, size)
        items = tuple(self._record(stream, position, raw) for position, _, raw in page)
        return Page(items=items, has_more=full or len(ordered) > len(page))

    def _record(self, stream: Stream, position: Cursor, raw: dict[str, Any]) -> ReadRecord:
        record_id = str(raw.get("id"))
        mapper: Callable[[], Record]
        if stream is Stream.CUSTOMERS:
            mapper = lambda: map_customer(raw, self.source)  # noqa: E731
        elif stream is Stream.ORDERS:
            mapper = lambda: map_order(raw, self.source, base_currency=self.client.default_currency())  # noqa: E731
        else:
            state = (raw.get("stateMachineState") or {}).get("technicalName")
            record_id = f"{record_id}:{state}" if isinstance(state, str) else record_id
            mapper = lambda: map_refund(raw, self.source)  # noqa: E731
        try:
            record = mapper()
        except _MAPPING_FAILURES as exc:
            # The reason goes to the quarantine with the payload; the log names only the record and
            # the field, because messages may quote values (personal data) from the payload.
            where = getattr(exc, "field", None) or type(exc).__name__
            logger.warning(
                "[%s] %s %s quarantined: cannot map %s", self.source, stream.value, record_id, where
            )
            text = json.dumps(raw, default=str, sort_keys=True)
            return ReadRecord(position=position, external_id=record_id, error=str(exc), raw=text)
        return ReadRecord(position=position, external_id=record.external_id, record=record)

    def read_groups(self) -> list[CustomerGroup]:
        rows = self.client.search_all(
            "customer-group", includes={"customer_group": ["id", "name", "translated"]}, page_size=MAX_LIMIT
        )
        return [map_customer_group(row, self.source) for row in rows]

    def read_managed(self, kinds: Sequence[str]) -> list[ManagedObject]:
        return ManagedReader(self.client).read(kinds)

    def write_managed(self, changes: Sequence[Change]) -> list[ChangeResult]:
        writer = ManagedWriter(
            self.client, sales_channel_id=self._sales_channel_id, batch_size=self._write_batch_size
        )
        return writer.apply(changes)

    def desired_objects(self, state: DesiredState) -> list[ManagedObject]:
        """The managed objects that realise the shop-neutral ``state`` here (see :mod:`.desired`)."""
        groups = {group.code: group.external_id for group in self.read_groups()}
        return translate(self.client, state, group_ids=groups, sales_channel_id=self._sales_channel_id)

    def close(self) -> None:
        self.client.close()


def _cut(
    ordered: list[tuple[Cursor, str, dict[str, Any]]], size: int
) -> list[tuple[Cursor, str, dict[str, Any]]]:
    """The first ``size`` rows, never ending between two rows that share a position.

    Only transactions can share one (two refunds of one order in the same millisecond); the next
    read starts after the page's last position, so splitting such a pair would skip its second row.
    """
    page = ordered[:size]
    if len(ordered) > size and page and ordered[size][0] == page[-1][0]:
        shared = page[-1][0]
        trimmed = [row for row in page if row[0] != shared]
        page = trimmed or [row for row in ordered if row[0] == shared]
    return page


def create_shopware_adapter(
    source_name: str,
    config: SourceConfig,
    credentials: Mapping[str, str],
    budget: RequestBudget | None,
) -> ShopwareAdapter:
    """The plugin's factory: settings and credentials of one ``loyalty.yaml`` source -> an adapter."""
    settings = ShopwareSettings.parse(source_name, config.settings)
    grant = grant_from(source_name, settings.grant, credentials)
    if budget is None and settings.rate_limit is not None:
        budget = RequestBudget(rate=settings.rate_limit, burst=max(1, int(settings.rate_limit)))
    client = ShopwareClient(
        config.base_url, grant, source=source_name, timeout=settings.timeout, budget=budget
    )
    return ShopwareAdapter(
        source_name,
        client,
        page_size=settings.page_size,
        sales_channel_id=settings.sales_channel_id,
        write_batch_size=settings.write_batch_size,
    )
