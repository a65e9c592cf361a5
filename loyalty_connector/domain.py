"""The shop-independent domain: money, customers, orders, refunds, products.

Adapters map their shop's JSON into these frozen models; the engine, the store and the reports only
ever see these. Every record carries ``(source, external_id)`` as its identity, so two shops can
feed one store. Money is a ``Decimal`` with an ISO 4217 currency, quantized to the currency's minor
unit; timestamps are timezone-aware UTC.

Mappers that check every value themselves build records with ``Model.trusted(...)`` and money with
``Money.rounded(...)``: the same objects validation would give, without its cost (see each).
"""

from __future__ import annotations

__all__ = [
    "CURRENCY_EXPONENTS",
    "Customer",
    "CustomerGroup",
    "LineKind",
    "Money",
    "Order",
    "OrderLine",
    "OrderStatus",
    "Product",
    "Refund",
    "RefundLine",
    "guest_key",
    "minor_unit",
    "normalize_email",
    "quantize",
]

import enum
from datetime import date, datetime, timezone
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .errors import CurrencyMismatchError

# ISO 4217 minor units for the currencies a European/North-American B2B shop meets; anything else
# must be listed here before use, so a typo ("EUO") fails loudly instead of rounding to 2 places.
_TWO_DECIMALS = (
    "EUR USD GBP CHF SEK NOK DKK PLN CZK HUF RON BGN CAD AUD NZD MXN BRL CNY HKD SGD INR ZAR TRY "
    "ILS AED SAR RUB UAH THB MYR PHP IDR"
)
CURRENCY_EXPONENTS: dict[str, int] = {
    **dict.fromkeys(_TWO_DECIMALS.split(), 2),
    **dict.fromkeys(["JPY", "KRW", "ISK", "CLP", "VND", "XOF", "XAF", "UGX", "PYG"], 0),
    **dict.fromkeys(["BHD", "KWD", "OMR", "JOD", "TND", "LYD", "IQD"], 3),
}

_QUANTS = {exp: Decimal(1).scaleb(-exp) for exp in set(CURRENCY_EXPONENTS.values())}
_QUANT_OF = {code: _QUANTS[exp] for code, exp in CURRENCY_EXPONENTS.items()}
"""The quantize exponent of each known currency code, looked up once per amount instead of twice."""


def minor_unit(currency: str) -> int:
    """Number of decimal places of ``currency`` (2 for EUR, 0 for JPY, 3 for BHD)."""
    try:
        return CURRENCY_EXPONENTS[currency]
    except KeyError:
        raise ValueError(
            f"unknown currency code {currency!r}; expected an ISO 4217 code such as EUR"
        ) from None


def quantize(amount: Decimal, currency: str) -> Decimal:
    """Round ``amount`` half-up to ``currency``'s minor unit (as Magento and Shopware round prices)."""
    quant = _QUANT_OF.get(currency)
    if quant is None:
        quant = _QUANTS[minor_unit(currency)]
    return amount.quantize(quant, rounding=ROUND_HALF_UP)


_FROZEN = ConfigDict(frozen=True, extra="forbid")
_Model = TypeVar("_Model", bound="_Record")
_new = object.__new__
_set = object.__setattr__


def _filled(cls: type[_Model], fields: dict[str, Any], fields_set: set[str]) -> _Model:
    """An instance of ``cls`` holding ``fields`` (every field, in declaration order) as pydantic's
    own construction leaves it, with no validation: the one place that knows that layout."""
    model = _new(cls)
    _set(model, "__dict__", fields)
    _set(model, "__pydantic_fields_set__", fields_set)
    _set(model, "__pydantic_extra__", None)
    _set(model, "__pydantic_private__", None)
    return model


class _Record(BaseModel):
    """Base of the frozen domain models: adds :meth:`trusted`, construction without validation."""

    model_config = _FROZEN

    _defaults: ClassVar[dict[str, Any]] = {}
    _required: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        fields = cls.model_fields
        if any(field.default_factory is not None for field in fields.values()):
            raise TypeError(f"{cls.__name__}: trusted construction needs plain defaults, not factories")
        cls._defaults = {name: field.default for name, field in fields.items()}
        cls._required = frozenset(name for name, field in fields.items() if field.is_required())

    @classmethod
    def trusted(cls: type[_Model], **values: Any) -> _Model:
        """Build the model from values that are already valid, skipping pydantic validation.

        For mappers and stores that have checked every value themselves (types, time zones, known
        currencies, rounded money): the result is what validating the same values would give, at a
        fraction of the cost. Missing required fields or unknown ones raise ``TypeError``; nothing
        else is checked, so untrusted input must keep going through the normal constructor.
        """
        defaults = cls._defaults
        fields = defaults | values  # every field, in declaration order, as validation stores them
        if len(fields) != len(defaults) or not values.keys() >= cls._required:
            missing = sorted(cls._required - values.keys())
            unknown = sorted(values.keys() - defaults.keys())
            raise TypeError(f"{cls.__name__}.trusted: missing {missing}, unknown {unknown}")
        return _filled(cls, fields, set(values))


