"""Reward points: spend points and bonuses, their reversals, FIFO expiry and redemptions.

Two steps. :class:`PointsRules` turns a customer's orders and refunds into *grants* (EARN and BONUS
intents, each one a batch of points) and *claims* (reversals that refunds and cancellations ask
for). :func:`~loyalty_connector.engine.account.settle_points` then replays grants, claims and
redemptions in time order over FIFO batches (see :mod:`loyalty_connector.engine.account`).

A canceled order shows no trace of having been complete, so it is evaluated as if it had earned
until its cancellation (``updated_at``): its grant (a no-op when the ledger holds it already) and a
reversal of everything left. When the cancellation falls in the holding period both count at the
same instant (see :func:`~loyalty_connector.engine.account.counted_at`) and net to zero.
"""

from __future__ import annotations

__all__ = [
    "REDEMPTION_RULE_ID",
    "PointsPlan",
    "PointsRules",
    "ReversalClaim",
    "counted_at",
    "round_points",
    "settle_points",
]

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal

from ..domain import OrderStatus, Refund
from ..program import EarnRule, Points, PointsBonus, Program
from .account import REDEMPTION_RULE_ID, ReversalClaim, counted_at, new_claim, settle_points
from .conditions import QUALIFYING
from .facts import OrderFacts, OrderReader
from .results import IntentKind, LedgerIntent, RuleOutcome, intent_key_prefix, new_intent, new_outcome

_ONE = Decimal(1)
_ZERO = Decimal(0)
_CANCELED, _CLOSED = OrderStatus.CANCELED, OrderStatus.CLOSED
_EARN_KIND, _BONUS_KIND = IntentKind.EARN, IntentKind.BONUS
_EARN, _BONUS = _EARN_KIND.value, _BONUS_KIND.value
"""Kind strings of idempotency keys (reading ``.value`` off an enum member is slow in a hot loop)."""
_AS_EARNED = "; the order was canceled later: counted as earned until then and reversed"
_ROUNDING = {"floor": ROUND_FLOOR, "round": ROUND_HALF_UP, "ceil": ROUND_CEILING}
_NO_SKUS: frozenset[str] = frozenset()


def round_points(value: Decimal, rounding: str) -> int:
    """``value`` rounded to whole points: ``floor``, ``round`` (half-up) or ``ceil``."""
    return int(value.to_integral_value(rounding=_ROUNDING[rounding]))


@dataclass(slots=True)
class PointsPlan:
    """What points-bearing rules produce before settlement."""

    grants: list[LedgerIntent] = field(default_factory=list)
    claims: list[ReversalClaim] = field(default_factory=list)
    intents: list[LedgerIntent] = field(default_factory=list)
    """Final intents that carry no batch (coupons, rejections)."""
    outcomes: list[RuleOutcome] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Earn:
    rule: EarnRule
    statuses: frozenset[OrderStatus]
    groups: frozenset[str]
    skus: frozenset[str]
    pending: timedelta
    rate: Decimal
    base: int
    """Index of the rule's subtotal in :attr:`OrderFacts.bases`."""
    rounding: str
    """The ``decimal`` rounding mode of the rule's ``rounding``."""
    tails: tuple[str, ...]
    """Per level index (the last for no level): the reason after the base amount."""
    attributes: tuple[tuple[tuple[str, str], ...], ...]
    """Per level index (the last for no level): the intent attributes after ``base``."""
    waiting: str
    """Why an order that has not reached the qualifying status earns nothing yet (after its status)."""


@dataclass(frozen=True, slots=True)
class _Bonus:
    rule: PointsBonus
    statuses: frozenset[OrderStatus]
    first_only: bool
    trigger: str


