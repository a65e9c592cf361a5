"""Reading the next pages in a background thread while the caller commits the current one.

A page costs the shop's time (query and rendering, in another process) plus ours (HTTP, JSON,
mapping) plus the store's commit. Read one after the other these add up; with :class:`ReadAhead`
page ``n + 1`` is fetched while page ``n`` is committed, so the shop works while we do.

::

    with ReadAhead(lambda: keyset_pages(fetch, start), name="orders") as pages:
        for page in pages:        # each page fetched from the last position of the one before
            commit(page)

What is read ahead is any iterator a reader thread drives: one stream's pages
(:func:`keyset_pages`), or a backfill worker's windows one after the other, so that the first page
of the next window is fetched while the last one of the current window is committed. A backfill
with several workers gives one such iterator per worker: each runs in a reader thread of its own
and the caller commits the pages of all of them, as they arrive.

Only reading moves ahead: checkpoints still move with each committed page, so a run killed with
pages fetched but not committed simply reads them again on resume. An exception raised by the
reader reaches the caller, with its own type, when the caller asks for the next item — after every
item produced before it was handed over, as in a serial loop. Leaving the ``with`` block in any way
(end, exception, Ctrl-C) stops every reader and waits for them, so no fetch outlives the call.
"""

from __future__ import annotations

__all__ = ["ReadAhead", "keyset_pages"]

import threading
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import Generic, TypeVar

from ..adapter import Cursor, Page
from ..interrupt import stoppable

_T = TypeVar("_T")


def keyset_pages(fetch: Callable[[Cursor], Page], start: Cursor) -> Iterator[Page]:
    """The pages of one keyset read: ``fetch(position)`` reads the page after ``position``, from
    ``start`` then from each page's last position, until a page that is not full or is empty."""
    position = start
    while True:
        page = fetch(position)
        yield page
        last = page.last_position
        if not page.has_more or last is None:
            return
        position = last


@dataclass(frozen=True)
class _Failure:
    error: BaseException


class ReadAhead(Generic[_T]):
    """The items of one or more producers, produced by background threads ahead of the caller.

    Each producer (a function returning an iterator) runs in a reader thread of its own, started by
    ``with``; iterate once. The items of one producer arrive in the order it produced them; the
    items of several producers interleave in the order they were produced. Each reader runs at most
    ``depth`` items ahead: the buffer holds ``depth`` items per reader, and a reader that finds it
    full waits for the caller.

    Several producers keep a shop busy while the caller works: with one, the shop sits idle while
    its answer is parsed and mapped, since the next keyset page can only be asked for from the
    last position of the page before; with two, the other reader's request is being served
    meanwhile. The caller still consumes (commits) everything in one thread.
    """

    def __init__(
        self, *producers: Callable[[], Iterator[_T]], depth: int = 1, name: str = "read-ahead"
    ) -> None:
        if not producers:
            raise ValueError("ReadAhead needs at least one producer")
        if depth < 1:
            raise ValueError("depth must be at least 1")
        self._capacity = depth * len(producers)
        self._buffer: deque[_T | _Failure] = deque()
        self._running = len(producers)
        """Readers that have not ended yet (an ended reader's items may still be buffered)."""
        self._changed = threading.Condition()
        self._closed = False
        self._stop = threading.Event()
        """Set by :meth:`close`: ends the readers' waits (retry back-off, rate limit) at once."""
        self._threads = [
            threading.Thread(
                target=self._read,
                args=(produce,),
                name=f"read-ahead {name}" if len(producers) == 1 else f"read-ahead {name} {n}",
                daemon=True,
            )
            for n, produce in enumerate(producers, start=1)
        ]

    def __enter__(self) -> ReadAhead[_T]:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Stop reading ahead, drop what was read and wait for every fetch in flight to return.

        A reader waiting to retry (or for the rate limit) stops waiting at once
        (:mod:`loyalty_connector.interrupt`); a request already sent ends within its read timeout.
        """
        self._stop.set()
        with self._changed:
            self._closed = True
            self._buffer.clear()
            self._changed.notify_all()
        for thread in self._threads:
            if thread.is_alive():
                thread.join()

    def _offer(self, item: _T | _Failure) -> bool:
        """Buffer ``item`` once there is room; False when the reader should stop."""
        with self._changed:
            while len(self._buffer) >= self._capacity and not self._closed:
                self._changed.wait()
            if self._closed:
                return False
            self._buffer.append(item)
            self._changed.notify_all()
            return True

    def _read(self, produce: Callable[[], Iterator[_T]]) -> None:
        with stoppable(self._stop):
            self._produce_all(produce)

    def _produce_all(self, produce: Callable[[], Iterator[_T]]) -> None:
        try:
            items = produce()
            try:
                for item in items:
                    if self._closed or not self._offer(item):
                        return
            finally:
                close = getattr(items, "close", None)
                if close is not None:  # a generator: run its cleanup in this thread, now
                    close()
        except BaseException as exc:  # handed to the caller, who re-raises it with its own type
            self._offer(_Failure(exc))
        finally:
            with self._changed:
                self._running -= 1
                self._changed.notify_all()

    def __iter__(self) -> Iterator[_T]:
        while True:
            with self._changed:
                while not self._buffer and self._running and not self._closed:
                    self._changed.wait()
                if not self._buffer:
                    return  # every reader has ended (or the reading was closed)
                item = self._buffer.popleft()
                self._changed.notify_all()
            if isinstance(item, _Failure):
                raise item.error
            yield item
