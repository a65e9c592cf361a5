"""Shopware 6 entities -> domain records: customers, orders, refunds (transactions), groups.

What the Admin API sends, and how it is read here:

- Money arrives as JSON floats (``52855.91000000001``). A float is turned into a ``Decimal`` from
  its shortest repr (``Decimal(repr(x))``, the same digits PHP's ``json_encode`` wrote) and then
  rounded half-up to the order's ``itemRounding`` (lines) or ``totalRounding`` (totals) decimals,
  never finer than the currency's minor unit. Payloads parsed with ``parse_float=Decimal`` work too.
- ``taxStatus`` ``gross`` means line and shipping prices include tax: their ``calculatedTaxes`` are
  subtracted, because :class:`~loyalty_connector.domain.OrderLine` amounts exclude tax. ``net`` and
  ``tax-free`` prices are already net.
- Shopware does not spread promotions over product lines: a promotion (or discount, or a negative
  credit) is a line of its own with a negative price. Product lines carry ``discount = 0``; the
  order's ``discount`` is minus the sum of those negative top-level lines. A promotion line's
  ``payload.code`` is the code the customer entered — how referral codes are attributed — and goes
  to ``OrderLine.code`` and ``Order.coupon_codes``.
- ``orderCustomer.customerId`` is ``null`` for deleted customers, and points to a ``guest: true``
  customer row for guest checkouts; both become ``customer_id = None`` (keyed by email).
- An association that was not loaded is ``null``, not ``[]``; ``customFields`` may be ``[]``. A
  required association that is ``null`` is a :class:`~loyalty_connector.errors.MappingError`.
- ``customer.orderCount`` / ``orderTotalAmount`` are not used: they lag behind (the real sample
  shows ``0`` for a customer with an order) and the engine computes its own from orders.
- Refunds (``order_transaction``) are mapped in :mod:`.refunds`.

Speed: records are built with ``Model.trusted`` and money with ``Money.rounded`` (no pydantic
validation) wherever every value is built or checked here; where a field takes the shop's value as
is (a label, a group id, a caller's base currency), the record is built trusted only when that value
is already of the field's type, and otherwise validated, so errors read exactly as before.
"""

from __future__ import annotations

__all__ = [
    "ORDER_STATES",
    "TIEBREAK_MISSING",
    "change_position",
    "map_customer",
    "map_customer_group",
    "map_order",
    "money_decimal",
    "parse_timestamp",
]

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timezone
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, TypeGuard

from loyalty_connector.adapter import Cursor
from loyalty_connector.domain import (
    CURRENCY_EXPONENTS,
    Customer,
    CustomerGroup,
    LineKind,
    Money,
    Order,
    OrderLine,
    OrderStatus,
    minor_unit,
    quantize,
)
from loyalty_connector.errors import MappingError

from .managed import MANAGED_PREFIX

ORDER_STATES: Mapping[str, OrderStatus] = {
    "open": OrderStatus.PENDING,
    "in_progress": OrderStatus.PROCESSING,
    "completed": OrderStatus.COMPLETE,
    "cancelled": OrderStatus.CANCELED,
}
"""Shopware's ``order.state`` machine -> normalized status (payment states refine it, see below)."""

_LINE_KINDS: Mapping[str, LineKind] = {
    "product": LineKind.PRODUCT,
    "promotion": LineKind.PROMOTION,
    "custom": LineKind.CUSTOM,
    "credit": LineKind.CREDIT,
    "container": LineKind.CONTAINER,
    "discount": LineKind.DISCOUNT,
}
_DISCOUNT_KINDS = frozenset({LineKind.PROMOTION, LineKind.DISCOUNT, LineKind.CREDIT})

TIEBREAK_MISSING = "has no autoIncrement to place it in keyset order"
_TEXT_TYPES = frozenset({str, type(None)})


