"""A small real HTTP server for sandbox shops: routing, JSON, fault injection, request log.

Each adapter's sandbox (a local fake of Magento or Shopware) is built on this so that tests, the
demo and ``loyalty-connector sandbox serve`` exercise the adapters over real HTTP on 127.0.0.1.
It binds to port 0 by default (the OS picks a free port) and runs in a daemon thread.

Faults are injected before the route runs, from a seeded random generator, so a test that asks
for "20 % errors" sees the same sequence on every run::

    server.faults.configure(error_rate=0.2, seed=3)
    server.faults.fail_next("429", count=2)   # deterministic: the next two requests get 429
"""

from __future__ import annotations

__all__ = [
    "FAULT_KINDS",
    "FaultPlan",
    "RequestRecord",
    "SandboxRequest",
    "SandboxResponse",
    "SandboxServer",
]

import contextlib
import json
import logging
import random
import re
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlsplit

logger = logging.getLogger(__name__)

FAULT_KINDS = ("429", "500", "502", "503", "504", "drop", "truncate")
"""What a fault can be: an HTTP status, a dropped connection, or a body cut off mid-way."""


@dataclass
class SandboxRequest:
    """One parsed request as a route handler sees it."""

    method: str
    path: str
    query: list[tuple[str, str]]
    headers: dict[str, str]
    body: bytes
    params: dict[str, str] = field(default_factory=dict)
    """Named groups matched from the route's pattern."""
    raw_target: str = ""
    """The request target exactly as sent (path and query), e.g. for OAuth signature checks."""

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def json(self) -> Any:
        if not self.body:
            return None
        return json.loads(self.body.decode("utf-8"))

    def query_dict(self) -> dict[str, str]:
        return dict(self.query)


