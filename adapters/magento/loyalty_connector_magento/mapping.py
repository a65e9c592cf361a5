"""Magento 2.4 REST JSON <-> loyalty-connector domain objects. Pure functions, no I/O.

What Magento's payloads look like (checked against the real samples in ``shared/specs/magento/samples``):

- Timestamps are ``"YYYY-MM-DD HH:MM:SS"`` in UTC with second resolution (``sales_order.updated_at`` and
  ``customer_entity.updated_at`` are UTC ``timestamp`` columns); filters compare against the same text.
- ``null`` fields are omitted, not sent as null (``DataObjectProcessor::buildOutputDataArray``): a guest
  order has no ``customer_id`` key at all and ``customer_is_guest: 1``.
- Configurable and bundle products are a parent line carrying the price plus child lines with
  ``parent_item_id`` and price 0; each ordered product is counted once (its parent line).
- The order's ``discount_amount`` is negative, an item's ``discount_amount`` positive.
- ``default_billing`` is a string id, ids elsewhere are integers.
- Amounts arrive as JSON numbers; the client parses them as ``Decimal`` (``parse_float=Decimal``),
  and floats are converted through ``str`` so that ``36.39`` stays ``36.39``.

Speed: the helpers below check or convert every value a record takes (ids, text, known currencies,
finite amounts, UTC timestamps), so records are built with ``Model.trusted`` and ``Money.rounded``
instead of pydantic validation (an order costs well under half as much); a malformed payload still fails
in the same helper, with the same :class:`~loyalty_connector.errors.MappingError`, as before.
"""

from __future__ import annotations

__all__ = [
    "MAGENTO_TIME_FORMAT",
    "STATE_TO_STATUS",
    "format_timestamp",
    "has_native_reward_points",
    "map_customer",
    "map_group",
    "map_order",
    "map_refund",
    "parse_timestamp",
    "position_of",
]

import math
from collections.abc import Mapping
from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from loyalty_connector.adapter import Cursor
from loyalty_connector.domain import (
    Customer,
    CustomerGroup,
    LineKind,
    Money,
    Order,
    OrderLine,
    OrderStatus,
    Refund,
    RefundLine,
)
from loyalty_connector.errors import MappingError

MAGENTO_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"

STATE_TO_STATUS: dict[str, OrderStatus] = {
    "new": OrderStatus.PENDING,
    "pending_payment": OrderStatus.PENDING,
    "payment_review": OrderStatus.PENDING,
    # On hold: paused before it progressed any further; treat as not yet processing.
    "holded": OrderStatus.PENDING,
    "processing": OrderStatus.PROCESSING,
    "complete": OrderStatus.COMPLETE,
    "closed": OrderStatus.CLOSED,
    "canceled": OrderStatus.CANCELED,
}
"""Magento order *state* (the fixed machine state behind every custom status) -> normalized status."""

_REWARD_PREFIXES = ("reward_", "base_reward_", "rwrd_", "base_rwrd_")
_ZERO = Decimal(0)


# --- scalars -----------------------------------------------------------------------------------------


def parse_timestamp(value: Any, *, field: str, record_id: str | None = None) -> datetime:
    """Read a Magento ``"YYYY-MM-DD HH:MM:SS"`` UTC timestamp (ISO 8601 is accepted too) as aware UTC."""
    if type(value) is str and len(value) == 19 and value[10] == " ":
        # Magento's own format, read as UTC by ``fromisoformat`` (an order of magnitude faster than
        # ``strptime`` + ``replace``): with the offset appended, only a plain naive timestamp parses,
        # to the same moment; anything else takes the general path below.
        try:
            return datetime.fromisoformat(value + "+00:00")
        except ValueError:
            pass
    if not isinstance(value, str) or not value.strip():
        raise MappingError(
            f"{field} is missing or not a timestamp: {value!r}", record_id=record_id, field=field
        )
    text = value.strip()
    try:
        parsed = datetime.strptime(text, MAGENTO_TIME_FORMAT).replace(tzinfo=timezone.utc)
    except ValueError:
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise MappingError(
                f"{field} is not a 'YYYY-MM-DD HH:MM:SS' timestamp: {value!r}",
                record_id=record_id,
                field=field,
            ) from None
        parsed = parsed.replace(tzinfo=timezone.utc) if parsed.tzinfo is None else parsed
    return parsed.astimezone(timezone.utc)


def format_timestamp(moment: datetime, *, round_up: bool = False) -> str:
    """A UTC moment as Magento's filter text. Magento keeps whole seconds: fractions are cut off,
    or rounded up to the next second with ``round_up`` (for exclusive upper bounds)."""
    utc = moment.astimezone(timezone.utc)
    whole = utc.replace(microsecond=0)
    if round_up and utc.microsecond:
        whole = datetime.fromtimestamp(math.floor(whole.timestamp()) + 1, tz=timezone.utc)
    return whole.strftime(MAGENTO_TIME_FORMAT)


