"""Reference data of the sandbox shop: what a Shopware install has before its first order.

Currencies (EUR default with Shopware's fixed id, USD, GBP, CHF with 0.05 cash rounding), the order,
transaction, delivery, capture and refund state machines, language, countries, salutations, payment
methods, sales channels, customer groups and a few rules. Ids are derived from names, so every
sandbox has the same reference ids.
"""

from __future__ import annotations

__all__ = [
    "CURRENCIES",
    "STANDARD_GROUP_ID",
    "STATES",
    "STOREFRONT_ID",
    "CurrencyInfo",
    "country_id",
    "group_ids",
    "install_reference_data",
    "payment_method_id",
    "rounding",
    "salutation_id",
    "stable_id",
    "state_id",
]

import hashlib
from dataclasses import dataclass
from typing import Any

from .clock import format_ms
from .pricing import num
from .schema import DEFAULT_CURRENCY_ID, DEFAULT_LANGUAGE_ID, blank_record
from .store import ShopStore

STANDARD_GROUP_ID = "cfbd5018d38d41d8adca10d94fc8bdd6"
"""Shopware's fixed id of the "Standard customer group"."""
STOREFRONT_ID = "98432def39fc4624b33213a56b8c944d"
"""The storefront sales channel (the id Shopware's own fixtures use)."""


def stable_id(*parts: str) -> str:
    """A 32-hex id derived from names: the same on every run and in every sandbox."""
    return hashlib.sha256("/".join(parts).encode("utf-8")).hexdigest()[:32]


def state_id(machine: str, technical_name: str) -> str:
    return stable_id("state", machine, technical_name)


STATES: dict[str, tuple[tuple[str, str], ...]] = {
    "order.state": (
        ("open", "Open"),
        ("in_progress", "In Progress"),
        ("completed", "Done"),
        ("cancelled", "Cancelled"),
    ),
    "order_transaction.state": (
        ("open", "Open"),
        ("in_progress", "In Progress"),
        ("authorized", "Authorized"),
        ("paid", "Paid"),
        ("paid_partially", "Paid (partially)"),
        ("refunded", "Refunded"),
        ("refunded_partially", "Refunded (partially)"),
        ("cancelled", "Cancelled"),
        ("failed", "Failed"),
        ("reminded", "Reminded"),
        ("unconfirmed", "Unconfirmed"),
        ("chargeback", "Chargeback"),
    ),
    "order_delivery.state": (
        ("open", "Open"),
        ("shipped", "Shipped"),
        ("shipped_partially", "Shipped (partially)"),
        ("returned", "Returned"),
        ("returned_partially", "Returned (partially)"),
        ("cancelled", "Cancelled"),
    ),
    "order_transaction_capture.state": (
        ("pending", "Pending"),
        ("completed", "Completed"),
        ("failed", "Failed"),
    ),
    "order_transaction_capture_refund.state": (
        ("open", "Open"),
        ("in_progress", "In progress"),
        ("completed", "Completed"),
        ("failed", "Failed"),
        ("cancelled", "Cancelled"),
    ),
}
"""State machine technical name -> its states (technical name, English name)."""


@dataclass(frozen=True)
class CurrencyInfo:
    iso: str
    name: str
    symbol: str
    factor: float
    total_interval: float
    round_for_net: bool
    position: int

    @property
    def id(self) -> str:
        return DEFAULT_CURRENCY_ID if self.iso == "EUR" else stable_id("currency", self.iso)


CURRENCIES: tuple[CurrencyInfo, ...] = (
    CurrencyInfo("EUR", "Euro", "€", 1.0, 0.01, True, 1),
    CurrencyInfo("USD", "US-Dollar", "$", 1.0873, 0.01, True, 2),
    CurrencyInfo("GBP", "Pound", "£", 0.8563, 0.01, True, 3),
    CurrencyInfo("CHF", "Swiss francs", "Fr", 0.9412, 0.05, False, 4),
)


def rounding(interval: float, round_for_net: bool = True) -> dict[str, Any]:
    """A cash rounding config as Shopware serializes it on currencies and orders."""
    return {
        "extensions": [],
        "decimals": 2,
        "interval": interval,
        "roundForNet": round_for_net,
        "apiAlias": "shopware_core_framework_data_abstraction_layer_pricing_cash_rounding_config",
    }


