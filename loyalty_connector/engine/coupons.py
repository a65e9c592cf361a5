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
from zoneinfo import ZoneInfo

from ..domain import Customer
from ..program import Coupons, Discount, Program
from .conditions import QUALIFYING, group_matches, local_date
from .facts import OrderFacts
from .results import IntentKind, LedgerIntent, RuleOutcome, intent_key_prefix

_COUPON_KIND = IntentKind.COUPON
_COUPON = _COUPON_KIND.value
_ONE = Decimal(1)


def birthday_in(birthday: date, year: int) -> date:
    """The day ``birthday`` is celebrated in ``year``: 29 February falls on 28 February in common years."""
    try:
        return birthday.replace(year=year)
    except ValueError:
        return date(year, 2, 28)


class CouponRules:
    """The programme's next-purchase and birthday coupons, compiled once."""

    def __init__(self, program: Program, coupons: Coupons) -> None:
        self._currency = program.currency
        self._zone = ZoneInfo(program.timezone)
        self._next = tuple(
            (rule, timedelta(days=rule.valid_days), QUALIFYING[rule.qualifying_status])
            for rule in coupons.next_purchase
        )
        self._birthday = coupons.birthday

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
        currency = self._currency
        for rule, valid, statuses in self._next:
            amount, discount_currency, percent = self._discount(rule.discount)
            described = rule.discount.describe(currency)
            minimum, rule_id = rule.min_subtotal, rule.id
            prefix = intent_key_prefix(rule_id, _COUPON, source, customer_key)
            below = f" {currency} is below {minimum:,} {currency}"
            reached = f" {currency} >= {minimum:,} {currency}), valid {rule.valid_days} days"
            for fact in orders:
                value = fact.spend
                if value is None or fact.status not in statuses:
                    continue
                if value < minimum:
                    outcomes.append(
                        RuleOutcome(
                            rule_id,
                            False,
                            f"order {fact.number}: subtotal {value:,}{below}",
                            min(_ONE, value / minimum),
                            f"{minimum - value:,} {currency}",
                        )
                    )
                    continue
                record = "order:" + fact.id
                placed = fact.placed_at
                intents.append(
                    LedgerIntent(
                        prefix + record,
                        _COUPON_KIND,
                        rule_id,
                        source,
                        customer_key,
                        record,
                        placed,
                        f"{described} off the next purchase after order {fact.number} ({value:,}{reached}",
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
        if customer.birthday is None:
            return [], [RuleOutcome(rule.id, False, "no birthday on the customer account")]
        intents: list[LedgerIntent] = []
        outcomes: list[RuleOutcome] = []
        amount, currency, percent = self._discount(rule.discount)
        described = rule.discount.describe(self._currency)
        valid = f", valid {rule.days_before} days before to {rule.days_after} days after"
        before, after = timedelta(days=rule.days_before), timedelta(days=rule.days_after + 1)
        prefix = intent_key_prefix(rule.id, _COUPON, source, customer.key)
        created_at = customer.created_at
        set_on = (
            None if customer.birthday_set_at is None else local_date(customer.birthday_set_at, self._zone)
        )
        first_year = local_date(created_at, self._zone).year
        last_year = local_date(now, self._zone).year + 1
        for year in range(first_year, last_year + 1):
            day = birthday_in(customer.birthday, year)
            end = self._midnight(day + after)
            if end <= created_at:
                continue
            first_day = day - before
            start = self._midnight(first_day)
            if start > now:
                outcomes.append(
                    RuleOutcome(
                        rule.id, False, f"the {year} birthday coupon is issued on {first_day.isoformat()}"
                    )
                )
                break
            if set_on is not None and (day - set_on).days < rule.min_days_since_birthday_set:
                outcomes.append(
                    RuleOutcome(
                        rule.id,
                        False,
                        f"no {year} birthday coupon: the birthday was entered on {set_on.isoformat()}, "
                        f"fewer than {rule.min_days_since_birthday_set} days before it",
                    )
                )
                continue
            if rule.customer_groups != "all":
                groups = groups_at(start)
                if not any(group_matches(rule.customer_groups, group) for group in groups):
                    outcomes.append(
                        RuleOutcome(
                            rule.id,
                            False,
                            f"no {year} birthday coupon: customer group "
                            f"{', '.join(sorted(groups)) or 'none'} is not eligible",
                        )
                    )
                    continue
            record = f"birthday:{year}"
            celebrated = day.isoformat()
            intents.append(
                LedgerIntent(
                    prefix + record,
                    _COUPON_KIND,
                    rule.id,
                    source,
                    customer.key,
                    record,
                    start,
                    f"{described} birthday coupon for {celebrated}{valid}",
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

    def _midnight(self, day: date) -> datetime:
        return datetime.combine(day, time(0), tzinfo=self._zone).astimezone(timezone.utc)
