"""Seeded customers of the sandbox shop: companies, private buyers, guests and near-duplicate accounts.

Three quarters are companies (with VAT ids, in the B2B Wholesale or Reseller group or the standard
one), the rest private buyers and guest accounts. About 3 % registered twice with an email that differs
only in case, a ``+tag`` or dots; a newsletter import stamps many with one ``createdAt`` millisecond;
``updatedAt`` is ``NULL`` for those never changed. A few customers who ordered are deleted afterwards
(:func:`delete_some_customers`): their orders keep only the ``order_customer`` snapshot.
"""

from __future__ import annotations

__all__ = ["delete_some_customers", "guest_snapshot", "seed_customers"]

import bisect
import random
from typing import Any

from .catalogue import (
    STANDARD_GROUP_ID,
    STOREFRONT_ID,
    country_id,
    group_ids,
    payment_method_id,
    salutation_id,
)
from .clock import DAY_MS, END_MS, HOUR_MS, START_MS, format_ms, parse_ms
from .ids import uuid7
from .orders import CustomerSnapshot
from .schema import DEFAULT_LANGUAGE_ID, blank_record
from .store import ShopStore

_FIRST = ("Anna", "Jonas", "Lea", "Lukas", "Marie", "Felix", "Sophie", "Paul", "Emma", "Max", "Laura",
          "Tim", "Julia", "Jan", "Sarah", "Niklas", "Eva", "Tobias", "Nina", "Daniel", "Sanne", "Pieter",
          "Oliver", "Grace")  # fmt: skip
_LAST = ("Schmidt", "Müller", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Hoffmann",
         "Koch", "Richter", "Klein", "Wolf", "Neumann", "Schwarz", "de Vries", "Jansen", "Smith", "Taylor",
         "Brown")  # fmt: skip
_COMPANIES = ("Nordlicht", "Hafenblick", "Elbe", "Alster", "Brücken", "Kontor", "Lindenhof", "Marktplatz",
              "Rheinufer", "Sonnen", "Weser", "Zollhaus", "Am Deich", "Fleet", "Speicher",
              "Lotsen")  # fmt: skip
_TRADES = (
    "Steuerberatung",
    "Architekten",
    "Logistik",
    "Praxis",
    "Immobilien",
    "Software",
    "Druckerei",
    "Kanzlei",
)
_FORMS = ("GmbH", "AG", "KG", "GmbH & Co. KG", "UG", "e.K.")
_MAIL_HOSTS = ("gmail.com", "web.de", "gmx.de", "outlook.com", "t-online.de")
_COUNTRIES = (("DE", 0.70), ("AT", 0.80), ("CH", 0.86), ("NL", 0.92), ("GB", 0.96), ("US", 1.0))


def _slug(text: str) -> str:
    table = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", " ": "-", "&": "", ".": ""})
    return "-".join(part for part in text.lower().translate(table).split("-") if part)


def _country(rng: random.Random) -> str:
    draw = rng.random()
    return next(iso for iso, cumulative in _COUNTRIES if draw < cumulative)


def _email_variant(email: str, rng: random.Random) -> str:
    local, _, host = email.partition("@")
    kind = rng.randrange(3)
    if kind == 0:
        return local.title() + "@" + host.title()
    if kind == 1:
        return f"{local}+{rng.choice(('einkauf', 'orders', 'buchhaltung'))}@{host}"
    return local.replace(".", "") + "@" + host if "." in local else local + ".x@" + host