@dataclass
class SandboxResponse:
    """What a route returns: status, a JSON-serialisable body (or raw bytes) and extra headers."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"

    def encode(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        if self.body is None and self.status == 204:
            return b""
        return json.dumps(self.body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


@dataclass(frozen=True)
class RequestRecord:
    """One served request, kept so tests can assert what the client sent (never the body)."""

    method: str
    path: str
    status: int
    fault: str | None


Handler = Callable[[SandboxRequest], SandboxResponse]
_Server = TypeVar("_Server", bound="SandboxServer")
Hook = Callable[[SandboxRequest], None]


class FaultPlan:
    """Decides, per request, whether to inject a fault. Thread-safe and seeded."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: deque[str] = deque()
        self._rng = random.Random(0)
        self.error_rate = 0.0
        self.kinds: tuple[str, ...] = ("429", "503", "drop", "truncate")
        self.retry_after: str | None = "1"
        self.latency = 0.0
        self.paths: re.Pattern[str] | None = None
        self.injected: dict[str, int] = {}

    def configure(
        self,
        *,
        error_rate: float = 0.0,
        kinds: tuple[str, ...] | None = None,
        seed: int = 0,
        retry_after: str | None = "1",
        latency: float = 0.0,
        paths: str | None = None,
    ) -> None:
        """Inject ``kinds`` on a fraction ``error_rate`` of requests (optionally only matching ``paths``).

        ``retry_after`` is the ``Retry-After`` header sent with 429/503 (``None`` sends none);
        ``latency`` delays every response by that many seconds.
        """
        unknown = set(kinds or ()) - set(FAULT_KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds {sorted(unknown)}; choose from {FAULT_KINDS}")
        if not 0.0 <= error_rate <= 1.0:
            raise ValueError("error_rate must be between 0 and 1")
        with self._lock:
            self.error_rate = error_rate
            if kinds is not None:
                self.kinds = tuple(kinds)
            self._rng = random.Random(seed)
            self.retry_after = retry_after
            self.latency = latency
            self.paths = re.compile(paths) if paths else None

    def fail_next(self, kind: str, count: int = 1) -> None:
        """Make the next ``count`` requests fail with ``kind``, whatever the error rate."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; choose from {FAULT_KINDS}")
        with self._lock:
            self._queue.extend([kind] * count)

    def clear(self) -> None:
        """Stop injecting faults."""
        self.configure(error_rate=0.0)
        with self._lock:
            self._queue.clear()

    def draw(self, path: str) -> str | None:
        with self._lock:
            if self.paths is not None and not self.paths.search(path):
                return None
            kind: str | None = None
            if self._queue:
                kind = self._queue.popleft()
            elif self.error_rate and self._rng.random() < self.error_rate:
                kind = self._rng.choice(self.kinds)
            if kind is not None:
                self.injected[kind] = self.injected.get(kind, 0) + 1
            return kind


class SandboxServer:
    """A threaded HTTP server on 127.0.0.1 dispatching to registered routes.

    Subclasses (the adapters' sandboxes) register routes in ``__init__`` with :meth:`route`.
    Use as a context manager, or call :meth:`start` and :meth:`stop`.
    """

    name = "sandbox"

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self._host = host
        self._port = port
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.faults = FaultPlan()
        self.hooks: list[Hook] = []
        """Called before every request's route (after faults); tests mutate records here."""
        self.requests: list[RequestRecord] = []
        self._log_lock = threading.Lock()
        self.lock = threading.RLock()
        """Held while a route runs: routes see and change shop state one request at a time."""

    def route(self, method: str, pattern: str, handler: Handler) -> None:
        """Register ``handler`` for ``method`` and a full-match regex ``pattern`` on the path."""
        self._routes.append((method.upper(), re.compile(pattern), handler))

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("sandbox is not running; call start() first")
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://{self._host}:{self.port}"

    def start(self: _Server) -> _Server:
        if self._httpd is not None:
            return self
        handler_class = _make_handler(self)
        self._httpd = ThreadingHTTPServer((self._host, self._port), handler_class)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"{self.name}-http",
            daemon=True,
        )
        self._thread.start()
        logger.info("%s sandbox listening on %s", self.name, self.base_url)
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None
        self._thread = None

    def __enter__(self: _Server) -> _Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def not_found(self, request: SandboxRequest) -> SandboxResponse:
        """The answer for a path no route matches; sandboxes override it with their shop's body."""
        return SandboxResponse(404, {"error": f"no route for {request.method} {request.path}"})

    def method_not_allowed(self, request: SandboxRequest) -> SandboxResponse:
        """The answer for a known path with an unsupported method; sandboxes give their shop's body."""
        return SandboxResponse(405, {"message": f"method {request.method} not allowed"})

    def fault_response(self, kind: str) -> SandboxResponse:
        """The answer for an injected HTTP-status fault; sandboxes override it with their shop's body."""
        headers: dict[str, str] = {}
        if kind in ("429", "503") and self.faults.retry_after is not None:
            headers["Retry-After"] = self.faults.retry_after
        return SandboxResponse(int(kind), {"message": "injected fault"}, headers)

    def dispatch(self, request: SandboxRequest) -> SandboxResponse:
        path_matched = False
        for method, pattern, handler in self._routes:
            match = pattern.fullmatch(request.path)
            if match is None:
                continue
            path_matched = True
            if method != request.method:
                continue
            request.params = {k: v for k, v in match.groupdict().items() if v is not None}
            with self.lock:
                return handler(request)
        if path_matched:
            return self.method_not_allowed(request)
        return self.not_found(request)

    def _record(self, method: str, path: str, status: int, fault: str | None) -> None:
        with self._log_lock:
            self.requests.append(RequestRecord(method, path, status, fault))


def _make_handler(server: SandboxServer) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # small responses otherwise wait ~40 ms for delayed ACKs
        server_version = f"{server.name}-sandbox"

        def log_message(self, format: str, *args: Any) -> None:
            # the request line may carry tokens in its query string: log the method and path only
            logger.debug("%s %s %s", server.name, self.command, urlsplit(self.path).path)

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            parts = urlsplit(self.path)
            request = SandboxRequest(
                method=self.command,
                path=parts.path,
                query=parse_qsl(parts.query, keep_blank_values=True),
                headers={k.lower(): v for k, v in self.headers.items()},
                body=body,
                raw_target=self.path,
            )
            fault = server.faults.draw(parts.path)
            if server.faults.latency:
                time.sleep(server.faults.latency)
            if fault == "drop":
                server._record(self.command, parts.path, 0, fault)
                self._drop()
                return
            if fault is not None and fault != "truncate":
                response = server.fault_response(fault)
            else:
                for hook in list(server.hooks):
                    hook(request)
                try:
                    response = server.dispatch(request)
                except Exception:  # a sandbox bug must show as a 500, as a real shop would
                    logger.exception("%s sandbox route failed", server.name)
                    response = SandboxResponse(500, {"message": "sandbox internal error"})
            payload = response.encode()
            server._record(self.command, parts.path, response.status, fault)
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(payload)))
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.end_headers()
            if fault == "truncate" and len(payload) > 1:
                self.wfile.write(payload[: len(payload) // 2])
                self.wfile.flush()
                self._drop()
                return
            self.wfile.write(payload)

        def _drop(self) -> None:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

    return _Handler
