"""The Magento 2.4 :class:`~loyalty_connector.adapter.ShopAdapter`: keyset page reads and managed writes.

Reading follows DESIGN.md's keyset rules for Magento. One ``read(stream, cursor, limit)`` is at most
two searchCriteria queries, both sorted ``updated_at ASC, entity_id ASC`` and always ``currentPage=1``:

1. drain the cursor's own second: ``updated_at eq t`` AND ``entity_id gt id`` (two filter groups);
2. if the page is not full yet: ``updated_at gt t`` for the remainder.

``until`` adds ``updated_at lt until`` to both. A short answer means the stream is exhausted for now.
Offsets are never used: past the last page 2.4 answers ``items: []`` but 2.3 and some forks repeat the
last page, and rows that change during a sync shift every offset after them.
"""

from __future__ import annotations

__all__ = ["STREAMS", "MagentoAdapter", "StreamSpec"]

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
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
from loyalty_connector.errors import MappingError

from .client import Filter, MagentoClient, to_json_text
from .desired import desired_objects as translate
from .mapping import (
    format_timestamp,
    map_customer,
    map_group,
    map_order,
    map_refund,
    position_of,
)
from .writers import KINDS, ManagedScope, ManagedWriter

if TYPE_CHECKING:
    from loyalty_connector.desired import DesiredState

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class StreamSpec:
    """Where a stream lives: its search path, the id field in filters and payloads, and its mapper."""

    path: str
    filter_id: str
    payload_id: str
    mapper: Callable[[Mapping[str, Any], str], Record]


STREAMS: dict[Stream, StreamSpec] = {
    # The customer collection is EAV: filter and sort on ``entity_id``; the payload calls it ``id``.
    Stream.CUSTOMERS: StreamSpec("/V1/customers/search", "entity_id", "id", map_customer),
    Stream.ORDERS: StreamSpec("/V1/orders", "entity_id", "entity_id", map_order),
    Stream.REFUNDS: StreamSpec("/V1/creditmemos", "entity_id", "entity_id", map_refund),
}

_SORT = (("updated_at", "ASC"), ("entity_id", "ASC"))

NOTES = (
    "Free-product thresholds are cart price rules that discount the gift SKU 100 %: core Magento cannot "
    "add the gift to the cart by itself, so the shopper must add it (the cart then shows it at 0.00).",
    "A coupon's usage limits always come from its cart rule (uses_per_coupon, uses_per_customer): each "
    "distinct limit needs its own rule.",
    "Tier prices with website_id other than 0 need Catalog Price Scope = Website.",
)


class MagentoAdapter:
    """Reads customers, orders and credit memos of one Magento scope; writes managed objects."""

    def __init__(
        self,
        source: str,
        client: MagentoClient,
        *,
        page_size: int = 100,
        scope: ManagedScope | None = None,
        workers: int = 4,
    ) -> None:
        self.source = source
        self.client = client
        self.page_size = max(1, page_size)
        self.writer = ManagedWriter(client, source, scope or ManagedScope(), workers=workers)

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities(
            streams=frozenset(Stream),
            writes=frozenset(KINDS),
            max_page_size=min(self.page_size, self.client.page_cap or self.page_size),
            notes=NOTES,
        )

    # --- reading -------------------------------------------------------------------------------------

    def read(self, stream: Stream, cursor: Cursor, limit: int, *, until: datetime | None = None) -> Page:
        """Records of ``stream`` strictly after ``cursor`` (and changed before ``until``), keyset order."""
        spec = STREAMS[Stream(stream)]
        wanted = max(1, min(limit, self.page_size))
        moment = cursor.changed_at.astimezone(timezone.utc)
        if until is not None and until.astimezone(timezone.utc) <= moment:
            return Page(items=(), has_more=False)
        bound = [[Filter("updated_at", format_timestamp(until, round_up=True), "lt")]] if until else []
        at = format_timestamp(moment)
        items: list[ReadRecord] = []
        if moment.microsecond == 0 and cursor.tiebreak >= 0:
            tie = [[Filter("updated_at", at, "eq")], [Filter(spec.filter_id, str(cursor.tiebreak), "gt")]]
            full, rows = self._query(spec, tie + bound, wanted)
            items += self._records(spec, rows, cursor)
            if full:
                return Page(items=tuple(items), has_more=True)
            after = Filter("updated_at", at, "gt")
        elif moment.microsecond == 0:
            after = Filter("updated_at", at, "gteq")  # tiebreak -1: everything at ``t`` is still unread
        else:
            after = Filter("updated_at", at, "gt")  # nothing has a fractional second: ``t`` is all read
        full, rows = self._query(spec, [[after], *bound], wanted - len(items))
        items += self._records(spec, rows, cursor)
        return Page(items=tuple(items), has_more=full)

    def _query(
        self, spec: StreamSpec, groups: list[list[Filter]], size: int
    ) -> tuple[bool, list[dict[str, Any]]]:
        result = self.client.search(spec.path, groups, sort=_SORT, page_size=size)
        return len(result.items) >= result.page_size, result.items

    def _records(self, spec: StreamSpec, rows: list[dict[str, Any]], cursor: Cursor) -> list[ReadRecord]:
        records: list[ReadRecord] = []
        for row in rows:
            try:
                position, external_id = position_of(row, spec.payload_id)
            except MappingError as exc:
                raise MappingError(
                    f"{spec.path} returned a row without a readable updated_at/{spec.payload_id}, so it "
                    f"cannot be positioned in the keyset: {exc}"
                ) from None
            if position <= cursor:
                logger.debug(
                    "[%s] dropped %s %s at or before the cursor", self.source, spec.path, external_id
                )
                continue
            try:
                records.append(ReadRecord(position, external_id, record=spec.mapper(row, self.source)))
            except MappingError as exc:
                logger.warning("[%s] %s %s quarantined: %s", self.source, spec.path, external_id, exc)
                records.append(ReadRecord(position, external_id, error=str(exc), raw=to_json_text(row)))
        return records

    def read_groups(self) -> list[CustomerGroup]:
        """Every customer group (``GET /V1/customerGroups/search``)."""
        return [map_group(row, self.source) for row in self.writer.all_groups()]

    # --- writing -------------------------------------------------------------------------------------

    def read_managed(
        self,
        kinds: Sequence[str],
        *,
        groups: Sequence[str] | None = None,
        skus: Sequence[str] | None = None,
    ) -> list[ManagedObject]:
        """Managed objects of ``kinds``. ``groups``/``skus`` widen the configured managed scope."""
        return self.writer.read(kinds, groups=groups, skus=skus)

    def write_managed(self, changes: Sequence[Change]) -> list[ChangeResult]:
        return self.writer.write(changes)

    def desired_objects(self, state: DesiredState) -> list[ManagedObject]:
        """The managed objects that realise the shop-neutral ``state`` here (see :mod:`.desired`)."""
        return translate(self.writer, state)

    def generate_coupons(
        self, rule_key: str, quantity: int, *, length: int = 12, prefix: str = ""
    ) -> list[str]:
        """Random codes for a managed auto-generation rule (``POST /V1/coupons/generate``)."""
        return self.writer.generate_coupons(rule_key, quantity, length=length, prefix=prefix)

    def close(self) -> None:
        self.client.close()
