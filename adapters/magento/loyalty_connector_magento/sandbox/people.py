"""Seeded B2B customers: buyers at companies, with VAT ids, addresses and e-mail look-alikes.

Each customer record has exactly the shape of ``GET /V1/customers/{id}`` (``default_billing`` as a
string, ``dob`` as ``YYYY-MM-DD``, absent fields rather than nulls). A few customers get a "twin"
account whose e-mail differs from theirs by a ``+tag`` or by dots in a Gmail address; e-mail
addresses that differ only in letter case cannot both be customers on one website (MySQL's
case-insensitive unique key), so that look-alike appears on guest orders instead (see ``data``).
"""

from __future__ import annotations

__all__ = ["CustomerPlan", "build_address", "customer_address_dict", "make_customers", "pick_country"]

import random
import unicodedata
from dataclasses import dataclass
from typing import Any

from .catalog import COUNTRIES, REGION_CODES, WEBSITE_ID, Country
from .clock import format_ts
from .orders import Address
from .weighted import Weighted

_WORDS = (
    "Nordlicht",
    "Rheinblick",
    "Alpenland",
    "Hanse",
    "Delta",
    "Atlas",
    "Meridian",
    "Polaris",
    "Kestrel",
    "Blue Harbour",
    "Lindenhof",
    "Greenfield",
    "Brightway",
    "Sonnenberg",
    "Elbe",
    "Westpark",
    "Oakridge",
)
_TRADES = {
    "DE": ("Büroservice", "Steuerberatung", "Architekten", "Logistik", "Immobilien", "Kanzlei"),
    "AT": ("Büroservice", "Steuerberatung", "Bau", "Handel"),
    "NL": ("Kantoorservice", "Advies", "Logistiek", "Bouw"),
    "FR": ("Conseil", "Services", "Logistique", "Architecture"),
}
_DEFAULT_TRADES = ("Consulting", "Solutions", "Print", "Logistics", "Design")
_FREEMAIL = ("gmail.com", "outlook.com", "gmx.de", "web.de", "yahoo.com")
_TLD = {"DE": "de", "AT": "at", "NL": "nl", "FR": "fr", "GB": "co.uk", "US": "com"}
_TAGS = ("orders", "einkauf", "shop", "invoices", "office")


@dataclass
class CustomerPlan:
    """A generated customer plus what drives its orders: how often it buys and until when."""

    record: dict[str, Any]
    country: Country
    address: Address | None
    address_id: int | None
    created: int
    active_until: int
    weight: float


def _ascii(text: str) -> str:
    text = text.replace("ß", "ss").replace("ä", "ae").replace("ö", "oe").replace("ü", "ue")
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch.isalnum() or ch == " ").strip()


_COUNTRY = Weighted([country for country, _ in COUNTRIES], [weight for _, weight in COUNTRIES])
_GROUP = Weighted((1, 2, 3), (45, 35, 20))


def pick_country(rng: random.Random) -> Country:
    """A country, weighted by how many of the shop's buyers sit there."""
    return _COUNTRY.pick(rng)


def _vat_id(rng: random.Random, country: Country) -> str | None:
    if not country.vat_digits:
        return None
    digits = f"{rng.randrange(10**country.vat_digits):0{country.vat_digits}d}"
    return f"{country.vat_prefix}{digits}B01" if country.code == "NL" else f"{country.vat_prefix}{digits}"


def _postcode(rng: random.Random, country: Country, prefix: str) -> str:
    if country.code == "US":
        return prefix
    if country.code == "GB":
        letters = "ABDEFGHJLNPQRSTUWXYZ"
        return f"{prefix} {rng.randrange(1, 10)}{rng.choice(letters)}{rng.choice(letters)}"
    if country.code == "NL":
        letters = "ABCDEGHJKLMNPRSTVWXZ"
        return f"{prefix}{rng.randrange(10, 100)} {rng.choice(letters)}{rng.choice(letters)}"
    width = 4 if country.code == "AT" else 5
    digits = width - len(prefix)
    return f"{prefix}{rng.randrange(10**digits):0{digits}d}" if digits > 0 else prefix


def build_address(
    rng: random.Random,
    country: Country,
    firstname: str,
    lastname: str,
    company: str | None,
    vat_id: str | None,
) -> Address:
    city, prefix, region, region_id = rng.choice(country.cities)
    street = f"{rng.choice(country.streets)} {rng.randrange(1, 180)}"
    if country.code in ("GB", "US", "FR"):
        street = f"{rng.randrange(1, 180)} {rng.choice(country.streets)}"
    phone = f"{country.phone_prefix}{rng.randrange(10**9):09d}"
    return Address(
        firstname=firstname,
        lastname=lastname,
        company=company,
        street=(street,),
        city=city,
        postcode=_postcode(rng, country, prefix),
        country_id=country.code,
        region=region,
        region_code=REGION_CODES.get(region_id) if region_id else region,
        region_id=region_id,
        telephone=phone,
        vat_id=vat_id,
    )


def customer_address_dict(
    address: Address, address_id: int, customer_id: int, *, default: bool
) -> dict[str, Any]:
    """A customer address as ``GET /V1/customers/{id}`` lists it."""
    result: dict[str, Any] = {
        "id": address_id,
        "customer_id": customer_id,
        "region": {
            "region_code": address.region_code,
            "region": address.region,
            "region_id": address.region_id,
        },
        "region_id": address.region_id,
        "country_id": address.country_id,
        "street": list(address.street),
    }
    if address.company:
        result["company"] = address.company
    result.update(
        {
            "telephone": address.telephone,
            "postcode": address.postcode,
            "city": address.city,
            "firstname": address.firstname,
            "lastname": address.lastname,
        }
    )
    if address.vat_id:
        result["vat_id"] = address.vat_id
    if default:
        result["default_shipping"] = True
        result["default_billing"] = True
    return result