def _is_mapping(value: Any) -> TypeGuard[Mapping[str, Any]]:
    """``isinstance(value, Mapping)``, answering plain dicts (all of parsed JSON) without the ABC check."""
    return type(value) is dict or isinstance(value, Mapping)


def _fail(message: str, record: Mapping[str, Any], field: str | None = None) -> MappingError:
    return MappingError(message, record_id=str(record.get("id")) if record.get("id") else None, field=field)


def parse_timestamp(value: Any, *, field: str = "timestamp") -> datetime:
    """A Shopware timestamp as aware UTC. API output is ``2023-05-04T13:36:26.566+00:00``; storage
    format without offset (``2023-05-04 09:18:37.133``, e.g. inside line payloads) is UTC too."""
    if type(value) is str and value.endswith("+00:00") and " " not in value:
        try:  # the API's own format needs none of the normalizing below
            return datetime.fromisoformat(value).astimezone(timezone.utc)
        except ValueError:
            pass
    if not isinstance(value, str) or not value:
        raise MappingError(f"{field} is missing or not a string: {value!r}", field=field)
    text = value.strip().replace(" ", "T", 1)
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise MappingError(f"{field} is not an ISO 8601 timestamp: {value!r}", field=field) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def money_decimal(value: Any, *, field: str = "amount") -> Decimal:
    """A JSON number (float, int, Decimal or numeric string) as an exact ``Decimal``."""
    kind = type(value)
    if kind is float:  # the usual case first: what the client's JSON decoding gives (Shopware stores floats)
        result = Decimal(repr(value))
        if result.is_finite():
            return result
    elif kind is int:
        return Decimal(value)
    if isinstance(value, bool) or value is None:
        raise MappingError(f"{field} is not a number: {value!r}", field=field)
    try:
        if isinstance(value, float):
            result = Decimal(repr(value))
        elif isinstance(value, (int, Decimal)):
            result = Decimal(value)
        elif isinstance(value, str):
            result = Decimal(value.strip())
        else:
            raise InvalidOperation
    except InvalidOperation:
        raise MappingError(f"{field} is not a number: {value!r}", field=field) from None
    if not result.is_finite():
        raise MappingError(f"{field} is not a finite number: {value!r}", field=field)
    return result


def _get(record: Mapping[str, Any], name: str, *, required: str | None = None) -> Any:
    value = record.get(name)
    if value is None and required is not None:
        raise _fail(f"{required}: {name} is missing (null)", record, name)
    return value


def change_position(record: Mapping[str, Any], tiebreak: str) -> Cursor:
    """The keyset position ``(updatedAt ?? createdAt, tiebreak)``; ``tiebreak`` may be a dotted path."""
    changed_raw = record.get("updatedAt") or record.get("createdAt")
    changed = parse_timestamp(changed_raw, field="updatedAt ?? createdAt")
    value: Any
    if type(record) is dict and "." not in tiebreak:
        value = record.get(tiebreak)
    else:
        value = record
        for part in tiebreak.split("."):
            value = value.get(part) if _is_mapping(value) else None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(f"{tiebreak} is missing: the record {TIEBREAK_MISSING}", record, tiebreak)
    return Cursor(changed, value)


# -- customers -------------------------------------------------------------------------------------


def _birthday(value: Any) -> date | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str) or len(value) < 10:
        raise MappingError(f"birthday is not a date: {value!r}", field="birthday")
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        raise MappingError(f"birthday is not a date: {value!r}", field="birthday") from None


def _first_vat_id(value: Any) -> str | None:
    if isinstance(value, Sequence) and not isinstance(value, str):
        ids = [str(v).strip() for v in value if v is not None and str(v).strip()]
        return ids[0] if ids else None
    return None


