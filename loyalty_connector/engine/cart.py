"""Price a cart: tier prices, the referee's referral discount and free-product gifts, with reasons.

:class:`CartEvaluator` compiles a programme once (per cart currency: SKU and category indexes, sorted
breaks and thresholds, converted amounts) and then evaluates carts with dict lookups and Decimal
arithmetic only. The order of work is fixed:

1. tier prices per product line (lowest applicable break, never above the current price);
2. the referee discount on the priced product subtotal after line discounts (a first order with a
   known referral code that is not the customer's own);
3. free-product thresholds on the priced product subtotal — before line discounts, or after line
   and cart discounts, per ``free_products.base``. Only product lines count: never gifts,
   promotions or other non-product lines (which are carried at their own price).

Every rule considered answers "why" or "why not, and how close" through :attr:`CartResult.outcomes`;
those reasons are formatted only when read, so evaluating a cart stays cheap. A cart in another
currency is priced with the programme's exchange rates, or — with ``foreign_currency: exclude`` or no
rate — gets no rule at all, and every outcome says so. Currencies are never mixed silently.
"""

from __future__ import annotations

__all__ = ["Cart", "CartDiscount", "CartEvaluator", "CartLine", "CartResult", "PricedLine"]

from collections.abc import Callable, Mapping, Sequence, Set
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from types import MappingProxyType
from zoneinfo import ZoneInfo

from ..domain import LineKind, minor_unit
from ..program import Program
from .cart_types import Cart, CartLine
from .conditions import local_date
from .free_products import FreeProductIndex, GiftLine
from .results import RuleOutcome
from .slots import check_builder
from .tier_pricing import (
    CompiledBreak,
    CompiledTierRule,
    TierPriceIndex,
    applied_reason,
    format_money,
    lowest_offer,
    to_currency,
)

_ZERO = Decimal(0)
_HUNDRED = Decimal(100)
_PRODUCT = LineKind.PRODUCT
_NO_CODES: Mapping[str, str] = MappingProxyType({})
_NO_RULES: Mapping[str, tuple[CompiledTierRule, ...]] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class CartDiscount:
    """A cart-level discount (the referee's first-order discount), as a positive amount."""

    rule_id: str
    amount: Decimal
    reason: str
    code: str | None = None


@dataclass(frozen=True, slots=True)
class _View:
    """The programme compiled for carts in one currency; ``blocked`` says why no rule may apply."""

    currency: str
    quant: Decimal
    zone: ZoneInfo
    tiers: TierPriceIndex
    gifts: FreeProductIndex | None
    referee_amount: Decimal | None
    """A fixed referee discount converted to ``currency``."""
    blocked: str | None = None


_Context = tuple[_View, str | None, datetime, Set[str], RuleOutcome | None]
"""What an evaluation was given — view, customer group, now, granted gifts, referral outcome — kept so
reasons can be formatted on demand. A plain tuple, because building it costs a fraction of a dataclass."""


