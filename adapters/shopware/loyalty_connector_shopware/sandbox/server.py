"""The Shopware sandbox shop: a real HTTP server on 127.0.0.1 answering like Shopware's Admin API.

Built on the core's :class:`~loyalty_connector.sandbox_server.SandboxServer` (routing, fault
injection, request log). Every route except ``POST /api/oauth/token`` needs a live bearer token.
"""

from __future__ import annotations

__all__ = ["VERSIONS", "ShopwareSandbox"]

import logging
import random
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

from loyalty_connector.sandbox_server import SandboxRequest, SandboxResponse, SandboxServer

from .auth import Credentials, OAuthServer
from .catalogue import STOREFRONT_ID
from .clock import SandboxClock
from .codes import PromotionCodes
from .criteria import parse_criteria
from .data import seed_shop
from .errors import ApiError, error_entry, fault_body, not_found_resource, route_not_found
from .mutations import add_customer, add_order, set_transaction_state, touch
from .render import Renderer, wants_json_api
from .schema import EntityDef, entity_for_route
from .search import execute
from .store import Record, ShopStore, Table
from .sync import run_sync
from .writer import WriteContext, Writer

logger = logging.getLogger(__name__)

VERSIONS = {"6.5": "6.5.8.13", "6.6": "6.6.10.4", "6.7": "6.7.9.1"}
"""Supported minor versions and the full version ``GET /api/_info/version`` reports for each."""
_JSON = "application/json"
_JSON_API = "application/vnd.api+json"
_ID = r"(?P<id>[0-9a-fA-F]{32})"
_ENTITY = r"(?P<entity>[a-z][a-z-]*)"

Handler = Callable[[SandboxRequest], SandboxResponse]