def seed_customers(
    store: ShopStore, rng: random.Random, count: int
) -> list[tuple[int, CustomerSnapshot, str]]:
    """Insert ``count`` customers; return (createdAt, snapshot, payment key) sorted by creation."""
    created = sorted(rng.randrange(START_MS - 200 * DAY_MS, END_MS - DAY_MS) for _ in range(count))
    for _ in range(max(1, count // 150)):  # a newsletter import stamps many customers in one millisecond
        at = rng.randrange(START_MS, END_MS - 30 * DAY_MS)
        start = bisect.bisect_left(created, at)
        size = rng.randint(5, 25)
        created[start : start + size] = [at] * len(created[start : start + size])
        created.sort()
    groups = group_ids()
    updated_cluster = END_MS - rng.randrange(20, 90) * DAY_MS
    result: list[tuple[int, CustomerSnapshot, str]] = []
    for index, created_ms in enumerate(created):
        auto_increment = store.next_auto_increment("customer")
        customer_id = uuid7(created_ms, rng)
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        draw = rng.random()
        guest = draw > 0.95
        business = draw < 0.75
        country = _country(rng)
        company = f"{rng.choice(_COMPANIES)} {rng.choice(_TRADES)} {rng.choice(_FORMS)}" if business else None
        host = (
            _slug(company.rsplit(" ", 1)[0]) + "." + country.lower() if company else rng.choice(_MAIL_HOSTS)
        )
        email = f"{_slug(first)}.{_slug(last)}@{host}"
        if index > 10 and rng.random() < 0.03:  # the same person registered twice
            _, twin, _ = result[rng.randrange(len(result))]
            first, last, company = twin.first_name, twin.last_name, twin.company
            email = _email_variant(twin.email, rng)
        group = STANDARD_GROUP_ID
        if business:
            group = groups[1] if draw < 0.45 else groups[2] if draw < 0.55 else STANDARD_GROUP_ID
        vat_ids = (
            [f"{country if country != 'GB' else 'GB'}{rng.randrange(10**8, 10**9)}"]
            if business and draw < 0.7
            else None
        )
        salutation = salutation_id(rng.choice(("mr", "mrs", "not_specified")))
        payment = (
            "prepayment" if guest else "invoice" if business else rng.choice(("debit", "prepayment", "cash"))
        )
        updated: int | None = None
        if not guest and rng.random() < 0.6:
            updated = min(END_MS, created_ms + rng.randrange(HOUR_MS, 400 * DAY_MS))
            if rng.random() < 0.05 and created_ms < updated_cluster:
                updated = updated_cluster
        address_id = uuid7(created_ms, rng)
        custom_fields: Any = None
        custom_draw = rng.random()
        if custom_draw < 0.1:
            custom_fields = {"erp_customer_no": f"K-{auto_increment:05d}"}
        elif custom_draw < 0.13:
            custom_fields = []
        number = str(20000 + auto_increment)
        record = blank_record(
            "customer",
            customer_id,
            createdAt=format_ms(created_ms),
            updatedAt=format_ms(updated) if updated is not None else None,
            groupId=group,
            defaultPaymentMethodId=payment_method_id(payment),
            salesChannelId=STOREFRONT_ID,
            languageId=DEFAULT_LANGUAGE_ID,
            defaultBillingAddressId=address_id,
            defaultShippingAddressId=address_id,
            customerNumber=number,
            salutationId=salutation,
            firstName=first,
            lastName=last,
            company=company,
            email=email,
            vatIds=vat_ids,
            active=rng.random() > 0.02,
            doubleOptInRegistration=False,
            guest=guest,
            lastLogin=None
            if guest
            else format_ms(min(END_MS, created_ms + rng.randrange(DAY_MS, 500 * DAY_MS))),
            accountType="business" if business else "private",
            birthday=format_ms(
                parse_ms(f"{rng.randint(1958, 2001)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}") or 0
            )
            if rng.random() < 0.45
            else None,
            orderCount=0,
            orderTotalAmount=0,
            reviewCount=0,
            autoIncrement=auto_increment,
            remoteAddress="::",
            requestedGroupId=groups[1]
            if business and group == STANDARD_GROUP_ID and rng.random() < 0.2
            else None,
            customFields=custom_fields,
        )
        store.insert("customer", record)
        store.insert(
            "customer_address",
            blank_record(
                "customer_address",
                address_id,
                createdAt=format_ms(created_ms),
                customerId=customer_id,
                countryId=country_id(country),
                salutationId=salutation,
                firstName=first,
                lastName=last,
                zipcode=f"{rng.randrange(10000, 99999)}",
                city="Hamburg" if country == "DE" else "Wien" if country == "AT" else "Zürich",
                company=company,
                street=f"Hafenweg {rng.randint(1, 99)}",
            ),
        )
        snapshot = CustomerSnapshot(
            customer_id, email, first, last, company, number, vat_ids, salutation, country
        )
        result.append((created_ms, snapshot, payment))
    return result


def guest_snapshot(rng: random.Random) -> CustomerSnapshot:
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    email = f"{_slug(first)}.{_slug(last)}{rng.randrange(100)}@{rng.choice(_MAIL_HOSTS)}"
    return CustomerSnapshot(None, email, first, last, None, "", None, salutation_id("not_specified"), "DE")


def delete_some_customers(
    store: ShopStore,
    rng: random.Random,
    people: list[tuple[int, CustomerSnapshot, str]],
    stats: dict[str, Any],
) -> None:
    """Delete a few customers who ordered: their orders keep the snapshot, ``customerId`` becomes NULL."""
    snapshots = {snapshot.customer_id: snapshot for _, snapshot, _ in people}
    for customer_id in rng.sample(sorted(stats), k=len(stats) // 60):
        customer = store.remove("customer", customer_id)
        store.remove("customer_address", customer["defaultBillingAddressId"])
        snapshots[customer_id].customer_id = None
        del stats[customer_id]
