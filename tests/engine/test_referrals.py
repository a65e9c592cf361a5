"""Referrals: codes, self-referral checks, returning referees, caps, void before and reversal after payout."""

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import engine_kit as kit
import pytest
from engine_kit import one_line_order

from loyalty_connector.domain import Customer, Money, Order, OrderStatus, Refund
from loyalty_connector.engine.customer import CustomerEvaluator, CustomerResult, History, Referee
from loyalty_connector.engine.referrals import (
    CROCKFORD_ALPHABET,
    canonical_email,
    company_key,
    referral_code,
    vat_key,
)
from loyalty_connector.engine.results import IntentKind, LedgerIntent
from loyalty_connector.program import Program

UTC = timezone.utc
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
DAY = timedelta(days=1)
PAYOUT = T0 + 14 * DAY
SECRET = b"test-secret"

REFERRALS = """
points:
  earn:
    - {id: spend, rate: 1, pending_days: 14}
referrals:
  id: refer
  referee_discount: {percent: 10}
  referrer_reward: {points: 2000}
  min_subtotal: 250
  cap_per_referrer: 2
  cap_period_days: 365
  code_prefix: KONTOR-
"""


def program(body: str = REFERRALS, **top: str) -> Program:
    return kit.program(body, **top)


def person(cid: str, email: str, *, company: str | None = None, vat_id: str | None = None) -> Customer:
    created = T0 - 500 * DAY
    return Customer(
        source="shop",
        external_id=cid,
        email=email,
        company=company,
        vat_id=vat_id,
        created_at=created,
        updated_at=created,
    )


REFERRER = person(
    "c1", "einkauf@kontor-buero.example", company="Kontor Bürobedarf GmbH", vat_id="DE 123 456 789"
)
CODE = referral_code(SECRET, "shop", "c1", prefix="KONTOR-", length=10)


def order(
    oid: str,
    placed: datetime,
    amount: str = "300.00",
    *,
    customer_id: str = "c2",
    status: OrderStatus = OrderStatus.COMPLETE,
    updated: datetime | None = None,
    currency: str = "EUR",
    code: str | None = CODE,
) -> Order:
    return one_line_order(
        oid, placed, amount, sku="TONER-BLK", customer_id=customer_id, email=f"{customer_id}@example.org",
        status=status, updated=updated, currency=currency, coupon_codes=(code,) if code else (),
    )  # fmt: skip


def referee(who: Customer, *orders: Order, refunds: tuple[Refund, ...] = ()) -> Referee:
    return Referee(customer=who, email=who.email, history=History(orders, refunds))


def newcomer(n: int = 2, **fields: str) -> Customer:
    return person(f"c{n}", fields.pop("email", f"buyer{n}@newco{n}.example"), **fields)


def evaluate(
    referees: list[Referee], now: datetime = T0 + 60 * DAY, prog: Program | None = None, **options: object
) -> CustomerResult:
    evaluator = CustomerEvaluator(prog or program())
    return evaluator.evaluate(  # type: ignore[misc]
        REFERRER, History(()), now, referees=referees, referral_secret=SECRET, **options
    )


def of(result: CustomerResult, kind: IntentKind) -> list[LedgerIntent]:
    return [i for i in result.intents if i.kind is kind]


def test_referral_codes_are_stable_prefixed_and_drawn_from_crockford_base32() -> None:
    code = referral_code(SECRET, "shop", "c1", prefix="KONTOR-", length=12)
    assert code == referral_code(SECRET, "shop", "c1", prefix="KONTOR-", length=12)
    assert code.startswith("KONTOR-")
    assert len(code) == len("KONTOR-") + 12
    assert set(code.removeprefix("KONTOR-")) <= set(CROCKFORD_ALPHABET)
    assert not set("ILOU") & set(CROCKFORD_ALPHABET)


def test_referral_codes_differ_by_customer_source_and_secret() -> None:
    codes = {
        referral_code(SECRET, "shop", "c1", prefix="", length=10),
        referral_code(SECRET, "shop", "c2", prefix="", length=10),
        referral_code(SECRET, "other", "c1", prefix="", length=10),
        referral_code(b"another-secret", "shop", "c1", prefix="", length=10),
    }
    assert len(codes) == 4


def test_a_referral_code_needs_a_secret() -> None:
    with pytest.raises(ValueError, match="secret"):
        referral_code(b"", "shop", "c1", prefix="", length=10)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("J.Doe+news@GoogleMail.com", "jdoe@gmail.com"),
        (" Anna+ref@Kontor.example ", "anna@kontor.example"),
    ],
)
def test_canonical_email_ignores_case_tags_and_gmail_dots(one: str, other: str) -> None:
    assert canonical_email(one) == canonical_email(other)


