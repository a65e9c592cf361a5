"""ReadAhead: pages fetched by a background thread, handed over in order, never outliving the caller."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
from sync_fakes import NOW, SECRET, SOURCE, FakeAdapter, FakeShop, FixedClock, program, snapshot

from loyalty_connector.adapter import Cursor, Page, ReadRecord, Stream
from loyalty_connector.engine.customer import CustomerEvaluator
from loyalty_connector.errors import PagingError, StoreError
from loyalty_connector.store.sqlite import SqliteStore
from loyalty_connector.sync import Backfill, SyncRunner
from loyalty_connector.sync.readahead import ReadAhead, keyset_pages

T0 = datetime(2025, 1, 1, tzinfo=timezone.utc)


def position(n: int) -> Cursor:
    return Cursor(T0 + timedelta(seconds=n), n)


class Pages:
    """``total`` records served ``size`` per page; records every position it was asked to read from."""

    def __init__(self, total: int, size: int = 2, fail_at: int | None = None) -> None:
        self.total, self.size, self.fail_at = total, size, fail_at
        self.asked: list[int] = []
        self.threads: set[str] = set()

    def __call__(self, after: Cursor) -> Page:
        start = after.tiebreak
        self.asked.append(start)
        self.threads.add(threading.current_thread().name)
        if self.fail_at is not None and start >= self.fail_at:
            raise PagingError("the shop sent a page out of order", source="test")
        numbers = range(start + 1, min(start + self.size, self.total) + 1)
        items = tuple(ReadRecord(position(n), str(n)) for n in numbers)
        return Page(items, has_more=len(items) == self.size)


def reader_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("read-ahead")]


def test_pages_arrive_in_order_each_read_from_the_last_position_of_the_one_before():
    fetch = Pages(total=7)
    with ReadAhead(lambda: keyset_pages(fetch, position(0)), name="orders") as pages:
        got = [[item.external_id for item in page.items] for page in pages]
    assert got == [["1", "2"], ["3", "4"], ["5", "6"], ["7"]]
    assert fetch.asked == [0, 2, 4, 6]
    assert fetch.threads == {"read-ahead orders"}, "every fetch runs on the reader thread"


def test_a_full_last_page_is_followed_by_one_empty_read_then_the_end():
    fetch = Pages(total=4)
    with ReadAhead(lambda: keyset_pages(fetch, position(0))) as pages:
        got = [len(page.items) for page in pages]
    assert got == [2, 2, 0]
    assert fetch.asked == [0, 2, 4]


def test_the_reader_never_runs_more_than_depth_pages_ahead_of_the_caller():
    fetch = Pages(total=40)
    with ReadAhead(lambda: keyset_pages(fetch, position(0)), depth=1) as pages:
        for taken, _page in enumerate(pages, start=1):
            # one page buffered and one fetch in flight at most, beyond the pages handed over
            assert len(fetch.asked) <= taken + 2


def test_a_fetch_error_reaches_the_caller_with_its_own_type_after_the_pages_before_it():
    fetch = Pages(total=10, fail_at=4)
    seen: list[str] = []

    def consume() -> None:
        with ReadAhead(lambda: keyset_pages(fetch, position(0))) as pages:
            for page in pages:
                seen.extend(item.external_id for item in page.items)

    with pytest.raises(PagingError, match="out of order"):
        consume()
    assert seen == ["1", "2", "3", "4"]
    assert not reader_threads()


def test_leaving_early_stops_the_reader_and_waits_for_it():
    fetch = Pages(total=1000)
    with ReadAhead(lambda: keyset_pages(fetch, position(0))) as pages:
        for _page in pages:
            break
    asked = len(fetch.asked)
    assert not reader_threads(), "no reader thread outlives the with block"
    assert asked <= 3
    assert len(fetch.asked) == asked, "nothing is fetched after the block is left"


def test_an_interrupt_in_the_caller_stops_the_reader():
    fetch = Pages(total=1000)

    def consume() -> None:
        with ReadAhead(lambda: keyset_pages(fetch, position(0))) as pages:
            for n, _page in enumerate(pages):
                if n == 2:
                    raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        consume()
    assert not reader_threads()


def test_several_producers_each_deliver_every_item_in_their_own_order():
    first, second = Pages(total=9), Pages(total=5)
    with ReadAhead(
        lambda: (("a", page) for page in keyset_pages(first, position(0))),
        lambda: (("b", page) for page in keyset_pages(second, position(0))),
        name="windows",
    ) as items:
        got: dict[str, list[str]] = {"a": [], "b": []}
        for producer, page in items:
            got[producer].extend(item.external_id for item in page.items)
    assert got == {"a": [str(n) for n in range(1, 10)], "b": [str(n) for n in range(1, 6)]}
    assert first.threads == {"read-ahead windows 1"}
    assert second.threads == {"read-ahead windows 2"}
    assert not reader_threads()


def test_the_first_producer_error_stops_every_reader_and_reaches_the_caller():
    failing, endless = Pages(total=10, fail_at=4), Pages(total=10**6)

    def consume() -> None:
        with ReadAhead(
            lambda: keyset_pages(failing, position(0)), lambda: keyset_pages(endless, position(0))
        ) as pages:
            for _page in pages:
                pass

    with pytest.raises(PagingError, match="out of order"):
        consume()
    assert not reader_threads(), "the healthy reader is stopped too"
    assert len(endless.asked) < 10**6 // 2


def test_at_least_one_producer_is_needed():
    with pytest.raises(ValueError, match="at least one producer"):
        ReadAhead()


class FailingStore(SqliteStore):
    """Fails the ``fail_at``-th page commit once, after the pages before it committed."""

    def __init__(self, path, fail_at: int) -> None:
        super().__init__(path)
        self.fail_at = fail_at
        self.commits = 0

    def apply_page(self, page):
        self.commits += 1
        if self.commits == self.fail_at:
            raise StoreError("disk full while committing a page")
        return super().apply_page(page)


def test_a_page_fetched_ahead_but_never_committed_is_read_again_by_the_next_run(tmp_path):
    def sync(store: SqliteStore, shop: FakeShop) -> None:
        SyncRunner(
            store,
            FakeAdapter(shop),
            program(),
            evaluator=CustomerEvaluator(program()),
            referral_secret=SECRET,
            page_size=7,
            clock=FixedClock(NOW),
        ).run()

    reference = SqliteStore(tmp_path / "reference.db")
    sync(reference, FakeShop.generated(seed=3))
    shop = FakeShop.generated(seed=3)
    store = FailingStore(tmp_path / "failing.db", fail_at=3)
    with pytest.raises(StoreError, match="disk full"):
        sync(store, shop)
    assert len(shop.reads) >= 3, "the page after the failed one may have been fetched already"
    assert not reader_threads()
    sync(store, shop)
    assert snapshot(store.path) == snapshot(reference.path)
    reference.close()
    store.close()


def test_a_backfill_reading_ahead_across_windows_finishes_only_windows_whose_pages_committed(tmp_path):
    since, until = T0 - timedelta(days=400), T0 + timedelta(days=400)

    def backfill(store: SqliteStore) -> Backfill:
        return Backfill(
            store, lambda budget: FakeAdapter(FakeShop.generated(seed=5), budget), program(),
            since=since, until=until, window=timedelta(days=30), evaluator=CustomerEvaluator(program()),
            referral_secret=SECRET, page_size=7, clock=FixedClock(NOW),
        )  # fmt: skip

    reference = SqliteStore(tmp_path / "reference.db")
    backfill(reference).run()
    store = FailingStore(tmp_path / "failing.db", fail_at=6)
    with pytest.raises(StoreError, match="disk full"):
        backfill(store).run()
    assert not reader_threads()
    finished = [w for s in Stream for w in store.finished_windows(SOURCE, s, backfill(store).backfill_id)]
    assert finished, "windows whose pages all committed are recorded as finished"
    report = backfill(store).run()
    assert report.windows_skipped == len(finished)
    assert snapshot(store.path) == snapshot(reference.path)
    reference.close()
    store.close()
