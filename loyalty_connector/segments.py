"""Customer segments for email campaigns: who is in each, why, and rows a mailing tool imports.

A segment is a named rule over one registered customer's profile at ``now`` — purchases, lifecycle
stage, NPS answer and loyalty type, level and when it would fall. :func:`segment_rows` streams
customer histories through one segment and returns a row per member with the same columns for
every segment (:data:`EXPORT_FIELDS`: email, names, company and the facts a campaign personalises
with), one row per email address. Guests and accounts whose customer record has not been synced
are left out: there is nobody to address.
"""

from __future__ import annotations

__all__ = [
    "EXPORT_FIELDS",
    "SEGMENTS",
    "Profile",
    "Segment",
    "segment_rows",
]

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from .domain import Customer, quantize
from .engine.coupons import birthday_in
from .engine.customer import CustomerEvaluator, History
from .engine.levels import LevelState
from .kpi import (
    NO_LEVEL,
    CustomerFacts,
    LevelChange,
    LifecycleStage,
    LifecycleThresholds,
    LoyaltyType,
    OrderHistory,
    customer_facts,
    lifecycle_stage,
    loyalty_type,
)
from .nps import NpsAnswer
from .program import Program

logger = logging.getLogger(__name__)

EXPORT_FIELDS: tuple[str, ...] = (
    "email",
    "first_name",
    "last_name",
    "company",
    "customer_id",
    "source",
    "segment",
    "level",
    "lifecycle_stage",
    "loyalty_type",
    "nps_score",
    "orders",
    "last_order_date",
    "lifetime_value",
    "currency",
    "birthday",
    "level_drop_date",
    "reason",
)
"""Column order of every segment export (the CSV header)."""


@dataclass(frozen=True)
class Profile:
    """What the segment rules know about one registered customer at ``now``."""

    customer: Customer
    facts: CustomerFacts
    now: datetime
    zone: ZoneInfo
    days: int
    """The segment's window in days (``--days``, else the segment's default)."""
    stage: LifecycleStage
    nps: NpsAnswer | None
    loyalty: LoyaltyType | None
    level_id: str
    level_name: str
    level: LevelState | None
    """Only for segments that need it (the engine's level evaluation); else ``None``."""
    keep_level: str | None
    """What the customer must do to keep their level, when the engine says."""


@dataclass(frozen=True)
class Segment:
    """A named rule: ``select`` returns why a customer is in it, or ``None``."""

    name: str
    description: str
    select: Callable[[Profile], str | None]
    default_days: int = 30
    needs_levels: bool = False


def _orders(p: Profile) -> str:
    n = len(p.facts.purchases)
    return f"{n} order{'s' if n != 1 else ''}"


def _latent(p: Profile) -> str | None:
    if p.loyalty is not LoyaltyType.LATENT or p.nps is None:
        return None
    return f"promoter (scored {p.nps.score}) with {_orders(p)}: invite a second purchase"


def _true(p: Profile) -> str | None:
    if p.loyalty is not LoyaltyType.TRUE or p.nps is None:
        return None
    return f"promoter (scored {p.nps.score}) with {_orders(p)}: ask for a referral or review"


def _spurious(p: Profile) -> str | None:
    if p.loyalty is not LoyaltyType.SPURIOUS or p.nps is None:
        return None
    return f"buys again ({_orders(p)}) but scored {p.nps.score}: ask what would make them recommend you"


def _level_drop(p: Profile) -> str | None:
    state = p.level
    if state is None or state.level_id is None or state.downgrade_at is None:
        return None
    if state.downgrade_at > p.now + timedelta(days=p.days):
        return None
    day = state.downgrade_at.astimezone(p.zone).date().isoformat()
    what = f"{p.keep_level} to keep it" if p.keep_level else "order again to keep it"
    return f"{state.name} ends on {day}: {what}"


def _next_month(now: datetime, zone: ZoneInfo) -> tuple[int, int]:
    today = now.astimezone(zone).date()
    return (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)


def _birthday(p: Profile) -> str | None:
    born = p.customer.birthday
    if born is None:
        return None
    year, month = _next_month(p.now, p.zone)
    day = birthday_in(born, year)
    if day.month != month:
        return None
    return f"birthday on {day.isoformat()}"


def _lapsed(p: Profile) -> str | None:
    last = p.facts.last_purchase_at
    if last is None or last > p.now - timedelta(days=p.days):
        return None
    return f"no order for {(p.now - last).days} days (last {last.astimezone(p.zone).date().isoformat()})"


def _first_contact(p: Profile) -> str | None:
    if p.stage is not LifecycleStage.FIRST_CONTACT:
        return None
    since = p.customer.created_at.astimezone(p.zone).date().isoformat()
    return f"registered on {since}, no order yet"


def _one_time(p: Profile) -> str | None:
    if p.stage is not LifecycleStage.FIRST_PURCHASE or p.facts.last_purchase_at is None:
        return None
    if p.facts.last_purchase_at > p.now - timedelta(days=p.days):
        return None
    return f"{_orders(p)} so far, the last {(p.now - p.facts.last_purchase_at).days} days ago"


