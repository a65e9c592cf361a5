"""Tier pricing: quantity breaks per SKU or category and customer group; the lowest price wins.

Magento's semantics: every break a line's quantity reaches, in every rule that targets the line's SKU
or one of its categories for the customer's group, offers a unit price — a fixed price, or a percent
off the line's current unit price rounded half-up to the currency's minor unit. The lowest offer wins
and an offer that would not lower the current price is ignored, so a price never goes up. Between
equal offers the first found is kept: SKU rules before category rules, then programme order.

Rules are compiled once per cart currency into a :class:`TierPriceIndex` (SKU and category dicts,
breaks pre-sorted with the best offer up to each break), so pricing a line is a dict lookup and a few
comparisons. Reasons are formatted only when asked for: the hot path stores the winning break.
"""

from __future__ import annotations

__all__ = [
    "CompiledBreak",
    "CompiledTierRule",
    "TierPriceIndex",
    "best_tier_price",
    "format_money",
    "format_qty",
    "group_key",
    "lowest_offer",
    "to_currency",
]

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from ..domain import minor_unit
from ..program import TierPriceRule
from .results import RuleOutcome

_HUNDRED = Decimal(100)
_PROGRESS = Decimal("0.0001")


def group_key(customer_group: str | None) -> str | None:
    """The case-insensitive key of a customer-group code, as compiled rules compare it."""
    return None if customer_group is None else customer_group.casefold()


def format_qty(qty: Decimal) -> str:
    """``1000`` -> ``1,000``; ``2.50`` -> ``2.5`` (quantities read as people write them)."""
    if qty == qty.to_integral_value():
        return f"{qty.to_integral_value():,}"
    return f"{qty.normalize():,}"


def format_money(amount: Decimal, currency: str) -> str:
    """``Decimal("1500")``, ``"EUR"`` -> ``1,500.00 EUR`` (the currency's minor unit, thousands commas)."""
    return f"{amount:,.{minor_unit(currency)}f} {currency}"


