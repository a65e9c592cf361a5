"""Waits that end early when the work they belong to is called off.

A reader thread can spend minutes waiting: the HTTP client backs off between retries (up to
:attr:`~loyalty_connector.ratelimit.RetryPolicy.max_wait` each time, honouring ``Retry-After``) and
the request budget paces requests. When the caller stops reading — Ctrl-C, an error in another
worker, a commit that failed — :class:`~loyalty_connector.sync.readahead.ReadAhead` calls the
reading off, and every wait taken through :func:`pause` in its reader threads ends at once by raising
:class:`~loyalty_connector.errors.StoppedError`, instead of sleeping out its time and then sending one
more request whose answer nobody will read. So Ctrl-C during a shop outage returns in moments, not
after the last retry.

::

    stop = threading.Event()
    with stoppable(stop):   # in the worker thread
        pause(30)           # returns after 30 s, or raises StoppedError as soon as stop is set

Outside :func:`stoppable`, :func:`pause` is :func:`time.sleep`. A request already on the wire is not
cut short; it ends within the client's read timeout.
"""

from __future__ import annotations

__all__ = ["pause", "stoppable"]

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from .errors import StoppedError

_local = threading.local()


@contextmanager
def stoppable(stop: threading.Event) -> Iterator[None]:
    """Within the block, :func:`pause` in this thread raises :class:`StoppedError` once ``stop`` is set."""
    outer = getattr(_local, "stop", None)
    _local.stop = stop
    try:
        yield
    finally:
        _local.stop = outer


def pause(seconds: float) -> None:
    """Sleep ``seconds``, unless this thread's work is (or gets) called off: then raise at once."""
    stop: threading.Event | None = getattr(_local, "stop", None)
    if stop is None:
        time.sleep(seconds)
        return
    if stop.wait(max(seconds, 0.0)) or stop.is_set():
        raise StoppedError("the reading was called off while waiting to try again; nothing was lost")