SEGMENTS: Mapping[str, Segment] = {
    s.name: s
    for s in (
        Segment("latent-loyals", "Promoters (NPS 9–10) who have not bought again yet.", _latent),
        Segment("true-loyals", "Promoters who buy again: ask them for referrals and reviews.", _true),
        Segment(
            "spurious-loyals", "Repeat buyers who are not promoters: loyal by habit, at risk.", _spurious
        ),
        Segment(
            "level-drop",
            "Customers who will fall to a lower level within --days (default 30) unless they order.",
            _level_drop,
            needs_levels=True,
        ),
        Segment(
            "birthdays-next-month", "Customers whose birthday falls in the next calendar month.", _birthday
        ),
        Segment("lapsed", "Customers with no order in the last --days (default 180).", _lapsed, 180),
        Segment("first-contact", "Registered customers who have never ordered.", _first_contact),
        Segment(
            "one-time-buyers",
            "Customers with a single order placed at least --days (default 30) ago.",
            _one_time,
        ),
    )
}
"""Every segment by name (``segments export --segment NAME``)."""


def _row(p: Profile, segment: str, reason: str, currency: str) -> dict[str, str]:
    c, facts = p.customer, p.facts
    last = facts.last_purchase_at
    drop = p.level.downgrade_at if p.level is not None and p.level.level_id is not None else None
    return {
        "email": c.email_normalized,
        "first_name": c.first_name or "",
        "last_name": c.last_name or "",
        "company": c.company or "",
        "customer_id": c.external_id,
        "source": c.source,
        "segment": segment,
        "level": "" if p.level_id == NO_LEVEL else p.level_name,
        "lifecycle_stage": p.stage.value,
        "loyalty_type": "" if p.loyalty is None else p.loyalty.value,
        "nps_score": "" if p.nps is None else str(p.nps.score),
        "orders": str(len(facts.purchases)),
        "last_order_date": "" if last is None else last.astimezone(p.zone).date().isoformat(),
        "lifetime_value": str(quantize(facts.realized_value, currency)),
        "currency": currency,
        "birthday": "" if c.birthday is None else c.birthday.isoformat(),
        "level_drop_date": "" if drop is None else drop.astimezone(p.zone).date().isoformat(),
        "reason": reason,
    }


def segment_rows(
    segment: Segment,
    program: Program,
    histories: Iterable[OrderHistory],
    *,
    now: datetime,
    nps_answers: Mapping[str, NpsAnswer] | None = None,
    levels: Mapping[tuple[str, str], tuple[LevelChange, ...]] | None = None,
    days: int | None = None,
    thresholds: LifecycleThresholds | None = None,
) -> list[dict[str, str]]:
    """One row (:data:`EXPORT_FIELDS`) per member of ``segment`` at ``now``, the first per email address.

    ``nps_answers`` maps normalized email to the latest answer; ``levels`` the ledger's level changes
    per (source, customer key) (see :func:`loyalty_connector.kpi.level_changes`).
    """
    zone = ZoneInfo(program.timezone)
    rules = thresholds or LifecycleThresholds()
    window = segment.default_days if days is None else days
    names = {level.id: level.name for level in program.levels.levels} if program.levels else {}
    evaluator = CustomerEvaluator(program) if segment.needs_levels and program.levels else None
    answers = nps_answers or {}
    rows: list[dict[str, str]] = []
    seen: set[str] = set()
    for history in histories:
        customer = history.customer
        if customer is None:
            continue
        changes = (levels or {}).get((history.source, history.customer_key), ())
        facts = customer_facts(program, history, until=now, levels=changes)
        answer = answers.get(customer.email_normalized)
        state, keep = None, None
        if evaluator is not None:
            result = evaluator.evaluate(customer, History(history.orders, history.refunds), now)
            state = result.level
            if state is not None and state.level_id is not None:
                keep = next(
                    (o.missing for o in result.outcomes if o.rule_id == state.level_id and not o.applied),
                    None,
                )
        level_id = state.level_id or NO_LEVEL if state is not None else facts.level_before(now)
        profile = Profile(
            customer=customer,
            facts=facts,
            now=now,
            zone=zone,
            days=window,
            stage=lifecycle_stage([p.placed_at for p in facts.purchases], now, rules),
            nps=answer,
            loyalty=loyalty_type(answer.score if answer else None, len(facts.purchases), rules.repeat_orders),
            level_id=level_id,
            level_name=names.get(level_id, ""),
            level=state,
            keep_level=keep,
        )
        reason = segment.select(profile)
        if reason is None or customer.email_normalized in seen:
            continue
        seen.add(customer.email_normalized)
        rows.append(_row(profile, segment.name, reason, program.currency))
    logger.info("segment %s: %d customers", segment.name, len(rows))
    return rows