def _company(rng: random.Random, country: Country, lastname: str) -> str:
    legal = rng.choice(country.legal_forms)
    if rng.random() < 0.4:
        return f"{lastname} {legal}"
    trades = _TRADES.get(country.code, _DEFAULT_TRADES)
    return f"{rng.choice(_WORDS)} {rng.choice(trades)} {legal}"


def _email(rng: random.Random, country: Country, first: str, last: str, company: str, taken: set[str]) -> str:
    first_a, last_a = _ascii(first).replace(" ", ""), _ascii(last).replace(" ", "")
    if rng.random() < 0.15:
        domain = rng.choice(_FREEMAIL)
    else:
        words = _ascii(company).split()
        domain = f"{words[0]}-{words[1]}" if len(words) > 2 and len(words[0]) < 6 else words[0]
        domain = f"{domain}.{_TLD[country.code]}"
    local = rng.choice((f"{first_a}.{last_a}", f"{first_a[0]}.{last_a}", f"{first_a}{last_a}", f"{last_a}"))
    email = f"{local}@{domain}"
    if rng.random() < 0.08:
        email = f"{first.capitalize()}.{last.replace(' ', '')}@{domain.capitalize()}"
    candidate, suffix = email, 2
    while candidate.casefold() in taken:
        name, _, host = email.partition("@")
        candidate = f"{name}{suffix}@{host}"
        suffix += 1
    taken.add(candidate.casefold())
    return candidate


def _twin_email(rng: random.Random, email: str, taken: set[str]) -> str | None:
    """A look-alike of ``email`` that mail servers deliver to the same person (``+tag`` or Gmail dots)."""
    local, _, domain = email.partition("@")
    if domain.lower() == "gmail.com" and "." in local:
        candidate = f"{local.replace('.', '')}@{domain}"
    else:
        candidate = f"{local}+{rng.choice(_TAGS)}@{domain}"
    if candidate.casefold() in taken:
        return None
    taken.add(candidate.casefold())
    return candidate


def make_customers(rng: random.Random, count: int, start: int, end: int) -> list[CustomerPlan]:
    """``count`` customers created between ``start`` and two days before ``end`` (ids ascend with
    ``created_at``); each buys until its ``active_until`` (``end`` unless it churns)."""
    span = end - 2 * 86400 - start
    drafts: list[tuple[int, dict[str, Any], Country, Address | None, float, int]] = []
    taken: set[str] = set()
    while len(drafts) < count:
        country = pick_country(rng)
        first, last = rng.choice(country.first_names), rng.choice(country.last_names)
        company = _company(rng, country, last)
        vat = _vat_id(rng, country) if rng.random() < 0.88 else None
        created = start + int(span * rng.random() ** 0.9)
        record: dict[str, Any] = {"group_id": _GROUP.pick(rng)}
        if rng.random() < 0.6:
            record["dob"] = (
                f"{rng.randrange(1958, 2001)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"
            )
        record["email"] = _email(rng, country, first, last, company, taken)
        record["firstname"], record["lastname"] = first, last
        if rng.random() < 0.4:
            record["gender"] = rng.choice((1, 2))
        if vat:
            record["taxvat"] = vat
        address = build_address(rng, country, first, last, company, vat) if rng.random() < 0.95 else None
        weight = min(rng.paretovariate(1.3), 30.0)
        lifetime = int(rng.expovariate(1 / (2 * 365 * 86400))) if rng.random() < 0.3 else end - start
        drafts.append((created, record, country, address, weight, lifetime))
        if len(drafts) < count and (len(drafts) % 37 == 3 or rng.random() < 0.02):
            twin_email = _twin_email(rng, record["email"], taken)
            if twin_email is not None:
                twin = dict(record, email=twin_email, group_id=rng.choice((1, 2, 3)))
                twin_created = min(created + rng.randrange(86400, 200 * 86400), end - 3600)
                drafts.append((twin_created, twin, country, address, weight / 2, lifetime))
    drafts.sort(key=lambda draft: draft[0])
    plans: list[CustomerPlan] = []
    address_id = 0
    for customer_id, (created, fields, country, address, weight, lifetime) in enumerate(drafts, start=1):
        updated = created if rng.random() < 0.4 else created + int((end - created) * rng.random())
        record = {"id": customer_id, "group_id": fields.pop("group_id")}
        own_address_id = None
        if address is not None:
            address_id += 1
            own_address_id = address_id
            record["default_billing"] = str(address_id)
            record["default_shipping"] = str(address_id)
        record["created_at"] = format_ts(created)
        record["updated_at"] = format_ts(updated)
        record["created_in"] = "Default Store View"
        for key in ("dob", "email", "firstname", "lastname", "gender"):
            if key in fields:
                record[key] = fields[key]
        record["store_id"] = 1
        if "taxvat" in fields:
            record["taxvat"] = fields["taxvat"]
        record["website_id"] = WEBSITE_ID
        record["addresses"] = (
            [customer_address_dict(address, address_id, customer_id, default=True)]
            if address is not None
            else []
        )
        record["disable_auto_group_change"] = 0
        record["extension_attributes"] = {"is_subscribed": rng.random() < 0.3}
        active_until = min(created + lifetime, end)
        plans.append(CustomerPlan(record, country, address, own_address_id, created, active_until, weight))
    return plans
