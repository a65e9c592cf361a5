"""Reward points: spend points and bonuses, their reversals, FIFO expiry and redemptions.

Two steps. :class:`PointsRules` turns a customer's orders and refunds into *grants* (EARN and BONUS
intents, each one a batch of points) and *claims* (reversals that refunds and cancellations ask
for). :func:`settle_points` then replays grants, claims and redemptions in time order over FIFO
batches: a claim takes back at most what is left of its grant, a redemption consumes the oldest
available batches first, and an expiry takes only what is left of its batch. So the balance never
goes negative, and every amount depends only on records dated before it.

A canceled order shows no trace of having been complete, so it is evaluated as if it had earned
until its cancellation (``updated_at``): its grant (a no-op when the ledger holds it already) and a
reversal of everything left. When the cancellation falls in the holding period both count at the
same instant (see :func:`counted_at`) and net to zero.
"""

from __future__ import annotations

__all__ = [
    "PointsPlan",
    "PointsRules",
    "ReversalClaim",
    "counted_at",
    "round_points",
    "settle_points",
]

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal

from ..domain import Order, OrderStatus, Refund, quantize
from ..program import EarnRule, Level, Points, PointsBonus, Program
from .conditions import QUALIFYING, convert_amount, qualifying_subtotal
from .results import IntentKind, LedgerIntent, Redemption, RuleOutcome, intent_key

REDEMPTION_RULE_ID = "points"
"""Rule id of REDEMPTION intents (redemptions are facts, not rules)."""

_ONE = Decimal(1)
_CANCELED, _CLOSED = OrderStatus.CANCELED, OrderStatus.CLOSED
_KIND_VALUES = {kind: kind.value for kind in IntentKind}
"""Kind strings for :func:`intent_key` (reading ``.value`` off an enum member is slow in a hot loop)."""
_EARN, _BONUS = _KIND_VALUES[IntentKind.EARN], _KIND_VALUES[IntentKind.BONUS]
_AS_EARNED = "; the order was canceled later: counted as earned until then and reversed"
_ROUNDING = {"floor": ROUND_FLOOR, "round": ROUND_HALF_UP, "ceil": ROUND_CEILING}


def round_points(value: Decimal, rounding: str) -> int:
    """``value`` rounded to whole points: ``floor``, ``round`` (half-up) or ``ceil``."""
    return int(value.to_integral_value(rounding=_ROUNDING[rounding]))


def counted_at(intent: LedgerIntent) -> datetime:
    """When an intent's points count in the usable balance: ``available_at`` if set, else ``effective_at``."""
    return intent.available_at if intent.available_at is not None else intent.effective_at


@dataclass(frozen=True, slots=True)
class ReversalClaim:
    """A reversal a refund or cancellation asks for; :func:`settle_points` decides how much it takes."""

    rule_id: str
    record: str
    at: datetime
    reverses: str
    """Key of the grant taken back."""
    points: int
    """Points wanted (ignored when ``sweep``)."""
    sweep: bool
    """Take back everything left of the grant (cancellation, full refund)."""
    reason: str


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


@dataclass(frozen=True, slots=True)
class _Bonus:
    rule: PointsBonus
    statuses: frozenset[OrderStatus]
    first_only: bool
    trigger: str


@dataclass(frozen=True, slots=True)
class _Customer:
    source: str
    key: str
    orders: Sequence[Order]
    spend: Mapping[str, Decimal | None]
    refunds: Mapping[str, Sequence[Refund]]
    group_of: Callable[[Order], str | None]
    level_before: Callable[[datetime], Level | None]


