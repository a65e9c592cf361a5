"""Evaluate one customer's whole history: points, levels, coupons and referral rewards.

:class:`CustomerEvaluator` compiles the programme once; :meth:`CustomerEvaluator.evaluate` re-reads a
customer's complete history at ``now`` and returns the complete set of ledger intents. Keys derive
only from the rule, the kind, the customer and the source record, so evaluating again — later, or
with the history in another order — yields the same keys, and the ledger's unique index makes
writing them again a no-op. Records dated after ``now`` (orders placed, refunds created,
redemptions made later) are ignored: an evaluation is the history as of ``now``.

The history is read once into per-order facts (:mod:`~loyalty_connector.engine.facts`: subtotals in
programme currency, group, refunds) that levels, points, bonuses and coupons all share.
"""

from __future__ import annotations

__all__ = ["CustomerEvaluator", "CustomerResult", "History", "LevelState", "Referee"]

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from operator import attrgetter
from types import MappingProxyType

from ..domain import Customer, Order, Refund
from ..program import Program
from .account import counted_at, settle_points
from .coupons import CouponRules
from .facts import OrderReader, refunds_by_order
from .levels import LevelRules, LevelState
from .points import PointsPlan, PointsRules
from .referrals import ReferralRules
from .results import LedgerIntent, Redemption, RuleOutcome, new_outcome
from .slots import check_builder

_NO_GROUPS: Mapping[str, str] = MappingProxyType({})
_BY_AT = attrgetter("at", "key")
_BY_TIME = attrgetter("effective_at", "key")


@dataclass(frozen=True, slots=True)
class History:
    """One customer's whole history, in any order; the evaluator sorts by time, then id."""

    orders: Sequence[Order]
    refunds: Sequence[Refund] = ()
    redemptions: Sequence[Redemption] = ()


@dataclass(frozen=True, slots=True)
class Referee:
    """A customer or guest whose orders used the referrer's code."""

    customer: Customer | None
    email: str
    history: History


@dataclass(frozen=True, slots=True)
class CustomerResult:
    """Everything the rules say about one customer at ``now``."""

    intents: tuple[LedgerIntent, ...]
    """Every intent up to ``now``, sorted by ``(effective_at, key)``; keys are unique."""
    level: LevelState | None
    """The level held at ``now``; ``None`` when the programme has no levels."""
    outcomes: tuple[RuleOutcome, ...]
    referral_code: str | None
    """The customer's referral code; ``None`` without referrals or without a secret."""

    def points_balance(self, at: datetime) -> int:
        """Usable points at ``at``: each entry counts from ``available_at`` (else ``effective_at``)."""
        return sum(i.points for i in self.intents if i.points and counted_at(i) <= at)

    def points_pending(self, at: datetime) -> int:
        """Points recorded by ``at`` but still in their holding period (net of pending reversals)."""
        return sum(
            i.points
            for i in self.intents
            if i.points and i.available_at is not None and i.effective_at <= at < i.available_at
        )


class _ResultBuilder:
    """Builds a :class:`CustomerResult` with plain attribute writes (see :mod:`.slots`)."""

    __slots__ = CustomerResult.__slots__

    def __init__(
        self,
        intents: tuple[LedgerIntent, ...],
        level: LevelState | None,
        outcomes: tuple[RuleOutcome, ...],
        referral_code: str | None,
    ) -> None:
        self.intents = intents
        self.level = level
        self.outcomes = outcomes
        self.referral_code = referral_code
        self.__class__ = CustomerResult  # type: ignore[assignment]


check_builder(_ResultBuilder, CustomerResult)
_new_result: Callable[..., CustomerResult] = _ResultBuilder  # type: ignore[assignment]


def _redemptions(redemptions: Sequence[Redemption], now: datetime) -> list[Redemption]:
    if not redemptions:
        return []
    unique = {r.key: r for r in redemptions if r.at <= now}
    return sorted(unique.values(), key=_BY_AT)


