"""The engine's one front door: price a cart, or evaluate a customer's history into ledger intents.

``evaluate_cart`` and ``evaluate_customer`` are the convenient calls; :class:`Engine` compiles the
programme once and is what a loop over thousands of carts or customers should hold on to. Both are
pure: the same programme, history and ``now`` give the same result, and every result carries the
rule id and a human reason.
"""

from __future__ import annotations

__all__ = ["Engine", "evaluate_cart", "evaluate_customer"]

from collections.abc import Mapping, Sequence
from datetime import datetime
from types import MappingProxyType

from ..domain import Customer, LineKind, OrderStatus
from ..program import Program
from .cart import Cart, CartEvaluator, CartResult
from .customer import CustomerEvaluator, CustomerResult, History, Referee

_EMPTY: Mapping[str, str] = MappingProxyType({})


class Engine:
    """A programme compiled for evaluation. Cheap to call repeatedly; immutable; thread-safe."""

    def __init__(self, program: Program) -> None:
        self.program = program
        self.carts = CartEvaluator(program)
        self.customers = CustomerEvaluator(program)
        self._gift_rules: dict[str, list[str]] = {}
        if program.free_products:
            for threshold in program.free_products.thresholds:
                self._gift_rules.setdefault(threshold.gift_sku, []).append(threshold.id)

    def evaluate_cart(
        self,
        customer: Customer | None,
        history: History,
        cart: Cart,
        now: datetime,
        *,
        customer_group: str | None = None,
        referral_codes: Mapping[str, str] = _EMPTY,
        group_codes: Mapping[str, str] = _EMPTY,
    ) -> CartResult:
        """Price ``cart`` for ``customer`` (``None``: a guest) given their order ``history``.

        Tier prices, gifts to add and the referee discount for a first order that carries a known
        referral code (``referral_codes`` maps code -> referrer customer key). The customer group is
        ``customer_group`` when given, else the customer's group looked up in ``group_codes``.
        """
        group = customer_group
        if group is None and customer is not None and customer.group_id is not None:
            group = group_codes.get(customer.group_id, customer.group_id)
        earlier = [o for o in history.orders if o.placed_at <= now and o.status is not OrderStatus.CANCELED]
        granted = frozenset(
            rule_id
            for order in earlier
            for line in order.lines
            if line.kind is LineKind.GIFT or (line.unit_price.is_zero() and line.sku in self._gift_rules)
            for rule_id in self._gift_rules.get(line.sku, ())
        )
        return self.carts.evaluate(
            cart,
            customer_group=group,
            customer_key=customer.key if customer is not None else None,
            now=now,
            has_previous_orders=bool(earlier),
            granted_gifts=granted,
            referral_codes=referral_codes,
        )

    def evaluate_customer(
        self,
        customer: Customer,
        history: History,
        now: datetime,
        *,
        customer_group: str | None = None,
        referees: Sequence[Referee] = (),
        referral_secret: bytes | None = None,
        group_codes: Mapping[str, str] = _EMPTY,
    ) -> CustomerResult:
        """Every ledger intent the customer's history implies at ``now``, plus level and outcomes.

        Points earned, reversed and expired; referral rewards for ``referees`` who used the
        customer's code; coupons; level changes — each with an idempotency key from rule, customer
        and source record, so writing them to the ledger twice changes nothing.
        """
        return self.customers.evaluate(
            customer,
            history,
            now,
            customer_group=customer_group,
            referees=referees,
            referral_secret=referral_secret,
            group_codes=group_codes,
        )


def evaluate_cart(
    program: Program,
    customer: Customer | None,
    history: History,
    cart: Cart,
    now: datetime,
    *,
    customer_group: str | None = None,
    referral_codes: Mapping[str, str] = _EMPTY,
    group_codes: Mapping[str, str] = _EMPTY,
) -> CartResult:
    """Price one cart: tier prices, gifts to add, referral discount. See :meth:`Engine.evaluate_cart`."""
    return Engine(program).evaluate_cart(
        customer,
        history,
        cart,
        now,
        customer_group=customer_group,
        referral_codes=referral_codes,
        group_codes=group_codes,
    )


def evaluate_customer(
    program: Program,
    customer: Customer,
    history: History,
    now: datetime,
    *,
    customer_group: str | None = None,
    referees: Sequence[Referee] = (),
    referral_secret: bytes | None = None,
    group_codes: Mapping[str, str] = _EMPTY,
) -> CustomerResult:
    """A customer's ledger intents, level and rule outcomes. See :meth:`Engine.evaluate_customer`."""
    return Engine(program).evaluate_customer(
        customer,
        history,
        now,
        customer_group=customer_group,
        referees=referees,
        referral_secret=referral_secret,
        group_codes=group_codes,
    )