@dataclass(frozen=True, slots=True)
class PricedLine:
    """A cart line after tier pricing: its price before and after, the rule that priced it and why."""

    line: CartLine
    unit_price: Decimal
    tier: CompiledBreak | None
    context: _Context = field(compare=False, repr=False)

    @property
    def sku(self) -> str:
        return self.line.sku

    @property
    def qty(self) -> Decimal:
        return self.line.qty

    @property
    def unit_price_before(self) -> Decimal:
        return self.line.unit_price

    @property
    def rule_id(self) -> str | None:
        return None if self.tier is None else self.tier.rule_id

    @property
    def outcomes(self) -> tuple[RuleOutcome, ...]:
        """One outcome per tier rule that targets this line (none for lines no rule targets)."""
        line = self.line
        view, customer_group = self.context[0], self.context[1]
        if line.kind is not _PRODUCT:
            return ()
        blocked = None if view.blocked is None else f"no tier price for {line.sku}: {view.blocked}"
        return view.tiers.explain(
            line.sku, line.qty, line.unit_price, line.category_ids, customer_group, self.tier, blocked
        )

    @property
    def outcome(self) -> RuleOutcome | None:
        """The applied rule's outcome, else the one closest to a break, else ``None`` (no rule targets it)."""
        outcomes = self.outcomes
        for outcome in outcomes:
            if outcome.applied:
                return outcome
        near = [o for o in outcomes if o.missing is not None]
        if near:
            return max(near, key=lambda o: o.progress or _ZERO)
        return outcomes[0] if outcomes else None

    @property
    def reason(self) -> str:
        """One line: ``5 % off PAPER-A4: qty 1,000 >= 1,000 break for all groups``, or why not."""
        if self.tier is not None:
            view, customer_group = self.context[0], self.context[1]
            rule = next(r for r in view.tiers.rules if r.rule_id == self.tier.rule_id)
            label = rule.group_label(customer_group)
            return applied_reason(self.tier, self.line.sku, self.line.qty, label)
        outcome = self.outcome
        if outcome is None:
            return f"no tier price for {self.line.sku}"
        if outcome.missing is not None:
            return f"no tier price yet: {outcome.missing}"
        return outcome.reason


@dataclass(frozen=True, slots=True)
class CartResult:
    """A priced cart. Equal results come from equal carts, programmes and inputs.

    ``qualifying_subtotal`` is the amount the free-product thresholds were compared with;
    ``subtotal`` is the cart after tier prices, line discounts and cart discounts (gifts are free).
    """

    cart: Cart
    tier_prices: tuple[tuple[Decimal, CompiledBreak] | None, ...]
    """Per cart line: the tier unit price and the break that gave it, or ``None``."""
    gifts: tuple[GiftLine, ...]
    discounts: tuple[CartDiscount, ...]
    qualifying_subtotal: Decimal
    subtotal: Decimal
    context: _Context = field(compare=False, repr=False)

    @property
    def currency(self) -> str:
        return self.cart.currency

    @property
    def lines(self) -> tuple[PricedLine, ...]:
        """The cart lines with their tier prices and reasons."""
        return tuple(
            PricedLine(line, line.unit_price, None, self.context)
            if tier is None
            else PricedLine(line, tier[0], tier[1], self.context)
            for line, tier in zip(self.cart.lines, self.tier_prices, strict=True)
        )

    @property
    def subtotal_before(self) -> Decimal:
        """The cart's rows at their original prices, before tier prices and any discount."""
        total = sum((line.unit_price * line.qty for line in self.cart.lines), _ZERO)
        return total.quantize(self.context[0].quant, rounding=ROUND_HALF_UP)

    @property
    def local_day(self) -> date:
        """The day of ``now`` in the programme time zone (what date windows were checked against)."""
        return local_date(self.context[2], self.context[0].zone)

    @property
    def outcomes(self) -> tuple[RuleOutcome, ...]:
        """Every rule considered: tier rules per targeted line, thresholds, then the referral discount."""
        view, customer_group, _, granted_gifts, referral = self.context
        found: list[RuleOutcome] = []
        for line in self.lines:
            found.extend(line.outcomes)
        gifts = view.gifts
        if gifts is not None:
            day = self.local_day if gifts.has_windows else None
            found.extend(
                gifts.explain(
                    self.qualifying_subtotal, customer_group, day, granted_gifts, self.gifts, view.blocked
                )
            )
        if referral is not None:
            found.append(referral)
        return tuple(found)


class _ResultBuilder:
    """Builds a :class:`CartResult` with plain attribute writes (see :mod:`.slots`)."""

    __slots__ = CartResult.__slots__

    def __init__(
        self,
        cart: Cart,
        tier_prices: tuple[tuple[Decimal, CompiledBreak] | None, ...],
        gifts: tuple[GiftLine, ...],
        discounts: tuple[CartDiscount, ...],
        qualifying_subtotal: Decimal,
        subtotal: Decimal,
        context: _Context,
    ) -> None:
        self.cart = cart
        self.tier_prices = tier_prices
        self.gifts = gifts
        self.discounts = discounts
        self.qualifying_subtotal = qualifying_subtotal
        self.subtotal = subtotal
        self.context = context
        self.__class__ = CartResult  # type: ignore[assignment]