class PointsRules:
    """The programme's earn rules and bonuses, compiled once; :meth:`plan` runs them over one history."""

    def __init__(self, program: Program, points: Points, reader: OrderReader) -> None:
        self._currency = currency = program.currency
        self._reader = reader
        levels = program.levels.levels if program.levels is not None else []
        earn_rules = []
        for rule in points.earn:
            rate, rounding = rule.rate, rule.rounding
            tails = (
                *(
                    f" {currency} x {rate} x {level.points_multiplier} ({level.name}), rounded {rounding}"
                    for level in levels
                ),
                f" {currency} x {rate}, rounded {rounding}",
            )
            attributes = (
                *(
                    (("level", level.id), ("multiplier", str(level.points_multiplier)), ("rate", str(rate)))
                    for level in levels
                ),
                (("rate", str(rate)),),
            )
            earn_rules.append(
                _Earn(
                    rule,
                    QUALIFYING[rule.qualifying_status],
                    frozenset(code.casefold() for code in rule.exclude_customer_groups),
                    frozenset(rule.exclude_skus),
                    timedelta(days=rule.pending_days),
                    rate,
                    reader.base_index(rule.base.endswith("after_discounts"), rule.exclude_skus),
                    _ROUNDING[rounding],
                    tails,
                    attributes,
                    f"; points are earned once it is {rule.qualifying_status.value}",
                )
            )
        self._earn = tuple(earn_rules)
        self._bonuses = tuple(
            _Bonus(
                b, QUALIFYING[b.qualifying_status], b.trigger == "first_order", b.trigger.replace("_", " ")
            )
            for b in points.bonuses
        )
        self._multipliers = (
            *(_ONE if level.points_multiplier == 1 else level.points_multiplier for level in levels),
            _ONE,
        )
        """Per level index, the last for no level; a multiplier of 1 is :data:`_ONE` (not multiplied)."""
        self.expiry = None if points.expiry_days is None else timedelta(days=points.expiry_days)
        """How long points stay usable after they become available; ``None``: forever."""
        self.pending_days = max((rule.pending_days for rule in points.earn), default=0)
        """The longest holding period: referral payouts wait for it too."""

    def plan(
        self, *, source: str, customer_key: str, orders: Sequence[OrderFacts], levels: Sequence[int] | None
    ) -> PointsPlan:
        """Grants and claims of every earn rule and bonus over ``orders`` (in time order, none after now).

        Orders whose currency is left out of rewards (``spend`` is ``None``) are skipped: the caller
        explains those once. ``levels[i]`` is the index of the level held just before ``orders[i]``
        was placed (-1: none; ``None`` without levels): an order earns at the level its customer held
        when placing it, not at a level the order itself lifts them to.
        """
        out = PointsPlan()
        for earn in self._earn:
            self._earn_rule(earn, source, customer_key, orders, levels, out)
        for bonus in self._bonuses:
            self._bonus(bonus, source, customer_key, orders, out)
        return out

    def _earn_rule(
        self,
        earn: _Earn,
        source: str,
        customer_key: str,
        orders: Sequence[OrderFacts],
        levels: Sequence[int] | None,
        out: PointsPlan,
    ) -> None:
        rule, rule_id, expiry = earn.rule, earn.rule.id, self.expiry
        statuses, groups, rate, rounding, pending = (
            earn.statuses,
            earn.groups,
            earn.rate,
            earn.rounding,
            earn.pending,
        )
        base_index, tails, attributes, multipliers = earn.base, earn.tails, earn.attributes, self._multipliers
        prefix = intent_key_prefix(rule_id, _EARN, source, customer_key)
        grants, outcomes = out.grants, out.outcomes
        grant_points, add_outcome = grants.append, outcomes.append
        rate_is_one, floor = rate == 1, rounding == ROUND_FLOOR
        barred: dict[str, bool] = {}
        """Group code -> does the rule exclude it (one casefold per group, not per order)."""
        total = earning = 0
        for fact, level in zip(orders, [-1] * len(orders) if levels is None else levels, strict=True):
            base = fact.bases[base_index]
            if base is None:  # the order's currency is left out of rewards
                continue
            status = fact.status
            canceled = status is _CANCELED
            why = None
            if fact.native_points:
                why = "the shop awarded its own reward points"
            elif groups and (group := fact.group) is not None:
                excluded = barred.get(group)
                if excluded is None:
                    excluded = barred[group] = group.casefold() in groups
                if excluded:
                    why = f"customer group {group!r} earns no points"
            if why is None and not canceled and status not in statuses:
                why = f"it is {status.value}{earn.waiting}"
            if why is not None:
                add_outcome(new_outcome(rule_id, False, f"no points for order {fact.number}: {why}"))
                continue
            if not base:
                continue
            multiplier = multipliers[level]
            if rate_is_one:
                value = base if multiplier is _ONE else base * multiplier
            else:
                value = base * rate if multiplier is _ONE else base * rate * multiplier
            # base, rate and multipliers are never negative, so flooring is int()'s truncation
            points = int(value) if floor else int(value.to_integral_value(rounding=rounding))
            if points <= 0:
                continue
            placed = fact.placed_at
            available = placed + pending
            record = "order:" + fact.id
            text = fact.spend_text if base is fact.spend else f"{base:,}"
            reason = f"{points} points for order {fact.number}: {text}{tails[level]}"
            grant = new_intent(
                prefix + record,
                _EARN_KIND,
                rule_id,
                source,
                customer_key,
                record,
                placed,
                reason + _AS_EARNED if canceled else reason,
                points,
                None,
                None,
                None,
                available,
                None if expiry is None else available + expiry,
                None,
                (("base", str(base)), *attributes[level]),
            )
            grant_points(grant)
            total += points
            earning += 1
            if canceled or fact.refunds or status is _CLOSED:
                self._claims(grant, fact, base, fact.refunds, rule.reversal, earn.skus, out.claims)
        add_outcome(new_outcome(rule_id, total > 0, f"{total} points earned on {earning} orders"))

    def _bonus(
        self, bonus: _Bonus, source: str, customer_key: str, orders: Sequence[OrderFacts], out: PointsPlan
    ) -> None:
        """Every qualifying order, or the first order (the first not canceled; a canceled order before it
        is treated like any canceled order: granted and reversed)."""
        rule, currency = bonus.rule, self._currency
        prefix = intent_key_prefix(rule.id, _BONUS, source, customer_key)
        first_taken = False
        for fact in orders:
            value = fact.spend
            if value is None:
                continue
            if bonus.first_only and first_taken:
                break
            canceled = fact.status is _CANCELED
            first_taken = first_taken or not canceled
            if value < rule.min_subtotal:
                out.outcomes.append(
                    new_outcome(
                        rule.id,
                        False,
                        f"no bonus for order {fact.number}: subtotal {fact.spend_text} {currency} is below "
                        f"{rule.min_subtotal:,} {currency}",
                        progress=value / rule.min_subtotal,
                        missing=f"{rule.min_subtotal - value:,} {currency}",
                    )
                )
                continue
            if not canceled and fact.status not in bonus.statuses:
                out.outcomes.append(
                    new_outcome(
                        rule.id,
                        False,
                        f"no bonus yet for order {fact.number}: it is {fact.status.value}; the bonus is "
                        f"earned once it is {rule.qualifying_status.value}",
                    )
                )
                continue
            record = "order:" + fact.id
            placed = fact.placed_at
            grant = new_intent(
                prefix + record,
                _BONUS_KIND,
                rule.id,
                source,
                customer_key,
                record,
                placed,
                f"{rule.points} bonus points ({bonus.trigger}) for order {fact.number}",
                rule.points,
                None,
                None,
                None,
                placed,
                None if self.expiry is None else placed + self.expiry,
            )
            out.grants.append(grant)
            out.outcomes.append(new_outcome(rule.id, True, grant.reason, _ONE))
            if canceled or fact.refunds or fact.status is _CLOSED:
                self._claims(grant, fact, value, fact.refunds, rule.reversal, _NO_SKUS, out.claims)

    def _refund_value(self, refund: Refund, skus: frozenset[str]) -> Decimal:
        """The refunded value that counts against a grant: lines of excluded SKUs do not."""
        amount = refund.amount.amount
        if skus and refund.lines:
            amount = sum((line.amount.amount for line in refund.lines if line.sku not in skus), _ZERO)
        return self._reader.convert(amount, refund.amount.currency) or _ZERO

    def _claims(
        self,
        grant: LedgerIntent,
        fact: OrderFacts,
        base: Decimal,
        refunds: Iterable[Refund],
        policy: str,
        skus: frozenset[str],
        claims: list[ReversalClaim],
    ) -> None:
        """Claims on ``grant``: a share per refund (proportional); everything left on the refund that
        completes a full refund, or on closure or cancellation (record ``order:<id>``)."""
        proportional = policy == "proportional"
        refunded = _ZERO
        last = fact.placed_at
        for refund in refunds:
            value = self._refund_value(refund, skus)
            if value <= 0:
                continue
            refunded += value
            at = last = max(refund.created_at, last)
            full = refunded >= base
            wanted = grant.points if full else int(value * grant.points / base)
            if full or (proportional and wanted > 0):
                record = f"refund:{refund.external_id}" if proportional else f"order:{fact.id}"
                what = "fully refunded" if full else f"{value:,} of {base:,} {self._currency} refunded"
                reason = f"refund {refund.external_id} on order {fact.number}: {what}"
                claims.append(new_claim(grant.rule_id, record, at, grant.key, wanted, full, reason))
            if full:
                return
        status = fact.status
        if status is _CANCELED or status is _CLOSED:
            word = "canceled" if status is _CANCELED else "closed (fully refunded)"
            at = max(fact.updated_at, last)
            record = "order:" + fact.id
            reason = f"order {fact.number} {word}"
            claims.append(new_claim(grant.rule_id, record, at, grant.key, grant.points, True, reason))