def test_canonical_email_keeps_dots_outside_gmail() -> None:
    assert canonical_email("a.nna@kontor.example") != canonical_email("anna@kontor.example")


def test_company_names_compare_without_legal_forms_and_vat_ids_without_spacing() -> None:
    assert (
        company_key("Kontor Bürobedarf GmbH & Co. KG")
        == company_key("KONTOR BÜROBEDARF AG")
        == "kontor bürobedarf"
    )
    assert company_key("Acme Ltd.") == company_key("acme, Inc") == "acme"
    assert company_key("Kontor Logistik GmbH") != company_key("Kontor Bürobedarf GmbH")
    assert vat_key("de 123.456-789") == vat_key("DE123456789")


def test_the_reward_is_paid_at_payout_when_the_first_order_qualifies() -> None:
    referees = [referee(newcomer(), order("n1", T0))]
    assert of(evaluate(referees, now=PAYOUT - timedelta(seconds=1)), IntentKind.REFERRAL_REWARD) == []
    result = evaluate(referees, now=PAYOUT)
    [reward] = of(result, IntentKind.REFERRAL_REWARD)
    assert reward.key == "refer/referral_reward/shop/c1/order:n1"
    assert (reward.points, reward.available_at, reward.attribute("referee")) == (2000, PAYOUT, "c2")
    assert result.points_balance(PAYOUT) == 2000
    assert result.referral_code == CODE


@pytest.mark.parametrize(("amount", "paid"), [("250.00", True), ("249.99", False)])
def test_the_first_order_must_reach_the_minimum_subtotal(amount: str, paid: bool) -> None:
    result = evaluate([referee(newcomer(), order("n1", T0, amount))])
    assert bool(of(result, IntentKind.REFERRAL_REWARD)) is paid
    if not paid:
        [rejected] = of(result, IntentKind.REFERRAL_REJECTED)
        assert rejected.attribute("reason") == "below_min_subtotal"


@pytest.mark.parametrize(
    ("who", "check"),
    [
        (REFERRER, "self_referral:customer"),
        (newcomer(email="Einkauf+ref@Kontor-Buero.example"), "self_referral:email"),
        (newcomer(vat_id="de123456789"), "self_referral:vat_id"),
        (newcomer(company="KONTOR BÜROBEDARF AG"), "self_referral:company"),
        (newcomer(email="chef@kontor-buero.example"), "self_referral:email_domain"),
    ],
)
def test_self_referrals_are_rejected_with_the_check_that_matched(who: Customer, check: str) -> None:
    result = evaluate([referee(who, order("n1", T0, customer_id=who.external_id))])
    assert of(result, IntentKind.REFERRAL_REWARD) == []
    [rejected] = of(result, IntentKind.REFERRAL_REJECTED)
    assert (rejected.attribute("reason"), rejected.effective_at) == (check, T0)
    assert rejected.key == "refer/referral_rejected/shop/c1/order:n1"
    assert any(o.rule_id == "refer" and check in o.reason for o in result.outcomes)


def test_gmail_dots_and_tags_reveal_a_self_referral() -> None:
    gmail = person("c1", "anna.meyer@gmail.com")
    other = Referee(customer=None, email="annameyer+shop@googlemail.com", history=History([order("n1", T0)]))
    result = CustomerEvaluator(program()).evaluate(gmail, History(()), T0 + 60 * DAY, referees=[other])
    [rejected] = of(result, IntentKind.REFERRAL_REJECTED)
    assert rejected.attribute("reason") == "self_referral:email"


def test_a_free_mail_domain_is_not_a_company_domain() -> None:
    gmail = person("c1", "anna.meyer@gmail.com")
    other = Referee(customer=None, email="jonas@gmail.com", history=History([order("n1", T0)]))
    result = CustomerEvaluator(program()).evaluate(gmail, History(()), T0 + 60 * DAY, referees=[other])
    assert len(of(result, IntentKind.REFERRAL_REWARD)) == 1


def test_b2b_checks_can_be_switched_off() -> None:
    prog = program(REFERRALS + "  b2b_checks: [vat_id]\n")
    result = evaluate([referee(newcomer(company="Kontor Bürobedarf KG"), order("n1", T0))], prog=prog)
    assert len(of(result, IntentKind.REFERRAL_REWARD)) == 1


def test_a_referee_who_already_ordered_before_is_rejected_as_returning() -> None:
    earlier = order("n0", T0 - 30 * DAY, code=None)
    result = evaluate([referee(newcomer(), earlier, order("n1", T0))])
    [rejected] = of(result, IntentKind.REFERRAL_REJECTED)
    assert (rejected.record, rejected.attribute("reason")) == ("order:n1", "returning_customer")


