"""The executable adapter contract: a test-suite every adapter runs against its own sandbox shop.

A third-party adapter's contract test can be a few lines::

    import pytest
    from loyalty_connector.testing import AdapterContract

    class TestWooContract(AdapterContract):
        @pytest.fixture
        def shop(self):
            with WooSandbox(seed=1, customers=40, orders=120) as shop:
                yield shop

        @pytest.fixture
        def adapter(self, shop):
            return make_adapter(shop.describe())

        @pytest.fixture
        def bad_adapter(self, shop):
            return make_adapter(shop.describe(), password="wrong")

        def touch(self, shop, stream, external_id):
            shop.touch(stream, external_id)

Pinning a mapping while making it faster: :func:`fingerprint` hashes what mapping every sample and a
seeded sandbox gives, and :func:`seeded_corruptions` damages real payloads reproducibly (a key deleted,
nulled, or given the wrong type, at any depth) so that the quarantine reasons can be pinned as well.

This module imports pytest; it is for test code only, never imported by the library at run time.
"""

from __future__ import annotations

__all__ = [
    "AdapterContract",
    "corrupt_payload",
    "fingerprint",
    "payload_paths",
    "read_all",
    "seeded_corruptions",
]

import copy
import hashlib
import json
import random
from collections.abc import Collection, Iterator, Mapping, Sequence
from datetime import timezone
from typing import Any

import pytest

from .adapter import Cursor, Page, ReadRecord, ShopAdapter, Stream
from .domain import Customer, Order, Refund
from .errors import AuthenticationError

_RECORD_TYPES: dict[Stream, type[Any]] = {
    Stream.CUSTOMERS: Customer,
    Stream.ORDERS: Order,
    Stream.REFUNDS: Refund,
}


def read_all(
    adapter: ShopAdapter, stream: Stream, cursor: Cursor | None = None, limit: int = 50
) -> list[ReadRecord]:
    """Read ``stream`` to the end the way the sync engine does: keyset pages from the last position."""
    position = cursor or Cursor.start()
    items: list[ReadRecord] = []
    for _ in range(100_000):
        page: Page = adapter.read(stream, position, limit)
        items.extend(page.items)
        last = page.last_position
        if last is not None:
            if last <= position:
                raise AssertionError(
                    f"{stream.value}: cursor did not move after a page ({position} -> {last})"
                )
            position = last
        if not page.has_more:
            return items
    raise AssertionError(f"{stream.value}: did not finish reading")


