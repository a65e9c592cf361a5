"""Refer-a-business: referral codes, self-referral detection, and the referrer's reward.

A referral is identified by the referee's *referral order*: the first of their orders that carries
the referrer's code (their first order when the code is not known, i.e. no secret was given). Every
decision about it is keyed ``<rule>/<kind>/<source>/<referrer>/order:<referral order id>``, so one
referee pays at most once.

Payout is the instant the reward becomes available: the referral order's ``placed_at`` plus the
points holding period (the longest ``pending_days`` of the earn rules; 0 without earn rules). The
reward is decided at payout: the order must have reached ``qualifying_status`` with a subtotal
(after discounts, minus refunds made before payout, in programme currency) of at least
``min_subtotal``, and the referrer must be under the cap. An order canceled or fully refunded before
payout voids the referral; after payout the reward is reversed.
"""

from __future__ import annotations

__all__ = [
    "CROCKFORD_ALPHABET",
    "ReferralRules",
    "canonical_email",
    "company_key",
    "referral_code",
    "vat_key",
]

import hashlib
import hmac
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from ..domain import Customer, Order, OrderStatus, Refund, guest_key, normalize_email
from ..program import Program, Referrals
from .account import ReversalClaim
from .conditions import convert_amount, local_date, qualifies, qualifying_subtotal
from .points import PointsPlan
from .results import IntentKind, LedgerIntent, RuleOutcome, intent_key

if TYPE_CHECKING:
    from .customer import Referee

CROCKFORD_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
"""Crockford base32: digits and upper-case letters without I, L, O and U."""

_GMAIL = frozenset({"gmail.com", "googlemail.com"})
_LEGAL_FORMS = frozenset(
    {
        *("gmbh", "mbh", "ag", "kg", "ohg", "gbr", "ug", "ek", "ev", "kgaa", "se", "haftungsbeschränkt"),
        *("ltd", "limited", "inc", "incorporated", "corp", "corporation", "llc", "llp", "lp", "plc"),
        *("co", "company", "sarl", "sas", "sa", "eurl", "bv", "nv", "vof", "srl", "spa", "sl", "oy"),
        *("ab", "as", "aps", "and", "und", "et"),
    }
)
"""Legal forms and the connectors between them, stripped from the end of company names."""
_NOT_WORD = re.compile(r"[^\w]+")
_VAT_NOISE = re.compile(r"[\s.\-]+")


def referral_code(secret: bytes, source: str, customer_key: str, *, prefix: str, length: int) -> str:
    """The customer's referral code: ``prefix`` + ``length`` Crockford base32 characters.

    HMAC-SHA256 of the source and customer key under ``secret``: stable for a customer, and
    unguessable without the secret (so codes cannot be enumerated from customer ids).
    """
    if not secret:
        raise ValueError("the referral secret must not be empty")
    if not 1 <= length <= 51:
        raise ValueError("a referral code has 1 to 51 characters (256 bits of HMAC)")
    digest = hmac.new(secret, f"{source}\x1f{customer_key}".encode(), hashlib.sha256).digest()
    number = int.from_bytes(digest, "big")
    chars = [CROCKFORD_ALPHABET[(number >> (256 - 5 * (i + 1))) & 31] for i in range(length)]
    return prefix + "".join(chars)


def canonical_email(email: str) -> str:
    """An email as one mailbox: lower case, ``+tag`` removed; for Gmail also dots, googlemail -> gmail."""
    address = normalize_email(email)
    local, at, domain = address.rpartition("@")
    if not at:
        return address
    local = local.split("+", 1)[0]
    if domain in _GMAIL:
        local, domain = local.replace(".", ""), "gmail.com"
    return f"{local}@{domain}"


def company_key(name: str | None) -> str:
    """A company name without case, punctuation or trailing legal forms (``Kontor GmbH & Co. KG``: kontor)."""
    if not name:
        return ""
    text = unicodedata.normalize("NFKC", name).casefold().replace(".", "")
    words = [word for word in _NOT_WORD.split(text) if word and word != "_"]
    while words and words[-1] in _LEGAL_FORMS:
        words.pop()
    return " ".join(words)


def vat_key(vat_id: str | None) -> str:
    """A VAT id without spaces, dots and dashes, upper case."""
    return _VAT_NOISE.sub("", vat_id).upper() if vat_id else ""


def _referee_key(referee: Referee) -> str:
    return referee.customer.key if referee.customer is not None else guest_key(referee.email)


@dataclass(frozen=True, slots=True)
class _Candidate:
    referee: Referee
    order: Order
    orders: tuple[Order, ...]
    refunds: tuple[Refund, ...]
    referee_key: str


