"""Time-limited coupons: a next-purchase discount after a qualifying order, and a yearly birthday coupon.

COUPON intents carry the discount (``amount`` in programme currency or ``percent``) and the validity
(``available_at`` .. ``expires_at``); the coupon code itself is created when the plan is applied.
Days follow the programme's time zone: a birthday window runs from local midnight of its first day
to local midnight after its last day.
"""

from __future__ import annotations

__all__ = ["CouponRules", "birthday_in"]

from collections.abc import Callable, Collection, Sequence
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import NamedTuple
from zoneinfo import ZoneInfo

from ..domain import Customer, OrderStatus
from ..program import Coupons, Discount, Program
from .conditions import QUALIFYING, group_matches, local_date
from .facts import OrderFacts
from .results import IntentKind, LedgerIntent, RuleOutcome, intent_key_prefix, new_intent, new_outcome

_COUPON_KIND = IntentKind.COUPON
_COUPON = _COUPON_KIND.value
_ONE = Decimal(1)
_MIDNIGHTS = 50_000
"""At most this many remembered midnights (137 years of days)."""


def birthday_in(birthday: date, year: int) -> date:
    """The day ``birthday`` is celebrated in ``year``: 29 February falls on 28 February in common years."""
    try:
        return birthday.replace(year=year)
    except ValueError:
        return date(year, 2, 28)


class _NextPurchase(NamedTuple):
    """A next-purchase coupon rule compiled: its discount as intents carry it, and its reason parts."""

    rule_id: str
    minimum: Decimal
    valid: timedelta
    statuses: frozenset[OrderStatus]
    amount: Decimal | None
    currency: str | None
    percent: Decimal | None
    described: str
    below: str
    reached: str


