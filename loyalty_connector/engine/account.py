"""Settling a customer's points: grants, reversal claims and redemptions replayed over FIFO batches.

:class:`~loyalty_connector.engine.points.PointsRules` (and referral rewards) produce *grants* — EARN,
BONUS and REFERRAL_REWARD intents, each one a batch of points — and *claims*, the reversals refunds
and cancellations ask for. :func:`settle_points` replays them with the customer's redemptions in time
order: a claim takes back at most what is left of its grant, a redemption consumes the oldest
available batches first, and an expiry takes only what is left of its batch. So the balance never
goes negative, and every amount depends only on records dated before it.
"""

from __future__ import annotations

__all__ = ["REDEMPTION_RULE_ID", "ReversalClaim", "counted_at", "new_claim", "settle_points"]

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from ..domain import quantize
from .results import (
    IntentKind,
    LedgerIntent,
    Redemption,
    RuleOutcome,
    intent_key_prefix,
    new_intent,
    new_outcome,
)
from .slots import check_builder

REDEMPTION_RULE_ID = "points"
"""Rule id of REDEMPTION intents (redemptions are facts, not rules)."""

_KIND_VALUES = {kind: kind.value for kind in IntentKind}
_EXPIRY, _REVERSAL = IntentKind.EXPIRY, IntentKind.REVERSAL
"""Kind strings of idempotency keys (reading ``.value`` off an enum member is slow in a hot loop)."""


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


class _ClaimBuilder:
    """Builds a :class:`ReversalClaim` with plain attribute writes (see :mod:`.slots`); same arguments."""

    __slots__ = ReversalClaim.__slots__

    def __init__(
        self, rule_id: str, record: str, at: datetime, reverses: str, points: int, sweep: bool, reason: str
    ) -> None:
        self.rule_id = rule_id
        self.record = record
        self.at = at
        self.reverses = reverses
        self.points = points
        self.sweep = sweep
        self.reason = reason
        self.__class__ = ReversalClaim  # type: ignore[assignment]


check_builder(_ClaimBuilder, ReversalClaim)
new_claim: Callable[..., ReversalClaim] = _ClaimBuilder  # type: ignore[assignment]
"""``ReversalClaim(...)`` (same arguments) at a third of the cost."""

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
    ``now``. At one instant: batches become available, then expire, then claims, then redemptions
    (each kind in key order, then in the order given). A claim takes back at most what is left of
    its grant, first from that batch, then — for the part the customer already redeemed — from their
    other available batches, oldest first; what cannot be recovered is noted, never pushed below
    zero. A redemption larger than the available balance is recorded for what was available (the
    rest is reported as an outcome); with ``points_per_unit`` and ``currency`` it carries the money
    value of the redeemed points as ``amount``.
    """
    granted = {grant.key: grant for grant in grants}
    # a batch is made only for a grant something happens to (it becomes available to redemptions,
    # expires, or is claimed): most grants just stay
    batches: dict[str, _Batch] = {}
    # only redemptions (and the clawbacks they make possible) take from the available batches
    redeeming = any(redemption.at <= now for redemption in redemptions)
    # (instant, step, key, sequence, payload): the sequence keeps equal (instant, step, key) events in
    # the order given and stops the comparison before the payload
    events: list[tuple[datetime, int, str, int, Any]] = []
    add = events.append
    for key, grant in granted.items():
        batch = None
        if redeeming:
            available = grant.available_at if grant.available_at is not None else grant.effective_at
            if available <= now:
                batch = batches[key] = _Batch(grant, grant.points)
                add((available, _AVAILABLE, key, len(events), batch))
        expires = grant.expires_at
        if expires is not None and expires <= now:
            if batch is None:
                batch = batches[key] = _Batch(grant, grant.points)
            add((expires, _EXPIRE, key, len(events), batch))
    if claims:
        for claim in claims:
            if claim.at <= now and claim.reverses in granted:
                if claim.reverses not in batches:
                    grant = granted[claim.reverses]
                    batches[grant.key] = _Batch(grant, grant.points)
                add((claim.at, _CLAIM, claim.record + "/" + claim.rule_id, len(events), claim))
    for redemption in redemptions:
        if redemption.at <= now:
            add((redemption.at, _REDEEM, redemption.key, len(events), redemption))
    if not events:  # nothing happened to any batch yet: the grants are all there is
        return list(grants), []
    events.sort()
    account = _Account(source, customer_key, list(grants), points_per_unit, currency)
    fifo = account.fifo
    for _, step, _, _, payload in events:
        if step == _AVAILABLE:
            fifo.append(payload)
        elif step == _EXPIRE:
            account.expire(payload)
        elif step == _CLAIM:
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
        available_at: datetime | None = None,
        reverses: str | None = None,
        attributes: tuple[tuple[str, str], ...] = (),
        amount: Decimal | None = None,
    ) -> None:
        """Write one entry; ``attributes`` already sorted by name."""
        key = intent_key_prefix(rule_id, _KIND_VALUES[kind], self.source, self.customer_key) + record
        self.intents.append(
            new_intent(
                key,
                kind,
                rule_id,
                self.source,
                self.customer_key,
                record,
                at,
                reason,
                points,
                amount,
                self.currency if amount is not None else None,
                None,
                available_at,
                None,
                reverses,
                attributes,
            )
        )

    def _take(self, wanted: int, skip: _Batch | None = None) -> list[tuple[_Batch, int]]:
        """Consume up to ``wanted`` points from the available batches, oldest first."""
        fifo = self.fifo
        if len(fifo) > 32 and fifo[0].remaining == 0:
            fifo[:] = [batch for batch in fifo if batch.remaining > 0]
        taken = []
        for batch in fifo:
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
                _EXPIRY,
                grant.rule_id,
                grant.record,
                grant.expires_at,
                reason,
                -batch.remaining,
                None,
                grant.key,
            )
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
        # sorted by name: clawed_back, requested, unrecovered
        attributes: tuple[tuple[str, str], ...] = (("requested", str(wanted)),)
        if clawed:
            attributes = (("clawed_back", str(clawed)), *attributes)
        if total < wanted:
            attributes += (("unrecovered", str(wanted - total)),)
        self._entry(
            _REVERSAL, claim.rule_id, claim.record, claim.at, f"{total} points reversed: {claim.reason}",
            -total, max(claim.at, counted_at(grant)), grant.key, attributes,
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
                new_outcome(
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
                redemption.reason, -total, attributes=tuple(sorted(attributes.items())), amount=value,
            )  # fmt: skip