def to_currency(amount: Decimal, rate: Decimal, currency: str) -> Decimal:
    """A programme-currency ``amount`` in ``currency``, where ``rate`` programme units buy one unit.

    ``rate`` is the programme's ``exchange_rates`` entry (1 unit of ``currency`` = ``rate`` programme
    units), so the amount is divided by it and rounded half-up to ``currency``'s minor unit.
    """
    return (amount / rate).quantize(Decimal(1).scaleb(-minor_unit(currency)), rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class CompiledBreak:
    """One break of one rule, ready to price a line in ``currency``: a percent off or a fixed price."""

    rule_id: str
    min_qty: Decimal
    currency: str
    percent_off: Decimal | None
    unit_price: Decimal | None
    """The fixed price in ``currency`` (converted from the programme currency and rounded)."""
    factor: Decimal | None = field(default=None, repr=False)
    """``(100 - percent_off) / 100``, precomputed."""

    def price(self, current: Decimal, quant: Decimal) -> Decimal:
        """The unit price this break offers for a line whose current unit price is ``current``."""
        if self.factor is not None:
            return (current * self.factor).quantize(quant, rounding=ROUND_HALF_UP)
        assert self.unit_price is not None
        return self.unit_price

    def benefit(self) -> str:
        """``5 % off`` or ``unit price 49.90 EUR``."""
        if self.percent_off is not None:
            return f"{self.percent_off.normalize():f} % off"
        assert self.unit_price is not None
        return f"unit price {format_money(self.unit_price, self.currency)}"

    def offer(self, sku: str) -> str:
        """``5 % off PAPER-A4`` or ``unit price 49.90 EUR for TONER-BLK``."""
        return f"{self.benefit()} {sku}" if self.percent_off is not None else f"{self.benefit()} for {sku}"


_Step = tuple[Decimal, Decimal | None, CompiledBreak | None, Decimal | None, CompiledBreak | None]
"""``(min_qty, best factor, its break, best fixed price, its break)`` over the breaks up to ``min_qty``."""


@dataclass(frozen=True, slots=True)
class CompiledTierRule:
    """A :class:`~loyalty_connector.program.TierPriceRule` compiled for one cart currency."""

    rule_id: str
    order: int
    """Position in the programme file; outcomes list rules in this order."""
    groups: frozenset[str] | None
    """Case-folded customer-group codes, or ``None`` for all groups."""
    group_names: tuple[str, ...]
    breaks: tuple[CompiledBreak, ...]
    """Ascending by ``min_qty``."""
    steps: tuple[_Step, ...] = field(repr=False)
    """Descending by ``min_qty``: the best percent and the best fixed price reached at each break."""

    def covers(self, key: str | None) -> bool:
        """True when the rule applies to the customer group whose :func:`group_key` is ``key``."""
        return self.groups is None or key in self.groups

    def group_label(self, customer_group: str | None) -> str:
        """``all groups``, or ``group Wholesale`` spelled as the rule declares it."""
        if self.groups is None:
            return "all groups"
        key = group_key(customer_group)
        for name in self.group_names:
            if name.casefold() == key:
                return f"group {name}"
        return "groups " + ", ".join(self.group_names)

    @classmethod
    def compile(cls, rule: TierPriceRule, order: int, *, currency: str, rate: Decimal) -> CompiledTierRule:
        """Compile ``rule`` for carts in ``currency`` (``rate`` programme units per unit of it)."""
        breaks: list[CompiledBreak] = []
        for declared in sorted(rule.breaks, key=lambda b: b.min_qty):
            if declared.percent_off is not None:
                factor = (_HUNDRED - declared.percent_off) / _HUNDRED
                breaks.append(
                    CompiledBreak(rule.id, declared.min_qty, currency, declared.percent_off, None, factor)
                )
            else:
                assert declared.unit_price is not None
                price = to_currency(declared.unit_price, rate, currency)
                breaks.append(CompiledBreak(rule.id, declared.min_qty, currency, None, price))
        steps: list[_Step] = []
        best_factor: Decimal | None = None
        best_pct: CompiledBreak | None = None
        best_price: Decimal | None = None
        best_fixed: CompiledBreak | None = None
        for brk in breaks:
            # "<=" so that among equal offers the higher break (the more specific reason) is kept
            if brk.factor is not None and (best_factor is None or brk.factor <= best_factor):
                best_factor, best_pct = brk.factor, brk
            if brk.unit_price is not None and (best_price is None or brk.unit_price <= best_price):
                best_price, best_fixed = brk.unit_price, brk
            steps.append((brk.min_qty, best_factor, best_pct, best_price, best_fixed))
        groups = (
            None if rule.customer_groups == "all" else frozenset(g.casefold() for g in rule.customer_groups)
        )
        names = () if rule.customer_groups == "all" else tuple(rule.customer_groups)
        return cls(rule.id, order, groups, names, tuple(breaks), tuple(reversed(steps)))


def lowest_offer(
    rules: tuple[CompiledTierRule, ...],
    qty: Decimal,
    current: Decimal,
    best: Decimal,
    key: str | None,
    quant: Decimal,
) -> tuple[Decimal, CompiledBreak] | None:
    """The lowest offer below ``best`` from ``rules`` for ``qty`` units now priced ``current``, if any.

    The hot path of tier pricing: ``key`` is the customer's :func:`group_key`, ``quant`` the cart
    currency's minor unit. Returns the offered unit price and the break that offers it.
    """
    found: CompiledBreak | None = None
    for rule in rules:
        groups = rule.groups
        if groups is not None and key not in groups:
            continue
        for min_qty, factor, pct_break, fixed, fixed_break in rule.steps:
            if qty >= min_qty:
                if factor is not None:
                    price = (current * factor).quantize(quant, rounding=ROUND_HALF_UP)
                    if price < best:
                        best, found = price, pct_break
                if fixed is not None and fixed < best:
                    best, found = fixed, fixed_break
                break
    return None if found is None else (best, found)


@dataclass(frozen=True, slots=True, eq=False)
class TierPriceIndex:
    """All tier-price rules of a programme, compiled for carts in one currency."""

    currency: str
    quant: Decimal
    rules: tuple[CompiledTierRule, ...]
    by_sku: Mapping[str, tuple[CompiledTierRule, ...]] = field(repr=False)
    by_category: Mapping[str, tuple[CompiledTierRule, ...]] = field(repr=False)

    @classmethod
    def build(
        cls, rules: Sequence[TierPriceRule], *, currency: str, rate: Decimal = Decimal(1)
    ) -> TierPriceIndex:
        """Compile ``rules`` for carts in ``currency``; ``rate`` = programme units per unit of it."""
        compiled = tuple(
            CompiledTierRule.compile(rule, i, currency=currency, rate=rate) for i, rule in enumerate(rules)
        )
        by_sku: dict[str, list[CompiledTierRule]] = {}
        by_category: dict[str, list[CompiledTierRule]] = {}
        for source, target in zip(rules, compiled, strict=True):
            for sku in dict.fromkeys(source.skus):
                by_sku.setdefault(sku, []).append(target)
            for category in dict.fromkeys(source.categories):
                by_category.setdefault(category, []).append(target)
        return cls(
            currency,
            Decimal(1).scaleb(-minor_unit(currency)),
            compiled,
            {sku: tuple(found) for sku, found in by_sku.items()},
            {category: tuple(found) for category, found in by_category.items()},
        )

    def best_for_key(
        self,
        sku: str,
        qty: Decimal,
        unit_price: Decimal,
        category_ids: tuple[str, ...] = (),
        key: str | None = None,
    ) -> tuple[Decimal, CompiledBreak] | None:
        """The lowest tier price below ``unit_price`` and its break, or ``None``.

        ``key`` is the customer's :func:`group_key`: callers pricing many lines fold it once.
        """
        found = None
        best = unit_price
        rules = self.by_sku.get(sku)
        if rules is not None:
            found = lowest_offer(rules, qty, unit_price, best, key, self.quant)
            if found is not None:
                best = found[0]
        if category_ids and self.by_category:
            for category in category_ids:
                rules = self.by_category.get(category)
                if rules is not None:
                    better = lowest_offer(rules, qty, unit_price, best, key, self.quant)
                    if better is not None:
                        found = better
                        best = better[0]
        return found

    def best(
        self,
        sku: str,
        qty: Decimal,
        unit_price: Decimal,
        category_ids: tuple[str, ...] = (),
        customer_group: str | None = None,
    ) -> tuple[Decimal, CompiledBreak] | None:
        """The lowest tier price below ``unit_price`` for this line and group, and its break."""
        return self.best_for_key(sku, qty, unit_price, category_ids, group_key(customer_group))

    def candidates(self, sku: str, category_ids: Iterable[str] = ()) -> tuple[CompiledTierRule, ...]:
        """Every rule that targets ``sku`` or one of its categories, in programme order, once each."""
        found = {rule.rule_id: rule for rule in self.by_sku.get(sku, ())}
        for category in category_ids:
            for rule in self.by_category.get(category, ()):
                found.setdefault(rule.rule_id, rule)
        return tuple(sorted(found.values(), key=lambda rule: rule.order))

    def explain(
        self,
        sku: str,
        qty: Decimal,
        unit_price: Decimal,
        category_ids: tuple[str, ...],
        customer_group: str | None,
        applied: CompiledBreak | None,
        blocked: str | None = None,
    ) -> tuple[RuleOutcome, ...]:
        """One outcome per rule targeting the line: applied, or why not and how close the next break is.

        ``unit_price`` is the line's price before tier pricing, ``applied`` the winning break (if any)
        and ``blocked`` a reason no rule may apply to this cart at all (e.g. its currency).
        """
        rules = self.candidates(sku, category_ids)
        if blocked is not None:
            return tuple(RuleOutcome(rule.rule_id, False, blocked) for rule in rules)
        key = group_key(customer_group)
        final = unit_price if applied is None else applied.price(unit_price, self.quant)
        outcomes = []
        for rule in rules:
            if not rule.covers(key):
                who = "customers without a group" if customer_group is None else f"group {customer_group}"
                names = ", ".join(rule.group_names)
                reason = f"tier prices for {sku} are for group {names} only, not for {who}"
                outcomes.append(RuleOutcome(rule.rule_id, False, reason))
                continue
            upcoming = _next_break(rule, qty, unit_price, final, self.quant)
            missing = None if upcoming is None else _order_more(upcoming, sku, qty)
            if applied is not None and applied.rule_id == rule.rule_id:
                reason = applied_reason(applied, sku, qty, rule.group_label(customer_group))
                outcomes.append(RuleOutcome(rule.rule_id, True, reason, Decimal(1), missing))
                continue
            progress = None if upcoming is None else _progress(qty, upcoming)
            reached = [b for b in rule.breaks if qty >= b.min_qty]
            if not reached:
                lowest = format_qty(rule.breaks[0].min_qty)
                reason = f"qty {format_qty(qty)} of {sku} is below the lowest {lowest} break"
                if upcoming is None:
                    reason += (
                        f", and no break would lower the current {format_money(unit_price, self.currency)}"
                    )
                outcomes.append(RuleOutcome(rule.rule_id, False, reason, progress, missing))
                continue
            offer = min(reached, key=lambda b: (b.price(unit_price, self.quant), -b.min_qty))
            offered = offer.price(unit_price, self.quant)
            shown = format_money(offered, self.currency)
            if applied is not None and offered < unit_price:
                winner = format_money(final, self.currency)
                reason = f"{offer.offer(sku)} ({shown}) loses to {applied.rule_id} ({winner})"
            else:
                current = format_money(unit_price, self.currency)
                reason = f"{offer.offer(sku)} gives {shown}, not below the current {current}"
            outcomes.append(RuleOutcome(rule.rule_id, False, reason, progress, missing))
        return tuple(outcomes)


def applied_reason(brk: CompiledBreak, sku: str, qty: Decimal, group_label: str) -> str:
    """``5 % off PAPER-A4: qty 1,000 >= 1,000 break for group Wholesale``."""
    return f"{brk.offer(sku)}: qty {format_qty(qty)} >= {format_qty(brk.min_qty)} break for {group_label}"


def _next_break(
    rule: CompiledTierRule, qty: Decimal, unit_price: Decimal, final: Decimal, quant: Decimal
) -> CompiledBreak | None:
    """The closest break above ``qty`` that would price the line below ``final``, if any."""
    for brk in rule.breaks:
        if brk.min_qty > qty and brk.price(unit_price, quant) < final:
            return brk
    return None


def _order_more(brk: CompiledBreak, sku: str, qty: Decimal) -> str:
    return f"order {format_qty(brk.min_qty - qty)} more {sku} for {brk.benefit()}"


def _progress(qty: Decimal, brk: CompiledBreak) -> Decimal:
    return min(qty / brk.min_qty, Decimal(1)).quantize(_PROGRESS, rounding=ROUND_DOWN)


def best_tier_price(
    rules: Sequence[TierPriceRule],
    *,
    sku: str,
    qty: Decimal,
    unit_price: Decimal,
    currency: str,
    category_ids: tuple[str, ...] = (),
    customer_group: str | None = None,
    rate: Decimal = Decimal(1),
) -> tuple[Decimal, CompiledBreak] | None:
    """One-shot :meth:`TierPriceIndex.best`: compiles ``rules`` on every call, so build an index for loops.

    Returns the lowest tier unit price (below ``unit_price``) for the line and the break that gives it,
    or ``None`` when no break lowers the price.
    """
    index = TierPriceIndex.build(rules, currency=currency, rate=rate)
    return index.best(sku, qty, unit_price, category_ids, customer_group)