check_builder(_ResultBuilder, CartResult)
_result: Callable[..., CartResult] = _ResultBuilder  # type: ignore[assignment]
"""``CartResult(...)`` at a third of the cost."""


def _find_referral(codes: Sequence[str], known: Mapping[str, str]) -> tuple[str, str] | None:
    """The first cart code that is a known referral code (case-insensitive) and its referrer key."""
    for raw in codes:
        code = raw.strip()
        for candidate in (code, code.upper(), code.casefold()):
            referrer = known.get(candidate)
            if referrer is not None:
                return candidate, referrer
    if not known:
        return None
    folded = {code.casefold(): (code, referrer) for code, referrer in known.items()}
    for raw in codes:
        hit = folded.get(raw.strip().casefold())
        if hit is not None:
            return hit
    return None


class CartEvaluator:
    """Evaluates carts against one programme; build it once, call :meth:`evaluate` per cart."""

    __slots__ = ("_no_code", "_views", "program")

    def __init__(self, program: Program) -> None:
        self.program = program
        self._no_code = (
            None
            if program.referrals is None
            else RuleOutcome(program.referrals.id, False, "no referral code")
        )
        views = {program.currency: self._compile(program.currency, Decimal(1))}
        if program.foreign_currency == "convert":
            for currency, rate in program.exchange_rates.items():
                if currency not in views:
                    views[currency] = self._compile(currency, rate)
        self._views: dict[str, _View] = views

    def _compile(self, currency: str, rate: Decimal) -> _View:
        program = self.program
        gifts = None
        if program.free_products is not None:
            gifts = FreeProductIndex.build(
                program.free_products, program_currency=program.currency, currency=currency, rate=rate
            )
        amount = None
        if program.referrals is not None and program.referrals.referee_discount.amount is not None:
            amount = to_currency(program.referrals.referee_discount.amount, rate, currency)
        tiers = TierPriceIndex.build(program.tier_prices, currency=currency, rate=rate)
        return _View(currency, tiers.quant, program.zone, tiers, gifts, amount)

    def _blocked_view(self, currency: str) -> _View:
        """A view for a currency no rule may apply to: the reasons name the currency and the setting."""
        program = self.program
        if program.foreign_currency == "exclude":
            why = (
                f"the cart is in {currency}; the programme is in {program.currency} "
                "and excludes other currencies (foreign_currency: exclude)"
            )
        else:
            why = f"the cart is in {currency} and the programme has no exchange rate for it"
        home = self._views[program.currency]
        quant = Decimal(1).scaleb(-minor_unit(currency))
        return _View(currency, quant, home.zone, home.tiers, home.gifts, None, why)

    def evaluate(
        self,
        cart: Cart,
        *,
        customer_group: str | None = None,
        customer_key: str | None = None,
        now: datetime,
        has_previous_orders: bool = False,
        granted_gifts: Set[str] = frozenset(),
        referral_codes: Mapping[str, str] = _NO_CODES,
    ) -> CartResult:
        """Price ``cart`` for a customer at instant ``now`` (timezone-aware).

        ``granted_gifts`` holds the threshold ids this customer already received (for
        ``once_per_customer``); ``referral_codes`` maps each known referral code to its referrer's
        customer key; ``has_previous_orders`` says whether this would not be a first order.
        """
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware (UTC)")
        view = self._views.get(cart.currency) or self._blocked_view(cart.currency)
        blocked, quant, tiers = view.blocked, view.quant, view.tiers
        by_sku, by_category = (tiers.by_sku, tiers.by_category) if blocked is None else (_NO_RULES, _NO_RULES)
        key = None if customer_group is None else customer_group.casefold()
        tier_prices: list[tuple[Decimal, CompiledBreak] | None] = []
        add_tier, product = tier_prices.append, _PRODUCT
        gross = line_discounts = others = _ZERO
        for line in cart.lines:
            price, qty = line.unit_price, line.qty
            if line.kind is product:
                if by_category and line.category_ids:
                    found = tiers.best_for_key(line.sku, qty, price, line.category_ids, key)
                else:
                    rules = by_sku.get(line.sku)
                    found = None if rules is None else lowest_offer(rules, qty, price, price, key, quant)
                add_tier(found)
                if found is not None:
                    price = found[0]
                row = price * qty
                gross += row
                if line.discount:
                    line_discounts += min(line.discount, row)
            else:
                add_tier(None)
                others += price * qty - line.discount
        gross = gross.quantize(quant, rounding=ROUND_HALF_UP)
        net = (gross - line_discounts).quantize(quant, rounding=ROUND_HALF_UP) if line_discounts else gross
        discounts: tuple[CartDiscount, ...] = ()
        referral = self._no_code
        if referral is not None and cart.coupon_codes:
            discount, referral = self._referee(
                view, cart.coupon_codes, net, customer_key, has_previous_orders, referral_codes
            )
            if discount is not None:
                discounts = (discount,)
                net -= discount.amount
        gifts: tuple[GiftLine, ...] = ()
        qualifying = net
        gift_index = view.gifts
        if gift_index is not None:
            if gift_index.base == "before_discounts":
                qualifying = gross
            if blocked is None:
                if gift_index.simple:  # highest mode without windows or once-per-customer, inlined
                    for threshold in gift_index.descending:
                        if qualifying >= threshold.threshold:
                            groups = threshold.groups
                            if groups is None or key in groups:
                                gifts = threshold.gifts
                                break
                else:
                    day = local_date(now, view.zone) if gift_index.has_windows else None
                    gifts = gift_index.select(qualifying, key, day, granted_gifts)
        subtotal = max(net + others.quantize(quant, rounding=ROUND_HALF_UP), _ZERO) if others else net
        return _result(
            cart,
            tuple(tier_prices),
            gifts,
            discounts,
            qualifying,
            subtotal,
            (view, customer_group, now, granted_gifts, referral),
        )

    def _referee(
        self,
        view: _View,
        codes: Sequence[str],
        base: Decimal,
        customer_key: str | None,
        has_previous_orders: bool,
        referral_codes: Mapping[str, str],
    ) -> tuple[CartDiscount | None, RuleOutcome]:
        """The referee's first-order discount on ``base``, or the outcome saying why there is none."""
        referrals = self.program.referrals
        assert referrals is not None
        rule = referrals.id
        if view.blocked is not None:
            return None, RuleOutcome(rule, False, f"no referral discount: {view.blocked}")
        hit = _find_referral(codes, referral_codes)
        if hit is None:
            listed = ", ".join(code.strip() for code in codes)
            return None, RuleOutcome(rule, False, f"unknown code: {listed} is not a known referral code")
        code, referrer = hit
        if customer_key is not None and customer_key == referrer:
            return None, RuleOutcome(rule, False, f"own code: referral code {code} belongs to this customer")
        if has_previous_orders:
            why = f"returning customer: referral code {code} is for a first order only"
            return None, RuleOutcome(rule, False, why)
        offer = referrals.referee_discount
        if offer.percent is not None:
            amount = (base * offer.percent / _HUNDRED).quantize(view.quant, rounding=ROUND_HALF_UP)
            what = f"{offer.percent.normalize():f} % off"
        else:
            assert view.referee_amount is not None
            amount = view.referee_amount
            what = f"{format_money(amount, view.currency)} off"
        if amount > base:
            amount = base
            what += f" (capped at the {format_money(base, view.currency)} subtotal)"
        if amount <= 0:
            why = f"referral code {code} is valid, but the cart has no product subtotal to discount"
            return None, RuleOutcome(rule, False, why)
        reason = f"{what} the first order with referral code {code} (referred by customer {referrer})"
        return CartDiscount(rule, amount, reason, code), RuleOutcome(rule, True, reason, Decimal(1))