def _decimal(value: Any, *, field: str, record_id: str | None, default: Decimal | None = None) -> Decimal:
    kind = type(value)
    if kind is Decimal and value.is_finite():  # what the client's parse_float=Decimal gives
        return value  # type: ignore[no-any-return]
    if kind is int:
        return Decimal(value)
    if value is None:
        if default is not None:
            return default
        raise MappingError(f"{field} is missing", record_id=record_id, field=field)
    if isinstance(value, bool):
        raise MappingError(f"{field} is not a number: {value!r}", record_id=record_id, field=field)
    try:
        number = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise MappingError(f"{field} is not a number: {value!r}", record_id=record_id, field=field) from None
    if not number.is_finite():
        raise MappingError(f"{field} is not a finite number: {value!r}", record_id=record_id, field=field)
    return number


def _money(
    payload: Mapping[str, Any], key: str, currency: str, record_id: str | None, *, required: bool = False
) -> Money:
    amount = payload.get(key)
    if type(amount) is int:  # whole amounts arrive as JSON integers
        amount = Decimal(amount)
    elif type(amount) is not Decimal or not amount.is_finite():
        amount = _decimal(amount, field=key, record_id=record_id, default=None if required else _ZERO)
    try:
        return Money.rounded(amount, currency)
    except ValueError as exc:
        raise MappingError(f"{key}: {exc}", record_id=record_id, field=key) from None


def _currency(payload: Mapping[str, Any], key: str, record_id: str | None) -> str:
    code = payload.get(key)
    if not isinstance(code, str) or not code:
        raise MappingError(f"{key} is missing", record_id=record_id, field=key)
    try:
        Money.zero(code)
    except ValueError as exc:
        raise MappingError(f"{key}: {exc}", record_id=record_id, field=key) from None
    return code.upper()


def _id(value: Any, *, field: str, record_id: str | None = None) -> str:
    if type(value) is int:
        return str(value)
    if isinstance(value, bool) or value is None or value == "":
        raise MappingError(f"{field} is missing", record_id=record_id, field=field)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and value.strip().isdigit():
        return str(int(value))
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return str(int(value))
    raise MappingError(f"{field} is not an integer id: {value!r}", record_id=record_id, field=field)


def _optional_id(value: Any, *, field: str, record_id: str | None) -> str | None:
    return None if value is None or value == "" else _id(value, field=field, record_id=record_id)


def _text(value: Any) -> str | None:
    if type(value) is str:
        return value.strip() or None
    if value is None:
        return None
    text = str(value).strip()
    return text or None


# --- positions ---------------------------------------------------------------------------------------


def position_of(payload: Mapping[str, Any], id_field: str = "entity_id") -> tuple[Cursor, str]:
    """The keyset position ``(updated_at, entity_id)`` of a row and its external id.

    Raises :class:`MappingError` when the row lacks the very fields the query sorted on."""
    raw_id = payload.get(id_field, payload.get("id"))
    external_id = _id(raw_id, field=id_field)
    changed = payload.get("updated_at") or payload.get("created_at")
    changed_at = parse_timestamp(changed, field="updated_at", record_id=external_id)
    return Cursor(changed_at, int(external_id)), external_id


# --- customers & groups ------------------------------------------------------------------------------


def _default_billing(payload: Mapping[str, Any]) -> Mapping[str, Any] | None:
    addresses = payload.get("addresses") or []
    wanted = payload.get("default_billing")
    for address in addresses:
        if isinstance(address, Mapping) and wanted is not None and str(address.get("id")) == str(wanted):
            return address
    for address in addresses:
        if isinstance(address, Mapping) and address.get("default_billing") is True:
            return address
    return None


def _birthday(value: Any, record_id: str) -> date | None:
    if value in (None, ""):
        return None
    text = str(value).strip()[:10]
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise MappingError(f"dob is not a date: {value!r}", record_id=record_id, field="dob") from None


