"""Golden digests: the engine's complete output on seeded synthetic shops, pinned byte for byte.

Speed work on the engine must not change a single result. These tests evaluate a seeded history
(customers, carts, referees, redemptions, re-read order versions, orders after ``now``) under the
example programme and under two variants that take the other code paths (several earn rules with
different SKU exclusions, proportional and all-or-nothing reversals, every-order bonuses, no expiry,
no grace period, excluded and unconvertible currencies, coupon-valued referral rewards, group-bound
birthday coupons), and compare a sha256 of the ``repr`` of everything the engine returns — every
ledger intent field, rule outcome, level state, referral code, cart price, gift, discount and
(lazily formatted) reason — with digests recorded before the speed work.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from loyalty_connector.domain import Customer, Order, OrderStatus, Refund
from loyalty_connector.engine import Cart, Engine, History, Redemption, Referee, referral_code
from loyalty_connector.program import Program, load_program
from loyalty_connector.synthetic import SyntheticHistory, generate_history

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "loyalty.yaml"
SECRET = b"golden-secret"
INSTANTS = (
    datetime(2025, 9, 30, 22, 30, tzinfo=timezone.utc),
    datetime(2026, 11, 1, tzinfo=timezone.utc),
)
"""Evaluation instants: one inside the generated period (later orders and refunds are ignored)."""


def example() -> Program:
    return load_program(EXAMPLE)


def variant_general() -> Program:
    """Several earn rules excluding different SKU sets, every-order bonus, no expiry, no grace period,
    GBP without a rate (left out under ``convert``), coupon referral rewards, group-bound birthdays."""
    data = example().model_dump()
    data["exchange_rates"] = {"USD": "0.92"}
    data["levels"]["grace_days"] = 0
    data["levels"]["qualifying_status"] = "processing"
    points = data["points"]
    points["expiry_days"] = None
    points["earn"].append(
        {
            "id": "chair-points",
            "rate": "0.5",
            "base": "subtotal_before_discounts",
            "rounding": "round",
            "exclude_skus": ["CHAIR-ERGO", "PAPER-A4"],
            "exclude_customer_groups": ["Retailer"],
            "qualifying_status": "processing",
            "reversal": "all_or_nothing",
        }
    )
    points["earn"].append({"id": "ceil-points", "rate": "0.1", "rounding": "ceil", "pending_days": 3})
    points["bonuses"].append(
        {
            "id": "big-order",
            "points": 250,
            "trigger": "every_order",
            "min_subtotal": 2000,
            "reversal": "proportional",
        }
    )
    data["coupons"]["next_purchase"].append(
        {"id": "fixed-10", "discount": {"amount": 10}, "valid_days": 14, "min_subtotal": 300}
    )
    data["coupons"]["birthday"]["customer_groups"] = ["Loyalty Gold", "Wholesale"]
    data["referrals"]["referrer_reward"] = {"coupon_amount": 25, "coupon_valid_days": 60}
    data["referrals"]["min_subtotal"] = 0
    return Program.model_validate(data)


def variant_exclude() -> Program:
    """Foreign currencies excluded, one earn rule without SKU exclusions, a percent-only programme."""
    data = example().model_dump()
    data["foreign_currency"] = "exclude"
    data["points"]["earn"][0]["exclude_skus"] = []
    data["points"]["earn"][0]["reversal"] = "all_or_nothing"
    data["points"]["earn"][0]["rounding"] = "round"
    data["points"]["bonuses"][0]["trigger"] = "every_order"
    data["levels"]["levels"][0]["min_spend"] = 250
    data["referrals"]["b2b_checks"] = ["email_domain"]
    return Program.model_validate(data)


PROGRAMMES = {"example": example, "general": variant_general, "exclude": variant_exclude}


def shop() -> SyntheticHistory:
    return generate_history(seed=23, customers=150, orders=2500)


def _older_version(order: Order, rng: random.Random) -> Order:
    """An earlier read of ``order``: still processing, updated before the current version."""
    return order.model_copy(
        update={
            "status": rng.choice((OrderStatus.PROCESSING, OrderStatus.PENDING)),
            "updated_at": order.updated_at - timedelta(hours=rng.randint(1, 48)),
        }
    )


def _customers(data: SyntheticHistory) -> Iterator[tuple[Customer, History, list[Order]]]:
    """Each customer with a shuffled history carrying re-read versions, refunds and redemptions."""
    rng = random.Random(5)
    by_customer: dict[str, list[Order]] = {}
    for order in data.orders:
        by_customer.setdefault(order.customer_id or "", []).append(order)
    refunds: dict[str, list[Refund]] = {}
    for refund in data.refunds:
        refunds.setdefault(refund.order_id, []).append(refund)
    for n, customer in enumerate(data.customers):
        if n % 7 == 3:
            customer = customer.model_copy(
                update={"birthday_set_at": customer.created_at + timedelta(days=n)}
            )
        mine = by_customer.get(customer.key, [])
        versions = [*mine, *(_older_version(o, rng) for o in mine if rng.random() < 0.1)]
        rng.shuffle(versions)
        redemptions = [
            Redemption(f"r{n}-{i}", rng.randint(50, 3000), o.placed_at + timedelta(days=rng.randint(1, 60)))
            for i, o in enumerate(mine)
            if rng.random() < 0.15
        ]
        history = History(
            tuple(versions),
            tuple(r for o in mine for r in refunds.get(o.external_id, ())),
            tuple(redemptions),
        )
        yield customer, history, mine


def _lines(engine: Engine, data: SyntheticHistory) -> Iterator[str]:
    """The repr of everything the engine says about ``data``, one item per line."""
    program = engine.program
    accounts = list(_customers(data))
    assert program.referrals is not None
    codes = {
        referral_code(
            SECRET,
            c.source,
            c.key,
            prefix=program.referrals.code_prefix,
            length=program.referrals.code_length,
        ): c.key
        for c, _, _ in accounts[:20]
    }
    group_codes = data.group_codes
    for n, (customer, history, mine) in enumerate(accounts):
        referees: list[Referee] = []
        if n < 20:
            for other, their_history, _ in accounts[40 + 3 * n : 43 + 3 * n]:
                guest = n % 4 == 1
                referees.append(Referee(None if guest else other, other.email, their_history))
        for now in INSTANTS:
            result = engine.evaluate_customer(
                customer,
                history,
                now,
                referees=referees,
                referral_secret=SECRET if n % 5 else None,
                group_codes=group_codes,
            )
            yield repr(result)
            yield repr((result.points_balance(now), result.points_pending(now)))
        for i, order in enumerate(mine[:12]):
            cart = Cart.from_order(order)
            if i == 0 and n >= 40:
                cart = Cart(cart.currency, cart.lines, (f" {next(iter(codes)).lower()} ",))
            priced = engine.evaluate_cart(
                customer,
                History(tuple(o for o in mine if o.placed_at < order.placed_at)),
                cart,
                order.placed_at,
                referral_codes=codes,
                group_codes=group_codes,
            )
            yield repr(priced)
            yield repr(priced.outcomes)
            yield repr([(line.reason, line.outcome) for line in priced.lines])
            for group in ("Loyalty Gold", "Loyalty Silver", None):
                yield repr(engine.carts.evaluate(cart, customer_group=group, now=order.placed_at))


def digest(name: str) -> str:
    engine = Engine(PROGRAMMES[name]())
    hasher = hashlib.sha256()
    count = 0
    for line in _lines(engine, shop()):
        hasher.update(line.encode())
        hasher.update(b"\n")
        count += 1
    return f"{count}:{hasher.hexdigest()}"


GOLDEN = {
    # recorded from the engine as of commit 173f0e1, before the speed work
    "example": "7338:3464dc55fd69d7336b79c40d67eb0645beb30b0599c832e59fa374e1a53d2f34",
    "general": "7338:6235591323c66dee6b820769af091531856ee01d40e339f9ec071256a1984aa9",
    "exclude": "7338:34d0a4fcb1987c8e85319322bee62f8a8c27492d6fc396abdccce31a969ba172",
}


@pytest.mark.parametrize("name", sorted(PROGRAMMES))
def test_engine_output_is_byte_identical_to_the_recorded_digest(name: str) -> None:
    assert digest(name) == GOLDEN[name]