class PointsRules:
    """The programme's earn rules and bonuses, compiled once; :meth:`plan` runs them over one history."""

    def __init__(self, program: Program, points: Points) -> None:
        self._program = program
        self._currency = program.currency
        self._earn = tuple(
            _Earn(
                rule,
                QUALIFYING[rule.qualifying_status],
                frozenset(code.casefold() for code in rule.exclude_customer_groups),
                frozenset(rule.exclude_skus),
                timedelta(days=rule.pending_days),
                rule.rate,
            )
            for rule in points.earn
        )
        self._bonuses = tuple(
            _Bonus(
                b, QUALIFYING[b.qualifying_status], b.trigger == "first_order", b.trigger.replace("_", " ")
            )
            for b in points.bonuses
        )
        self.expiry = None if points.expiry_days is None else timedelta(days=points.expiry_days)
        """How long points stay usable after they become available; ``None``: forever."""
        self.pending_days = max((rule.pending_days for rule in points.earn), default=0)
        """The longest holding period: referral payouts wait for it too."""

    def plan(
        self,
        *,
        source: str,
        customer_key: str,
        orders: Sequence[Order],
        spend: Mapping[str, Decimal | None],
        refunds: Mapping[str, Sequence[Refund]],
        group_of: Callable[[Order], str | None],
        level_before: Callable[[datetime], Level | None],
    ) -> PointsPlan:
        """Grants and claims of every earn rule and bonus over ``orders`` (sorted, none after now).

        ``spend`` is each order's subtotal after discounts in programme currency, ``None`` when the
        order's currency is left out of rewards (the caller explains those once; they are skipped).
        ``level_before(t)`` is the level held just before ``t``: an order earns at the level its
        customer held when placing it, not at a level the order itself lifts them to.
        """
        out = PointsPlan()
        customer = _Customer(source, customer_key, orders, spend, refunds, group_of, level_before)
        for earn in self._earn:
            self._earn_rule(earn, customer, out)
        for bonus in self._bonuses:
            self._bonus(bonus, customer, out)
        return out

    def _earn_rule(self, earn: _Earn, customer: _Customer, out: PointsPlan) -> None:
        rule, rule_id, currency, expiry = earn.rule, earn.rule.id, self._currency, self.expiry
        total = earning = 0
        for order in customer.orders:
            if customer.spend[order.external_id] is None:
                continue
            canceled = order.status is _CANCELED
            why = None
            if order.native_reward_points:
                why = "the shop awarded its own reward points"
            elif (group := customer.group_of(order)) is not None and group.casefold() in earn.groups:
                why = f"customer group {group!r} earns no points"
            elif not canceled and order.status not in earn.statuses:
                why = (
                    f"it is {order.status.value}; points are earned once it is {rule.qualifying_status.value}"
                )
            if why is not None:
                out.outcomes.append(RuleOutcome(rule_id, False, f"no points for order {order.number}: {why}"))
                continue
            base = convert_amount(
                self._program, qualifying_subtotal(order, rule.base, earn.skus), order.currency
            )
            level = customer.level_before(order.placed_at)
            multiplier = level.points_multiplier if level is not None else _ONE
            points = round_points(base * earn.rate * multiplier, rule.rounding) if base else 0
            if base is None or points <= 0:
                continue
            available = order.placed_at + earn.pending
            record = f"order:{order.external_id}"
            reason = f"{points} points for order {order.number}: {base:,} {currency} x {earn.rate}"
            if level is None:
                attributes: tuple[tuple[str, str], ...] = (("base", str(base)), ("rate", str(earn.rate)))
            else:
                reason += f" x {multiplier} ({level.name})"
                attributes = (
                    ("base", str(base)),
                    ("level", level.id),
                    ("multiplier", str(multiplier)),
                    ("rate", str(earn.rate)),
                )
            grant = LedgerIntent(
                intent_key(rule_id, _EARN, customer.source, customer.key, record),
                IntentKind.EARN,
                rule_id,
                customer.source,
                customer.key,
                record,
                order.placed_at,
                f"{reason}, rounded {rule.rounding}" + (_AS_EARNED if canceled else ""),
                points,
                available_at=available,
                expires_at=None if expiry is None else available + expiry,
                attributes=attributes,
            )
            out.grants.append(grant)
            total += points
            earning += 1
            refunds = customer.refunds.get(order.external_id)
            if refunds or canceled or order.status is _CLOSED:
                self._claims(grant, order, base, refunds or (), rule.reversal, earn.skus, out.claims)
        out.outcomes.append(RuleOutcome(rule_id, total > 0, f"{total} points earned on {earning} orders"))

    def _bonus(self, bonus: _Bonus, customer: _Customer, out: PointsPlan) -> None:
        """Every qualifying order, or the first order (the first not canceled; a canceled order before it
        is treated like any canceled order: granted and reversed)."""
        rule, currency = bonus.rule, self._currency
        first_taken = False
        for order in customer.orders:
            value = customer.spend[order.external_id]
            if value is None:
                continue
            if bonus.first_only and first_taken:
                break
            canceled = order.status is _CANCELED
            first_taken = first_taken or not canceled
            if value < rule.min_subtotal:
                out.outcomes.append(
                    RuleOutcome(
                        rule.id,
                        False,
                        f"no bonus for order {order.number}: subtotal {value:,} {currency} is below "
                        f"{rule.min_subtotal:,} {currency}",
                        progress=value / rule.min_subtotal,
                        missing=f"{rule.min_subtotal - value:,} {currency}",
                    )
                )
                continue
            if not canceled and order.status not in bonus.statuses:
                out.outcomes.append(
                    RuleOutcome(
                        rule.id,
                        False,
                        f"no bonus yet for order {order.number}: it is {order.status.value}; the bonus is "
                        f"earned once it is {rule.qualifying_status.value}",
                    )
                )
                continue
            record = f"order:{order.external_id}"
            grant = LedgerIntent(
                intent_key(rule.id, _BONUS, customer.source, customer.key, record),
                IntentKind.BONUS,
                rule.id,
                customer.source,
                customer.key,
                record,
                order.placed_at,
                f"{rule.points} bonus points ({bonus.trigger}) for order {order.number}",
                rule.points,
                available_at=order.placed_at,
                expires_at=None if self.expiry is None else order.placed_at + self.expiry,
            )
            out.grants.append(grant)
            out.outcomes.append(RuleOutcome(rule.id, True, grant.reason, progress=_ONE))
            refunds = customer.refunds.get(order.external_id, ())
            self._claims(grant, order, value, refunds, rule.reversal, frozenset(), out.claims)

    def _refund_value(self, refund: Refund, skus: frozenset[str]) -> Decimal:
        """The refunded value that counts against a grant: lines of excluded SKUs do not."""
        amount = refund.amount.amount
        if skus and refund.lines:
            amount = sum((line.amount.amount for line in refund.lines if line.sku not in skus), Decimal(0))
        return convert_amount(self._program, amount, refund.amount.currency) or Decimal(0)

    def _claims(
        self,
        grant: LedgerIntent,
        order: Order,
        base: Decimal,
        refunds: Iterable[Refund],
        policy: str,
        skus: frozenset[str],
        claims: list[ReversalClaim],
    ) -> None:
        """Claims on ``grant``: a share per refund (proportional); everything left on the refund that
        completes a full refund, or on closure or cancellation (record ``order:<id>``)."""
        proportional = policy == "proportional"
        refunded = Decimal(0)
        last = order.placed_at
        for refund in refunds:
            value = self._refund_value(refund, skus)
            if value <= 0:
                continue
            refunded += value
            at = last = max(refund.created_at, last)
            full = refunded >= base
            wanted = grant.points if full else int(value * grant.points / base)
            if full or (proportional and wanted > 0):
                record = f"refund:{refund.external_id}" if proportional else f"order:{order.external_id}"
                what = "fully refunded" if full else f"{value:,} of {base:,} {self._currency} refunded"
                reason = f"refund {refund.external_id} on order {order.number}: {what}"
                claims.append(ReversalClaim(grant.rule_id, record, at, grant.key, wanted, full, reason))
            if full:
                return
        if order.status is _CANCELED or order.status is _CLOSED:
            word = "canceled" if order.status is _CANCELED else "closed (fully refunded)"
            at = max(order.updated_at, last)
            record = f"order:{order.external_id}"
            reason = f"order {order.number} {word}"
            claims.append(ReversalClaim(grant.rule_id, record, at, grant.key, grant.points, True, reason))