class ReferralRules:
    """The programme's referral rule, compiled once; :meth:`plan` decides one referrer's rewards."""

    def __init__(
        self, program: Program, referrals: Referrals, *, pending_days: int, expiry: timedelta | None
    ) -> None:
        self._program = program
        self._rule = referrals
        self._currency = program.currency
        self._zone = ZoneInfo(program.timezone)
        self._pending = timedelta(days=pending_days)
        self._expiry = expiry
        self._period = timedelta(days=referrals.cap_period_days)
        self._checks = frozenset(referrals.b2b_checks)
        self._free_domains = frozenset(
            canonical_email(f"x@{d}").split("@")[1] for d in referrals.free_email_domains
        )
        reward = referrals.referrer_reward
        self._coupon_valid = timedelta(days=reward.coupon_valid_days)

    def code(self, secret: bytes, source: str, customer_key: str) -> str:
        return referral_code(
            secret, source, customer_key, prefix=self._rule.code_prefix, length=self._rule.code_length
        )

    def plan(
        self, referrer: Customer, referees: Sequence[Referee], code: str | None, now: datetime
    ) -> PointsPlan:
        """Rewards, rejections and reversals for ``referrer``'s referees, decided up to ``now``."""
        out = PointsPlan()
        candidates: dict[str, _Candidate] = {}
        for referee in sorted(referees, key=_referee_key):
            candidate = self._candidate(referee, code, now, out)
            if candidate is not None:
                record = self._record(referrer, candidate.order)
                known = candidates.get(record)
                if known is None or candidate.referee_key < known.referee_key:
                    candidates[record] = candidate
        granted: list[datetime] = []
        for record, candidate in sorted(
            candidates.items(), key=lambda item: (item[1].order.placed_at, item[0])
        ):
            self._decide(referrer, record, candidate, granted, now, out)
        return out

    def _record(self, referrer: Customer, order: Order) -> str:
        if order.source == referrer.source:
            return f"order:{order.external_id}"
        return f"order:{order.source}:{order.external_id}"

    def _candidate(
        self, referee: Referee, code: str | None, now: datetime, out: PointsPlan
    ) -> _Candidate | None:
        referee_key = _referee_key(referee)
        latest: dict[str, Order] = {}
        for order in referee.history.orders:
            if order.placed_at <= now:
                known = latest.get(order.external_id)
                if known is None or order.updated_at > known.updated_at:
                    latest[order.external_id] = order
        orders = tuple(sorted(latest.values(), key=lambda o: (o.placed_at, o.external_id)))
        if code is None:
            referral = orders[0] if orders else None
        else:
            wanted = code.casefold()
            referral = next(
                (o for o in orders if any(c.strip().casefold() == wanted for c in o.coupon_codes)), None
            )
        if referral is None:
            what = "ordered" if code is None else "placed an order with the referral code"
            out.outcomes.append(
                RuleOutcome(self._rule.id, False, f"referee {referee_key} has not {what} yet")
            )
            return None
        refunds = tuple(
            sorted(
                (
                    r
                    for r in referee.history.refunds
                    if r.order_id == referral.external_id and r.created_at <= now
                ),
                key=lambda r: (r.created_at, r.external_id),
            )
        )
        return _Candidate(referee, referral, orders, refunds, referee_key)

    def _self_referral(self, referrer: Customer, referee: Referee) -> str | None:
        """The self-referral check that matched, or ``None``."""
        other = referee.customer
        if other is not None and other.source == referrer.source and other.key == referrer.key:
            return "customer"
        mine = canonical_email(referrer.email)
        theirs = {canonical_email(referee.email)}
        if other is not None:
            theirs.add(canonical_email(other.email))
        if mine in theirs:
            return "email"
        if other is not None:
            if (
                "vat_id" in self._checks
                and vat_key(referrer.vat_id)
                and vat_key(referrer.vat_id) == vat_key(other.vat_id)
            ):
                return "vat_id"
            if (
                "company" in self._checks
                and company_key(referrer.company)
                and company_key(referrer.company) == company_key(other.company)
            ):
                return "company"
        if "email_domain" in self._checks:
            domain = mine.rpartition("@")[2]
            if (
                domain
                and domain not in self._free_domains
                and any(email.rpartition("@")[2] == domain for email in theirs)
            ):
                return "email_domain"
        return None

    def _reject(
        self, referrer: Customer, record: str, at: datetime, code: str, reason: str, referee_key: str
    ) -> LedgerIntent:
        rule = self._rule
        return LedgerIntent(
            key=intent_key(rule.id, IntentKind.REFERRAL_REJECTED, referrer.source, referrer.key, record),
            kind=IntentKind.REFERRAL_REJECTED,
            rule_id=rule.id,
            source=referrer.source,
            customer_key=referrer.key,
            record=record,
            effective_at=at,
            reason=reason,
            attributes=(("reason", code), ("referee", referee_key)),
        )

    def _decide(
        self,
        referrer: Customer,
        record: str,
        candidate: _Candidate,
        granted: list[datetime],
        now: datetime,
        out: PointsPlan,
    ) -> None:
        rule = self._rule
        order, referee_key = candidate.order, candidate.referee_key
        label = f"referee {referee_key}, order {order.number}"

        def reject(at: datetime, code: str, why: str) -> None:
            intent = self._reject(
                referrer, record, at, code, f"referral rejected ({code}): {why}", referee_key
            )
            out.intents.append(intent)
            out.outcomes.append(RuleOutcome(rule.id, False, intent.reason))

        matched = self._self_referral(referrer, candidate.referee)
        if matched is not None:
            reject(order.placed_at, f"self_referral:{matched}", f"{label}: same {matched.replace('_', ' ')}")
            return
        earlier = next(
            (o for o in candidate.orders if o is not order and o.status is not OrderStatus.CANCELED), None
        )
        if earlier is not None and (earlier.placed_at, earlier.external_id) < (
            order.placed_at,
            order.external_id,
        ):
            reject(
                order.placed_at, "returning_customer", f"{label}: already ordered before ({earlier.number})"
            )
            return
        subtotal = convert_amount(
            self._program, qualifying_subtotal(order, "after_discounts"), order.currency
        )
        if subtotal is None:
            out.outcomes.append(
                RuleOutcome(rule.id, False, f"{label} is in {order.currency}, which is left out of rewards")
            )
            return
        payout = order.placed_at + self._pending
        void_at, refunded_before_payout = self._void_at(order, subtotal, candidate.refunds, payout)
        if void_at is not None and void_at > now:
            void_at = None
        if void_at is not None and void_at < payout:
            reject(void_at, "voided", f"{label} was canceled or fully refunded before the payout")
            return
        if payout > now:
            day = local_date(payout, self._zone).isoformat()
            out.outcomes.append(
                RuleOutcome(rule.id, False, f"{label}: the reward is decided at payout on {day}")
            )
            return
        if void_at is None and not qualifies(order.status, rule.qualifying_status):
            out.outcomes.append(
                RuleOutcome(
                    rule.id,
                    False,
                    f"{label} is {order.status.value}; waits for {rule.qualifying_status.value}",
                )
            )
            return
        net = subtotal - refunded_before_payout
        if net < rule.min_subtotal:
            reject(
                payout,
                "below_min_subtotal",
                f"{label}: subtotal {net:,} {self._currency} is below {rule.min_subtotal:,} {self._currency}",
            )
            return
        cap = rule.cap_per_referrer
        if cap is not None and sum(1 for t in granted if t > payout - self._period) >= cap:
            reject(payout, "cap", f"{label}: {cap} rewards in {rule.cap_period_days} days already")
            return
        granted.append(payout)
        self._reward(referrer, record, candidate, payout, void_at, out)

    def _void_at(
        self, order: Order, subtotal: Decimal, refunds: Sequence[Refund], payout: datetime
    ) -> tuple[datetime | None, Decimal]:
        """When the order was canceled or fully refunded (if it was), and what was refunded before payout."""
        refunded = before_payout = Decimal(0)
        last = order.placed_at
        for refund in refunds:
            value = convert_amount(self._program, refund.amount.amount, refund.amount.currency) or Decimal(0)
            at = max(refund.created_at, order.placed_at)
            last = max(last, at)
            refunded += value
            if at < payout:
                before_payout += value
            if value > 0 and refunded >= subtotal:
                return at, before_payout
        if order.status in (OrderStatus.CANCELED, OrderStatus.CLOSED):
            return max(order.updated_at, last), before_payout
        return None, before_payout

    def _reward(
        self,
        referrer: Customer,
        record: str,
        candidate: _Candidate,
        payout: datetime,
        void_at: datetime | None,
        out: PointsPlan,
    ) -> None:
        rule, reward = self._rule, self._rule.referrer_reward
        source, key = referrer.source, referrer.key
        label = f"referee {candidate.referee_key}, order {candidate.order.number}"
        intent = LedgerIntent(
            key=intent_key(rule.id, IntentKind.REFERRAL_REWARD, source, key, record),
            kind=IntentKind.REFERRAL_REWARD,
            rule_id=rule.id,
            source=source,
            customer_key=key,
            record=record,
            effective_at=payout,
            reason=f"referral reward for {label}",
            points=reward.points or 0,
            amount=reward.coupon_amount,
            currency=self._currency if reward.coupon_amount is not None else None,
            available_at=payout,
            expires_at=(payout + self._coupon_valid)
            if reward.coupon_amount is not None
            else (None if self._expiry is None else payout + self._expiry),
            attributes=(("referee", candidate.referee_key),),
        )
        out.outcomes.append(RuleOutcome(rule.id, True, intent.reason, progress=Decimal(1)))
        why = f"{label} was canceled or fully refunded after the payout"
        if reward.points is not None:
            out.grants.append(intent)
            if void_at is not None:
                out.claims.append(
                    ReversalClaim(rule.id, record, void_at, intent.key, reward.points, True, why)
                )
            return
        out.intents.append(intent)
        if void_at is not None:
            out.intents.append(
                LedgerIntent(
                    key=intent_key(rule.id, IntentKind.REVERSAL, source, key, record),
                    kind=IntentKind.REVERSAL,
                    rule_id=rule.id,
                    source=source,
                    customer_key=key,
                    record=record,
                    effective_at=void_at,
                    reason=f"referral coupon reversed: {why}",
                    amount=reward.coupon_amount,
                    currency=self._currency,
                    reverses=intent.key,
                    attributes=(("referee", candidate.referee_key),),
                )
            )
