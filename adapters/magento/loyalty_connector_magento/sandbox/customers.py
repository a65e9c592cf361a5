"""Customer records: searchable columns and ``PUT /V1/customers/{id}`` replace semantics.

``CustomerRepository::save`` builds a new model from the sent object, so fields the client leaves
out (``dob``, ``taxvat``, ``gender``, ``middlename`` ...) are gone afterwards — clients must send
the full object they read. Kept from the stored customer: ``created_at``, ``group_id`` when omitted
(2.4's ``setCustomerGroupId``), ``store_id``/``website_id``, the addresses when ``addresses`` is
omitted, and the newsletter flag when ``extension_attributes.is_subscribed`` is omitted.
"""

from __future__ import annotations

__all__ = [
    "CUSTOMER_COLUMNS",
    "address_from_dict",
    "customer_value",
    "replace_customer",
]

from collections.abc import Callable
from typing import Any

from .errors import WebapiError, input_errors, required_field
from .orders import Address

_ORDER = (
    "id",
    "group_id",
    "default_billing",
    "default_shipping",
    "confirmation",
    "created_at",
    "updated_at",
    "created_in",
    "dob",
    "email",
    "firstname",
    "lastname",
    "middlename",
    "prefix",
    "suffix",
    "gender",
    "store_id",
    "taxvat",
    "website_id",
    "addresses",
    "disable_auto_group_change",
    "extension_attributes",
    "custom_attributes",
)
_INTS = {"group_id", "gender", "store_id", "website_id", "disable_auto_group_change"}
_ADDRESS_ORDER = (
    "id",
    "customer_id",
    "region",
    "region_id",
    "country_id",
    "street",
    "company",
    "telephone",
    "fax",
    "postcode",
    "city",
    "firstname",
    "lastname",
    "middlename",
    "prefix",
    "suffix",
    "vat_id",
    "default_shipping",
    "default_billing",
    "extension_attributes",
    "custom_attributes",
)
_BILLING = {
    "billing_postcode": "postcode",
    "billing_city": "city",
    "billing_telephone": "telephone",
    "billing_region": "region",
    "billing_country_id": "country_id",
    "billing_company": "company",
    "billing_vat_id": "vat_id",
    "billing_firstname": "firstname",
    "billing_lastname": "lastname",
}

CUSTOMER_COLUMNS = frozenset(
    {
        "entity_id",
        "group_id",
        "created_at",
        "updated_at",
        "created_in",
        "dob",
        "email",
        "firstname",
        "lastname",
        "middlename",
        "prefix",
        "suffix",
        "gender",
        "store_id",
        "taxvat",
        "website_id",
        "default_billing",
        "default_shipping",
        "disable_auto_group_change",
        "confirmation",
    }
    | set(_BILLING)
)
"""Attributes the customer search accepts (``id`` is an alias of ``entity_id``)."""

_EMAIL_TAKEN = "A customer with the same email address already exists in an associated website."


def _billing_address(record: dict[str, Any]) -> dict[str, Any] | None:
    wanted = record.get("default_billing")
    for address in record.get("addresses") or ():
        if str(address.get("id")) == wanted:
            return dict(address)
    return None


def customer_value(record: dict[str, Any], column: str) -> Any:
    """A column for searching (``entity_id`` is ``id``; ``billing_*`` read the default billing address)."""
    if column == "entity_id":
        return record["id"]
    if column in _BILLING:
        address = _billing_address(record)
        if address is None:
            return None
        value = address.get(_BILLING[column])
        if isinstance(value, dict):
            return value.get("region")
        if isinstance(value, list):
            return "\n".join(str(line) for line in value)
        return value
    value = record.get(column)
    return None if isinstance(value, (list, dict)) else value


