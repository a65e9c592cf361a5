"""Records read back from the store's own JSON without validating them again.

The store writes each record with ``model_dump_json()`` of a model that pydantic has validated
(quantized money, UTC timestamps, known currencies), so reading it back does not need the
validators again: :class:`RecordDecoder` parses the JSON (with pydantic's own parser, the values
:func:`json.loads` gives in about two thirds of its time: :func:`~loyalty_connector.fastjson.decode_json`)
and builds the frozen models directly,
as ``Model.trusted`` would (what ``model_construct`` does, without its loop) but with the parsed
JSON object itself as the instance's ``__dict__`` once its values are converted (it already holds
every field, in order) — in about a quarter of the time of ``model_validate_json``. It is what
evaluation pays for every stored order of every customer it loads.

Equal amounts in one currency are built once per decoder and shared (money is frozen), so a batch
of histories holds one ``0.00 EUR`` rather than thousands.

Only JSON with exactly the keys, in the order, that ``model_dump_json()`` of the current models
writes takes the fast path; anything else (a row written before a field was added, say) is
validated, so the fast path can only ever return what ``model_validate_json`` would.
"""

from __future__ import annotations

__all__ = ["RecordDecoder"]

from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any, TypeVar

from pydantic import BaseModel

from ..domain import Customer, LineKind, Money, Order, OrderLine, OrderStatus, Refund, RefundLine, _filled
from ..fastjson import decode_json

_STATUSES = {status.value: status for status in OrderStatus}
_KINDS = {kind.value: kind for kind in LineKind}


def _dumped(model: type[BaseModel]) -> tuple[str, ...]:
    """The keys of ``model_dump_json()`` of ``model``, in their order."""
    return tuple(name for name, field in model.model_fields.items() if not field.exclude)


def _constructible(model: type[BaseModel]) -> bool:
    """True when ``Model.trusted`` would only fill ``__dict__`` and the fields set (no aliases,
    extras, private attributes or post-init), which is all ``trusted`` does."""
    return (
        not model.__pydantic_post_init__
        and not model.__pydantic_root_model__
        and not model.__private_attributes__
        and model.model_config.get("extra") != "allow"
        and all(f.alias is None and f.validation_alias is None for f in model.model_fields.values())
    )


_MODELS: tuple[type[BaseModel], ...] = (Money, OrderLine, Order, RefundLine, Refund, Customer)
_KNOWN: dict[type[BaseModel], tuple[str, ...]] = {
    Money: ("amount", "currency"),
    OrderLine: ("line_id", "sku", "name", "kind", "qty", "unit_price", "row_total", "discount", "tax",
                "qty_refunded", "qty_canceled", "parent_line_id", "category_ids", "code"),
    Order: ("source", "external_id", "number", "customer_id", "email", "status", "raw_status", "currency",
            "placed_at", "updated_at", "lines", "subtotal", "discount", "shipping", "tax", "grand_total",
            "coupon_codes", "base_currency", "base_grand_total", "group_id", "native_reward_points"),
    RefundLine: ("order_line_id", "sku", "qty", "amount"),
    Refund: ("source", "external_id", "order_id", "created_at", "updated_at", "amount", "lines"),
    Customer: ("source", "external_id", "email", "first_name", "last_name", "company", "vat_id", "group_id",
               "birthday", "birthday_set_at", "created_at", "updated_at", "website_id"),
}  # fmt: skip
"""The JSON keys the builders below handle, field by field; compared with the models at import."""

FAST = all(
    _constructible(model)
    and _dumped(model) == _KNOWN[model]
    and tuple(model.model_fields) == (*_KNOWN[model], *(("raw",) if model is Customer else ()))
    for model in _MODELS
)
"""False if the domain models changed shape since this module was written: then every record is
validated (correct, only slower) until the builders here are brought up to date. True means each
model's fields are exactly the JSON keys, in order (plus ``Customer.raw`` last, never dumped), so a
parsed object whose keys match is already the instance's ``__dict__`` once its values are converted."""

_ORDER, _LINE, _REFUND, _REFUND_LINE, _CUSTOMER = (
    _KNOWN[Order], _KNOWN[OrderLine], _KNOWN[Refund], _KNOWN[RefundLine], _KNOWN[Customer]
)  # fmt: skip
_SETS = {model: frozenset(model.model_fields) for model in _MODELS}
"""Every field of each model: what ``Model.trusted`` records as set when given all of them."""


def _moment(text: str) -> datetime:
    value = datetime.fromisoformat(text[:-1] + "+00:00" if text[-1:] == "Z" else text)
    return value if value.tzinfo is timezone.utc else value.astimezone(timezone.utc)


class _Mismatch(Exception):
    """The stored JSON does not have the current model's shape: validate it instead."""


