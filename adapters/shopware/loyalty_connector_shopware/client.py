"""The Shopware Admin API client: OAuth, search, sync — all through the core's HTTP client.

Two :class:`~loyalty_connector.http.HttpClient` instances share one request budget: one for the
token endpoint (whose refusals are all authentication errors) and one for everything else, which
authenticates with :class:`~loyalty_connector_shopware.auth.ShopwareOAuth` and refreshes the token
once on a 401. Every request sends ``Accept: application/json`` — with requests' default ``*/*``
Shopware answers JSON:API (``application/vnd.api+json``: ``data[].attributes``), which the mapping
does not read — and ``Content-Type: application/json``.
"""

from __future__ import annotations

__all__ = ["DEFAULT_CURRENCY_ID", "ShopwareClient"]

import logging
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import requests

from loyalty_connector.errors import NotFoundError, PermissionDeniedError, ShopRequestError
from loyalty_connector.http import HttpClient, RequestBudget, RetryPolicy

from .auth import Grant, ShopwareOAuth
from .criteria import MAX_LIMIT, listing_criteria
from .errors import SHOPWARE_ERROR_TABLE, TOKEN_ERROR_TABLE, error_message, throttle_wait

logger = logging.getLogger(__name__)

DEFAULT_CURRENCY_ID = "b7d2554b0ce847cd82f3ac9bd1c0dfca"
"""``Defaults::CURRENCY``: the id of the system default currency in every Shopware 6 installation."""

_JSON_HEADERS = {"Accept": "application/json", "Content-Type": "application/json"}


def api_root(base_url: str) -> str:
    """``https://shop.example`` (or ``.../api``) -> ``https://shop.example/api``."""
    root = base_url.rstrip("/")
    return root if root.endswith("/api") else f"{root}/api"


class ShopwareClient:
    """Admin API calls the adapter needs: ``search``, ``search_all``, ``sync`` and the default currency."""

    def __init__(
        self,
        base_url: str,
        grant: Grant,
        *,
        source: str,
        timeout: tuple[float, float] = (5.0, 30.0),
        retry: RetryPolicy = RetryPolicy(),  # noqa: B008 - frozen dataclass, safe as a default
        budget: RequestBudget | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        session: requests.Session | None = None,
        token_session: requests.Session | None = None,
    ) -> None:
        root = api_root(base_url)
        self.source = source
        common: dict[str, Any] = {
            "source": source,
            "timeout": timeout,
            "retry": retry,
            "budget": budget,
            "error_parser": error_message,
            "wait_parser": throttle_wait,
            "default_headers": _JSON_HEADERS,
            "sleep": sleep,
        }
        self._token_http = HttpClient(root, error_table=TOKEN_ERROR_TABLE, session=token_session, **common)
        self.auth = ShopwareOAuth(self._token_http, grant, clock=clock)
        self._http = HttpClient(
            root, auth=self.auth, error_table=SHOPWARE_ERROR_TABLE, session=session, **common
        )
        self._default_currency: str | None = None
        self._default_currency_known = False

    def search(self, entity: str, criteria: Mapping[str, Any]) -> list[dict[str, Any]]:
        """``POST /api/search/<entity>`` and return ``data``. Searches read only, so they may retry."""
        body = self._http.post_json(f"/search/{entity}", json=dict(criteria), idempotent=True)
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, list):
            raise ShopRequestError(
                f"POST /search/{entity} answered without a data list; is the base URL a Shopware shop?",
                source=self.source,
            )
        if data and isinstance(data[0], dict) and "attributes" in data[0]:
            raise ShopRequestError(
                f"POST /search/{entity} answered JSON:API; a proxy dropped the "
                "Accept: application/json header",
                source=self.source,
            )
        return data

    def search_all(
        self,
        entity: str,
        *,
        filters: Sequence[Mapping[str, Any]] = (),
        associations: Mapping[str, Any] | None = None,
        includes: Mapping[str, Sequence[str]] | None = None,
        page_size: int = MAX_LIMIT,
    ) -> Iterator[dict[str, Any]]:
        """Every record matching ``filters``, page by page (for small sets: groups, managed objects)."""
        page = 1
        while True:
            criteria = listing_criteria(
                page=page, limit=page_size, filters=filters, associations=associations, includes=includes
            )
            data = self.search(entity, criteria)
            yield from data
            if len(data) < page_size:
                return
            page += 1

    def sync(
        self, operations: Sequence[Mapping[str, Any]], *, indexing_behavior: str | None = None
    ) -> dict[str, Any]:
        """``POST /api/_action/sync``: one database transaction per request since Shopware 6.5.

        Sent with ``idempotent=True`` on purpose: every operation the adapter sends is an upsert
        with a deterministic id or a delete (by id, or by criteria matching only stale children),
        so applying a batch twice leaves the shop exactly as applying it once. A timeout after the
        shop committed is therefore safe to retry; nothing else the adapter POSTs is retried.
        """
        headers = {"indexing-behavior": indexing_behavior} if indexing_behavior else None
        body = self._http.post_json("/_action/sync", json=list(operations), headers=headers, idempotent=True)
        return body if isinstance(body, dict) else {}

    def default_currency(self) -> str | None:
        """ISO code of the shop's default currency, looked up once; ``None`` if it cannot be read."""
        if not self._default_currency_known:
            try:
                rows = self.search(
                    "currency",
                    {
                        "page": 1,
                        "limit": 1,
                        "total-count-mode": 0,
                        "ids": [DEFAULT_CURRENCY_ID],
                        "includes": {"currency": ["id", "isoCode"]},
                    },
                )
            except (NotFoundError, PermissionDeniedError, ShopRequestError) as exc:
                logger.warning("[%s] could not read the default currency: %s", self.source, exc)
                rows = []
            code = rows[0].get("isoCode") if rows else None
            self._default_currency = code.upper() if isinstance(code, str) else None
            self._default_currency_known = True
        return self._default_currency

    def close(self) -> None:
        self._http.close()
        self._token_http.close()
