"""Loyalty levels over a rolling window: upgrade at once, downgrade only after a grace period.

The qualified level ``q(t)`` is the highest level whose every set criterion (spend and order count
in ``(t - window, t]``, membership since ``created_at``) holds at ``t``. It is piecewise constant
and changes only at events: an order enters, a refund lowers the spend, an order leaves the window
(``placed_at + window_days``), a membership anniversary. The held level is the highest level
qualified at any instant of ``[t - grace, t]``, a sliding maximum computed in one sweep over those
events and their grace ends — never day by day.
"""

from __future__ import annotations

__all__ = ["LevelRules", "LevelState", "LevelTimeline"]

from bisect import bisect_left, bisect_right
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from operator import itemgetter
from zoneinfo import ZoneInfo

from ..domain import OrderStatus, minor_unit
from ..program import Level, Levels, Program
from .conditions import QUALIFYING, local_date
from .facts import OrderFacts, OrderReader
from .results import IntentKind, LedgerIntent, RuleOutcome, intent_key_prefix, new_intent, new_outcome
from .slots import check_builder

_DAY = timedelta(days=1)
_NO_TIME = timedelta(0)
_ZERO = Decimal(0)
_ONE = Decimal(1)
_CLOSED = OrderStatus.CLOSED
_LEVEL_KIND = IntentKind.LEVEL
_LEVEL = _LEVEL_KIND.value


_INSTANT = itemgetter(0)
_LAST = (datetime.max.replace(tzinfo=timezone.utc), _ZERO, 0)
"""An event after every other: it closes the figures of the last real instant."""


@dataclass(frozen=True, slots=True)
class LevelState:
    """The level a customer holds at ``now``, and why."""

    level_id: str | None
    name: str | None
    customer_group: str | None
    since: datetime | None
    qualified_level_id: str | None
    """The level the criteria give right now (lower than ``level_id`` during a grace period)."""
    downgrade_at: datetime | None
    """When the held level falls if nothing else happens (no new orders)."""
    reason: str


class _StateBuilder:
    """Builds a :class:`LevelState` with plain attribute writes (see :mod:`.slots`); same arguments."""

    __slots__ = LevelState.__slots__

    def __init__(
        self,
        level_id: str | None,
        name: str | None,
        customer_group: str | None,
        since: datetime | None,
        qualified_level_id: str | None,
        downgrade_at: datetime | None,
        reason: str,
    ) -> None:
        self.level_id = level_id
        self.name = name
        self.customer_group = customer_group
        self.since = since
        self.qualified_level_id = qualified_level_id
        self.downgrade_at = downgrade_at
        self.reason = reason
        self.__class__ = LevelState  # type: ignore[assignment]


check_builder(_StateBuilder, LevelState)
_new_state: Callable[..., LevelState] = _StateBuilder  # type: ignore[assignment]


@dataclass(frozen=True, slots=True)
class LevelTimeline:
    """One customer's qualified and held levels over time (level indexes; -1 is no level)."""

    times: Sequence[datetime]
    """Every instant where the figures change, in order (a customer's timeline is built and read by
    one evaluation, so these are the lists it built, not copies)."""
    qualified: Sequence[int]
    spend: Sequence[Decimal]
    orders: Sequence[int]
    change_times: Sequence[datetime]
    held: Sequence[int]

    def held_at(self, at: datetime) -> int:
        """Index of the level held at ``at`` (changes at ``at`` included)."""
        i = bisect_right(self.change_times, at) - 1
        return self.held[i] if i >= 0 else -1

    def held_before(self, at: datetime) -> int:
        """Index of the level held just before ``at`` (what an order placed at ``at`` is earned at)."""
        i = bisect_left(self.change_times, at) - 1
        return self.held[i] if i >= 0 else -1

    def held_before_each(self, instants: Iterable[datetime]) -> list[int]:
        """:meth:`held_before` of each of ``instants``."""
        change_times, held = self.change_times, self.held
        return [held[i] if (i := bisect_left(change_times, at) - 1) >= 0 else -1 for at in instants]

    def figures_at(self, at: datetime) -> tuple[int, Decimal, int]:
        """(qualified level index, spend in window, orders in window) at ``at``."""
        i = bisect_right(self.times, at) - 1
        if i < 0:
            return -1, _ZERO, 0
        return self.qualified[i], self.spend[i], self.orders[i]