class ShopwareSandbox(SandboxServer):
    """A seeded Shopware 6 shop behind the Admin API (see the package docstring for the routes)."""

    name = "shopware"

    def __init__(
        self,
        *,
        seed: int = 7,
        customers: int = 300,
        orders: int = 3000,
        port: int = 0,
        version: str = "6.6",
        token_lifetime: int = 600,
        host: str = "127.0.0.1",
    ) -> None:
        if version not in VERSIONS:
            raise ValueError(f"version must be one of {sorted(VERSIONS)}, not {version!r}")
        super().__init__(host=host, port=port)
        self.seed = seed
        self.version = version
        self.max_limit: int | None = None if version == "6.5" else 500
        """``shopware.api.max_limit``: not set on 6.5, 500 from 6.6 on."""
        self._store = ShopStore(SandboxClock(0))
        self._shop = seed_shop(self._store, seed, customers, orders)
        self._store.clock = SandboxClock(self._shop.newest_ms + 1000)
        self._credentials = Credentials.generate(seed)
        self.oauth = OAuthServer(self._credentials, token_lifetime)
        self._writer = Writer(self._store, random.Random(f"writes-{seed}"))
        self._codes = PromotionCodes(self._store, random.Random(f"codes-{seed}"))
        self._routes_setup()
        logger.debug(
            "shopware sandbox %s seeded: seed=%s customers=%s orders=%s", version, seed, customers, orders
        )

    # public API ----------------------------------------------------------------------------------

    @property
    def credentials(self) -> dict[str, str]:
        """``client_id``/``client_secret`` (integration) and ``username``/``password`` (admin user)."""
        return self._credentials.as_dict()

    @property
    def entities(self) -> dict[str, Table]:
        """Entity name -> {id: record}: the shop's state, for assertions (records are live, not copies)."""
        return self._store.tables

    def __enter__(self) -> ShopwareSandbox:
        self.start()
        return self

    def now(self) -> datetime:
        """The sandbox clock: just after the newest seeded record, one second later per mutation."""
        with self.lock:
            return self._store.clock.now()

    def expire_tokens(self) -> None:
        """Invalidate every access token issued so far; the next call with one answers 401."""
        self.oauth.expire_all()

    def throttle_auth(self, seconds: int = 10) -> None:
        """The next token request answers 429 ``FRAMEWORK__AUTH_THROTTLED`` (no ``Retry-After``)."""
        self.oauth.throttle_next(seconds)

    def touch(self, entity: str, record_id: str, **changes: Any) -> Record:
        """Change fields of a record and bump its ``updatedAt`` to the next clock instant."""
        with self.lock:
            return touch(self._store, entity, record_id, changes)

    def add_customer(self, **fields: Any) -> Record:
        """Register a customer; any customer field may be given (``email``, ``company``, ``groupId``...)."""
        with self.lock:
            return add_customer(self._store, self._shop.rng, fields)

    def add_order(
        self, customer_id: str | None, lines: Sequence[Any] = ("PAPER-A4",), **options: Any
    ) -> Record:
        """Place an order. ``lines``: SKUs, ``(sku, quantity)`` or dicts (``type`` promotion/custom/credit/
        discount with ``amount``, ``code``, ``promotionId``); options: ``state``, ``transaction_state``,
        ``currency``, ``tax_status``, ``payment``, ``email`` (guests), ``created_at``."""
        with self.lock:
            return add_order(self._store, self._shop, customer_id, lines, **options)

    def set_transaction_state(self, order_id: str, state: str, amount: Any = None) -> Record:
        """Move the order's latest payment to ``state`` without touching the order's ``updatedAt``."""
        with self.lock:
            return set_transaction_state(self._store, self._shop.rng, order_id, state, amount)

    def describe(self) -> dict[str, Any]:
        """``base_url``, ``credentials``, a ready programme ``source`` entry and its ``env`` values.

        The source's ``settings.sales_channel_id`` is the seeded storefront, the sales channel every
        seeded customer is bound to: promotions written through the adapter apply there.
        """
        return {
            "base_url": self.base_url,
            "version": VERSIONS[self.version],
            "credentials": self.credentials,
            "source": {
                "adapter": "shopware",
                "base_url": self.base_url,
                "settings": {"grant": "client_credentials", "sales_channel_id": STOREFRONT_ID},
                "credentials": {"client_id": "SHOPWARE_CLIENT_ID", "client_secret": "SHOPWARE_CLIENT_SECRET"},
            },
            "env": {
                "SHOPWARE_CLIENT_ID": self._credentials.client_id,
                "SHOPWARE_CLIENT_SECRET": self._credentials.client_secret,
            },
        }

    # kit hooks -----------------------------------------------------------------------------------

    def not_found(self, request: SandboxRequest) -> SandboxResponse:
        error = route_not_found(request.method, self.base_url + request.raw_target)
        return SandboxResponse(404, error.body())

    def fault_response(self, kind: str) -> SandboxResponse:
        response = super().fault_response(kind)
        return SandboxResponse(response.status, fault_body(response.status), response.headers)

    def dispatch(self, request: SandboxRequest) -> SandboxResponse:
        response = super().dispatch(request)
        if response.status == 405 and isinstance(response.body, dict) and "message" in response.body:
            detail = (
                f'No route found for "{request.method} {self.base_url}{request.path}": Method Not Allowed'
            )
            return SandboxResponse(405, {"errors": [error_entry(405, "0", detail)]})
        return response

    # routes --------------------------------------------------------------------------------------

    def _routes_setup(self) -> None:
        self.route("POST", r"/api/oauth/token", self._guard(self._token, auth=False))
        self.route(
            "GET", r"/api/_info/version", self._guard(lambda r: self._ok({"version": VERSIONS[self.version]}))
        )
        self.route("POST", r"/api/_action/sync", self._guard(self._sync))
        codes = r"/api/_action/promotion/codes"
        self.route("GET", codes + r"/generate-fixed", self._guard(lambda r: self._ok(self._codes.fixed())))
        self.route("GET", codes + r"/generate-individual", self._guard(self._generate_codes))
        self.route(
            "GET",
            codes + r"/preview",
            self._guard(lambda r: self._ok(self._codes.preview(r.query_dict().get("codePattern")))),
        )
        self.route(
            "PATCH",
            codes + r"/replace-individual",
            self._guard(self._replace_codes),
        )
        self.route(
            "POST",
            codes + r"/add-individual",
            self._guard(self._add_codes),
        )
        self.route("POST", r"/api/search/" + _ENTITY, self._guard(self._search))
        self.route("POST", r"/api/search-ids/" + _ENTITY, self._guard(self._search_ids))
        self.route("GET", r"/api/" + _ENTITY, self._guard(self._list))
        self.route("POST", r"/api/" + _ENTITY, self._guard(self._create))
        self.route("GET", r"/api/" + _ENTITY + "/" + _ID, self._guard(self._detail))
        self.route("PATCH", r"/api/" + _ENTITY + "/" + _ID, self._guard(self._update))
        self.route("DELETE", r"/api/" + _ENTITY + "/" + _ID, self._guard(self._delete))

    def _guard(self, handler: Handler, *, auth: bool = True) -> Handler:
        def guarded(request: SandboxRequest) -> SandboxResponse:
            try:
                if auth:
                    self.oauth.check(request.header("authorization"))
                return handler(request)
            except ApiError as error:
                return SandboxResponse(error.status, error.body(), error.headers)

        return guarded

    @staticmethod
    def _ok(body: Any, content_type: str = _JSON) -> SandboxResponse:
        return SandboxResponse(200, body, content_type=content_type)

    @staticmethod
    def _body(request: SandboxRequest) -> Any:
        try:
            return request.json() or {}
        except (ValueError, UnicodeDecodeError) as error:
            raise ApiError.single(
                400, "FRAMEWORK__INVALID_REQUEST_BODY", "The JSON payload is malformed."
            ) from error

    def _entity(self, request: SandboxRequest) -> EntityDef:
        entity = entity_for_route(request.params["entity"])
        if entity is None:
            raise route_not_found(request.method, self.base_url + request.path)
        return entity

    def _token(self, request: SandboxRequest) -> SandboxResponse:
        content_type = (request.header("content-type") or "").lower()
        if "application/x-www-form-urlencoded" in content_type:
            body: Any = dict(parse_qsl(request.body.decode("utf-8")))
        else:
            body = self._body(request)
        if not isinstance(body, dict):
            body = {}
        return self._ok(self.oauth.token(body))

    def _sync(self, request: SandboxRequest) -> SandboxResponse:
        return self._ok(run_sync(self._store, self._writer, self._body(request)))

    def _replace_codes(self, request: SandboxRequest) -> SandboxResponse:
        self._codes.replace(self._body(request))
        return SandboxResponse(204, None)

    def _add_codes(self, request: SandboxRequest) -> SandboxResponse:
        self._codes.add(self._body(request))
        return SandboxResponse(204, None)

    def _generate_codes(self, request: SandboxRequest) -> SandboxResponse:
        query = request.query_dict()
        return self._ok(self._codes.generate(query.get("codePattern"), query.get("amount")))

    def _search(self, request: SandboxRequest) -> SandboxResponse:
        entity = self._entity(request)
        criteria = parse_criteria(self._store, entity, self._body(request), max_limit=self.max_limit)
        result = execute(self._store, criteria)
        renderer = Renderer(self._store, self.base_url, criteria.includes)
        if wants_json_api(request.header("accept")):
            return self._ok(renderer.search_json_api(entity, result.rows, criteria, result.total), _JSON_API)
        return self._ok(renderer.search_json(entity, result.rows, criteria, result.total))

    def _search_ids(self, request: SandboxRequest) -> SandboxResponse:
        entity = self._entity(request)
        criteria = parse_criteria(self._store, entity, self._body(request), max_limit=self.max_limit)
        result = execute(self._store, criteria)
        ids = [
            self._store.key_of(entity.name, row) if entity.is_mapping else row["id"] for row in result.rows
        ]
        return self._ok({"total": result.total, "data": ids})

    def _list(self, request: SandboxRequest) -> SandboxResponse:
        entity = self._entity(request)
        payload: dict[str, Any] = {}
        filters: dict[str, str] = {}
        for key, value in request.query:
            if key.startswith("filter[") and key.endswith("]"):
                filters[key[7:-1]] = value
            elif key in ("limit", "page", "sort", "total-count-mode", "ids"):
                payload[key] = value
        if filters:
            payload["filter"] = filters
        criteria = parse_criteria(self._store, entity, payload, max_limit=self.max_limit)
        result = execute(self._store, criteria)
        renderer = Renderer(self._store, self.base_url, None)
        if wants_json_api(request.header("accept")):
            return self._ok(renderer.search_json_api(entity, result.rows, criteria, result.total), _JSON_API)
        return self._ok(renderer.search_json(entity, result.rows, criteria, result.total))

    def _detail(self, request: SandboxRequest) -> SandboxResponse:
        entity = self._entity(request)
        record_id = request.params["id"].lower()
        row = self._store.get(entity.name, record_id)
        if row is None:
            raise not_found_resource(entity.name, record_id)
        criteria = parse_criteria(self._store, entity, {}, max_limit=None, top_level=False)
        renderer = Renderer(self._store, self.base_url, None)
        if wants_json_api(request.header("accept")):
            return self._ok(renderer.detail_json_api(entity, row, criteria), _JSON_API)
        return self._ok({"data": renderer.record(entity, row, criteria)})

    def _write(self, entity: EntityDef, payload: Any, record_id: str | None) -> WriteContext:
        if record_id is not None:
            if self._store.get(entity.name, record_id) is None:
                raise not_found_resource(entity.name, record_id)
            if isinstance(payload, dict):
                payload = {**payload, "id": record_id}
        before = self._store.clock.now_ms()
        context = WriteContext(now_ms=self._store.clock.tick())
        try:
            self._writer.upsert(context, entity, payload, "/0")
            self._writer.finish(context)
        except ApiError:
            self._store.clock.restore(before)
            raise
        return context

    def _create(self, request: SandboxRequest) -> SandboxResponse:
        entity = self._entity(request)
        payload = self._body(request)
        context = self._write(entity, payload, None)
        created = context.written.get(entity.name, [None])[0]
        created_id = created["id"] if isinstance(created, dict) else created
        location = f"{self.base_url}/api/{entity.route}/{created_id}"
        return SandboxResponse(204, None, {"Location": location})

    def _update(self, request: SandboxRequest) -> SandboxResponse:
        entity = self._entity(request)
        self._write(entity, self._body(request), request.params["id"].lower())
        return SandboxResponse(204, None)

    def _delete(self, request: SandboxRequest) -> SandboxResponse:
        entity = self._entity(request)
        record_id = request.params["id"].lower()
        if self._store.get(entity.name, record_id) is None:
            raise not_found_resource(entity.name, record_id)
        before = self._store.clock.now_ms()
        context = WriteContext(now_ms=self._store.clock.tick())
        try:
            self._writer.delete(context, entity, record_id, "/0")
            self._writer.finish(context)
        except ApiError:
            self._store.clock.restore(before)
            raise
        return SandboxResponse(204, None)
