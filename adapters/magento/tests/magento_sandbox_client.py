"""A tiny signed HTTP client for the Magento sandbox tests (not a test module itself).

Signs requests the way a correct Magento integration client must: OAuth 1.0a HMAC-SHA256 over the
URL with the query encoded ``%20`` for spaces (Magento decodes the query with ``rawurldecode``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import quote, urlencode

import requests
from oauthlib.oauth1 import SIGNATURE_HMAC_SHA1, SIGNATURE_HMAC_SHA256, Client

from loyalty_connector_magento.sandbox import MagentoSandbox

Params = Sequence[tuple[str, str]]

__all__ = ["SIGNATURE_HMAC_SHA1", "SIGNATURE_HMAC_SHA256", "ShopClient", "criteria"]


def criteria(
    groups: Sequence[Sequence[tuple[str, Any, str | None]]] = (),
    sort: Sequence[tuple[str, str | None]] = (),
    page_size: int | None = None,
    page: int | None = None,
    *,
    snake: bool = True,
) -> list[tuple[str, str]]:
    """searchCriteria query pairs: ``groups`` of (field, value, condition) filters, ``sort`` (field, dir)."""
    fg, ct, so, ps, cp = (
        ("filter_groups", "condition_type", "sort_orders", "page_size", "current_page")
        if snake
        else ("filterGroups", "conditionType", "sortOrders", "pageSize", "currentPage")
    )
    pairs: list[tuple[str, str]] = []
    for g, group in enumerate(groups):
        for f, (field, value, condition) in enumerate(group):
            prefix = f"searchCriteria[{fg}][{g}][filters][{f}]"
            pairs.append((f"{prefix}[field]", field))
            if value is not None:
                pairs.append((f"{prefix}[value]", str(value)))
            if condition is not None:
                pairs.append((f"{prefix}[{ct}]", condition))
    for s, (field, direction) in enumerate(sort):
        pairs.append((f"searchCriteria[{so}][{s}][field]", field))
        if direction is not None:
            pairs.append((f"searchCriteria[{so}][{s}][direction]", direction))
    if page_size is not None:
        pairs.append((f"searchCriteria[{ps}]", str(page_size)))
    if page is not None:
        pairs.append((f"searchCriteria[{cp}]", str(page)))
    return pairs


class ShopClient:
    """Calls the sandbox as an integration (OAuth 1.0a) unless told otherwise."""

    def __init__(self, shop: MagentoSandbox, *, store: str | None = "all") -> None:
        self.shop = shop
        self.store = store
        self.session = requests.Session()

    def url(self, path: str, *, store: str | None = None) -> str:
        code = self.store if store is None else store
        prefix = f"/rest/{code}/V1" if code else "/rest/V1"
        return f"{self.shop.base_url}{prefix}{path}"

    def oauth_headers(
        self, method: str, url: str, *, signature_method: str = SIGNATURE_HMAC_SHA256, **overrides: str
    ) -> dict[str, str]:
        creds = {**self.shop.credentials, **overrides}
        client = Client(
            creds["consumer_key"],
            client_secret=creds["consumer_secret"],
            resource_owner_key=creds["access_token"],
            resource_owner_secret=creds["access_token_secret"],
            signature_method=signature_method,
        )
        _, headers, _ = client.sign(url, http_method=method)
        return dict(headers)

    def call(
        self,
        method: str,
        path: str,
        params: Params = (),
        *,
        json: Any = None,
        auth: str = "oauth",
        token: str | None = None,
        store: str | None = None,
        plus_for_spaces: bool = False,
        signature_method: str = SIGNATURE_HMAC_SHA256,
    ) -> requests.Response:
        url = self.url(path, store=store)
        if params:
            url += "?" + (urlencode(params) if plus_for_spaces else urlencode(params, quote_via=quote))
        headers: dict[str, str] = {}
        if auth == "oauth":
            headers.update(self.oauth_headers(method, url, signature_method=signature_method))
        elif auth == "bearer":
            headers["Authorization"] = f"Bearer {token or self.shop.credentials['access_token']}"
        if json is not None:
            headers["Content-Type"] = "application/json"
        return self.session.request(method, url, headers=headers, json=json, timeout=10)

    def get(self, path: str, params: Params = (), **kwargs: Any) -> requests.Response:
        return self.call("GET", path, params, **kwargs)

    def post(self, path: str, json: Any, **kwargs: Any) -> requests.Response:
        return self.call("POST", path, json=json, **kwargs)

    def put(self, path: str, json: Any, **kwargs: Any) -> requests.Response:
        return self.call("PUT", path, json=json, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.call("DELETE", path, **kwargs)
