"""What the engine says: ledger intents and rule outcomes, each with the rule id and a human reason.

Results are plain frozen dataclasses (not pydantic): the engine creates millions of them in a
backfill and they are already valid by construction. Every result answers "why" — and a rule that
did *not* apply answers "why not, and how close" through :class:`RuleOutcome`.
"""

from __future__ import annotations

__all__ = [
    "IntentKind",
    "LedgerIntent",
    "Redemption",
    "RuleOutcome",
    "intent_key",
    "intent_key_prefix",
    "new_intent",
    "new_outcome",
]

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from .slots import check_builder, slot_writers


class IntentKind(str, enum.Enum):
    """What a ledger entry records. Reversals, expiries and redemptions are entries of their own."""

    EARN = "earn"
    """Points earned by spend (pending until ``available_at``)."""
    BONUS = "bonus"
    """A fixed points bonus (first order, ...)."""
    REVERSAL = "reversal"
    """Points or a reward taken back after a refund or cancellation (negative points)."""
    EXPIRY = "expiry"
    """Points that expired unused (negative points)."""
    REDEMPTION = "redemption"
    """Points spent by the customer (negative points); recorded by the shop or the operator."""
    REFERRAL_REWARD = "referral_reward"
    """The referrer's reward for a qualified referee (points or a coupon)."""
    REFERRAL_REJECTED = "referral_rejected"
    """A referral that will never pay out, with the reason (self-referral, cap, returning customer...)."""
    COUPON = "coupon"
    """A coupon issued to the customer (next-purchase, birthday, referral payout)."""
    LEVEL = "level"
    """The customer's loyalty level changed."""


def intent_key(rule_id: str, kind: IntentKind | str, source: str, customer_key: str, record: str) -> str:
    """The idempotency key of a ledger entry: rule, kind, customer and the source record it derives from.

    Readable on purpose (``spend-points/earn/magento-de/1042/order:100000123``): an auditor can see
    from the key alone why the entry exists. The store's unique index on it makes awarding twice impossible.
    """
    return intent_key_prefix(rule_id, kind, source, customer_key) + record


def intent_key_prefix(rule_id: str, kind: IntentKind | str, source: str, customer_key: str) -> str:
    """The key of every intent of one rule, kind and customer, up to the record: ``intent_key(rule_id,
    kind, source, customer_key, record)`` is this prefix followed by ``record``. Loops over a customer's
    orders build it once."""
    kind_value = kind.value if isinstance(kind, IntentKind) else kind
    return f"{rule_id}/{kind_value}/{source}/{customer_key}/"


@dataclass(frozen=True, slots=True, init=False)
class LedgerIntent:
    """An entry the ledger should hold. Writing the same intent twice is a no-op (same ``key``)."""

    key: str
    kind: IntentKind
    rule_id: str
    source: str
    customer_key: str
    """The beneficiary (for a referral reward: the referrer)."""
    record: str
    """The source record it derives from, e.g. ``order:100000123``, ``refund:55``, ``birthday:2026``."""
    effective_at: datetime
    reason: str
    points: int = 0
    """Signed points: positive for earn/bonus/reward, negative for reversal/expiry/redemption."""
    amount: Decimal | None = None
    """A money value (coupon amount, referee discount), in ``currency``."""
    currency: str | None = None
    percent: Decimal | None = None
    """A percentage value (percent-off coupon)."""
    available_at: datetime | None = None
    """Points are usable from this instant (holding period); coupons are valid from it."""
    expires_at: datetime | None = None
    reverses: str | None = None
    """For reversals and expiries: the key of the entry taken back."""
    attributes: tuple[tuple[str, str], ...] = ()
    """Extra facts as sorted (name, value) pairs, e.g. ``(("from", "silver"), ("to", "gold"))``."""

    def __init__(
        self,
        key: str,
        kind: IntentKind,
        rule_id: str,
        source: str,
        customer_key: str,
        record: str,
        effective_at: datetime,
        reason: str,
        points: int = 0,
        amount: Decimal | None = None,
        currency: str | None = None,
        percent: Decimal | None = None,
        available_at: datetime | None = None,
        expires_at: datetime | None = None,
        reverses: str | None = None,
        attributes: tuple[tuple[str, str], ...] = (),
    ) -> None:
        # the generated frozen __init__ costs twice as much (see slots.py); same fields, same order
        (
            set_key, set_kind, set_rule_id, set_source, set_customer_key, set_record, set_effective_at,
            set_reason, set_points, set_amount, set_currency, set_percent, set_available_at,
            set_expires_at, set_reverses, set_attributes,
        ) = _INTENT_WRITERS  # fmt: skip
        set_key(self, key)
        set_kind(self, kind)
        set_rule_id(self, rule_id)
        set_source(self, source)
        set_customer_key(self, customer_key)
        set_record(self, record)
        set_effective_at(self, effective_at)
        set_reason(self, reason)
        set_points(self, points)
        set_amount(self, amount)
        set_currency(self, currency)
        set_percent(self, percent)
        set_available_at(self, available_at)
        set_expires_at(self, expires_at)
        set_reverses(self, reverses)
        set_attributes(self, attributes)

    def attribute(self, name: str) -> str | None:
        for key, value in self.attributes:
            if key == name:
                return value
        return None


