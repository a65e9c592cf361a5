"""Evaluating the customers a sync touched (and those due for review), exactly once in effect.

Pages only *mark* the customers they touch; evaluation is a separate step over the marked
customers, each with its whole stored history. Evaluating after every page would cost
O(pages x history) on a backfill and would reward partial histories (a first-order bonus on
whichever order happened to arrive first). The marks live in the store, so a crash at any instant
loses nothing: the next run evaluates what is still marked.

Each batch is written in one transaction: new ledger entries (``ON CONFLICT (key) DO NOTHING``,
so re-evaluating never awards twice), referral codes, next review times, and the clearing of
exactly the marks that were evaluated — a mark renewed by a page committed meanwhile survives.
Time-based effects (points expiring or becoming available, level downgrades after grace,
birthday coupons) come from re-evaluating customers whose ``next_review_at`` has passed.
"""

from __future__ import annotations

__all__ = [
    "DEFAULT_BATCH_ORDERS",
    "Evaluator",
    "default_evaluator",
    "evaluate_dirty",
    "next_review_at",
    "referral_code_for",
]

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, time, timedelta, timezone
from typing import Protocol

from ..domain import Customer
from ..engine.coupons import birthday_in
from ..engine.customer import CustomerEvaluator, CustomerResult, History, Referee
from ..engine.referrals import referral_code
from ..program import Program
from ..store import CustomerEvaluation, DueCustomer, Store, StoredHistory
from ..store.history import collector_paused
from .reports import EvaluationReport

logger = logging.getLogger(__name__)

DEFAULT_BATCH_ORDERS = 2000
"""Stored orders evaluated per batch at most (beyond a batch's first customer)."""

GroupCodes = Mapping[str, str] | Callable[[], Mapping[str, str]]
"""Shop group id -> group code, or a function fetching it when first needed (one shop request)."""


class Evaluator(Protocol):
    """What evaluates one customer: :class:`~loyalty_connector.engine.customer.CustomerEvaluator`."""

    def evaluate(
        self,
        customer: Customer,
        history: History,
        now: datetime,
        *,
        customer_group: str | None = ...,
        referees: Sequence[Referee] = ...,
        referral_secret: bytes | None = ...,
        group_codes: Mapping[str, str] = ...,
    ) -> CustomerResult: ...


def default_evaluator(program: Program) -> Evaluator:
    """The engine's customer evaluator for ``program``."""
    return CustomerEvaluator(program)


def referral_code_for(program: Program, secret: bytes | None, source: str, customer_key: str) -> str | None:
    """The customer's referral code, when the programme has referrals and the secret is known."""
    rules = program.referrals
    if rules is None or secret is None:
        return None
    return referral_code(secret, source, customer_key, prefix=rules.code_prefix, length=rules.code_length)


def _next_birthday_window(program: Program, customer: Customer, now: datetime) -> datetime | None:
    rule = program.coupons.birthday if program.coupons else None
    if rule is None or customer.birthday is None:
        return None
    zone = program.zone
    year = now.astimezone(zone).year
    for candidate in (year, year + 1, year + 2):
        first_day = birthday_in(customer.birthday, candidate) - timedelta(days=rule.days_before)
        start = datetime.combine(first_day, time(0), tzinfo=zone).astimezone(timezone.utc)
        if start > now:
            return start
    return None


def _referral_payouts(program: Program, referees: Sequence[Referee], now: datetime) -> list[datetime]:
    """Future payout instants of referees' orders: ``placed_at`` plus the longest earn holding period.

    A referral reward is decided at payout and the engine emits nothing before it, so the referrer
    must be looked at again then (an extra look at a non-referral order is harmless).
    """
    if program.referrals is None:
        return []
    days = max((rule.pending_days for rule in program.points.earn), default=0) if program.points else 0
    holding = timedelta(days=days)
    return [
        order.placed_at + holding
        for referee in referees
        for order in referee.history.orders
        if order.placed_at + holding > now
    ]


def next_review_at(
    program: Program,
    customer: Customer,
    result: CustomerResult,
    now: datetime,
    referees: Sequence[Referee] = (),
) -> datetime | None:
    """When the customer's rewards next change by time alone, so the sync re-evaluates them then.

    The earliest future instant among: points becoming available or expiring, coupons expiring, a
    level downgrade falling due, the start of the next birthday-coupon window, a referee's payout.
    """
    moments: list[datetime] = _referral_payouts(program, referees, now)
    for intent in result.intents:
        moments.extend(t for t in (intent.available_at, intent.expires_at) if t is not None and t > now)
    if result.level is not None and result.level.downgrade_at is not None and result.level.downgrade_at > now:
        moments.append(result.level.downgrade_at)
    birthday = _next_birthday_window(program, customer, now)
    if birthday is not None:
        moments.append(birthday)
    return min(moments, default=None)


def _within(due: list[DueCustomer], orders: int) -> list[DueCustomer]:
    """The first customers of ``due`` whose orders add up to at most ``orders`` (at least one)."""
    total = 0
    for n, mark in enumerate(due):
        total += mark.orders
        if total > orders and n > 0:
            return due[:n]
    return due


