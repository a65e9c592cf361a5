"""Reading the next pages in a background thread while the caller commits the current one.

A page costs the shop's time (query and rendering, in another process) plus ours (HTTP, JSON,
mapping) plus the store's commit. Read one after the other these add up; with :class:`ReadAhead`
page ``n + 1`` is fetched while page ``n`` is committed, so the shop works while we do.

::

    with ReadAhead(lambda: keyset_pages(fetch, start), name="orders") as pages:
        for page in pages:        # each page fetched from the last position of the one before
            commit(page)

What is read ahead is any iterator the reader thread drives: one stream's pages
(:func:`keyset_pages`), or a backfill worker's windows one after the other, so that the first page
of the next window is fetched while the last one of the current window is committed.

Only reading moves ahead: checkpoints still move with each committed page, so a run killed with
pages fetched but not committed simply reads them again on resume. An exception raised by the
reader reaches the caller, with its own type, when the caller asks for the next item — after every
item produced before it was handed over, as in a serial loop. Leaving the ``with`` block in any way
(end, exception, Ctrl-C) stops the reader and waits for it, so no fetch outlives the call.
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


class _End:
    """Put after the last item."""


class ReadAhead(Generic[_T]):
    """The items of ``produce()``, produced by a background thread up to ``depth`` items ahead.

    One reader thread per instance, started by ``with``; iterate once.
    """

    def __init__(
        self, produce: Callable[[], Iterator[_T]], *, depth: int = 1, name: str = "read-ahead"
    ) -> None:
        if depth < 1:
            raise ValueError("depth must be at least 1")
        self._produce = produce
        self._depth = depth
        self._buffer: deque[_T | _Failure | _End] = deque()
        self._changed = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._read, name=f"read-ahead {name}", daemon=True)

    def __enter__(self) -> ReadAhead[_T]:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Stop reading ahead, drop what was read and wait for a fetch in flight to return."""
        with self._changed:
            self._closed = True
            self._buffer.clear()
            self._changed.notify_all()
        if self._thread.is_alive():
            self._thread.join()

    def _offer(self, item: _T | _Failure | _End) -> bool:
        """Buffer ``item`` once there is room; False when the reader should stop."""
        with self._changed:
            while len(self._buffer) >= self._depth and not self._closed:
                self._changed.wait()
            if self._closed:
                return False
            self._buffer.append(item)
            self._changed.notify_all()
            return True

    def _read(self) -> None:
        try:
            items = self._produce()
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
            return
        self._offer(_End())

    def __iter__(self) -> Iterator[_T]:
        while True:
            with self._changed:
                while not self._buffer and not self._closed:
                    self._changed.wait()
                if not self._buffer:
                    return
                item = self._buffer.popleft()
                self._changed.notify_all()
            if isinstance(item, _Failure):
                raise item.error
            if isinstance(item, _End):
                return
            yield item
