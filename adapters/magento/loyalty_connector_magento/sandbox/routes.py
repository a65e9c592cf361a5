"""The REST routes of the sandbox: Magento paths, ACL resources and handlers over :class:`ShopState`.

Every route is served under ``/rest/V1``, ``/rest/all/V1`` and ``/rest/<store code>/V1``; an unknown
store code is Magento's 404 "Request does not match any route.". Each protected route names the ACL
resources of ``webapi.xml``; the ``fields`` parameter trims successful responses.
"""

from __future__ import annotations

__all__ = ["MagentoRoutes", "RouteOptions"]

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from loyalty_connector.sandbox_server import SandboxRequest, SandboxResponse, SandboxServer

from .auth import Authenticator
from .errors import (
    WebapiError,
    entity_not_found,
    input_errors,
    no_route,
    no_such_entity_field,
    required_field,
    type_mismatch,
)
from .fields_filter import apply_fields_filter
from .query import search
from .search_criteria import parse_search_criteria
from .state import ShopState
from .tables import RecordTable

_PREFIX = r"/rest(?:/(?P<store>[^/]+))?/V1"
_ID = r"(?P<id>[^/]+)"
_SALES = ["Magento_Sales::actions_view"]
_MEMOS = ["Magento_Sales::sales_creditmemo"]
_CUSTOMERS = ["Magento_Customer::customer"]
_GROUPS = ["Magento_Customer::group"]
_CATALOG = ["Magento_Catalog::catalog"]
_RULES = ["Magento_SalesRule::quote"]
_STORES = ["Magento_Backend::store"]

Handler = Callable[[SandboxRequest], Any]


@dataclass(frozen=True)
class RouteOptions:
    store_codes: tuple[str, ...]
    page_size_cap: int | None
    default_page_size: int
    past_end: str


def _int(value: str) -> int:
    if not value.lstrip("-").isdigit():
        raise type_mismatch(value, "int")
    return int(value)


def _body(request: SandboxRequest, key: str | None = None) -> Any:
    try:
        body = request.json()
    except (ValueError, UnicodeDecodeError) as exc:
        raise WebapiError.of(400, "Decoding error.") from exc
    if key is None:
        return body
    if not isinstance(body, dict) or body.get(key) is None:
        raise input_errors([required_field(key)])
    return body[key]