class CouponRules:
    """The programme's next-purchase and birthday coupons, compiled once."""

    def __init__(self, program: Program, coupons: Coupons) -> None:
        self._currency = currency = program.currency
        self._zone = ZoneInfo(program.timezone)
        self._next = tuple(
            _NextPurchase(
                rule.id,
                rule.min_subtotal,
                timedelta(days=rule.valid_days),
                QUALIFYING[rule.qualifying_status],
                *self._discount(rule.discount),
                rule.discount.describe(currency) + " off the next purchase after order ",
                f" {currency} is below {rule.min_subtotal:,} {currency}",
                f" {currency} >= {rule.min_subtotal:,} {currency}), valid {rule.valid_days} days",
            )
            for rule in coupons.next_purchase
        )
        self._birthday = birthday = coupons.birthday
        if birthday is not None:
            amount, discount_currency, percent = self._discount(birthday.discount)
            self._birthday_parts = (
                amount,
                discount_currency,
                percent,
                birthday.discount.describe(currency) + " birthday coupon for ",
                f", valid {birthday.days_before} days before to {birthday.days_after} days after",
                timedelta(days=birthday.days_before),
                timedelta(days=birthday.days_after + 1),
            )
        self._midnights: dict[date, datetime] = {}
        """Local midnight -> UTC instant, filled as days are met (a few hundred per programme year)."""

    def _discount(self, discount: Discount) -> tuple[Decimal | None, str | None, Decimal | None]:
        """(amount, currency, percent) of a discount, as LedgerIntent carries them."""
        if discount.amount is not None:
            return discount.amount, self._currency, None
        return None, None, discount.percent

    def next_purchase(
        self, *, source: str, customer_key: str, orders: Sequence[OrderFacts]
    ) -> tuple[list[LedgerIntent], list[RuleOutcome]]:
        """One coupon per qualifying order at or over ``min_subtotal``, valid from its ``placed_at``.

        ``orders`` in time order; those whose currency is left out of rewards are skipped.
        """
        intents: list[LedgerIntent] = []
        outcomes: list[RuleOutcome] = []
        add_intent, add_outcome = intents.append, outcomes.append
        currency = self._currency
        for rule in self._next:
            rule_id, minimum, valid, statuses = rule.rule_id, rule.minimum, rule.valid, rule.statuses
            amount, discount_currency, percent = rule.amount, rule.currency, rule.percent
            described, below, reached = rule.described, rule.below, rule.reached
            prefix = intent_key_prefix(rule_id, _COUPON, source, customer_key)
            for fact in orders:
                value = fact.spend
                if value is None or fact.status not in statuses:
                    continue
                if value < minimum:
                    add_outcome(
                        new_outcome(
                            rule_id,
                            False,
                            f"order {fact.number}: subtotal {fact.spend_text}{below}",
                            min(_ONE, value / minimum),
                            f"{minimum - value:,} {currency}",
                        )
                    )
                    continue
                record = "order:" + fact.id
                placed = fact.placed_at
                add_intent(
                    new_intent(
                        prefix + record,
                        _COUPON_KIND,
                        rule_id,
                        source,
                        customer_key,
                        record,
                        placed,
                        f"{described}{fact.number} ({fact.spend_text}{reached}",
                        0,
                        amount,
                        discount_currency,
                        percent,
                        placed,
                        placed + valid,
                    )
                )
        return intents, outcomes

    def birthday(
        self,
        *,
        customer: Customer,
        source: str,
        groups_at: Callable[[datetime], Collection[str]],
        now: datetime,
    ) -> tuple[list[LedgerIntent], list[RuleOutcome]]:
        """One coupon per year whose window has started by ``now`` and ends after the account exists.

        ``groups_at(t)`` gives the customer-group codes that count at ``t`` (shop group, level group).
        No coupon when the birthday was entered fewer than ``min_days_since_birthday_set`` days before
        that year's birthday (an unknown entry date is allowed).
        """
        rule = self._birthday
        if rule is None:
            return [], []
        birthday = customer.birthday
        if birthday is None:
            return [], [new_outcome(rule.id, False, "no birthday on the customer account")]
        intents: list[LedgerIntent] = []
        outcomes: list[RuleOutcome] = []
        amount, currency, percent, described, valid, before, after = self._birthday_parts
        rule_id, min_days, groups = rule.id, rule.min_days_since_birthday_set, rule.customer_groups
        source_key = customer.key
        prefix = intent_key_prefix(rule_id, _COUPON, source, source_key)
        created_at = customer.created_at
        set_on = (
            None if customer.birthday_set_at is None else local_date(customer.birthday_set_at, self._zone)
        )
        midnight = self._midnight
        first_year = self._local_year(created_at)
        last_year = self._local_year(now) + 1
        for year in range(first_year, last_year + 1):
            day = birthday_in(birthday, year)
            end = midnight(day + after)
            if end <= created_at:
                continue
            first_day = day - before
            start = midnight(first_day)
            if start > now:
                outcomes.append(
                    new_outcome(
                        rule_id, False, f"the {year} birthday coupon is issued on {first_day.isoformat()}"
                    )
                )
                break
            if set_on is not None and (day - set_on).days < min_days:
                outcomes.append(
                    new_outcome(
                        rule_id,
                        False,
                        f"no {year} birthday coupon: the birthday was entered on {set_on.isoformat()}, "
                        f"fewer than {min_days} days before it",
                    )
                )
                continue
            if groups != "all":
                eligible = groups_at(start)
                if not any(group_matches(groups, group) for group in eligible):
                    outcomes.append(
                        new_outcome(
                            rule_id,
                            False,
                            f"no {year} birthday coupon: customer group "
                            f"{', '.join(sorted(eligible)) or 'none'} is not eligible",
                        )
                    )
                    continue
            record = f"birthday:{year}"
            celebrated = day.isoformat()
            intents.append(
                new_intent(
                    prefix + record,
                    _COUPON_KIND,
                    rule_id,
                    source,
                    source_key,
                    record,
                    start,
                    f"{described}{celebrated}{valid}",
                    0,
                    amount,
                    currency,
                    percent,
                    start,
                    end,
                    None,
                    (("birthday", celebrated),),
                )
            )
        return intents, outcomes

    def _local_year(self, moment: datetime) -> int:
        """The year of ``moment`` in the programme time zone. Away from New Year (no zone is a day or
        more off UTC) that is the UTC year, without the slow zone lookup."""
        if moment.tzinfo is timezone.utc and (2 <= moment.month <= 11 or 2 <= moment.day <= 30):
            return moment.year
        return local_date(moment, self._zone).year

    def _midnight(self, day: date) -> datetime:
        """The UTC instant of local midnight starting ``day`` (remembered: the zone lookup is slow)."""
        found = self._midnights.get(day)
        if found is None:
            found = datetime.combine(day, time(0), tzinfo=self._zone).astimezone(timezone.utc)
            if len(self._midnights) < _MIDNIGHTS:
                self._midnights[day] = found
        return found