_COUNTRIES = (
    ("DE", "DEU", "Germany", 1),
    ("AT", "AUT", "Austria", 2),
    ("CH", "CHE", "Switzerland", 3),
    ("NL", "NLD", "Netherlands", 4),
    ("GB", "GBR", "United Kingdom", 5),
    ("US", "USA", "USA", 6),
)
_ADDRESS_FORMAT = [
    ["address/company", "symbol/dash", "address/department"],
    ["address/first_name", "address/last_name"],
    ["address/street"],
    ["address/zipcode", "address/city"],
    ["address/country"],
]
_PAYMENT_METHODS = (
    ("invoice", "Invoice", "Shopware\\Core\\Checkout\\Payment\\Cart\\PaymentHandler\\InvoicePayment", 1),
    (
        "prepayment",
        "Paid in advance",
        "Shopware\\Core\\Checkout\\Payment\\Cart\\PaymentHandler\\PrePayment",
        2,
    ),
    ("debit", "Direct Debit", "Shopware\\Core\\Checkout\\Payment\\Cart\\PaymentHandler\\DebitPayment", 3),
    ("cash", "Cash on delivery", "Shopware\\Core\\Checkout\\Payment\\Cart\\PaymentHandler\\CashPayment", 4),
)
_GROUPS = (
    (STANDARD_GROUP_ID, "Standard customer group", True),
    (stable_id("group", "wholesale"), "B2B Wholesale", False),
    (stable_id("group", "reseller"), "Reseller", False),
)


def country_id(iso: str) -> str:
    return stable_id("country", iso)


def payment_method_id(key: str) -> str:
    return stable_id("payment_method", key)


def salutation_id(key: str) -> str:
    return stable_id("salutation", key)


def group_ids() -> tuple[str, ...]:
    return tuple(group[0] for group in _GROUPS)


def _states(store: ShopStore, at: str) -> None:
    for machine, states in STATES.items():
        machine_id = stable_id("state_machine", machine)
        store.insert(
            "state_machine",
            blank_record(
                "state_machine",
                machine_id,
                createdAt=at,
                technicalName=machine,
                name=machine.replace("_", " ").replace(".", " ").title(),
                initialStateId=state_id(machine, states[0][0]),
            ),
        )
        for technical, name in states:
            store.insert(
                "state_machine_state",
                blank_record(
                    "state_machine_state",
                    state_id(machine, technical),
                    createdAt=at,
                    name=name,
                    technicalName=technical,
                    stateMachineId=machine_id,
                ),
            )


def _currencies(store: ShopStore, at: str) -> None:
    for info in CURRENCIES:
        store.insert(
            "currency",
            blank_record(
                "currency",
                info.id,
                createdAt=at,
                isoCode=info.iso,
                factor=num(info.factor),
                symbol=info.symbol,
                shortName=info.iso,
                name=info.name,
                position=info.position,
                isSystemDefault=info.iso == "EUR",
                itemRounding=rounding(0.01, True),
                totalRounding=rounding(info.total_interval, info.round_for_net),
                taxFreeFrom=0,
            ),
        )


def _places(store: ShopStore, at: str) -> None:
    store.insert(
        "language",
        blank_record(
            "language",
            DEFAULT_LANGUAGE_ID,
            createdAt=at,
            localeId=stable_id("locale", "en-GB"),
            translationCodeId=stable_id("locale", "en-GB"),
            name="English",
        ),
    )
    for iso, iso3, name, position in _COUNTRIES:
        tax_free = {"extensions": [], "enabled": False, "currencyId": DEFAULT_CURRENCY_ID, "amount": 0}
        store.insert(
            "country",
            blank_record(
                "country",
                country_id(iso),
                createdAt=at,
                name=name,
                iso=iso,
                position=position,
                active=True,
                shippingAvailable=True,
                iso3=iso3,
                displayStateInRegistration=False,
                forceStateInRegistration=False,
                checkVatIdPattern=False,
                vatIdRequired=False,
                customerTax={
                    **tax_free,
                    "apiAlias": "shopware_core_framework_data_abstraction_layer_tax_free_config",
                },
                companyTax={
                    **tax_free,
                    "apiAlias": "shopware_core_framework_data_abstraction_layer_tax_free_config",
                },
                postalCodeRequired=False,
                checkPostalCodePattern=False,
                checkAdvancedPostalCodePattern=False,
                addressFormat=_ADDRESS_FORMAT,
            ),
        )
    for key, display, letter in (
        ("mr", "Mr.", "Dear Mr."),
        ("mrs", "Mrs.", "Dear Mrs."),
        ("not_specified", "", ""),
    ):
        store.insert(
            "salutation",
            blank_record(
                "salutation",
                salutation_id(key),
                createdAt=at,
                salutationKey=key,
                displayName=display,
                letterName=letter,
            ),
        )