_UNEXPECTED = (_Mismatch, KeyError, TypeError, ValueError, AttributeError)
"""Whatever JSON of another shape makes a builder raise: that record is validated instead."""


class RecordDecoder:
    """Decodes stored customer, order and refund JSON; keep one per batch of histories.

    ``fast=False`` validates every record with pydantic instead (what the fast path is tested against).
    """

    def __init__(self, *, fast: bool = True) -> None:
        self.fast = fast and FAST
        self._money: dict[tuple[str, str], Money] = {}
        self._numbers: dict[str, Decimal] = {}

    def order(self, data: str) -> Order:
        if self.fast:
            try:
                return self._order(decode_json(data))
            except _UNEXPECTED:
                pass
        return Order.model_validate_json(data)

    def refund(self, data: str) -> Refund:
        if self.fast:
            try:
                return self._refund(decode_json(data))
            except _UNEXPECTED:
                pass
        return Refund.model_validate_json(data)

    def customer(self, data: str) -> Customer:
        if self.fast:
            try:
                return self._customer(decode_json(data))
            except _UNEXPECTED:
                pass
        return Customer.model_validate_json(data)

    # builders: each takes the parsed JSON object and converts its non-JSON fields in place

    def _amount(self, value: Any) -> Money:
        if type(value) is not dict or len(value) != 2:
            raise _Mismatch
        key = (value["amount"], value["currency"])
        money = self._money.get(key)
        if money is None:
            money = self._money[key] = _built(Money, {"amount": Decimal(key[0]), "currency": key[1]})
        return money

    def _number(self, text: str) -> Decimal:
        number = self._numbers.get(text)
        if number is None:
            number = self._numbers[text] = Decimal(text)
        return number

    def _order(self, v: Any) -> Order:
        if type(v) is not dict or tuple(v) != _ORDER:
            raise _Mismatch
        amount, number = self._amount, self._number
        lines = []
        for line in v["lines"]:
            if type(line) is not dict or tuple(line) != _LINE:
                raise _Mismatch
            line["kind"] = _KINDS[line["kind"]]
            line["qty"] = number(line["qty"])
            line["unit_price"] = amount(line["unit_price"])
            line["row_total"] = amount(line["row_total"])
            line["discount"] = amount(line["discount"])
            line["tax"] = amount(line["tax"])
            line["qty_refunded"] = number(line["qty_refunded"])
            line["qty_canceled"] = number(line["qty_canceled"])
            line["category_ids"] = tuple(line["category_ids"])
            lines.append(_built(OrderLine, line))
        v["lines"] = tuple(lines)
        v["status"] = _STATUSES[v["status"]]
        v["placed_at"] = _moment(v["placed_at"])
        v["updated_at"] = _moment(v["updated_at"])
        v["subtotal"] = amount(v["subtotal"])
        v["discount"] = amount(v["discount"])
        v["shipping"] = amount(v["shipping"])
        v["tax"] = amount(v["tax"])
        v["grand_total"] = amount(v["grand_total"])
        if v["base_grand_total"] is not None:
            v["base_grand_total"] = amount(v["base_grand_total"])
        v["coupon_codes"] = tuple(v["coupon_codes"])
        return _built(Order, v)

    def _refund(self, v: Any) -> Refund:
        if type(v) is not dict or tuple(v) != _REFUND:
            raise _Mismatch
        lines = []
        for line in v["lines"]:
            if type(line) is not dict or tuple(line) != _REFUND_LINE:
                raise _Mismatch
            line["qty"] = self._number(line["qty"])
            line["amount"] = self._amount(line["amount"])
            lines.append(_built(RefundLine, line))
        v["lines"] = tuple(lines)
        v["created_at"] = _moment(v["created_at"])
        v["updated_at"] = _moment(v["updated_at"])
        v["amount"] = self._amount(v["amount"])
        return _built(Refund, v)

    def _customer(self, v: Any) -> Customer:
        if type(v) is not dict or tuple(v) != _CUSTOMER:
            raise _Mismatch
        if v["birthday"] is not None:
            v["birthday"] = date.fromisoformat(v["birthday"])
        if v["birthday_set_at"] is not None:
            v["birthday_set_at"] = _moment(v["birthday_set_at"])
        v["created_at"] = _moment(v["created_at"])
        v["updated_at"] = _moment(v["updated_at"])
        v["raw"] = None
        return _built(Customer, v)


_Built = TypeVar("_Built", Money, OrderLine, Order, RefundLine, Refund, Customer)


def _built(model: type[_Built], fields: dict[str, Any]) -> _Built:
    """``model.trusted(**fields)`` for a dict that holds every field in declaration order (the
    builders check the keys and :data:`FAST` the models), without copying it into a new one."""
    return _filled(model, fields, set(_SETS[model]))