class Money(_Record):
    """An amount in one currency, always quantized to that currency's minor unit.

    ``Money(amount="10.005", currency="EUR")`` is 10.01 EUR. Adding or comparing amounts in two
    currencies raises :class:`~loyalty_connector.errors.CurrencyMismatchError`.
    """

    amount: Decimal
    currency: str

    @field_validator("currency")
    @classmethod
    def _known_currency(cls, value: str) -> str:
        code = value.upper()
        minor_unit(code)
        return code

    @field_validator("amount", mode="before")
    @classmethod
    def _no_float(cls, value: Any) -> Any:
        if isinstance(value, float):
            raise ValueError("money must not be a float; pass a Decimal, int or string")
        return value

    @model_validator(mode="after")
    def _quantize(self) -> Money:
        if not self.amount.is_finite():
            raise ValueError("money amount must be finite")
        object.__setattr__(self, "amount", quantize(self.amount, self.currency))
        return self

    @classmethod
    def rounded(cls, amount: Decimal, currency: str) -> Money:
        """``Money(amount=amount, currency=currency)`` at about half the cost (zero is shared).

        A finite ``Decimal`` in a known upper-case currency is rounded half-up here and the model
        built without pydantic validation; anything else (an int, a float, NaN, ``"eur"``, an
        unknown code) goes through the validating constructor, so results and errors are the same.
        """
        quant = _QUANT_OF.get(currency)
        if quant is None or type(amount) is not Decimal or not amount.is_finite():
            return cls(amount=amount, currency=currency)
        if not amount and not amount.is_signed() and cls is Money:
            return _ZEROS[currency]  # 0.00 whatever the zero's exponent (-0 keeps its sign)
        fields = {"amount": amount.quantize(quant, rounding=ROUND_HALF_UP), "currency": currency}
        return _filled(cls, fields, {"amount", "currency"})

    @classmethod
    def of(cls, amount: Decimal | int | str, currency: str) -> Money:
        """Build money from a Decimal, int or numeric string."""
        try:
            value = amount if isinstance(amount, Decimal) else Decimal(amount)
        except InvalidOperation:
            raise ValueError(f"not a number: {amount!r}") from None
        return cls.rounded(value, currency)

    @classmethod
    def of_minor(cls, minor: int, currency: str) -> Money:
        """Money from an integer count of minor units: ``Money.of_minor(1999, "EUR")`` is 19.99 EUR."""
        if isinstance(minor, bool) or not isinstance(minor, int):
            raise TypeError(f"minor units must be an int, not {minor!r}")
        code = currency.upper()
        return cls.rounded(Decimal(minor).scaleb(-minor_unit(code)), code)

    @classmethod
    def zero(cls, currency: str) -> Money:
        """No money in ``currency``."""
        return cls.rounded(Decimal(0), currency)

    def _check(self, other: Money, operation: str) -> None:
        if other.currency != self.currency:
            raise CurrencyMismatchError(self.currency, other.currency, operation)

    def __add__(self, other: Money) -> Money:
        self._check(other, "add")
        return Money.rounded(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._check(other, "subtract")
        return Money.rounded(self.amount - other.amount, self.currency)

    def __mul__(self, factor: Decimal | int) -> Money:
        if isinstance(factor, float):
            raise TypeError("multiply money by a Decimal or int, never a float")
        return Money.rounded(self.amount * factor, self.currency)

    __rmul__ = __mul__

    def __neg__(self) -> Money:
        return Money.rounded(-self.amount, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._check(other, "compare")
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._check(other, "compare")
        return self.amount <= other.amount

    def __gt__(self, other: Money) -> bool:
        self._check(other, "compare")
        return self.amount > other.amount

    def __ge__(self, other: Money) -> bool:
        self._check(other, "compare")
        return self.amount >= other.amount

    def __str__(self) -> str:
        return f"{self.amount:,} {self.currency}"

    def is_zero(self) -> bool:
        return self.amount == 0


_ZEROS = {code: Money(amount=Decimal(0), currency=code) for code in CURRENCY_EXPONENTS}
"""Zero in each currency, shared (money is immutable): the most frequent amount in shop payloads."""


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(
            "timestamp must be timezone-aware (UTC); shops' local formats are converted in mapping"
        )
    return value.astimezone(timezone.utc)


def normalize_email(email: str) -> str:
    """Lower-cased, trimmed email: how guests are keyed and emails compared."""
    return email.strip().lower()


def guest_key(email: str) -> str:
    """The customer key of a guest (no shop account): ``guest:<normalized email>``."""
    return f"guest:{normalize_email(email)}"


class OrderStatus(str, enum.Enum):
    """Normalized order status; each shop's raw status is kept beside it on the order."""

    PENDING = "pending"
    PROCESSING = "processing"
    COMPLETE = "complete"
    CANCELED = "canceled"
    CLOSED = "closed"
    """Fully refunded after completion (Magento ``closed``; Shopware a fully refunded transaction)."""


class LineKind(str, enum.Enum):
    """What an order line is. Only ``product`` lines count toward spend, points and thresholds."""

    PRODUCT = "product"
    PROMOTION = "promotion"
    GIFT = "gift"
    CUSTOM = "custom"
    CREDIT = "credit"
    CONTAINER = "container"
    DISCOUNT = "discount"


class CustomerGroup(_Record):
    """A shop customer group (Magento ``customer_group``, Shopware ``customer_group``)."""

    source: str
    external_id: str
    code: str
    name: str | None = None


class Customer(_Record):
    """A shop customer with an account. Guests are not customers: their orders carry an email only."""

    source: str
    external_id: str
    email: str
    first_name: str | None = None
    last_name: str | None = None
    company: str | None = None
    vat_id: str | None = None
    group_id: str | None = None
    """External id of the shop customer group the customer belongs to now."""
    birthday: date | None = None
    birthday_set_at: datetime | None = None
    """When the birthday was last entered or changed, if the shop tells (birthday-coupon abuse checks)."""
    created_at: datetime
    updated_at: datetime
    website_id: str | None = None
    raw: dict[str, Any] | None = Field(default=None, repr=False, exclude=True)
    """The shop's payload as read, kept for adapters that must write the full object back (Magento PUT)."""

    @field_validator("created_at", "updated_at", "birthday_set_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        return None if value is None else _utc(value)

    @property
    def key(self) -> str:
        """The customer key used by the engine, ledger and store: the shop's customer id."""
        return self.external_id

    @property
    def email_normalized(self) -> str:
        return normalize_email(self.email)


class OrderLine(_Record):
    """One line of an order. For configurable/bundle products only the parent line carries the price."""

    line_id: str
    sku: str
    name: str | None = None
    kind: LineKind = LineKind.PRODUCT
    qty: Decimal
    unit_price: Money
    """Price per unit excluding tax, before discounts."""
    row_total: Money
    """``unit_price x qty`` excluding tax, before discounts."""
    discount: Money
    """Discount on this line, as a positive amount."""
    tax: Money
    qty_refunded: Decimal = Decimal(0)
    qty_canceled: Decimal = Decimal(0)
    parent_line_id: str | None = None
    category_ids: tuple[str, ...] = ()
    code: str | None = None
    """For promotion lines: the coupon/promotion code used."""

    @property
    def counts_as_product(self) -> bool:
        """True for a priced product line that is not a gift or a child of a configurable/bundle."""
        return self.kind is LineKind.PRODUCT and self.parent_line_id is None


class Order(_Record):
    """An order as the shop records it, in the order's own currency."""

    source: str
    external_id: str
    number: str
    customer_id: str | None
    """The shop customer's external id; ``None`` for guests and deleted customers."""
    email: str
    status: OrderStatus
    raw_status: str
    currency: str
    placed_at: datetime
    updated_at: datetime
    lines: tuple[OrderLine, ...]
    subtotal: Money
    """Sum of product rows excluding tax, before discounts."""
    discount: Money
    """Total discount as a positive amount."""
    shipping: Money
    tax: Money
    grand_total: Money
    coupon_codes: tuple[str, ...] = ()
    base_currency: str | None = None
    base_grand_total: Money | None = None
    group_id: str | None = None
    """Customer group at the time of the order, when the shop records it."""
    native_reward_points: bool = False
    """The shop awarded its own reward points on this order (Adobe Commerce ``reward_*``): never double."""

    @field_validator("placed_at", "updated_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        return _utc(value)

    @field_validator("currency", "base_currency")
    @classmethod
    def _known_currency(cls, value: str | None) -> str | None:
        if value is None:
            return None
        minor_unit(value)
        return value

    @property
    def customer_key(self) -> str:
        """The shop customer id, or ``guest:<email>`` for guests."""
        return self.customer_id if self.customer_id is not None else guest_key(self.email)

    @property
    def is_guest(self) -> bool:
        return self.customer_id is None


class RefundLine(_Record):
    """A refunded quantity of one order line."""

    order_line_id: str
    sku: str
    qty: Decimal
    amount: Money


class Refund(_Record):
    """Money given back on an order (Magento credit memo, Shopware refunded transaction)."""

    source: str
    external_id: str
    order_id: str
    created_at: datetime
    updated_at: datetime
    amount: Money
    """Refunded goods value excluding tax and shipping; the base for proportional point reversal."""
    lines: tuple[RefundLine, ...] = ()

    @field_validator("created_at", "updated_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        return _utc(value)


class Product(_Record):
    """A catalogue product, as far as loyalty rules need it."""

    source: str
    external_id: str
    sku: str
    name: str | None = None
    price: Money | None = None
    category_ids: tuple[str, ...] = ()
