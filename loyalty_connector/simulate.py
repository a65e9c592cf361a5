"""Simulate a programme change before applying it: replay the synced history, diff against the ledger.

:func:`simulate` evaluates every stored customer of a source under a *new* programme with the engine
— the same evaluation a sync runs — and compares the outcome with what the store holds now: each
customer's level (their latest LEVEL entry), their points balance and the coupons issued to them.
It also lists which rules the new programme adds, removes or changes. Nothing is written.

A downgrade the new programme causes takes effect after its grace period (customers keep their
level that long), so it is reported with that date; an upgrade takes effect at once.
"""

from __future__ import annotations

__all__ = ["CustomerSimulation", "RuleChange", "Simulation", "rule_changes", "simulate"]

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

from .adapter import Stream
from .domain import Customer, quantize
from .engine.customer import CustomerEvaluator, CustomerResult, History, Referee
from .engine.results import IntentKind
from .program import Program
from .store import Store, StoredHistory

logger = logging.getLogger(__name__)

Move = Literal["up", "down", "same"]
_COUPON_KINDS = (IntentKind.COUPON,)


@dataclass(frozen=True, slots=True)
class CustomerSimulation:
    """One customer now (ledger) and under the new programme."""

    customer_key: str
    email: str | None
    level_before: str | None
    level_after: str | None
    move: Move
    effective_at: datetime | None
    """When the level change takes effect: at once for an upgrade, after the grace period for a downgrade."""
    points_before: int
    points_after: int
    coupons_before: int
    coupons_after: int
    reason: str
    """Why the customer holds ``level_after`` under the new programme."""

    @property
    def changed(self) -> bool:
        return (
            self.move != "same"
            or self.points_before != self.points_after
            or self.coupons_before != self.coupons_after
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "customer_key": self.customer_key,
            "email": self.email,
            "level_before": self.level_before,
            "level_after": self.level_after,
            "move": self.move,
            "effective_at": self.effective_at.isoformat() if self.effective_at else None,
            "points_before": self.points_before,
            "points_after": self.points_after,
            "coupons_before": self.coupons_before,
            "coupons_after": self.coupons_after,
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class RuleChange:
    """A rule the new programme adds, removes or changes (``fields``: what changed)."""

    section: str
    """``levels``, ``tier_prices``, ``free_products``, ``referrals``, ``points``, ``coupons``."""
    rule_id: str
    change: Literal["added", "removed", "changed"]
    fields: tuple[str, ...] = ()


@dataclass(frozen=True)
class Simulation:
    """The new programme's outcome against the store, in totals and per customer."""

    source: str
    at: datetime
    currency: str
    customers: tuple[CustomerSimulation, ...]
    rule_changes: tuple[RuleChange, ...]
    grace_days: int
    points_per_unit: Decimal | None
    baseline_mismatches: int = 0
    """Customers whose ledger differs from a replay under the *current* programme (the store is behind)."""

    def moved(self, move: Move) -> tuple[CustomerSimulation, ...]:
        return tuple(c for c in self.customers if c.move == move)

    @property
    def points_before(self) -> int:
        return sum(c.points_before for c in self.customers)

    @property
    def points_after(self) -> int:
        return sum(c.points_after for c in self.customers)

    @property
    def liability_delta(self) -> int:
        """Change of the points liability (points available to customers) at ``at``."""
        return self.points_after - self.points_before

    def liability_money(self) -> Decimal | None:
        if not self.points_per_unit:
            return None
        return quantize(Decimal(self.liability_delta) / self.points_per_unit, self.currency)

    def levels(self, which: Literal["before", "after"]) -> dict[str, int]:
        """Customers per level (``none`` for no level)."""
        counts: dict[str, int] = {}
        for c in self.customers:
            level = (c.level_before if which == "before" else c.level_after) or "none"
            counts[level] = counts.get(level, 0) + 1
        return dict(sorted(counts.items()))

    def rule_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for change in self.rule_changes:
            counts[change.section] = counts.get(change.section, 0) + 1
        return counts

    def summary(self) -> str:
        """One line: ``3 customers move down (after the 30-day grace period), 0 up; points liability ...``."""
        down, up = len(self.moved("down")), len(self.moved("up"))
        parts = [
            f"{down} customer{'s' if down != 1 else ''} move down (after the {self.grace_days}-day grace "
            f"period), {up} move up, {len(self.moved('same'))} keep their level"
        ]
        money = self.liability_money()
        worth = f" ({money:+,} {self.currency})" if money is not None else ""
        parts.append(f"points liability {self.liability_delta:+,} points{worth}")
        coupons = sum(c.coupons_after - c.coupons_before for c in self.customers)
        parts.append(f"coupons issued {coupons:+,}")
        counts = self.rule_counts()
        if counts:
            parts.append(
                "rules changed: " + ", ".join(f"{s.replace('_', ' ')} {n}" for s, n in counts.items())
            )
        return "; ".join(parts)

    def to_json(self, *, customers: str = "changed") -> dict[str, Any]:
        """``customers``: ``changed`` (default), ``all`` or ``none``."""
        chosen = {
            "all": self.customers,
            "changed": tuple(c for c in self.customers if c.changed),
            "none": (),
        }[customers]
        money = self.liability_money()
        return {
            "source": self.source,
            "at": self.at.isoformat(),
            "summary": self.summary(),
            "customers_total": len(self.customers),
            "upgrades": len(self.moved("up")),
            "downgrades": len(self.moved("down")),
            "unchanged_levels": len(self.moved("same")),
            "grace_days": self.grace_days,
            "levels_before": self.levels("before"),
            "levels_after": self.levels("after"),
            "points_liability": {
                "before": self.points_before,
                "after": self.points_after,
                "delta": self.liability_delta,
                "delta_money": None if money is None else str(money),
                "currency": self.currency,
            },
            "rule_changes": [
                {"section": r.section, "rule_id": r.rule_id, "change": r.change, "fields": list(r.fields)}
                for r in self.rule_changes
            ],
            "baseline_mismatches": self.baseline_mismatches,
            "customers": [c.to_json() for c in chosen],
        }


def _rules(program: Program) -> dict[tuple[str, str], dict[str, Any]]:
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for level in program.levels.levels if program.levels else ():
        found[("levels", level.id)] = level.model_dump()
    for rule in program.tier_prices:
        found[("tier_prices", rule.id)] = rule.model_dump()
    for gift in program.free_products.thresholds if program.free_products else ():
        found[("free_products", gift.id)] = gift.model_dump()
    if program.referrals:
        found[("referrals", program.referrals.id)] = program.referrals.model_dump(exclude={"code_secret_env"})
    if program.points:
        for earn in program.points.earn:
            found[("points", earn.id)] = earn.model_dump()
        for bonus in program.points.bonuses:
            found[("points", bonus.id)] = bonus.model_dump()
    if program.coupons:
        for coupon in program.coupons.next_purchase:
            found[("coupons", coupon.id)] = coupon.model_dump()
        if program.coupons.birthday:
            found[("coupons", program.coupons.birthday.id)] = program.coupons.birthday.model_dump()
    return found


def rule_changes(current: Program, new: Program) -> tuple[RuleChange, ...]:
    """Rules ``new`` adds, removes or changes against ``current``, by section and id."""
    before, after = _rules(current), _rules(new)
    changes: list[RuleChange] = []
    for slot in sorted(set(before) | set(after)):
        if slot not in before:
            changes.append(RuleChange(slot[0], slot[1], "added"))
        elif slot not in after:
            changes.append(RuleChange(slot[0], slot[1], "removed"))
        elif before[slot] != after[slot]:
            names = tuple(k for k in after[slot] if before[slot].get(k) != after[slot][k])
            changes.append(RuleChange(slot[0], slot[1], "changed", names))
    return tuple(changes)


def _ranker(current: Program, new: Program) -> Callable[[str | None], int]:
    new_ids = [level.id for level in new.levels.levels] if new.levels else []
    old_ids = [level.id for level in current.levels.levels] if current.levels else []

    def rank(level_id: str | None) -> int:
        if level_id is None:
            return -1
        if level_id in new_ids:
            return new_ids.index(level_id)
        return old_ids.index(level_id) if level_id in old_ids else -1

    return rank


class _Batch:
    """Histories, referees and group codes of one batch of customers, loaded with a few queries."""

    def __init__(self, store: Store, source: str, keys: Sequence[str]) -> None:
        self.histories = store.histories(source, keys)
        codes = store.referral_codes(source, keys)
        found = store.referee_keys(source, list(codes.values())) if codes else {}
        self.referee_keys = {key: found.get(code, ()) for key, code in codes.items()}
        wanted = {k for ks in self.referee_keys.values() for k in ks} - set(self.histories)
        if wanted:
            self.histories.update(store.histories(source, sorted(wanted)))

    def referees(self, key: str) -> tuple[Referee, ...]:
        return tuple(
            Referee(self.histories[k].customer, self.histories[k].email or "", _history(self.histories[k]))
            for k in self.referee_keys.get(key, ())
        )


def _history(stored: StoredHistory) -> History:
    return History(orders=stored.orders, refunds=stored.refunds, redemptions=stored.redemptions)


def _level_of(result: CustomerResult) -> tuple[str | None, str]:
    if result.level is None:
        return None, "the programme has no levels"
    return result.level.level_id, result.level.reason


def simulate(
    current: Program,
    new: Program,
    store: Store,
    source: str,
    *,
    now: datetime,
    referral_secret: bytes | None = None,
    group_codes: Mapping[str, str] | None = None,
    batch_size: int = 200,
    check_baseline: bool = True,
) -> Simulation:
    """Every stored customer of ``source`` under ``new``, against the ledger; writes nothing.

    ``referral_secret`` and ``group_codes`` (shop group id -> code) make the replay match what a sync
    computes; without them referral rewards and group-bound rules may differ, which
    ``baseline_mismatches`` (a replay under ``current`` compared with the ledger) makes visible.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware (UTC)")
    codes = dict(group_codes or {})
    after_engine, before_engine = CustomerEvaluator(new), CustomerEvaluator(current)
    rank = _ranker(current, new)
    grace = timedelta(days=new.levels.grace_days if new.levels else 0)
    held: dict[str, str] = {}
    coupons_before: dict[str, int] = {}
    for entry in store.ledger_entries(source, kinds=[IntentKind.LEVEL, *_COUPON_KINDS]):
        if entry.effective_at > now:
            continue
        if entry.kind is IntentKind.LEVEL:
            held[entry.customer_key] = entry.attribute("to") or "none"
        else:
            coupons_before[entry.customer_key] = coupons_before.get(entry.customer_key, 0) + 1
    keys = sorted(c.key for c in store.records(source, Stream.CUSTOMERS) if isinstance(c, Customer))
    results: list[CustomerSimulation] = []
    mismatches = 0
    for start in range(0, len(keys), batch_size):
        part = keys[start : start + batch_size]
        batch = _Batch(store, source, part)
        for key in part:
            stored = batch.histories[key]
            if stored.customer is None:
                continue
            options: dict[str, Any] = {
                "referees": batch.referees(key),
                "referral_secret": referral_secret,
                "group_codes": codes,
            }
            result = after_engine.evaluate(stored.customer, _history(stored), now, **options)
            level_after, reason = _level_of(result)
            before = held.get(key)
            level_before = None if before in (None, "none") else before
            points_before, _ = store.points_totals(source, key, now)
            if check_baseline:
                baseline = before_engine.evaluate(stored.customer, _history(stored), now, **options)
                if _level_of(baseline)[0] != level_before or baseline.points_balance(now) != points_before:
                    mismatches += 1
            up, down = rank(level_after) > rank(level_before), rank(level_after) < rank(level_before)
            move: Move = "up" if up else "down" if down else "same"
            results.append(
                CustomerSimulation(
                    customer_key=key,
                    email=stored.email,
                    level_before=level_before,
                    level_after=level_after,
                    move=move,
                    effective_at=now if up else now + grace if down else None,
                    points_before=points_before,
                    points_after=result.points_balance(now),
                    coupons_before=coupons_before.get(key, 0),
                    coupons_after=sum(1 for i in result.intents if i.kind in _COUPON_KINDS),
                    reason=reason,
                )
            )
    points = new.points or current.points
    return Simulation(
        source=source,
        at=now,
        currency=new.currency,
        customers=tuple(results),
        rule_changes=rule_changes(current, new),
        grace_days=grace.days,
        points_per_unit=points.points_per_currency_unit if points else None,
        baseline_mismatches=mismatches,
    )