def map_customer(payload: Mapping[str, Any], source: str) -> Customer:
    """A ``CustomerInterface`` payload -> :class:`Customer`. Company and (fallback) VAT id come from
    the default billing address; the payload is kept on ``raw`` for full-object ``PUT`` later."""
    external_id = _id(payload.get("id"), field="id")
    email = _text(payload.get("email"))
    if email is None:
        raise MappingError("email is missing", record_id=external_id, field="email")
    billing = _default_billing(payload) or {}
    # Every value below is checked or converted by the helpers; only ``raw`` (dict[str, Any]) is left
    # to pydantic, so a payload whose keys are all text skips validation.
    build = Customer.trusted if set(map(type, payload)) <= {str} else Customer
    try:
        return build(
            source=source,
            external_id=external_id,
            email=email,
            first_name=_text(payload.get("firstname")),
            last_name=_text(payload.get("lastname")),
            company=_text(billing.get("company")),
            vat_id=_text(payload.get("taxvat")) or _text(billing.get("vat_id")),
            group_id=_optional_id(payload.get("group_id"), field="group_id", record_id=external_id),
            birthday=_birthday(payload.get("dob"), external_id),
            created_at=parse_timestamp(payload.get("created_at"), field="created_at", record_id=external_id),
            updated_at=parse_timestamp(
                payload.get("updated_at") or payload.get("created_at"),
                field="updated_at",
                record_id=external_id,
            ),
            website_id=_optional_id(payload.get("website_id"), field="website_id", record_id=external_id),
            raw=dict(payload),
        )
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        raise MappingError(f"customer {external_id}: {exc}", record_id=external_id) from None


def map_group(payload: Mapping[str, Any], source: str) -> CustomerGroup:
    """A ``GroupInterface`` payload -> :class:`CustomerGroup` (``code`` is also its display name)."""
    external_id = _id(payload.get("id"), field="id")
    code = _text(payload.get("code"))
    if code is None:
        raise MappingError("customer group code is missing", record_id=external_id, field="code")
    return CustomerGroup(source=source, external_id=external_id, code=code, name=code)


# --- orders ------------------------------------------------------------------------------------------


def has_native_reward_points(payload: Mapping[str, Any]) -> bool:
    """True when the order carries Adobe Commerce reward-points fields (``reward_*`` at the top level or
    in ``extension_attributes``, e.g. ``reward_points_balance``): the shop runs its own points on it."""
    extension = payload.get("extension_attributes")
    places = [payload, extension] if isinstance(extension, Mapping) else [payload]
    # The usual answer, no such key at all, is found in C over one string of every key (an order
    # has some 80; every prefix contains "reward_" or "rwrd_"); a key that is not text, or any
    # hit, is left to the exact test below.
    try:
        keys: str | None = "\n" + "\n".join(
            [*payload, *(extension if isinstance(extension, Mapping) else ())]
        )
    except TypeError:
        keys = None
    if keys is not None and "reward_" not in keys and "rwrd_" not in keys:
        return False
    return any(
        key.startswith(_REWARD_PREFIXES) and value is not None
        for place in places
        for key, value in place.items()
    )


def _line(item: Mapping[str, Any], currency: str, order_id: str) -> OrderLine:
    line_id = _id(item.get("item_id"), field="items.item_id", record_id=order_id)
    where = f"{order_id}/item {line_id}"
    sku = _text(item.get("sku"))
    if sku is None:
        raise MappingError("order item has no sku", record_id=where, field="items.sku")
    qty = _decimal(item.get("qty_ordered"), field="qty_ordered", record_id=where)
    price = _money(item, "price", currency, where)
    # row_total is recomputed as price x qty (before discount, as the domain defines it): the real
    # sample order.discount-3-configurables shows a row_total already net of the cart-rule discount.
    # Every value is checked or converted above or by the helpers, so the line is built trusted.
    return OrderLine.trusted(
        line_id=line_id,
        sku=sku,
        name=_text(item.get("name")),
        kind=LineKind.PRODUCT,
        qty=qty,
        unit_price=price,
        row_total=Money.rounded(price.amount * qty, currency),  # price x qty, as Money.__mul__
        discount=Money.rounded(
            abs(
                _decimal(item.get("discount_amount"), field="discount_amount", record_id=where, default=_ZERO)
            ),
            currency,
        ),
        tax=_money(item, "tax_amount", currency, where),
        qty_refunded=_decimal(item.get("qty_refunded"), field="qty_refunded", record_id=where, default=_ZERO),
        qty_canceled=_decimal(item.get("qty_canceled"), field="qty_canceled", record_id=where, default=_ZERO),
        parent_line_id=_optional_id(item.get("parent_item_id"), field="parent_item_id", record_id=where),
    )


def _coupon_codes(payload: Mapping[str, Any]) -> tuple[str, ...]:
    codes: list[str] = []
    single = _text(payload.get("coupon_code"))
    if single:
        codes.append(single)
    extension = payload.get("extension_attributes")
    if isinstance(extension, Mapping):  # 2.4.7+ multi-coupon
        for code in extension.get("coupon_codes") or []:
            text = _text(code)
            if text and text not in codes:
                codes.append(text)
    return tuple(codes)