def map_customer(raw: Mapping[str, Any], source: str) -> Customer:
    """A ``customer`` entity (registered account) as a :class:`Customer`."""
    position = change_position(raw, "autoIncrement")
    email = _get(raw, "email", required="customer")
    if raw.get("guest") is True:
        raise _fail("customer is a guest account; guests are keyed by email on their orders", raw, "guest")
    first, last, company = raw.get("firstName"), raw.get("lastName"), raw.get("company") or None
    group, channel = raw.get("groupId"), raw.get("salesChannelId")
    # The shop's own text fields decide: all text (or null) and nothing is left for validation.
    build = Customer.trusted if _texts(first, last, company, group, channel) else Customer
    return build(
        source=source,
        external_id=str(_get(raw, "id", required="customer")),
        email=str(email),
        first_name=first,
        last_name=last,
        company=company,
        vat_id=_first_vat_id(raw.get("vatIds")),
        group_id=group,
        birthday=_birthday(raw.get("birthday")),
        created_at=parse_timestamp(raw.get("createdAt"), field="createdAt"),
        updated_at=position.changed_at,
        website_id=channel,
    )


def map_customer_group(raw: Mapping[str, Any], source: str) -> CustomerGroup:
    """A ``customer_group`` entity; its (translated) name doubles as its code.

    A group loyalty-connector created is named ``[loyalty] <code>``: the marker is stripped from the
    code, so the programme's ``customer_groups`` (and level ``customer_group``) match it.
    """
    translated = raw.get("translated")
    name = raw.get("name") or (translated.get("name") if isinstance(translated, Mapping) else None)
    group_id = str(_get(raw, "id", required="customer group"))
    code = str(name or group_id)
    return CustomerGroup(
        source=source, external_id=group_id, code=code.removeprefix(MANAGED_PREFIX), name=name
    )


# -- money helpers ---------------------------------------------------------------------------------


class _Money:
    """Rounding of one order: currency plus the decimals of item and total rounding."""

    def __init__(self, currency: str, item_decimals: int, total_decimals: int) -> None:
        self.currency = currency
        exponent = minor_unit(currency)
        self._item = Decimal(1).scaleb(-min(item_decimals, exponent))
        self._total = Decimal(1).scaleb(-min(total_decimals, exponent))
        # Usually both roundings are the currency's own: then Money's rounding is the only one needed
        # (rounding twice to the same place is rounding once).
        self._item_own = item_decimals >= exponent
        self._total_own = total_decimals >= exponent
        self.zero = Money.zero(currency)

    def item(self, amount: Decimal) -> Money:
        if self._item_own and amount.is_finite():
            return Money.rounded(amount, self.currency)
        return Money.rounded(amount.quantize(self._item, rounding=ROUND_HALF_UP), self.currency)

    def total(self, amount: Decimal) -> Money:
        if self._total_own and amount.is_finite():
            return Money.rounded(amount, self.currency)
        return Money.rounded(amount.quantize(self._total, rounding=ROUND_HALF_UP), self.currency)

    def item_amount(self, amount: Decimal) -> Decimal:
        """``item(amount).amount`` without building the money."""
        if self._item_own:
            return quantize(amount, self.currency)
        return quantize(amount.quantize(self._item, rounding=ROUND_HALF_UP), self.currency)


def _decimals(record: Mapping[str, Any], currency: Mapping[str, Any], name: str, fallback: int) -> int:
    for holder in (record, currency):
        rounding = holder.get(name)
        if _is_mapping(rounding) and isinstance(rounding.get("decimals"), int):
            return int(rounding["decimals"])
    return fallback


def _order_money(order: Mapping[str, Any]) -> _Money:
    currency = _get(order, "currency", required="order (association currency not loaded)")
    code = currency.get("isoCode")
    if not isinstance(code, str):
        raise _fail("order currency has no isoCode", order, "currency.isoCode")
    try:
        exponent = minor_unit(code.upper())
    except ValueError as exc:
        raise _fail(str(exc), order, "currency.isoCode") from None
    item = _decimals(order, currency, "itemRounding", exponent)
    total = _decimals(order, currency, "totalRounding", exponent)
    return _Money(code.upper(), item, total)