_AVAILABLE, _EXPIRE, _CLAIM, _REDEEM = range(4)
"""Order of events at one instant."""


@dataclass(slots=True)
class _Batch:
    grant: LedgerIntent
    remaining: int
    reversed: int = 0
    redeemed: int = 0
    clawed: int = 0


def settle_points(
    grants: Sequence[LedgerIntent],
    claims: Sequence[ReversalClaim],
    redemptions: Sequence[Redemption],
    now: datetime,
    *,
    source: str,
    customer_key: str,
    points_per_unit: Decimal | None = None,
    currency: str | None = None,
) -> tuple[list[LedgerIntent], list[RuleOutcome]]:
    """Replay grants, claims and redemptions up to ``now`` over FIFO batches.

    Returns the grants followed by the REVERSAL, EXPIRY and REDEMPTION intents that happened by
    ``now``. At one instant: batches become available, then expire, then claims, then redemptions.
    A claim takes back at most what is left of its grant, first from that batch, then — for the part
    the customer already redeemed — from their other available batches, oldest first; what cannot be
    recovered is noted, never pushed below zero. A redemption larger than the available balance is
    recorded for what was available (the rest is reported as an outcome); with ``points_per_unit`` and
    ``currency`` it carries the money value of the redeemed points as ``amount``.
    """
    batches = {grant.key: _Batch(grant, grant.points) for grant in grants}
    events: list[tuple[datetime, int, str, _Batch | ReversalClaim | Redemption]] = []
    for batch in batches.values():
        available = counted_at(batch.grant)
        if available <= now:
            events.append((available, _AVAILABLE, batch.grant.key, batch))
        expires = batch.grant.expires_at
        if expires is not None and expires <= now:
            events.append((expires, _EXPIRE, batch.grant.key, batch))
    for claim in claims:
        if claim.at <= now and claim.reverses in batches:
            events.append((claim.at, _CLAIM, claim.record + "/" + claim.rule_id, claim))
    for redemption in redemptions:
        if redemption.at <= now:
            events.append((redemption.at, _REDEEM, redemption.key, redemption))
    events.sort(key=lambda event: (event[0], event[1], event[2]))
    account = _Account(source, customer_key, list(grants), points_per_unit, currency)
    for _, step, _, payload in events:
        if isinstance(payload, _Batch):
            if step == _AVAILABLE:
                account.fifo.append(payload)
            else:
                account.expire(payload)
        elif isinstance(payload, ReversalClaim):
            account.reverse(payload, batches[payload.reverses])
        else:
            account.redeem(payload)
    return account.intents, account.outcomes


