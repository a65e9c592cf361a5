"""Free-product thresholds: a gift at zero price once the qualifying subtotal reaches a threshold.

The qualifying subtotal (computed by the cart: product lines only, after tier pricing, excluding tax,
shipping and gifts, before or after discounts per ``free_products.base``) is compared with each
threshold the customer may use — right group, inside the date window (days in the programme time
zone, inclusive), not already granted when ``once_per_customer``. ``mode: highest`` gives only the
highest reached threshold's gift; ``stacked`` gives every reached one. A threshold not reached says
how close the cart is ("add 120.00 EUR to reach the free STAPLER-HD").

Thresholds are compiled once per cart currency into a :class:`FreeProductIndex`; gift lines and their
reasons are built at compile time, so selecting gifts allocates nothing in the common case.
"""

from __future__ import annotations

__all__ = [
    "CompiledThreshold",
    "FreeProductIndex",
    "GiftLine",
    "threshold_in_currency",
]

from collections.abc import Set
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_CEILING, ROUND_DOWN, Decimal
from typing import Literal

from ..domain import minor_unit
from ..program import FreeProducts
from .results import RuleOutcome
from .tier_pricing import format_money, group_key

_PROGRESS = Decimal("0.0001")


def threshold_in_currency(threshold: Decimal, program_currency: str, currency: str, rate: Decimal) -> Decimal:
    """The smallest amount in ``currency`` that reaches a programme-currency ``threshold``.

    Exactly the amounts ``x`` for which :func:`~loyalty_connector.engine.conditions.convert_amount`
    (``x * rate`` rounded half-up to the programme's minor unit) is at least ``threshold``: a cart in
    another currency reaches a threshold precisely when its subtotal, converted, does. With the
    programme's own currency (``rate`` 1) it is the threshold rounded up to the minor unit.
    """
    program_unit = Decimal(1).scaleb(-minor_unit(program_currency))
    target = threshold.quantize(program_unit, rounding=ROUND_CEILING) - program_unit / 2
    cart_unit = Decimal(1).scaleb(-minor_unit(currency))
    return (target / rate).quantize(cart_unit, rounding=ROUND_CEILING)


@dataclass(frozen=True, slots=True)
class GiftLine:
    """A gift added to the cart at zero price: ``qty`` x ``sku``, because of threshold ``rule_id``."""

    rule_id: str
    sku: str
    qty: Decimal
    reason: str
    unit_price: Decimal = Decimal(0)


@dataclass(frozen=True, slots=True)
class CompiledThreshold:
    """A :class:`~loyalty_connector.program.FreeProductThreshold` compiled for one cart currency."""

    rule_id: str
    order: int
    threshold: Decimal
    """The smallest qualifying subtotal, in ``currency``, that reaches the threshold."""
    currency: str
    groups: frozenset[str] | None
    group_names: tuple[str, ...]
    valid_from: date | None
    valid_until: date | None
    once_per_customer: bool
    gift: GiftLine
    gifts: tuple[GiftLine] = field(repr=False)
    """``(gift,)``, prebuilt for ``mode: highest``."""

    @property
    def label(self) -> str:
        """``STAPLER-HD`` or ``2 x PEN-BLUE-50``."""
        qty = self.gift.qty
        return self.gift.sku if qty == 1 else f"{qty} x {self.gift.sku}"

    def unavailable(self, key: str | None, day: date | None, granted: Set[str]) -> str | None:
        """Why this customer may not have this gift today (``key`` = :func:`group_key`), or ``None``."""
        if self.groups is not None and key not in self.groups:
            return f"free {self.label} is for groups {', '.join(self.group_names)} only"
        if self.valid_from is not None and day is not None and day < self.valid_from:
            return f"free {self.label} starts on {self.valid_from.isoformat()} (today is {day.isoformat()})"
        if self.valid_until is not None and day is not None and day > self.valid_until:
            return f"free {self.label} ended on {self.valid_until.isoformat()} (today is {day.isoformat()})"
        if self.once_per_customer and self.rule_id in granted:
            return f"free {self.label} is once per customer and this customer already received it"
        return None