def _taxes(price: Mapping[str, Any] | None) -> Decimal:
    if not _is_mapping(price):
        return Decimal(0)
    taxes = price.get("calculatedTaxes") or []
    total = Decimal(0)
    for tax in taxes:
        total += money_decimal(tax.get("tax"), field="calculatedTaxes.tax")
    return total


def _net(total: Decimal, taxes: Decimal, tax_status: str) -> Decimal:
    return total - taxes if tax_status == "gross" else total


def _tax_status(order: Mapping[str, Any]) -> str:
    status = order.get("taxStatus")
    if status is None and isinstance(order.get("price"), Mapping):
        status = order["price"].get("taxStatus")
    if status not in ("gross", "net", "tax-free"):
        raise _fail(f"unknown taxStatus {status!r} (expected gross, net or tax-free)", order, "taxStatus")
    return str(status)


def _shipping_net(order: Mapping[str, Any], tax_status: str) -> Decimal:
    costs = order.get("shippingCosts")
    if _is_mapping(costs) and costs.get("totalPrice") is not None:
        total = money_decimal(costs["totalPrice"], field="shippingCosts.totalPrice")
        return _net(total, _taxes(costs), tax_status)
    return money_decimal(order.get("shippingTotal", 0), field="shippingTotal")


# -- orders ----------------------------------------------------------------------------------------


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if _is_mapping(value) else {}


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _texts(*values: Any) -> bool:
    """True when every value is ``None`` or a ``str``: a model field typed ``str | None`` takes it as is."""
    return set(map(type, values)) <= _TEXT_TYPES


def _line(raw: Mapping[str, Any], money: _Money, tax_status: str) -> OrderLine:
    kind = _LINE_KINDS.get(str(raw.get("type")), LineKind.CUSTOM)
    payload = _mapping(raw.get("payload"))
    price = _mapping(raw.get("price"))
    qty = money_decimal(raw.get("quantity", price.get("quantity")), field="lineItems.quantity")
    total = money_decimal(price.get("totalPrice", raw.get("totalPrice")), field="lineItems.totalPrice")
    # Round the tax first and derive the net from it, so that net + tax is exactly the gross price.
    taxes = money.item_amount(_taxes(price) if tax_status != "tax-free" else Decimal(0))
    total_net = _net(total, taxes, tax_status)
    unit_net = total_net / qty if qty else total_net
    code = None
    if kind is LineKind.PROMOTION:
        code = _text(payload.get("code")) or _text(raw.get("referencedId"))
    if kind is LineKind.PRODUCT:
        sku = _text(payload.get("productNumber")) or _text(raw.get("referencedId")) or raw.get("productId")
    elif kind is LineKind.PROMOTION:
        sku = code or raw.get("promotionId") or raw.get("identifier")
    else:
        sku = _text(raw.get("referencedId")) or raw.get("identifier")
    categories = payload.get("categoryIds")
    name, parent = raw.get("label"), raw.get("parentId")
    # Every other value is built or checked above; label and parentId are the shop's own, so a line
    # is only built trusted when they are text (or null), else validation words the error.
    build = OrderLine.trusted if _texts(name, parent) else OrderLine
    return build(
        line_id=str(_get(raw, "id", required="line item")),
        sku=str(sku or raw.get("id")),
        name=name,
        kind=kind,
        qty=qty,
        unit_price=money.item(unit_net),
        row_total=money.item(total_net),
        discount=money.zero,
        tax=Money.rounded(taxes, money.currency),  # already rounded like money.item
        parent_line_id=parent,
        category_ids=tuple(map(str, categories)) if isinstance(categories, list) else (),
        code=code,
    )


def _technical_name(record: Mapping[str, Any] | None) -> str | None:
    state = record.get("stateMachineState") if _is_mapping(record) else None
    name = state.get("technicalName") if _is_mapping(state) else None
    return name if isinstance(name, str) else None