class _TimelineBuilder:
    """Builds a :class:`LevelTimeline` with plain attribute writes (see :mod:`.slots`); same arguments."""

    __slots__ = LevelTimeline.__slots__

    def __init__(
        self,
        times: Sequence[datetime],
        qualified: Sequence[int],
        spend: Sequence[Decimal],
        orders: Sequence[int],
        change_times: Sequence[datetime],
        held: Sequence[int],
    ) -> None:
        self.times = times
        self.qualified = qualified
        self.spend = spend
        self.orders = orders
        self.change_times = change_times
        self.held = held
        self.__class__ = LevelTimeline  # type: ignore[assignment]


check_builder(_TimelineBuilder, LevelTimeline)
_new_timeline: Callable[..., LevelTimeline] = _TimelineBuilder  # type: ignore[assignment]


class LevelRules:
    """The programme's levels, compiled once."""

    def __init__(self, program: Program, levels: Levels) -> None:
        self.levels: tuple[Level, ...] = tuple(levels.levels)
        self._ids = (*(level.id for level in self.levels), "none")
        """Level ids by index; the last (index -1) is ``none``."""
        self._names = (*(level.name for level in self.levels), "no level")
        """Level names by index, as reasons say them; the last (index -1) is ``no level``."""
        self.statuses = QUALIFYING[levels.qualifying_status]
        """Order statuses that count toward levels."""
        self._currency = program.currency
        self._zone = ZoneInfo(program.timezone)
        self._window = timedelta(days=levels.window_days)
        self._window_days = levels.window_days
        self._grace = timedelta(days=levels.grace_days)
        self._grace_days = levels.grace_days
        self._milestones = [
            timedelta(days=days)
            for days in sorted({level.min_membership_days for level in self.levels} - {0})
        ]
        self._criteria = tuple(
            (i, level.min_spend, level.min_orders, timedelta(days=level.min_membership_days))
            for i, level in reversed(list(enumerate(self.levels)))
        )
        self._memberships = tuple(timedelta(days=level.min_membership_days) for level in self.levels)
        self._quant = Decimal(1).scaleb(-minor_unit(program.currency))

    def level(self, index: int) -> Level | None:
        return self.levels[index] if index >= 0 else None

    def timeline(
        self, created_at: datetime, orders: Sequence[OrderFacts], reader: OrderReader
    ) -> LevelTimeline:
        """The level timeline from the customer's first event on, including future window exits.

        ``orders`` are the customer's order facts in time order; those with a counting status and a
        currency in rewards count, their refunds (converted by ``reader``) lowering their spend.
        """
        # (instant, spend delta, order-count delta). Orders come in time order, so entries and window
        # exits are two sorted runs and the one stable sort mostly merges; equal instants are summed
        # before the level is decided.
        events: list[tuple[datetime, Decimal, int]] = []
        exits: list[tuple[datetime, Decimal, int]] = []
        others: list[tuple[datetime, Decimal, int]] = [
            (created_at + days, _ZERO, 0) for days in self._milestones
        ]
        enter, leave = events.append, exits.append
        statuses, window = self.statuses, self._window
        for fact in orders:
            spend = fact.spend
            if spend is None:
                continue
            status = fact.status
            if status not in statuses:
                continue
            placed = fact.placed_at
            enter((placed, spend, 1))
            if fact.refunds or status is _CLOSED:
                left, counting = self._reductions(fact, spend, placed + window, others.append, reader)
                leave((placed + window, -left, -1 if counting else 0))
            else:
                leave((placed + window, -spend, -1))
        # the first event: the account's creation, or an order placed before it
        others.append((events[0][0] if events and events[0][0] < created_at else created_at, _ZERO, 0))
        events += exits
        events += others
        events.sort(key=_INSTANT)
        events.append(_LAST)

        # a level's membership criterion as the instant it is first met; the order count is
        # compared first (the cheapest comparison, and the one that most often fails)
        criteria = [
            (index, min_orders, min_spend, created_at + min_membership)
            for index, min_spend, min_orders, min_membership in self._criteria
        ]
        times: list[datetime] = []
        qualified: list[int] = []
        spends: list[Decimal] = []
        counts: list[int] = []
        starts: list[datetime] = []
        """Where a run of one qualified level starts (and ``runs``, its level)."""
        runs: list[int] = []
        add_time, add_level = times.append, qualified.append
        add_spend, add_count = spends.append, counts.append
        spend, count, previous = _ZERO, 0, -2
        # equal instants are summed before the level is decided: an instant's figures are complete
        # when the next instant comes (the last event, far in the future, closes the last instant)
        at = events[0][0]
        for instant, d_spend, d_count in events:
            if instant != at:
                add_time(at)
                add_spend(spend)
                add_count(count)
                level = -1
                for index, min_orders, min_spend, member_from in criteria:
                    if count >= min_orders and spend >= min_spend and at >= member_from:
                        level = index
                        break
                add_level(level)
                if level != previous:
                    starts.append(at)
                    runs.append(level)
                    previous = level
                at = instant
            spend += d_spend
            count += d_count
        change_times, held = self._held(starts, runs)
        return _new_timeline(times, qualified, spends, counts, change_times, held)

    def _reductions(
        self,
        fact: OrderFacts,
        spend: Decimal,
        end: datetime,
        add: Callable[[tuple[datetime, Decimal, int]], None],
        reader: OrderReader,
    ) -> tuple[Decimal, bool]:
        """Record what lowers a counted order's spend inside its window: refunds (a refund that takes the
        rest also stops it counting as an order) and the shop closing it. Returns (spend left, counting)."""
        placed, left, counting = fact.placed_at, spend, True
        for refund in fact.refunds:
            at = refund.created_at
            if at >= end:
                break
            amount = reader.convert(refund.amount.amount, refund.amount.currency) or _ZERO
            at = max(at, placed)
            part = min(amount, left)
            if part > 0:
                left -= part
                add((at, -part, 0))
            if left <= 0 and amount > 0:
                counting = False
                add((at, _ZERO, -1))
                break
        closed_at = fact.updated_at if fact.status is _CLOSED else None
        if counting and closed_at is not None and closed_at < end:
            add((max(closed_at, placed), -left, -1))
            left, counting = _ZERO, False
        return left, counting

    def _held(self, starts: list[datetime], levels: list[int]) -> tuple[list[datetime], list[int]]:
        """Sliding maximum of the qualified level over ``[t - grace, t]``: the instants where it changes.

        ``levels[i]`` is qualified from ``starts[i]`` until ``starts[i + 1]`` (runs of one level, so
        consecutive levels differ) and held until ``starts[i + 1] + grace``. The held level can only
        change where a run starts or a run's grace ends.
        """
        grace = self._grace
        n = len(starts)
        if n == 1:  # one run (most short histories): held from its start, unless it is "no level"
            return ([starts[0]], levels) if levels[0] != -1 else ([], [])
        leaves = [at + grace for at in starts[1:]]
        # every instant where the held level can change, in order (an instant that is both a start
        # and a grace end is visited twice, harmlessly)
        candidates = sorted(starts + leaves) if grace else starts
        window: deque[int] = deque()
        added = removed = 0
        change_times: list[datetime] = []
        held: list[int] = []
        current = -1
        for at in candidates:
            while added < n and starts[added] <= at:
                while window and levels[window[-1]] <= levels[added]:
                    window.pop()
                window.append(added)
                added += 1
            while removed < n - 1 and leaves[removed] <= at:
                if window and window[0] == removed:
                    window.popleft()
                removed += 1
            level = levels[window[0]] if window else -1
            if level != current:
                change_times.append(at)
                held.append(level)
                current = level
        return change_times, held

    def intents(
        self, timeline: LevelTimeline, source: str, customer_key: str, now: datetime
    ) -> list[LedgerIntent]:
        """A LEVEL intent per change of the held level up to ``now``.

        Record ``level:<date in programme tz>:<level id or none>``; a second change to the same level
        on the same day gets ``#2``, ``#3``... (chronological, so stable as ``now`` moves on).
        """
        out: list[LedgerIntent] = []
        seen: dict[str, int] = {}
        prefixes: dict[str, str] = {}
        ids, zone, names = self._ids, self._zone, self._names
        previous = -1
        for at, index in zip(timeline.change_times, timeline.held, strict=True):
            if at > now:
                break
            to_id, was_id = ids[index], ids[previous]
            record = f"level:{local_date(at, zone).isoformat()}:{to_id}"
            count = seen[record] = seen.get(record, 0) + 1
            if count > 1:
                record += f"#{count}"
            rule_id = to_id if index >= 0 else was_id
            prefix = prefixes.get(rule_id)
            if prefix is None:
                prefix = prefixes[rule_id] = intent_key_prefix(rule_id, _LEVEL, source, customer_key)
            _, spend, orders = timeline.figures_at(at)
            figures = self._figures(spend, orders)
            if index > previous:
                reason = f"upgraded to {names[index]}: {figures}"
            else:
                reason = (
                    f"moved down to {names[index]} after the {self._grace_days}-day grace period: {figures}"
                )
            out.append(
                new_intent(
                    prefix + record,
                    _LEVEL_KIND,
                    rule_id,
                    source,
                    customer_key,
                    record,
                    at,
                    reason,
                    0,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    (("from", was_id), ("to", to_id)),
                )
            )
            previous = index
        return out

    def _figures(self, spend: Decimal, orders: int) -> str:
        return (
            f"{spend.quantize(self._quant, rounding=ROUND_HALF_UP):,} {self._currency} spend and {orders} "
            f"orders in the last {self._window_days} days"
        )

    def state(self, timeline: LevelTimeline, created_at: datetime, now: datetime) -> LevelState:
        """The level held at ``now``, since when, what the criteria give, and when it would fall."""
        i = bisect_right(timeline.change_times, now) - 1
        held = timeline.held[i] if i >= 0 else -1
        since = timeline.change_times[i] if i >= 0 and held >= 0 else None
        qualified, spend, orders = timeline.figures_at(now)
        downgrade_at = None
        if held >= 0:
            for at, index in zip(timeline.change_times[i + 1 :], timeline.held[i + 1 :], strict=True):
                if index < held:
                    downgrade_at = at
                    break
        level = self.level(held)
        figures = self._figures(spend, orders)
        if level is None:
            reason = f"no level: {figures}"
        elif qualified < held:
            until = f" until {local_date(downgrade_at, self._zone).isoformat()}" if downgrade_at else ""
            below = self.levels[qualified].name if qualified >= 0 else "no level"
            reason = (
                f"{level.name} held by the {self._grace_days}-day grace period{until}; "
                f"qualifies for {below}: {figures}"
            )
        else:
            reason = f"{level.name}: {figures}"
        qualified_id = self.levels[qualified].id if qualified >= 0 else None
        if level is None:
            return _new_state(None, None, None, since, qualified_id, downgrade_at, reason)
        return _new_state(
            level.id, level.name, level.customer_group, since, qualified_id, downgrade_at, reason
        )

    def outcomes(
        self, timeline: LevelTimeline, state: LevelState, created_at: datetime, now: datetime
    ) -> list[RuleOutcome]:
        """The held level (applied) and how close the next one is (not applied)."""
        out = []
        if state.level_id is not None:
            out.append(new_outcome(state.level_id, True, state.reason, _ONE))
        qualified, spend, orders = timeline.figures_at(now)
        if qualified + 1 >= len(self.levels):
            return out
        target = self.levels[qualified + 1]
        min_spend, min_orders, min_days = target.min_spend, target.min_orders, target.min_membership_days
        missing: list[str] = []
        ratios: list[Decimal] = []
        if min_spend > 0:
            ratios.append(min(_ONE, max(_ZERO, spend) / min_spend))
            if spend < min_spend:
                gap = (min_spend - spend).quantize(self._quant, rounding=ROUND_HALF_UP)
                missing.append(f"spend {gap:,} {self._currency} more in the last {self._window_days} days")
        if min_orders > 0:
            ratios.append(min(_ONE, Decimal(orders) / min_orders))
            if orders < min_orders:
                more = min_orders - orders
                missing.append(
                    f"place {more} more order{'s' if more != 1 else ''} in the last {self._window_days} days"
                )
        if min_days > 0:
            member = max(_NO_TIME, now - created_at)
            ratios.append(min(_ONE, Decimal(member // _DAY) / min_days))
            needed = self._memberships[qualified + 1] - member
            if needed > _NO_TIME:
                days = -(-needed // _DAY)
                missing.append(f"stay a member {days} more day{'s' if days != 1 else ''}")
        what = " and ".join(missing)
        keep = state.level_id == target.id
        reason = f"{what} to keep {target.name}" if keep else f"{what} for {target.name}"
        out.append(new_outcome(target.id, False, reason, min(ratios, default=_ZERO), what))
        return out