class CustomerEvaluator:
    """The customer half of the rule engine: the programme compiled once, evaluated per customer."""

    def __init__(self, program: Program) -> None:
        self.program = program
        points = program.points
        self._reader = OrderReader(program)
        self._points = PointsRules(program, points, self._reader) if points is not None else None
        self._levels = LevelRules(program, program.levels) if program.levels is not None else None
        self._coupons = CouponRules(program, program.coupons) if program.coupons is not None else None
        self._referrals = (
            ReferralRules(
                program,
                program.referrals,
                pending_days=self._points.pending_days if self._points is not None else 0,
                expiry=self._points.expiry if self._points is not None else None,
            )
            if program.referrals is not None
            else None
        )
        rule_ids: list[str] = []
        if points is not None:
            rule_ids += [r.id for r in points.earn] + [b.id for b in points.bonuses]
        if program.coupons is not None:
            rule_ids += [c.id for c in program.coupons.next_purchase]
        if program.levels is not None:
            rule_ids += [level.id for level in program.levels.levels]
        self._order_rule_ids = tuple(rule_ids)
        self._points_per_unit = points.points_per_currency_unit if points is not None else None
        self._currency = program.currency
        if program.foreign_currency == "convert":
            self._foreign = "there is no exchange rate for it, so it is left out of rewards"
        else:
            self._foreign = "orders in other currencies are left out of rewards (foreign_currency: exclude)"

    def evaluate(
        self,
        customer: Customer,
        history: History,
        now: datetime,
        *,
        customer_group: str | None = None,
        referees: Sequence[Referee] = (),
        referral_secret: bytes | None = None,
        group_codes: Mapping[str, str] = _NO_GROUPS,
    ) -> CustomerResult:
        """Every ledger intent ``customer``'s history yields up to ``now``, the level and the outcomes.

        ``customer_group`` is the customer's current group code (else their ``group_id`` is mapped
        through ``group_codes``); an order's own ``group_id`` wins for that order's rules.
        """
        if now.tzinfo is None or now.utcoffset() is None:
            raise ValueError("now must be timezone-aware (UTC)")
        source, key, created_at = customer.source, customer.key, customer.created_at
        own_group = customer_group
        if own_group is None and customer.group_id is not None:
            own_group = group_codes.get(customer.group_id, customer.group_id)
        refunds = refunds_by_order(history.refunds, now) if history.refunds else {}
        orders = self._reader.read(history.orders, refunds, own_group, group_codes, now)
        intents: list[LedgerIntent] = []
        outcomes: list[RuleOutcome] = []
        for fact in orders:
            if fact.spend is None:
                order = fact.order
                reason = f"order {order.number} is in {order.currency}: {self._foreign}"
                outcomes.extend(new_outcome(rule_id, False, reason) for rule_id in self._order_rule_ids)
        levels = self._levels
        level_state, timeline, held_before = None, None, None
        if levels is not None:
            timeline = levels.timeline(created_at, orders, self._reader)
            level_state = levels.state(timeline, created_at, now)
            intents += levels.intents(timeline, source, key, now)
            outcomes += levels.outcomes(timeline, level_state, created_at, now)
            held_before = timeline.held_before_each([fact.placed_at for fact in orders])

        def groups_at(at: datetime) -> set[str]:
            groups = {own_group} if own_group is not None else set()
            if levels is not None and timeline is not None:
                level = levels.level(timeline.held_at(at))
                if level is not None:
                    groups.add(level.customer_group)
            return groups

        if self._points is not None:
            plan = self._points.plan(source=source, customer_key=key, orders=orders, levels=held_before)
        else:
            plan = PointsPlan()
        code = None
        if self._referrals is not None:
            if referral_secret:
                code = self._referrals.code(referral_secret, source, key)
            if referees:
                referral = self._referrals.plan(customer, referees, code, now)
                plan.grants += referral.grants
                plan.claims += referral.claims
                plan.intents += referral.intents
                plan.outcomes += referral.outcomes
        redemptions = _redemptions(history.redemptions, now)
        if plan.grants or redemptions:
            settled, why = settle_points(
                plan.grants,
                plan.claims,
                redemptions,
                now,
                source=source,
                customer_key=key,
                points_per_unit=self._points_per_unit,
                currency=self._currency,
            )
            intents += settled
            outcomes += why
        intents += plan.intents
        outcomes += plan.outcomes
        if self._coupons is not None:
            found, why = self._coupons.next_purchase(source=source, customer_key=key, orders=orders)
            intents += found
            outcomes += why
            found, why = self._coupons.birthday(
                customer=customer, source=source, groups_at=groups_at, now=now
            )
            intents += found
            outcomes += why
        intents.sort(key=_BY_TIME)
        return _new_result(tuple(intents), level_state, tuple(outcomes), code)
