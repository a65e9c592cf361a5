"""The Magento 2.4 REST client: store-scoped URLs, authentication, searchCriteria, Decimal JSON.

Every call goes through the core's :class:`~loyalty_connector.http.HttpClient` (timeouts, retries
with ``Retry-After``, the shared request budget, redaction); this module adds what is Magento's own:

- URLs ``<base_url>/rest/<store_code>/V1/...``; ``all`` reads across every store view. An unknown
  store code answers 404 "Request does not match any route." (``Magento\\Webapi\\Controller\\Rest\\Router``).
- JSON numbers are parsed as ``Decimal`` (``parse_float=Decimal``) so money never passes through float.
- ``searchCriteria`` query building (filter groups AND-ed, filters inside one group OR-ed), always with
  an explicit sort direction (an omitted one sorts DESC in ``SortingProcessor``) and an explicit
  ``pageSize`` (omitted, Magento returns the whole table).
- Web API input limits (2.4.7+, ``webapi/validation/input_limit_enabled``) reject a ``pageSize`` above
  their maximum (300 by default) with 400 "Maximum SearchCriteria pageSize is %max": the client lowers
  its page size to that maximum, logs one warning and asks again.
"""

from __future__ import annotations

__all__ = [
    "AUTH_MODES",
    "CREDENTIALS_BY_MODE",
    "Filter",
    "MagentoClient",
    "SearchResult",
    "search_params",
    "to_json_text",
    "to_jsonable",
]

import json
import logging
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import requests

from loyalty_connector.errors import AuthenticationError, ConfigurationError, ShopRequestError
from loyalty_connector.http import Auth, BearerAuth, HttpClient, RequestBudget, RetryPolicy

from .auth import AdminTokenAuth, OAuth1Signer
from .errors import ADMIN_2FA_HINT, magento_error_table, page_size_limit, parse_error_response

logger = logging.getLogger(__name__)

AUTH_MODES = ("oauth", "bearer", "admin_token")

CREDENTIALS_BY_MODE: dict[str, tuple[str, ...]] = {
    "oauth": ("consumer_key", "consumer_secret", "access_token", "access_token_secret"),
    "bearer": ("access_token",),
    "admin_token": ("username", "password"),
}
"""The credentials each ``settings.auth`` mode needs (names as in the programme's ``credentials``)."""

ADMIN_TOKEN_PATH = "/V1/integration/admin/token"  # noqa: S105 - a URL path, not a secret


@dataclass(frozen=True)
class Filter:
    """One ``searchCriteria`` filter: ``field condition_type value`` (eq, gt, gteq, lt, like, in...)."""

    field: str
    value: str
    condition: str = "eq"


@dataclass(frozen=True)
class SearchResult:
    """One page of a Magento search: the items and the page size that was actually asked for."""

    items: list[dict[str, Any]]
    page_size: int
    total_count: int | None


def search_params(
    filter_groups: Sequence[Sequence[Filter]],
    sort: Sequence[tuple[str, str]],
    page_size: int,
    current_page: int = 1,
) -> list[tuple[str, str]]:
    """Ordered ``searchCriteria[...]`` query pairs (the layout of the keyset-orders sample query)."""
    pairs: list[tuple[str, str]] = []
    for g, group in enumerate(filter_groups):
        for f, item in enumerate(group):
            prefix = f"searchCriteria[filter_groups][{g}][filters][{f}]"
            pairs += [
                (f"{prefix}[field]", item.field),
                (f"{prefix}[value]", item.value),
                (f"{prefix}[condition_type]", item.condition),
            ]
    for s, (field, direction) in enumerate(sort):
        pairs += [
            (f"searchCriteria[sortOrders][{s}][field]", field),
            (f"searchCriteria[sortOrders][{s}][direction]", direction.upper()),
        ]
    pairs += [
        ("searchCriteria[pageSize]", str(page_size)),
        ("searchCriteria[currentPage]", str(current_page)),
    ]
    return pairs