class MagentoRoutes:
    """Registers every route on ``server``; ``report_id`` names masked 500 errors."""

    def __init__(
        self,
        server: SandboxServer,
        state: ShopState,
        auth: Authenticator,
        options: RouteOptions,
        report_id: Callable[[], str],
    ) -> None:
        self._server = server
        self._state = state
        self._auth = auth
        self._options = options
        self._report_id = report_id
        self._stores = {"all", *options.store_codes}
        self._register()

    def _add(
        self, method: str, path: str, resources: list[str] | None, handler: Handler, status: int = 200
    ) -> None:
        def serve(request: SandboxRequest) -> SandboxResponse:
            store = request.params.get("store")
            try:
                if store is not None and store not in self._stores:
                    raise no_route()
                if resources is not None:
                    self._auth.authorize(request, resources)
                body = handler(request)
            except WebapiError as error:
                return SandboxResponse(error.status, error.body)
            fields = request.query_dict().get("fields")
            if fields is not None:
                body = apply_fields_filter(body, fields)
            return SandboxResponse(status, body)

        self._server.route(method, _PREFIX + path, serve)

    def _search(self, table: RecordTable[Any]) -> Handler:
        def handler(request: SandboxRequest) -> dict[str, Any]:
            criteria = parse_search_criteria(request.query)
            result = search(
                table,
                criteria,
                past_end=self._options.past_end,
                page_size_cap=self._options.page_size_cap,
                default_page_size=self._options.default_page_size,
                report_id=self._report_id,
            )
            return {
                "items": [table.render(record) for record in result.records],
                "search_criteria": criteria.echo(),
                "total_count": result.total_count,
            }

        return handler

    def _register(self) -> None:
        s = self._state
        add = self._add
        add("POST", r"/integration/admin/token", None, lambda r: self._auth.issue_admin_token(_body(r)))
        add("GET", r"/customers/search", _CUSTOMERS, self._search(s.customers))
        add("GET", rf"/customers/{_ID}", _CUSTOMERS, self._customer)
        add("PUT", rf"/customers/{_ID}", ["Magento_Customer::manage"], self._put_customer)
        add("GET", r"/customerGroups/search", _GROUPS, self._search(s.groups))
        add("GET", r"/customerGroups/default", _GROUPS, lambda r: s.groups.records[1])
        add("GET", rf"/customerGroups/{_ID}", _GROUPS, self._group)
        add(
            "PUT",
            rf"/customerGroups/{_ID}",
            _GROUPS,
            lambda r: s.update_group(_int(r.params["id"]), _body(r, "group")),
        )
        add("POST", r"/customerGroups", _GROUPS, lambda r: s.create_group(_body(r, "group")))
        add("GET", r"/orders", _SALES, self._search(s.orders))
        add("GET", rf"/orders/{_ID}", _SALES, self._order)
        add("GET", r"/creditmemos", _MEMOS, self._search(s.creditmemos))
        add("GET", rf"/creditmemo/{_ID}", _MEMOS, self._creditmemo)
        add(
            "POST", r"/products/tier-prices-information", _CATALOG, lambda r: s.tier_prices.get(self._skus(r))
        )
        add("POST", r"/products/tier-prices", _CATALOG, lambda r: self._write_prices(r, s.tier_prices.update))
        add("PUT", r"/products/tier-prices", _CATALOG, lambda r: self._write_prices(r, s.tier_prices.replace))
        add(
            "POST",
            r"/products/tier-prices-delete",
            _CATALOG,
            lambda r: self._write_prices(r, s.tier_prices.delete),
        )
        add("GET", r"/salesRules/search", _RULES, self._search(s.rules))
        add("GET", rf"/salesRules/{_ID}", _RULES, lambda r: s.promotions.rule(_int(r.params["id"])))
        add("POST", r"/salesRules", _RULES, lambda r: s.promotions.create_rule(_body(r, "rule")))
        add("PUT", rf"/salesRules/{_ID}", _RULES, self._put_rule)
        add("DELETE", rf"/salesRules/{_ID}", _RULES, self._delete_rule)
        add("GET", r"/coupons/search", _RULES, self._search(s.coupons))
        add("POST", r"/coupons/generate", _RULES, lambda r: s.promotions.generate(_body(r, "couponSpec")))
        add("GET", rf"/coupons/{_ID}", _RULES, lambda r: s.promotions.coupon(_int(r.params["id"])))
        add("POST", r"/coupons", _RULES, lambda r: s.promotions.create_coupon(_body(r, "coupon")))
        add("DELETE", rf"/coupons/{_ID}", _RULES, self._delete_coupon)
        add("GET", r"/store/websites", _STORES, lambda r: self._websites())
        add("GET", r"/store/storeViews", _STORES, lambda r: self._store_views())
        add("GET", r"/store/storeConfigs", _STORES, lambda r: self._store_configs(r))
        add("GET", r"/directory/currency", None, lambda r: self._currency())

    def _customer(self, request: SandboxRequest) -> dict[str, Any]:
        customer_id = _int(request.params["id"])
        record = self._state.customers.records.get(customer_id)
        if record is None:
            raise no_such_entity_field("customerId", customer_id)
        return record

    def _put_customer(self, request: SandboxRequest) -> dict[str, Any]:
        customer_id = _int(request.params["id"])
        return self._state.replace_customer(customer_id, _body(request, "customer"))

    def _group(self, request: SandboxRequest) -> dict[str, Any]:
        group_id = _int(request.params["id"])
        group = self._state.groups.records.get(group_id)
        if group is None:
            raise no_such_entity_field("id", group_id)
        return group

    def _order(self, request: SandboxRequest) -> dict[str, Any]:
        row = self._state.orders.records.get(_int(request.params["id"]))
        if row is None:
            raise entity_not_found()
        return self._state.orders.render(row)

    def _creditmemo(self, request: SandboxRequest) -> dict[str, Any]:
        memo = self._state.creditmemos.records.get(_int(request.params["id"]))
        if memo is None:
            raise entity_not_found()
        return memo

    @staticmethod
    def _skus(request: SandboxRequest) -> list[Any]:
        skus = _body(request, "skus")
        return list(skus) if isinstance(skus, list) else [skus]

    @staticmethod
    def _write_prices(
        request: SandboxRequest, operation: Callable[[list[dict[str, Any]]], list[Any]]
    ) -> list[Any]:
        prices = _body(request, "prices")
        if not isinstance(prices, list):
            raise input_errors([required_field("prices")])
        return operation([price if isinstance(price, dict) else {} for price in prices])

    def _put_rule(self, request: SandboxRequest) -> dict[str, Any]:
        return self._state.promotions.update_rule(_int(request.params["id"]), _body(request, "rule"))

    def _delete_rule(self, request: SandboxRequest) -> bool:
        self._state.promotions.delete_rule(_int(request.params["id"]))
        return True

    def _delete_coupon(self, request: SandboxRequest) -> bool:
        self._state.promotions.delete_coupon(_int(request.params["id"]))
        return True

    @staticmethod
    def _websites() -> list[dict[str, Any]]:
        return [
            {"id": 0, "code": "admin", "name": "Admin", "default_group_id": 0},
            {"id": 1, "code": "base", "name": "Main Website", "default_group_id": 1},
        ]

    def _store_views(self) -> list[dict[str, Any]]:
        views = [
            {"id": 0, "code": "admin", "name": "Admin", "website_id": 0, "store_group_id": 0, "is_active": 1}
        ]
        for number, code in enumerate(self._options.store_codes, start=1):
            name = "Default Store View" if code == "default" else code.replace("_", " ").title()
            views.append(
                {
                    "id": number,
                    "code": code,
                    "name": name,
                    "website_id": 1,
                    "store_group_id": 1,
                    "is_active": 1,
                }
            )
        return views

    def _store_configs(self, request: SandboxRequest) -> list[dict[str, Any]]:
        base = f"http://{request.header('host') or '127.0.0.1'}/"
        return [
            {
                "id": number,
                "code": code,
                "website_id": 1,
                "locale": "de_DE",
                "base_currency_code": "EUR",
                "default_display_currency_code": "EUR",
                "timezone": "Europe/Berlin",
                "weight_unit": "kgs",
                "base_url": base,
                "base_link_url": base,
                "base_static_url": f"{base}static/",
                "base_media_url": f"{base}media/",
                "secure_base_url": base,
                "secure_base_link_url": base,
                "secure_base_static_url": f"{base}static/",
                "secure_base_media_url": f"{base}media/",
            }
            for number, code in enumerate(self._options.store_codes, start=1)
        ]

    @staticmethod
    def _currency() -> dict[str, Any]:
        return {
            "base_currency_code": "EUR",
            "base_currency_symbol": "€",
            "default_display_currency_code": "EUR",
            "default_display_currency_symbol": "€",
            "available_currency_codes": ["EUR", "USD", "GBP"],
            "exchange_rates": [
                {"currency_to": "EUR", "rate": 1},
                {"currency_to": "USD", "rate": float(Decimal("1.0850"))},
                {"currency_to": "GBP", "rate": float(Decimal("0.8600"))},
            ],
        }
