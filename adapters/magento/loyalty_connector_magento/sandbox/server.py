"""``MagentoSandbox``: a Magento 2.4 admin REST API on 127.0.0.1 for tests, the demo and benchmarks.

Built on the core's :class:`~loyalty_connector.sandbox_server.SandboxServer` (threaded HTTP, fault
injection, request log). Usage::

    with MagentoSandbox(seed=7, customers=300, orders=3000) as shop:
        shop.base_url, shop.credentials            # where and how to connect
        shop.touch("orders", 42, status="closed")  # change a record; updated_at moves to a new now()
        shop.faults.fail_next("503")               # the next request gets Magento-looking 503

Injected faults look like what sits in front of a real shop: 429 is Magento's rate-limiter body,
500 the production-mode masked error, 502/504 an nginx HTML page, 503 the maintenance page; 429 and
503 carry ``Retry-After`` when the fault plan has one.
"""

from __future__ import annotations

__all__ = ["MagentoSandbox"]

import itertools
import logging
import random
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from loyalty_connector.sandbox_server import SandboxRequest, SandboxResponse, SandboxServer

from .auth import Authenticator, make_credentials
from .catalog import Product
from .errors import masked_internal_error, no_route
from .routes import MagentoRoutes, RouteOptions
from .state import ShopState
from .tables import TableView

logger = logging.getLogger(__name__)