@dataclass(frozen=True, slots=True, eq=False)
class FreeProductIndex:
    """A programme's free-product thresholds, compiled for carts in one currency."""

    currency: str
    mode: Literal["highest", "stacked"]
    base: Literal["before_discounts", "after_discounts"]
    thresholds: tuple[CompiledThreshold, ...]
    """In programme order."""
    descending: tuple[CompiledThreshold, ...] = field(repr=False)
    """Highest threshold first (ties: programme order)."""
    has_windows: bool = False
    """True when some threshold has a date window, so callers must pass the local day."""
    simple: bool = False
    """``mode: highest`` with no date window and no once-per-customer threshold: the first reached
    threshold (in :attr:`descending` order) the customer's group may have wins. Evaluators inline this
    common case instead of calling :meth:`select`."""

    @classmethod
    def build(
        cls, free_products: FreeProducts, *, program_currency: str, currency: str, rate: Decimal = Decimal(1)
    ) -> FreeProductIndex:
        """Compile ``free_products`` for carts in ``currency`` (``rate`` programme units per unit of it)."""
        compiled = []
        for order, rule in enumerate(free_products.thresholds):
            amount = threshold_in_currency(rule.threshold, program_currency, currency, rate)
            label = rule.gift_sku if rule.gift_qty == 1 else f"{rule.gift_qty} x {rule.gift_sku}"
            reason = f"free {label}: subtotal reached the {format_money(amount, currency)} threshold"
            gift = GiftLine(rule.id, rule.gift_sku, Decimal(rule.gift_qty), reason)
            everyone = rule.customer_groups == "all"
            compiled.append(
                CompiledThreshold(
                    rule_id=rule.id,
                    order=order,
                    threshold=amount,
                    currency=currency,
                    groups=None if everyone else frozenset(g.casefold() for g in rule.customer_groups),
                    group_names=() if everyone else tuple(rule.customer_groups),
                    valid_from=rule.valid_from,
                    valid_until=rule.valid_until,
                    once_per_customer=rule.once_per_customer,
                    gift=gift,
                    gifts=(gift,),
                )
            )
        descending = sorted(compiled, key=lambda t: (-t.threshold, t.order))
        windows = any(t.valid_from is not None or t.valid_until is not None for t in compiled)
        simple = (
            free_products.mode == "highest" and not windows and not any(t.once_per_customer for t in compiled)
        )
        return cls(
            currency,
            free_products.mode,
            free_products.base,
            tuple(compiled),
            tuple(descending),
            windows,
            simple,
        )

    def select(
        self, subtotal: Decimal, key: str | None, day: date | None, granted: Set[str]
    ) -> tuple[GiftLine, ...]:
        """The gifts a qualifying ``subtotal`` earns (``key`` = :func:`group_key`, ``day`` = local day).

        ``day`` (the programme-zone day of the evaluation) is required when :attr:`has_windows`.
        """
        if day is None and self.has_windows:
            raise ValueError("some thresholds have date windows: pass the local day")
        if self.mode == "highest":
            for rule in self.descending:
                if subtotal >= rule.threshold and rule.unavailable(key, day, granted) is None:
                    return rule.gifts
            return ()
        return tuple(
            rule.gift
            for rule in self.thresholds
            if subtotal >= rule.threshold and rule.unavailable(key, day, granted) is None
        )

    def explain(
        self,
        subtotal: Decimal,
        customer_group: str | None,
        day: date | None,
        granted: Set[str],
        gifts: tuple[GiftLine, ...],
        blocked: str | None = None,
    ) -> tuple[RuleOutcome, ...]:
        """One outcome per threshold: given, or why not — and how far the subtotal is from it."""
        if blocked is not None:
            return tuple(RuleOutcome(rule.rule_id, False, blocked) for rule in self.thresholds)
        key = group_key(customer_group)
        given = {gift.rule_id for gift in gifts}
        have = format_money(subtotal, self.currency)
        outcomes = []
        for rule in self.thresholds:
            need = format_money(rule.threshold, self.currency)
            why_not = rule.unavailable(key, day, granted)
            if rule.rule_id in given:
                reason = f"free {rule.label}: subtotal {have} >= {need} threshold"
                outcomes.append(RuleOutcome(rule.rule_id, True, reason, Decimal(1)))
            elif why_not is not None:
                outcomes.append(RuleOutcome(rule.rule_id, False, why_not))
            elif subtotal >= rule.threshold:
                winners = ", ".join(sorted(given)) or "none"
                reason = f"subtotal {have} reached {need}, but only the highest gift is given ({winners})"
                outcomes.append(RuleOutcome(rule.rule_id, False, reason, Decimal(1)))
            else:
                progress = max(subtotal, Decimal(0)) / rule.threshold
                short = format_money(rule.threshold - subtotal, self.currency)
                missing = f"add {short} to reach the free {rule.label}"
                outcomes.append(
                    RuleOutcome(
                        rule.rule_id,
                        False,
                        f"subtotal {have} is below the {need} threshold for the free {rule.label}",
                        progress.quantize(_PROGRESS, rounding=ROUND_DOWN),
                        missing,
                    )
                )
        return tuple(outcomes)