def _status(order: Mapping[str, Any]) -> tuple[OrderStatus, str]:
    """The order's normalized status from its own state machine only.

    Payment and refund state changes do not bump ``order.updatedAt``, so folding the transaction
    state into the order's status would make the stored status depend on when the order happened to
    be read. Payments and refunds arrive through the order-transaction stream instead (as ``Refund``
    records), which is where the ledger's reversals come from.
    """
    state = _technical_name(order)
    if state is None:
        raise _fail("order: stateMachineState is not loaded", order, "stateMachineState")
    if state not in ORDER_STATES:
        known = ", ".join(ORDER_STATES)
        raise _fail(f"unknown order state {state!r} (known: {known})", order, "stateMachineState")
    return ORDER_STATES[state], state


def _customer_id(order_customer: Mapping[str, Any]) -> str | None:
    customer = order_customer.get("customer")
    if _is_mapping(customer) and customer.get("guest") is True:
        return None
    customer_id = order_customer.get("customerId")
    return str(customer_id) if customer_id else None


def map_order(raw: Mapping[str, Any], source: str, *, base_currency: str | None = None) -> Order:
    """An ``order`` entity with lineItems, orderCustomer, currency, state and transactions loaded.

    ``base_currency`` is the shop's default currency (``Defaults::CURRENCY``); when given, the
    order's total is also converted with ``currencyFactor`` into ``base_grand_total``.
    """
    position = change_position(raw, "autoIncrement")
    money = _order_money(raw)
    tax_status = _tax_status(raw)
    order_customer = _get(raw, "orderCustomer", required="order (association orderCustomer not loaded)")
    email = _get(order_customer, "email", required="order customer")
    raw_lines = _get(raw, "lineItems", required="order (association lineItems not loaded)")
    lines = tuple(_line(line, money, tax_status) for line in sorted(raw_lines, key=_line_order))
    status, raw_status = _status(raw)
    total = money_decimal(_get(raw, "amountTotal", required="order"), field="amountTotal")
    net = money_decimal(raw.get("amountNet", total), field="amountNet")
    subtotal = discounts = Decimal(0)  # product rows; negative top-level promotion/discount/credit rows
    for line in lines:
        amount = line.row_total.amount
        if line.parent_line_id is None:
            if line.kind is LineKind.PRODUCT:
                subtotal += amount
            elif line.kind in _DISCOUNT_KINDS and amount < 0:
                discounts += amount
    discount = -discounts
    codes = tuple(dict.fromkeys(line.code for line in lines if line.code))
    base_total = None
    if base_currency is not None:
        factor = money_decimal(raw.get("currencyFactor", 1), field="currencyFactor")
        if base_currency == money.currency:
            base_total = money.total(total)
        elif factor > 0:
            base_total = Money.rounded(total / factor, base_currency)
    # Every value is built or checked here (text, known currency, aware timestamps, rounded money)
    # except the caller's base_currency, which validation checks unless it is a known code.
    trusted = base_total is None or base_currency in CURRENCY_EXPONENTS
    return (Order.trusted if trusted else Order)(
        source=source,
        external_id=str(_get(raw, "id", required="order")),
        number=str(raw.get("orderNumber") or raw.get("id")),
        customer_id=_customer_id(order_customer),
        email=str(email),
        status=status,
        raw_status=raw_status,
        currency=money.currency,
        placed_at=parse_timestamp(raw.get("orderDateTime") or raw.get("createdAt"), field="orderDateTime"),
        updated_at=position.changed_at,
        lines=lines,
        subtotal=money.item(subtotal),
        discount=money.item(discount),
        shipping=money.item(_shipping_net(raw, tax_status)),
        tax=money.total(total - net if tax_status != "tax-free" else Decimal(0)),
        grand_total=money.total(total),
        coupon_codes=codes,
        base_currency=base_currency if base_total is not None else None,
        base_grand_total=base_total,
    )


def _line_order(line: Mapping[str, Any]) -> tuple[int, str]:
    position = line.get("position")
    return (position if isinstance(position, int) else 0, str(line.get("id")))
