"""Pure rule evaluation: no I/O, no clock, no globals.

Start at :class:`Engine` (or the one-shot :func:`evaluate_cart` / :func:`evaluate_customer`). Each rule
module holds one kind of rule as a condition plus an effect; every result carries the rule id and a
human reason, and every rule that did not apply says why not and how close.
"""

from .cart import Cart, CartDiscount, CartEvaluator, CartLine, CartResult, PricedLine
from .customer import CustomerEvaluator, CustomerResult, History, LevelState, Referee
from .evaluate import Engine, evaluate_cart, evaluate_customer
from .free_products import GiftLine
from .referrals import referral_code
from .results import IntentKind, LedgerIntent, Redemption, RuleOutcome, intent_key

__all__ = [
    "Cart",
    "CartDiscount",
    "CartEvaluator",
    "CartLine",
    "CartResult",
    "CustomerEvaluator",
    "CustomerResult",
    "Engine",
    "GiftLine",
    "History",
    "IntentKind",
    "LedgerIntent",
    "LevelState",
    "PricedLine",
    "Redemption",
    "Referee",
    "RuleOutcome",
    "evaluate_cart",
    "evaluate_customer",
    "intent_key",
    "referral_code",
]