def to_jsonable(value: Any) -> Any:
    """Turn Decimals (from ``parse_float=Decimal``) back into JSON numbers, recursively."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() and "." not in str(value) else float(value)
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    return value


def to_json_text(payload: Any) -> str:
    """Compact JSON text of a shop payload (for quarantined records)."""
    return json.dumps(to_jsonable(payload), separators=(",", ":"), sort_keys=True, default=str)


def _require(credentials: Mapping[str, str], mode: str) -> list[str]:
    missing = [name for name in CREDENTIALS_BY_MODE[mode] if not credentials.get(name)]
    if missing:
        raise ConfigurationError(
            f"the magento source with auth: {mode} needs the credential(s) {', '.join(missing)}; "
            "map each to an environment variable under the source's credentials"
        )
    return [credentials[name] for name in CREDENTIALS_BY_MODE[mode]]


class MagentoClient:
    """Talks to one Magento store scope. Thread-safe (group assignment uses a small thread pool)."""

    def __init__(
        self,
        base_url: str,
        *,
        source: str,
        auth_mode: str = "oauth",
        credentials: Mapping[str, str],
        store_code: str = "all",
        timeout: tuple[float, float] = (5.0, 30.0),
        retry: RetryPolicy | None = None,
        budget: RequestBudget | None = None,
        sleep: Callable[[float], None] | None = None,
        session: requests.Session | None = None,
        oauth_signer: OAuth1Signer | None = None,
    ) -> None:
        if auth_mode not in AUTH_MODES:
            raise ConfigurationError(
                f"magento source {source!r}: settings.auth must be one of {', '.join(AUTH_MODES)}, "
                f"not {auth_mode!r}"
            )
        if not store_code or "/" in store_code:
            raise ConfigurationError(
                f"magento source {source!r}: settings.store_code must be a store view code or 'all'"
            )
        self.source = source
        self.auth_mode = auth_mode
        self.store_code = store_code
        values = _require(credentials, auth_mode)
        auth: Auth
        admin: AdminTokenAuth | None = None
        if auth_mode == "oauth":
            auth = oauth_signer or OAuth1Signer(*values)
        elif auth_mode == "bearer":
            token = values[0]
            auth = BearerAuth(lambda: token)
        else:
            admin = AdminTokenAuth()
            auth = admin
        extra: dict[str, Any] = {} if sleep is None else {"sleep": sleep}
        self.http = HttpClient(
            f"{base_url.rstrip('/')}/rest/{quote(store_code, safe='')}",
            source=source,
            timeout=timeout,
            retry=retry or RetryPolicy(),
            budget=budget,
            auth=auth,
            error_parser=parse_error_response,
            error_table=magento_error_table(auth_mode),
            session=session,
            **extra,
        )
        if admin is not None:
            username, password = values
            admin.bind(lambda: self._fetch_admin_token(username, password))
        self._page_cap: int | None = None
        self._cap_lock = threading.Lock()

    # --- plumbing ------------------------------------------------------------------------------------

    def _fetch_admin_token(self, username: str, password: str) -> str:
        try:
            token = self._call(
                "POST",
                ADMIN_TOKEN_PATH,
                body={"username": username, "password": password},
                authenticate=False,
                idempotent=True,
            )
        except ShopRequestError as exc:
            text = str(exc)
            if "2fa" in text.lower() or "two-factor" in text.lower():
                raise AuthenticationError(
                    f"POST {ADMIN_TOKEN_PATH} was refused because Two-Factor Authorization is enabled. "
                    + ADMIN_2FA_HINT,
                    source=self.source,
                    status=exc.status,
                ) from None
            raise
        except AuthenticationError as exc:
            raise AuthenticationError(
                f"POST {ADMIN_TOKEN_PATH}: Magento refused the admin username/password (HTTP {exc.status}); "
                "check the username and password credentials (repeated failures lock the admin account "
                "temporarily)",
                source=self.source,
                status=exc.status,
            ) from None
        if not isinstance(token, str) or not token:
            raise AuthenticationError(
                f"POST {ADMIN_TOKEN_PATH} did not answer a token string", source=self.source
            )
        return token

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: Sequence[tuple[str, str]] | None = None,
        body: Any = None,
        authenticate: bool = True,
        idempotent: bool | None = None,
    ) -> Any:
        response = self.http.request(
            method,
            path,
            params=params,
            json=None if body is None else to_jsonable(body),
            idempotent=idempotent,
            authenticate=authenticate,
        )
        if not response.content:
            return None
        try:
            return json.loads(response.content, parse_float=Decimal)
        except ValueError:
            raise ShopRequestError(
                f"{method} {path} -> HTTP {response.status_code} with a body that is not JSON",
                source=self.source,
                status=response.status_code,
            ) from None

    def get(self, path: str, params: Sequence[tuple[str, str]] | None = None) -> Any:
        return self._call("GET", path, params=params)

    def post(self, path: str, body: Any, *, idempotent: bool = False) -> Any:
        return self._call("POST", path, body=body, idempotent=idempotent)

    def put(self, path: str, body: Any) -> Any:
        return self._call("PUT", path, body=body)

    def delete(self, path: str) -> Any:
        return self._call("DELETE", path)

    def close(self) -> None:
        self.http.close()

    # --- searchCriteria ------------------------------------------------------------------------------

    @property
    def page_cap(self) -> int | None:
        """The shop's maximum ``pageSize`` once it told us (Web API input limits), else None."""
        return self._page_cap

    def search(
        self,
        path: str,
        filter_groups: Sequence[Sequence[Filter]],
        *,
        sort: Sequence[tuple[str, str]] = (),
        page_size: int,
    ) -> SearchResult:
        """Page 1 of ``path`` for these filters and sort: keyset reads never ask for another page."""
        size = max(1, page_size)
        for _ in range(3):
            cap = self._page_cap
            asked = min(size, cap) if cap is not None else size
            try:
                body = self.get(path, search_params(filter_groups, sort, asked))
            except ShopRequestError as exc:
                limit = page_size_limit(str(exc)) if exc.status == 400 else None
                if limit is None or limit < 1 or (cap is not None and limit >= cap):
                    raise
                self._lower_cap(limit)
                continue
            return self._result(path, body, asked)
        raise ShopRequestError(
            f"GET {path}: the shop kept rejecting pageSize; set settings.page_size to its maximum",
            source=self.source,
            status=400,
        )

    def scan(
        self,
        path: str,
        filter_groups: Sequence[Sequence[Filter]] = (),
        *,
        id_field: str,
        payload_id: str | None = None,
        page_size: int = 100,
    ) -> Iterator[dict[str, Any]]:
        """Every row matching the filters, keyset-paged on the integer ``id_field`` (ascending)."""
        last = 0
        key = payload_id or id_field
        while True:
            groups = [*filter_groups, [Filter(id_field, str(last), "gt")]]
            result = self.search(path, groups, sort=[(id_field, "ASC")], page_size=page_size)
            moved = False
            for row in result.items:
                value = row.get(key)
                if isinstance(value, int | str) and str(value).isdigit() and int(value) > last:
                    last, moved = int(value), True
                    yield row
            if len(result.items) < result.page_size or not moved:
                return

    def list_all(self, path: str, *, page_size: int = 300) -> list[dict[str, Any]]:
        """A small reference table (customer groups) by page number, stopping on a short or repeated
        page: 2.3 and some forks answer the last page again when asked past the end. Sorted by ``id``
        (``GroupRepository::translateField`` maps it to ``customer_group_id``)."""
        rows: dict[str, dict[str, Any]] = {}
        for page in range(1, 1000):
            cap = self._page_cap
            size = min(page_size, cap) if cap is not None else page_size
            try:
                body = self.get(path, search_params([], [("id", "ASC")], size, page))
            except ShopRequestError as exc:
                limit = page_size_limit(str(exc)) if exc.status == 400 else None
                if limit is None or (cap is not None and limit >= cap):
                    raise
                self._lower_cap(limit)
                return self.list_all(path, page_size=limit)
            items = self._result(path, body, size).items
            fresh = [row for row in items if str(row.get("id")) not in rows]
            rows.update((str(row.get("id")), row) for row in fresh)
            if len(items) < size or not fresh:
                break
        return list(rows.values())

    def _lower_cap(self, limit: int) -> None:
        with self._cap_lock:
            first = self._page_cap is None
            self._page_cap = limit if self._page_cap is None else min(self._page_cap, limit)
        if first:
            logger.warning(
                "[%s] the shop limits searchCriteria pageSize to %d (Web API input limits); reading "
                "%d records per request from now on; set settings.page_size: %d to silence this",
                self.source,
                limit,
                limit,
                limit,
            )

    def _result(self, path: str, body: Any, asked: int) -> SearchResult:
        if not isinstance(body, Mapping) or not isinstance(body.get("items", []), list):
            raise ShopRequestError(
                f"GET {path} did not answer a search result ({{items, search_criteria, total_count}})",
                source=self.source,
            )
        items = [item for item in body.get("items") or [] if isinstance(item, dict)]
        total = body.get("total_count")
        return SearchResult(
            items=items, page_size=asked, total_count=int(total) if total is not None else None
        )
