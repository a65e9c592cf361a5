"""Time-limited coupons: a next-purchase discount after a qualifying order, and a yearly birthday coupon.

COUPON intents carry the discount (``amount`` in programme currency or ``percent``) and the validity
(``available_at`` .. ``expires_at``); the coupon code itself is created when the plan is applied.
Days follow the programme's time zone: a birthday window runs from local midnight of its first day
to local midnight after its last day.
"""

from __future__ import annotations

__all__ = ["CouponRules", "birthday_in"]

from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

from ..domain import Customer, Order
from ..program import Coupons, Discount, Program
from .conditions import QUALIFYING, group_matches, local_date
from .results import IntentKind, LedgerIntent, RuleOutcome, intent_key

_COUPON = IntentKind.COUPON.value


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
        self,
        *,
        source: str,
        customer_key: str,
        orders: Sequence[Order],
        spend: Mapping[str, Decimal | None],
    ) -> tuple[list[LedgerIntent], list[RuleOutcome]]:
        """One coupon per qualifying order at or over ``min_subtotal``, valid from its ``placed_at``."""
        intents: list[LedgerIntent] = []
        outcomes: list[RuleOutcome] = []
        for rule, valid, statuses in self._next:
            amount, currency, percent = self._discount(rule.discount)
            described = rule.discount.describe(self._currency)
            for order in orders:
                value = spend[order.external_id]
                if value is None:
                    continue
                if order.status not in statuses:
                    continue
                if value < rule.min_subtotal:
                    outcomes.append(
                        RuleOutcome(
                            rule.id,
                            False,
                            f"order {order.number}: subtotal {value:,} {self._currency} is below "
                            f"{rule.min_subtotal:,} {self._currency}",
                            progress=min(Decimal(1), value / rule.min_subtotal),
                            missing=f"{rule.min_subtotal - value:,} {self._currency}",
                        )
                    )
                    continue
                record = f"order:{order.external_id}"
                intents.append(
                    LedgerIntent(
                        key=intent_key(rule.id, _COUPON, source, customer_key, record),
                        kind=IntentKind.COUPON,
                        rule_id=rule.id,
                        source=source,
                        customer_key=customer_key,
                        record=record,
                        effective_at=order.placed_at,
                        reason=f"{described} off the next purchase after order {order.number} "
                        f"({value:,} {self._currency} >= {rule.min_subtotal:,} {self._currency}), "
                        f"valid {rule.valid_days} days",
                        available_at=order.placed_at,
                        expires_at=order.placed_at + valid,
                        amount=amount,
                        currency=currency,
                        percent=percent,
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
        set_on = (
            None if customer.birthday_set_at is None else local_date(customer.birthday_set_at, self._zone)
        )
        first_year = local_date(customer.created_at, self._zone).year
        last_year = local_date(now, self._zone).year + 1
        for year in range(first_year, last_year + 1):
            day = birthday_in(customer.birthday, year)
            start = self._midnight(day - timedelta(days=rule.days_before))
            end = self._midnight(day + timedelta(days=rule.days_after + 1))
            if end <= customer.created_at:
                continue
            if start > now:
                first_day = day - timedelta(days=rule.days_before)
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
            groups = groups_at(start)
            if rule.customer_groups != "all" and not any(
                group_matches(rule.customer_groups, group) for group in groups
            ):
                outcomes.append(
                    RuleOutcome(
                        rule.id,
                        False,
                        f"no {year} birthday coupon: customer group {', '.join(sorted(groups)) or 'none'} "
                        "is not eligible",
                    )
                )
                continue
            record = f"birthday:{year}"
            intents.append(
                LedgerIntent(
                    key=intent_key(rule.id, IntentKind.COUPON, source, customer.key, record),
                    kind=IntentKind.COUPON,
                    rule_id=rule.id,
                    source=source,
                    customer_key=customer.key,
                    record=record,
                    effective_at=start,
                    reason=f"{described} birthday coupon for {day.isoformat()}, valid "
                    f"{rule.days_before} days before to {rule.days_after} days after",
                    available_at=start,
                    expires_at=end,
                    attributes=(("birthday", day.isoformat()),),
                    amount=amount,
                    currency=currency,
                    percent=percent,
                )
            )
        return intents, outcomes

    def _midnight(self, day: date) -> datetime:
        return datetime.combine(day, time(0), tzinfo=self._zone).astimezone(timezone.utc)