_AUTH_MODES = ("oauth", "bearer", "admin_token")
_MODE_CREDENTIALS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "oauth": (
        ("consumer_key", "MAGENTO_CONSUMER_KEY", "consumer_key"),
        ("consumer_secret", "MAGENTO_CONSUMER_SECRET", "consumer_secret"),
        ("access_token", "MAGENTO_ACCESS_TOKEN", "access_token"),
        ("access_token_secret", "MAGENTO_ACCESS_TOKEN_SECRET", "access_token_secret"),
    ),
    "bearer": (("access_token", "MAGENTO_ACCESS_TOKEN", "access_token"),),
    "admin_token": (
        ("username", "MAGENTO_ADMIN_USERNAME", "admin_username"),
        ("password", "MAGENTO_ADMIN_PASSWORD", "admin_password"),
    ),
}
"""Per auth mode: (credential name in the programme source, env var, key of :attr:`credentials`)."""
_GATEWAY_PAGE = (
    "<html>\r\n<head><title>{code} {reason}</title></head>\r\n<body>\r\n"
    "<center><h1>{code} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)
_MAINTENANCE_PAGE = (
    "<!doctype html>\n<html><head><title>Error 503: Service Unavailable</title></head><body>"
    "<h1>Service Temporarily Unavailable</h1><p>The server is temporarily unable to service your request "
    "due to maintenance downtime or capacity problems. Please try again later.</p></body></html>\n"
)


class MagentoSandbox(SandboxServer):
    """A seeded B2B office-supplies shop behind Magento's admin REST API (see the module docstring)."""

    name = "magento"

    def __init__(
        self,
        *,
        seed: int = 7,
        customers: int = 300,
        orders: int = 3000,
        port: int = 0,
        host: str = "127.0.0.1",
        store_codes: Sequence[str] = ("default",),
        auth_mode: str = "oauth",
        bearer_tokens_enabled: bool = True,
        two_factor_auth: bool = False,
        page_size_cap: int | None = None,
        default_page_size: int = 20,
        past_end: str = "empty",
        price_scope_website: bool = False,
    ) -> None:
        """``page_size_cap`` turns on Web API input limits (then an omitted pageSize means
        ``default_page_size``); ``past_end`` is ``"empty"`` (2.4) or ``"clamp"`` (2.3);
        ``price_scope_website`` allows tier prices for website 1 as well as 0."""
        if auth_mode not in _AUTH_MODES:
            raise ValueError(f"auth_mode must be one of {_AUTH_MODES}")
        if past_end not in ("empty", "clamp"):
            raise ValueError('past_end must be "empty" or "clamp"')
        super().__init__(host=host, port=port)
        self.seed = seed
        self.auth_mode = auth_mode
        self.state = ShopState(
            seed=seed, customers=customers, orders=orders, price_scope_website=price_scope_website
        )
        self.auth = Authenticator(
            make_credentials(random.Random(f"magento-credentials-{seed}")),
            bearer_tokens_enabled=bearer_tokens_enabled,
            two_factor_auth=two_factor_auth,
            clock=self.state.clock.now_seconds,
            rng=random.Random(seed * 104729 + 3),
        )
        self._reports = itertools.count(1)
        options = RouteOptions(tuple(store_codes), page_size_cap, default_page_size, past_end)
        MagentoRoutes(self, self.state, self.auth, options, self._report_id)

    def _report_id(self) -> str:
        return f"webapi-{self.seed % 4096:03x}{next(self._reports):010x}"

    # -- what a client needs --------------------------------------------------------------------

    @property
    def credentials(self) -> dict[str, str]:
        """consumer_key, consumer_secret, access_token, access_token_secret and the admin user."""
        return self.auth.credentials.as_dict()

    def describe(self) -> dict[str, Any]:
        """``base_url``, credentials, a ready programme ``source`` (env var names only) and ``env``."""
        entries = _MODE_CREDENTIALS[self.auth_mode]
        values = self.credentials
        return {
            "base_url": self.base_url,
            "credentials": values,
            "source": {
                "adapter": "magento",
                "base_url": self.base_url,
                "settings": {"store_code": "all", "auth": self.auth_mode},
                "credentials": {name: env for name, env, _ in entries},
            },
            "env": {env: values[key] for _, env, key in entries},
        }

    # -- shop state for tests -------------------------------------------------------------------

    def now(self) -> datetime:
        """The sandbox clock (aware UTC); it moves one second per mutation."""
        return self.state.clock.now()

    @property
    def orders(self) -> TableView:
        """Order id -> the order as ``GET /V1/orders/{id}`` renders it (read-only)."""
        return TableView(self.state.orders)

    @property
    def customers(self) -> dict[int, dict[str, Any]]:
        """Customer id -> customer record (live; change records through :meth:`touch`)."""
        return self.state.customers.records

    @property
    def creditmemos(self) -> dict[int, dict[str, Any]]:
        return self.state.creditmemos.records

    @property
    def groups(self) -> dict[int, dict[str, Any]]:
        return self.state.groups.records

    @property
    def sales_rules(self) -> dict[int, dict[str, Any]]:
        return self.state.rules.records

    @property
    def coupons(self) -> dict[int, dict[str, Any]]:
        return self.state.coupons.records

    @property
    def tier_prices(self) -> list[dict[str, Any]]:
        """Every tier price row as ``tier-prices-information`` returns it."""
        with self.lock:
            return [self.state.tier_prices.render(row) for row in self.state.tier_prices.rows]

    @property
    def catalogue(self) -> dict[str, Product]:
        """SKU -> product (id, name, base price, type, configurable parent/children)."""
        return self.state.catalogue

    def touch(self, kind: str, entity_id: Any, **changes: Any) -> dict[str, Any]:
        """Change fields of an order, customer or credit memo (``"refunds"`` = credit memos) and move its
        ``updated_at`` to a new ``now()`` (or to an explicit ``updated_at=`` text); returns the record."""
        with self.lock:
            return self.state.touch(kind, entity_id, changes)

    def add_customer(self, **fields: Any) -> dict[str, Any]:
        """Register a customer; ``company=`` (and ``country_id=``) create a default billing address."""
        with self.lock:
            return self.state.add_customer(fields)

    def add_order(
        self, customer_id: int | None, lines: Sequence[Mapping[str, Any]] | None = None, **options: Any
    ) -> dict[str, Any]:
        """Place an order. ``lines``: ``{"sku", "qty", "price"?}`` (a configurable child SKU or parent
        SKU gives a parent + child line). ``options``: ``state`` (new/processing/complete/canceled/
        holded, default complete), ``status``, ``order_currency_code``, ``base_to_order_rate``,
        ``coupon_code``, ``applied_rule_ids``, ``discount_percent``, ``tax_percent``, ``payment_method``;
        for guests ``email``, ``firstname``, ``lastname``."""
        with self.lock:
            return self.state.add_order(customer_id, list(lines or []), options)

    def add_creditmemo(
        self,
        order_id: int,
        items: Sequence[Mapping[str, Any]] | None = None,
        *,
        adjustment_positive: Decimal | str | int = 0,
        adjustment_negative: Decimal | str | int = 0,
        refund_shipping: bool | None = None,
    ) -> dict[str, Any]:
        """Refund ``items`` (``{"order_item_id" | "sku", "qty"}``) of an order, or everything still
        refundable (shipping included) when ``items`` is None; updates and restamps the order."""
        with self.lock:
            return self.state.add_creditmemo(
                order_id,
                items,
                adjustment_positive=Decimal(str(adjustment_positive)),
                adjustment_negative=Decimal(str(adjustment_negative)),
                refund_shipping=refund_shipping,
            )

    def deny_resource(self, resource: str) -> None:
        """Remove an ACL resource (and its children) from the integration's and admin's role."""
        self.auth.denied.add(resource)

    def allow_resource(self, resource: str) -> None:
        self.auth.denied.discard(resource)

    def expire_admin_tokens(self) -> None:
        """Invalidate every admin token issued so far (as if their 4 hours had passed)."""
        self.auth.expire_admin_tokens()

    # -- kit hooks ------------------------------------------------------------------------------

    def not_found(self, request: SandboxRequest) -> SandboxResponse:
        error = no_route()
        return SandboxResponse(error.status, error.body)

    def dispatch(self, request: SandboxRequest) -> SandboxResponse:
        response = super().dispatch(request)
        if response.status == 405:
            return self.not_found(request)
        return response

    def fault_response(self, kind: str) -> SandboxResponse:
        headers: dict[str, str] = {}
        if kind in ("429", "503") and self.faults.retry_after is not None:
            headers["Retry-After"] = self.faults.retry_after
        if kind == "429":
            return SandboxResponse(429, {"message": "Too Many Requests", "trace": None}, headers)
        if kind == "500":
            error = masked_internal_error(self._report_id())
            return SandboxResponse(500, error.body, headers)
        if kind == "503":
            return SandboxResponse(
                503, _MAINTENANCE_PAGE.encode(), headers, content_type="text/html; charset=UTF-8"
            )
        reason = {"502": "Bad Gateway", "504": "Gateway Time-out"}.get(kind, "Error")
        page = _GATEWAY_PAGE.format(code=kind, reason=reason).encode()
        return SandboxResponse(int(kind), page, headers, content_type="text/html")

    def __enter__(self) -> MagentoSandbox:
        self.start()
        return self