def address_from_dict(address: dict[str, Any] | None) -> Address | None:
    """An order-address snapshot of a customer address dict."""
    if not address:
        return None
    raw_region = address.get("region")
    region: dict[str, Any] = raw_region if isinstance(raw_region, dict) else {}
    return Address(
        firstname=str(address.get("firstname", "")),
        lastname=str(address.get("lastname", "")),
        company=address.get("company"),
        street=tuple(str(line) for line in address.get("street") or ()),
        city=str(address.get("city", "")),
        postcode=str(address.get("postcode", "")),
        country_id=str(address.get("country_id", "")),
        region=region.get("region"),
        region_code=region.get("region_code"),
        region_id=int(address.get("region_id") or region.get("region_id") or 0),
        telephone=str(address.get("telephone", "")),
        vat_id=address.get("vat_id"),
    )


def billing_snapshot(record: dict[str, Any]) -> Address | None:
    return address_from_dict(_billing_address(record))


def _ordered(data: dict[str, Any], order: tuple[str, ...]) -> dict[str, Any]:
    out = {key: data[key] for key in order if data.get(key) is not None}
    out.update({key: value for key, value in data.items() if key not in out and value is not None})
    return out


def _addresses(
    sent: list[Any], customer_id: int, own_ids: set[int], new_id: Callable[[], int]
) -> tuple[list[dict[str, Any]], str | None, str | None]:
    addresses = []
    billing = shipping = None
    for raw in sent:
        if not isinstance(raw, dict):
            continue
        address = dict(raw)
        address_id = str(address.get("id"))
        address["id"] = int(address_id) if address_id.isdigit() and int(address_id) in own_ids else new_id()
        address["customer_id"] = customer_id
        is_billing, is_shipping = (
            bool(address.pop("default_billing", False)),
            bool(address.pop("default_shipping", False)),
        )
        if is_shipping:
            address["default_shipping"] = True
            shipping = str(address["id"])
        if is_billing:
            address["default_billing"] = True
            billing = str(address["id"])
        addresses.append(_ordered(address, _ADDRESS_ORDER))
    return addresses, billing, shipping


def replace_customer(
    current: dict[str, Any],
    sent: Any,
    *,
    others: list[dict[str, Any]],
    stamp: Callable[[], str],
    new_address_id: Callable[[], int],
) -> dict[str, Any]:
    """The customer after ``PUT /V1/customers/{id}`` with body ``{"customer": sent}``."""
    if not isinstance(sent, dict):
        raise input_errors([required_field("customer")])
    errors = [required_field(name) for name in ("email", "firstname", "lastname") if not sent.get(name)]
    if errors:
        raise input_errors(errors)
    folded = str(sent["email"]).casefold()
    if any(other["email"].casefold() == folded for other in others if other["id"] != current["id"]):
        raise WebapiError.of(400, _EMAIL_TAKEN)
    customer_id = current["id"]
    record: dict[str, Any] = {key: value for key, value in sent.items() if value is not None}
    record["id"] = customer_id
    for key in _INTS & record.keys():
        record[key] = int(record[key])
    record.setdefault("group_id", current["group_id"])
    for key in ("store_id", "website_id", "created_in"):
        if key in current:
            record.setdefault(key, current[key])
    record["created_at"] = current["created_at"]
    record.setdefault("disable_auto_group_change", 0)
    if isinstance(sent.get("addresses"), list):
        own_ids = {int(a["id"]) for a in current.get("addresses") or ()}
        addresses, billing, shipping = _addresses(sent["addresses"], customer_id, own_ids, new_address_id)
        record["addresses"] = addresses
        ids = {str(a["id"]) for a in addresses}
        billing = billing or (
            str(sent["default_billing"]) if str(sent.get("default_billing")) in ids else None
        )
        shipping = shipping or (
            str(sent["default_shipping"]) if str(sent.get("default_shipping")) in ids else None
        )
    else:
        record["addresses"] = current.get("addresses") or []
        billing, shipping = current.get("default_billing"), current.get("default_shipping")
    record["default_billing"], record["default_shipping"] = billing, shipping
    extension = dict(record.get("extension_attributes") or {})
    previous = (current.get("extension_attributes") or {}).get("is_subscribed", False)
    extension["is_subscribed"] = bool(extension.get("is_subscribed", previous))
    record["extension_attributes"] = extension
    record["updated_at"] = stamp()
    return _ordered(record, _ORDER)