@dataclass(slots=True)
class _Account:
    """A customer's points batches during settlement, and the entries settlement writes."""

    source: str
    customer_key: str
    intents: list[LedgerIntent]
    points_per_unit: Decimal | None
    currency: str | None
    outcomes: list[RuleOutcome] = field(default_factory=list)
    fifo: list[_Batch] = field(default_factory=list)
    """Available batches, oldest first."""

    def _entry(
        self,
        kind: IntentKind,
        rule_id: str,
        record: str,
        at: datetime,
        reason: str,
        points: int,
        *,
        available_at: datetime | None = None,
        reverses: str | None = None,
        attributes: dict[str, str] | None = None,
        amount: Decimal | None = None,
    ) -> None:
        key = intent_key(rule_id, _KIND_VALUES[kind], self.source, self.customer_key, record)
        self.intents.append(
            LedgerIntent(
                key,
                kind,
                rule_id,
                self.source,
                self.customer_key,
                record,
                at,
                reason,
                points,
                amount=amount,
                currency=self.currency if amount is not None else None,
                available_at=available_at,
                reverses=reverses,
                attributes=tuple(sorted(attributes.items())) if attributes else (),
            )
        )

    def _take(self, wanted: int, skip: _Batch | None = None) -> list[tuple[_Batch, int]]:
        """Consume up to ``wanted`` points from the available batches, oldest first."""
        if len(self.fifo) > 32 and self.fifo[0].remaining == 0:
            self.fifo = [batch for batch in self.fifo if batch.remaining > 0]
        taken = []
        for batch in self.fifo:
            if wanted <= 0:
                break
            if batch is skip or batch.remaining <= 0:
                continue
            part = min(batch.remaining, wanted)
            batch.remaining -= part
            wanted -= part
            taken.append((batch, part))
        return taken

    def expire(self, batch: _Batch) -> None:
        grant = batch.grant
        if batch.remaining > 0 and grant.expires_at is not None:
            reason = f"{batch.remaining} of {grant.points} points from {grant.record} expired unused"
            self._entry(
                IntentKind.EXPIRY, grant.rule_id, grant.record, grant.expires_at, reason, -batch.remaining,
                reverses=grant.key,
            )  # fmt: skip
            batch.remaining = 0

    def reverse(self, claim: ReversalClaim, batch: _Batch) -> None:
        grant = batch.grant
        left = grant.points - batch.reversed
        wanted = left if claim.sweep else min(claim.points, left)
        if wanted <= 0:
            return
        batch.reversed += wanted
        own = min(batch.remaining, wanted)
        batch.remaining -= own
        clawback = min(wanted - own, batch.redeemed - batch.clawed)
        clawed = sum(part for _, part in self._take(clawback, skip=batch)) if clawback > 0 else 0
        batch.clawed += clawed
        total = own + clawed
        if total <= 0:
            return
        attributes = {"requested": str(wanted)}
        if clawed:
            attributes["clawed_back"] = str(clawed)
        if total < wanted:
            attributes["unrecovered"] = str(wanted - total)
        self._entry(
            IntentKind.REVERSAL, claim.rule_id, claim.record, claim.at,
            f"{total} points reversed: {claim.reason}", -total,
            available_at=max(claim.at, counted_at(grant)), reverses=grant.key, attributes=attributes,
        )  # fmt: skip

    def redeem(self, redemption: Redemption) -> None:
        wanted = abs(redemption.points)
        taken = self._take(wanted)
        for batch, part in taken:
            batch.redeemed += part
        total = sum(part for _, part in taken)
        attributes = dict(redemption.attributes)
        if total < wanted:
            attributes["requested"] = str(wanted)
            self.outcomes.append(
                RuleOutcome(
                    REDEMPTION_RULE_ID,
                    False,
                    f"redemption {redemption.key} asked for {wanted} points but only {total} were "
                    f"available; recorded {total}",
                )
            )
        if total > 0:
            value = None
            if self.points_per_unit is not None and self.currency is not None:
                value = quantize(Decimal(total) / self.points_per_unit, self.currency)
            self._entry(
                IntentKind.REDEMPTION, REDEMPTION_RULE_ID, f"redemption:{redemption.key}", redemption.at,
                redemption.reason, -total, attributes=attributes, amount=value,
            )  # fmt: skip