_INTENT_WRITERS = slot_writers(
    LedgerIntent,
    "key kind rule_id source customer_key record effective_at reason points amount currency percent "
    "available_at expires_at reverses attributes",
)


class _IntentBuilder:
    """Builds a :class:`LedgerIntent` with plain attribute writes (see :mod:`.slots`); same arguments."""

    __slots__ = LedgerIntent.__slots__

    def __init__(
        self,
        key: str,
        kind: IntentKind,
        rule_id: str,
        source: str,
        customer_key: str,
        record: str,
        effective_at: datetime,
        reason: str,
        points: int = 0,
        amount: Decimal | None = None,
        currency: str | None = None,
        percent: Decimal | None = None,
        available_at: datetime | None = None,
        expires_at: datetime | None = None,
        reverses: str | None = None,
        attributes: tuple[tuple[str, str], ...] = (),
    ) -> None:
        self.key = key
        self.kind = kind
        self.rule_id = rule_id
        self.source = source
        self.customer_key = customer_key
        self.record = record
        self.effective_at = effective_at
        self.reason = reason
        self.points = points
        self.amount = amount
        self.currency = currency
        self.percent = percent
        self.available_at = available_at
        self.expires_at = expires_at
        self.reverses = reverses
        self.attributes = attributes
        self.__class__ = LedgerIntent  # type: ignore[assignment]


check_builder(_IntentBuilder, LedgerIntent)
new_intent: Callable[..., LedgerIntent] = _IntentBuilder  # type: ignore[assignment]
"""``LedgerIntent(...)`` (same arguments) at about a third of the cost, for the engine's own results."""


@dataclass(frozen=True, slots=True, init=False)
class RuleOutcome:
    """Whether one rule applied to a cart or customer, why — or why not, and how close it came."""

    rule_id: str
    applied: bool
    reason: str
    progress: Decimal | None = None
    """How far toward the rule's condition, from 0 to 1 (1 when met), when that is measurable."""
    missing: str | None = None
    """What is still missing, e.g. ``"add 120.00 EUR to the cart"``."""

    def __init__(
        self,
        rule_id: str,
        applied: bool,
        reason: str,
        progress: Decimal | None = None,
        missing: str | None = None,
    ) -> None:
        set_rule_id, set_applied, set_reason, set_progress, set_missing = _OUTCOME_WRITERS
        set_rule_id(self, rule_id)
        set_applied(self, applied)
        set_reason(self, reason)
        set_progress(self, progress)
        set_missing(self, missing)


_OUTCOME_WRITERS = slot_writers(RuleOutcome, "rule_id applied reason progress missing")


class _OutcomeBuilder:
    """Builds a :class:`RuleOutcome` with plain attribute writes (see :mod:`.slots`); same arguments."""

    __slots__ = RuleOutcome.__slots__

    def __init__(
        self,
        rule_id: str,
        applied: bool,
        reason: str,
        progress: Decimal | None = None,
        missing: str | None = None,
    ) -> None:
        self.rule_id = rule_id
        self.applied = applied
        self.reason = reason
        self.progress = progress
        self.missing = missing
        self.__class__ = RuleOutcome  # type: ignore[assignment]


check_builder(_OutcomeBuilder, RuleOutcome)
new_outcome: Callable[..., RuleOutcome] = _OutcomeBuilder  # type: ignore[assignment]
"""``RuleOutcome(...)`` (same arguments) at about half the cost, for the engine's own results."""


@dataclass(frozen=True, slots=True)
class Redemption:
    """Points a customer spent, as recorded by the shop or the operator; consumes batches FIFO."""

    key: str
    points: int
    at: datetime
    reason: str = "points redeemed"
    attributes: tuple[tuple[str, str], ...] = field(default=())