def map_order(payload: Mapping[str, Any], source: str) -> Order:
    """An ``OrderInterface`` payload -> :class:`Order`, amounts in the order currency (base kept beside)."""
    external_id = _id(payload.get("entity_id"), field="entity_id")
    state = _text(payload.get("state"))
    raw_status = _text(payload.get("status")) or state
    if state is None or state not in STATE_TO_STATUS:
        raise MappingError(
            f"order state {state!r} is not one of {', '.join(STATE_TO_STATUS)}",
            record_id=external_id,
            field="state",
        )
    currency = _currency(payload, "order_currency_code", external_id)
    base_currency = (
        _currency(payload, "base_currency_code", external_id) if payload.get("base_currency_code") else None
    )
    is_guest = bool(payload.get("customer_is_guest")) or payload.get("customer_id") is None
    email = _text(payload.get("customer_email")) or _text((payload.get("billing_address") or {}).get("email"))
    if email is None:
        raise MappingError("customer_email is missing", record_id=external_id, field="customer_email")
    items = payload.get("items")
    if not isinstance(items, list):
        raise MappingError("items is missing", record_id=external_id, field="items")
    try:
        # Trusted: every value comes from a helper that checked it (ids, text, known currencies,
        # finite rounded money, aware UTC timestamps), which is all validation would check.
        return Order.trusted(
            source=source,
            external_id=external_id,
            number=_text(payload.get("increment_id")) or external_id,
            customer_id=None
            if is_guest
            else _id(payload.get("customer_id"), field="customer_id", record_id=external_id),
            email=email,
            status=STATE_TO_STATUS[state],
            raw_status=raw_status or state,
            currency=currency,
            placed_at=parse_timestamp(payload.get("created_at"), field="created_at", record_id=external_id),
            updated_at=parse_timestamp(
                payload.get("updated_at") or payload.get("created_at"),
                field="updated_at",
                record_id=external_id,
            ),
            lines=tuple(_line(item, currency, external_id) for item in items),
            subtotal=_money(payload, "subtotal", currency, external_id),
            discount=Money.rounded(
                abs(
                    _decimal(
                        payload.get("discount_amount"),
                        field="discount_amount",
                        record_id=external_id,
                        default=_ZERO,
                    )
                ),
                currency,
            ),
            shipping=_money(payload, "shipping_amount", currency, external_id),
            tax=_money(payload, "tax_amount", currency, external_id),
            grand_total=_money(payload, "grand_total", currency, external_id, required=True),
            coupon_codes=_coupon_codes(payload),
            base_currency=base_currency,
            base_grand_total=_money(payload, "base_grand_total", base_currency, external_id)
            if base_currency and payload.get("base_grand_total") is not None
            else None,
            group_id=_optional_id(
                payload.get("customer_group_id"), field="customer_group_id", record_id=external_id
            ),
            native_reward_points=has_native_reward_points(payload),
        )
    except MappingError:
        raise
    except ValueError as exc:
        raise MappingError(f"order {external_id}: {exc}", record_id=external_id) from None


# --- credit memos ------------------------------------------------------------------------------------


def map_refund(payload: Mapping[str, Any], source: str) -> Refund:
    """A ``CreditmemoInterface`` payload -> :class:`Refund`.

    ``amount`` is the credit memo's ``subtotal``: refunded goods excluding tax and shipping, before
    discount, in the order currency (adjustment refunds/fees are not goods and are left out)."""
    external_id = _id(payload.get("entity_id"), field="entity_id")
    currency = _currency(payload, "order_currency_code", external_id)
    lines: list[RefundLine] = []
    for item in payload.get("items") or []:
        where = f"{external_id}/item {item.get('entity_id')}"
        qty = _decimal(item.get("qty"), field="qty", record_id=where, default=_ZERO)
        if qty == 0:
            continue  # Magento lists every order item on a memo, refunded or not
        lines.append(
            RefundLine.trusted(
                order_line_id=_id(item.get("order_item_id"), field="items.order_item_id", record_id=where),
                sku=_text(item.get("sku")) or "",
                qty=qty,
                amount=_money(item, "row_total", currency, where),
            )
        )
    if payload.get("subtotal") is not None:
        amount = _money(payload, "subtotal", currency, external_id)
    else:
        amount = sum((line.amount for line in lines), Money.zero(currency))
    try:
        return Refund.trusted(  # every value checked by the helpers, as for orders
            source=source,
            external_id=external_id,
            order_id=_id(payload.get("order_id"), field="order_id", record_id=external_id),
            created_at=parse_timestamp(payload.get("created_at"), field="created_at", record_id=external_id),
            updated_at=parse_timestamp(
                payload.get("updated_at") or payload.get("created_at"),
                field="updated_at",
                record_id=external_id,
            ),
            amount=amount,
            lines=tuple(lines),
        )
    except ValueError as exc:
        raise MappingError(f"credit memo {external_id}: {exc}", record_id=external_id) from None