def _payments_and_channels(store: ShopStore, at: str) -> None:
    for key, name, handler, position in _PAYMENT_METHODS:
        short = handler.rsplit("\\", 1)[-1]
        store.insert(
            "payment_method",
            blank_record(
                "payment_method",
                payment_method_id(key),
                createdAt=at,
                handlerIdentifier=handler,
                name=name,
                distinguishableName=name,
                position=position,
                active=True,
                afterOrderEnabled=True,
                formattedHandlerIdentifier="handler_shopware_" + short.lower(),
                shortName=short[0].lower() + short[1:],
                synchronous=True,
                asynchronous=False,
                prepared=False,
                refundable=False,
            ),
        )
    channels = (
        (STOREFRONT_ID, "Office Supplies B2B", "storefront"),
        (stable_id("channel", "api"), "ERP API", "api"),
    )
    for channel_id, name, kind in channels:
        store.insert(
            "sales_channel",
            blank_record(
                "sales_channel",
                channel_id,
                createdAt=at,
                typeId=stable_id("sales_channel_type", kind),
                languageId=DEFAULT_LANGUAGE_ID,
                customerGroupId=STANDARD_GROUP_ID,
                currencyId=DEFAULT_CURRENCY_ID,
                paymentMethodId=payment_method_id("invoice"),
                shippingMethodId=stable_id("shipping_method", "standard"),
                countryId=country_id("DE"),
                navigationCategoryId=stable_id("category", "home"),
                name=name,
                accessKey="SWSC" + stable_id("access", kind)[:22].upper(),
                active=True,
                maintenance=False,
                taxCalculationType="horizontal",
                homeEnabled=True,
            ),
        )


def _groups_and_rules(store: ShopStore, at: str) -> None:
    for group_id, name, display_gross in _GROUPS:
        store.insert(
            "customer_group",
            blank_record(
                "customer_group",
                group_id,
                createdAt=at,
                name=name,
                displayGross=display_gross,
                registrationActive=not display_gross,
                registrationOnlyCompanyRegistration=not display_gross,
            ),
        )
    rules: tuple[tuple[str, int, str, dict[str, Any]], ...] = (
        ("Always valid (Default)", 100, "alwaysValid", {}),
        (
            "Customers from Germany",
            10,
            "customerBillingCountry",
            {"operator": "=", "countryIds": [country_id("DE")]},
        ),
    )
    for name, priority, condition_type, value in rules:
        rule_id = stable_id("rule", name)
        store.insert(
            "rule",
            blank_record(
                "rule", rule_id, createdAt=at, name=name, priority=priority, invalid=False, areas=[]
            ),
        )
        container_id = stable_id("rule_condition", name, "container")
        store.insert(
            "rule_condition",
            blank_record(
                "rule_condition", container_id, createdAt=at, type="orContainer", ruleId=rule_id, position=0
            ),
        )
        store.insert(
            "rule_condition",
            blank_record(
                "rule_condition",
                stable_id("rule_condition", name, condition_type),
                createdAt=at,
                type=condition_type,
                ruleId=rule_id,
                parentId=container_id,
                value=value or None,
                position=0,
            ),
        )


def install_reference_data(store: ShopStore, install_ms: int) -> None:
    """Insert everything an order refers to; ``install_ms`` is the install time of the shop."""
    at = format_ms(install_ms)
    _states(store, at)
    _currencies(store, at)
    _places(store, at)
    _payments_and_channels(store, at)
    _groups_and_rules(store, at)