def fingerprint(results: Any) -> str:
    """sha256 of ``results`` as canonical JSON (keys sorted, anything else as ``str``): one constant a
    test can pin, so that a mapping rewritten for speed provably gives what it gave before."""
    text = json.dumps(results, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def payload_paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every key path in a JSON payload (dict keys and list indices), parents before children."""
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in items:
        yield (*prefix, key)
        yield from payload_paths(child, (*prefix, key))


def corrupt_payload(payload: Any, path: tuple[Any, ...], broken: Any) -> Any:
    """A deep copy of ``payload`` with the value at ``path`` replaced by ``broken`` (removed when
    ``broken`` is the string ``"delete"``); the original is left untouched."""
    damaged = copy.deepcopy(payload)
    holder = damaged
    for key in path[:-1]:
        holder = holder[key]
    if broken == "delete":
        if isinstance(holder, dict):
            del holder[path[-1]]
        else:
            holder.pop(path[-1])
    else:
        holder[path[-1]] = copy.deepcopy(broken)
    return damaged


def seeded_corruptions(
    payloads: Mapping[str, Sequence[Any]],
    *,
    read_keys: Collection[Any],
    broken: Sequence[Any],
    seed: int = 5,
    rows: int = 40,
    per_row: tuple[int, int] = (20, 5),
) -> Iterator[tuple[str, tuple[Any, ...], Any, Any]]:
    """``(stream, path, broken value, damaged payload)`` for a reproducible sample of corruptions.

    Per stream the first four payloads and ``rows`` more drawn at random; per payload up to
    ``per_row[0]`` paths whose last key the mapping reads (``read_keys``, or any list index) and up to
    ``per_row[1]`` paths anywhere, each given a value drawn from ``broken``. The same arguments
    always give the same sequence.
    """
    rng = random.Random(seed)
    for stream, found in payloads.items():
        chosen = list(found[:4]) + rng.sample(list(found[4:]), rows)
        for row in chosen:
            every = list(payload_paths(row))
            read = [path for path in every if path[-1] in read_keys or isinstance(path[-1], int)]
            wanted, anywhere = per_row
            for path in rng.sample(read, min(len(read), wanted)) + rng.sample(
                every, min(len(every), anywhere)
            ):
                value = rng.choice(broken)
                yield stream, path, value, corrupt_payload(row, path, value)


class AdapterContract:
    """Behaviour every :class:`~loyalty_connector.adapter.ShopAdapter` must show against its sandbox.

    Subclasses provide the fixtures ``shop`` (a started sandbox), ``adapter`` (connected to it),
    ``bad_adapter`` (same shop, wrong credentials) and the method :meth:`touch`.
    """

    page_size = 7
    """Small, so every stream spans several pages and ties cross page boundaries."""

    def touch(self, shop: Any, stream: Stream, external_id: str) -> None:
        """Change one record in the sandbox so that its change timestamp moves forward."""
        raise NotImplementedError("the contract subclass must say how to touch a record in its sandbox")

    def streams(self, adapter: ShopAdapter) -> list[Stream]:
        return sorted(adapter.capabilities.streams, key=lambda s: s.value)

    def test_every_record_is_read_exactly_once_in_keyset_order(self, adapter: ShopAdapter) -> None:
        for stream in self.streams(adapter):
            items = read_all(adapter, stream, limit=self.page_size)
            ids = [item.external_id for item in items]
            assert len(ids) == len(set(ids)), f"{stream.value}: a record was read twice"
            positions = [item.position for item in items]
            assert positions == sorted(positions), f"{stream.value}: page out of keyset order"
            assert len(set(positions)) == len(positions), f"{stream.value}: two records share a position"

    def test_records_are_mapped_with_source_and_utc_timestamps(self, adapter: ShopAdapter) -> None:
        for stream in self.streams(adapter):
            items = read_all(adapter, stream, limit=self.page_size)
            mapped = [item.record for item in items if item.record is not None]
            assert mapped, f"{stream.value}: the sandbox should hold records for this stream"
            for record in mapped:
                assert isinstance(record, _RECORD_TYPES[stream])
                assert record.source == adapter.source
                assert record.updated_at.tzinfo is not None
                assert record.updated_at.utcoffset() == timezone.utc.utcoffset(None)
            for item in items:
                assert (item.record is None) != (item.error is None), "either a record or an error"

    def test_reading_after_the_last_position_finds_nothing_new(self, adapter: ShopAdapter) -> None:
        for stream in self.streams(adapter):
            items = read_all(adapter, stream, limit=self.page_size)
            page = adapter.read(stream, items[-1].position, self.page_size)
            assert page.items == ()
            assert page.has_more is False

    def test_until_splits_history_into_disjoint_windows(self, adapter: ShopAdapter) -> None:
        stream = Stream.ORDERS
        everything = read_all(adapter, stream, limit=self.page_size)
        middle = everything[len(everything) // 2].position.changed_at
        before = _read_window(adapter, stream, Cursor.start(), middle, self.page_size)
        after = read_all(adapter, stream, Cursor.at(middle), limit=self.page_size)
        assert all(item.position.changed_at < middle for item in before)
        assert all(item.position.changed_at >= middle for item in after)
        assert [i.external_id for i in before + after] == [i.external_id for i in everything]

    def test_a_touched_record_is_read_again_after_the_cursor(self, shop: Any, adapter: ShopAdapter) -> None:
        stream = Stream.ORDERS
        items = read_all(adapter, stream, limit=self.page_size)
        target = items[0].external_id
        self.touch(shop, stream, target)
        again = read_all(adapter, stream, items[-1].position, limit=self.page_size)
        assert [item.external_id for item in again] == [target]

    def test_customer_groups_are_listed(self, adapter: ShopAdapter) -> None:
        groups = adapter.read_groups()
        assert groups
        assert len({g.external_id for g in groups}) == len(groups)
        assert all(g.source == adapter.source for g in groups)

    def test_wrong_credentials_fail_with_authentication_error(self, bad_adapter: ShopAdapter) -> None:
        with pytest.raises(AuthenticationError) as caught:
            bad_adapter.read(Stream.CUSTOMERS, Cursor.start(), self.page_size)
        assert "Bearer " not in str(caught.value)


def _read_window(
    adapter: ShopAdapter, stream: Stream, cursor: Cursor, until: Any, limit: int
) -> list[ReadRecord]:
    items: list[ReadRecord] = []
    position = cursor
    while True:
        page = adapter.read(stream, position, limit, until=until)
        items.extend(page.items)
        if page.last_position is not None:
            position = page.last_position
        if not page.has_more:
            return items