def _history(stored: StoredHistory) -> History:
    return History(orders=stored.orders, refunds=stored.refunds, redemptions=stored.redemptions)


class _Batch:
    """One batch of customers: their histories, codes and referees, loaded with a few queries."""

    def __init__(
        self, store: Store, program: Program, source: str, keys: Sequence[str], secret: bytes | None
    ) -> None:
        self.histories = store.histories(source, keys)
        codes = store.referral_codes(source, keys)
        for key in keys:
            if key not in codes:
                code = referral_code_for(program, secret, source, key)
                if code is not None:
                    codes[key] = code
        self.codes = codes
        referees = store.referee_keys(source, list(codes.values())) if codes else {}
        self.referee_keys = {key: referees.get(code, ()) for key, code in codes.items()}
        wanted = {k for keys_ in self.referee_keys.values() for k in keys_} - set(self.histories)
        self.histories.update(store.histories(source, sorted(wanted)) if wanted else {})

    def referees(self, key: str) -> tuple[Referee, ...]:
        found = []
        for referee_key in self.referee_keys.get(key, ()):
            stored = self.histories[referee_key]
            found.append(
                Referee(customer=stored.customer, email=stored.email or "", history=_history(stored))
            )
        return tuple(found)


def evaluate_dirty(
    store: Store,
    program: Program,
    source: str,
    *,
    evaluator: Evaluator,
    now: datetime,
    referral_secret: bytes | None = None,
    group_codes: GroupCodes | None = None,
    run_id: int | None = None,
    batch_size: int = 200,
    batch_orders: int = DEFAULT_BATCH_ORDERS,
) -> EvaluationReport:
    """Evaluate every marked or due customer of ``source`` once, in key order, a batch at a time.

    A batch holds at most ``batch_size`` customers and, past its first customer, at most
    ``batch_orders`` stored orders, so the histories in memory at once do not grow with the size of
    the shop's history (a Pareto shop has customers with thousands of orders) — only with its
    largest single customer. The cyclic garbage collector is paused while a batch is loaded,
    evaluated and written and resumed once it is released (a batch's tens of thousands of
    long-lived, acyclic objects would otherwise be traversed again and again, about a fifth of the
    evaluation's time): what it would reclaim waits at most one batch.

    Guests are never evaluated (their orders count as referees of whoever referred them); a key
    whose customer record has not arrived yet is unmarked, since that record's arrival marks it again.
    A customer whose evaluation raises is logged, reported and left marked for the next run.
    """
    groups = _GroupCodes(group_codes)
    report = EvaluationReport()
    after = ""
    while True:
        due = _within(store.due_customers(source, now, after=after, limit=batch_size), batch_orders)
        if not due:
            return report
        after = due[-1].customer_key
        # the batch's histories are released when _evaluate_batch returns, before the collector resumes:
        # it never traverses them (see collector_paused)
        with collector_paused():
            report = report + _evaluate_batch(
                store, program, source, due, evaluator, now, referral_secret, groups, run_id
            )


class _GroupCodes:
    """The shop's group codes, fetched at most once and only when a customer is first evaluated."""

    def __init__(self, group_codes: GroupCodes | None) -> None:
        self._source = group_codes
        self._codes: Mapping[str, str] | None = None if callable(group_codes) else (group_codes or {})

    def get(self) -> Mapping[str, str]:
        if self._codes is None:
            assert callable(self._source)
            self._codes = self._source()
        return self._codes


def _evaluate_batch(
    store: Store,
    program: Program,
    source: str,
    due: list[DueCustomer],
    evaluator: Evaluator,
    now: datetime,
    referral_secret: bytes | None,
    groups: _GroupCodes,
    run_id: int | None,
) -> EvaluationReport:
    """Load, evaluate and write one batch; what it did."""
    batch = _Batch(store, program, source, [d.customer_key for d in due], referral_secret)
    evaluations: list[CustomerEvaluation] = []
    failed: list[str] = []
    evaluated = 0
    for mark in due:
        stored = batch.histories[mark.customer_key]
        customer = stored.customer
        if customer is None:
            evaluations.append(CustomerEvaluation(mark.customer_key, mark.generation, (), None, None))
            continue
        codes_of_groups = groups.get()
        referees = batch.referees(mark.customer_key)
        try:
            result = evaluator.evaluate(
                customer,
                _history(stored),
                now,
                referees=referees,
                referral_secret=referral_secret,
                group_codes=codes_of_groups,
            )
        except Exception:  # one customer's bad data must not stop everyone else's rewards
            logger.exception("%s: evaluating customer %s failed; it stays marked", source, mark.customer_key)
            failed.append(mark.customer_key)
            continue
        evaluated += 1
        evaluations.append(
            CustomerEvaluation(
                customer_key=mark.customer_key,
                generation=mark.generation,
                intents=result.intents,
                referral_code=result.referral_code or batch.codes.get(mark.customer_key),
                next_review_at=next_review_at(program, customer, result, now, referees),
            )
        )
    added = store.apply_evaluations(source, evaluations, at=now, run_id=run_id)
    return EvaluationReport(evaluated, added, tuple(failed))