def test_the_referral_order_is_the_first_one_that_carries_the_code() -> None:
    result = evaluate([referee(newcomer(), order("n1", T0), order("n2", T0 + DAY))])
    assert [i.record for i in of(result, IntentKind.REFERRAL_REWARD)] == ["order:n1"]
    no_code = evaluate([referee(newcomer(), order("n1", T0, code=None))])
    assert no_code.intents == ()
    assert any("referral code" in o.reason for o in no_code.outcomes)


def test_rewards_beyond_the_cap_per_period_are_rejected_and_the_period_rolls() -> None:
    referees = [
        referee(newcomer(n), order(f"n{n}", T0 + n * DAY, customer_id=f"c{n}")) for n in (2, 3, 4)
    ] + [referee(newcomer(5), order("n5", T0 + 2 * DAY + 366 * DAY, customer_id="c5"))]
    result = evaluate(referees, now=T0 + 500 * DAY)
    assert [i.record for i in of(result, IntentKind.REFERRAL_REWARD)] == ["order:n2", "order:n3", "order:n5"]
    [capped] = of(result, IntentKind.REFERRAL_REJECTED)
    assert (capped.record, capped.attribute("reason"), capped.effective_at) == (
        "order:n4",
        "cap",
        PAYOUT + 4 * DAY,
    )


def test_an_order_canceled_before_payout_voids_the_referral() -> None:
    canceled = order("n1", T0, status=OrderStatus.CANCELED, updated=T0 + 5 * DAY)
    result = evaluate([referee(newcomer(), canceled)])
    assert of(result, IntentKind.REFERRAL_REWARD) == []
    [rejected] = of(result, IntentKind.REFERRAL_REJECTED)
    assert (rejected.attribute("reason"), rejected.effective_at) == ("voided", T0 + 5 * DAY)
    assert "voided" in rejected.reason


def test_a_full_refund_before_payout_voids_the_referral() -> None:
    refund = Refund(
        source="shop",
        external_id="x1",
        order_id="n1",
        created_at=T0 + 2 * DAY,
        updated_at=T0 + 2 * DAY,
        amount=Money.of("300.00", "EUR"),
    )
    result = evaluate([referee(newcomer(), order("n1", T0), refunds=(refund,))])
    assert [i.attribute("reason") for i in of(result, IntentKind.REFERRAL_REJECTED)] == ["voided"]


def test_an_order_canceled_after_payout_reverses_the_points_reward() -> None:
    canceled = order("n1", T0, status=OrderStatus.CANCELED, updated=PAYOUT + 6 * DAY)
    result = evaluate([referee(newcomer(), canceled)])
    [reward] = of(result, IntentKind.REFERRAL_REWARD)
    [reversal] = of(result, IntentKind.REVERSAL)
    assert (reversal.points, reversal.reverses, reversal.effective_at) == (
        -2000,
        reward.key,
        PAYOUT + 6 * DAY,
    )
    assert result.points_balance(PAYOUT) == 2000
    assert result.points_balance(PAYOUT + 6 * DAY) == 0


COUPON_REWARD = REFERRALS.replace("referrer_reward: {points: 2000}", "referrer_reward: {coupon_amount: 50}")


def test_a_coupon_reward_is_valid_from_payout_and_its_reversal_is_noted() -> None:
    canceled = order("n1", T0, status=OrderStatus.CANCELED, updated=PAYOUT + DAY)
    result = evaluate([referee(newcomer(), canceled)], prog=program(COUPON_REWARD))
    [reward] = of(result, IntentKind.REFERRAL_REWARD)
    assert (reward.amount, reward.currency, reward.points) == (Decimal(50), "EUR", 0)
    assert (reward.available_at, reward.expires_at) == (PAYOUT, PAYOUT + 90 * DAY)
    [reversal] = of(result, IntentKind.REVERSAL)
    assert (reversal.amount, reversal.points, reversal.reverses) == (Decimal(50), 0, reward.key)


def test_the_minimum_is_checked_in_programme_currency_and_excluded_currencies_decide_nothing() -> None:
    usd = order("n1", T0, "300.00", currency="USD")
    converted = evaluate(
        [referee(newcomer(), usd)], prog=program(foreign_currency="convert", exchange_rates="{USD: 0.8}")
    )
    excluded = evaluate([referee(newcomer(), usd)])
    assert [i.attribute("reason") for i in of(converted, IntentKind.REFERRAL_REJECTED)] == [
        "below_min_subtotal"
    ]
    assert excluded.intents == ()
    assert any("USD" in o.reason for o in excluded.outcomes)
