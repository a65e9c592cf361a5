"""The refer-a-business funnel: codes issued and used, referees, qualified, rewarded, rejected by reason."""

from __future__ import annotations

__all__ = ["ReferralFunnel", "referral_funnel"]

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from ..engine.results import IntentKind
from ..ledger import LedgerEntry
from ..program import Program
from .period import Period


@dataclass(frozen=True)
class ReferralFunnel:
    """Refer-a-business from codes to rewards (see ``docs/reports.md`` for each stage)."""

    codes_issued: int
    """Referral codes known by the end of the period."""
    codes_used: int
    """Distinct codes on orders placed in the period."""
    referees: int
    """Distinct customers and guests who placed an order with a referral code in the period."""
    qualified: int
    """Referrals decided in the period whose order passed every check (rewarded, or rejected by the cap)."""
    rewarded: int
    rejected: tuple[tuple[str, int], ...]
    """(reason code, count) of referrals rejected in the period, most frequent first."""

    @property
    def rejected_total(self) -> int:
        return sum(count for _, count in self.rejected)


def referral_funnel(
    program: Program,
    period: Period,
    *,
    codes_issued: int,
    uses: Iterable[tuple[str, str]],
    entries: Iterable[LedgerEntry],
) -> ReferralFunnel | None:
    """The funnel from ``uses`` ((code, referee key) of orders in the period) and referral ledger entries.

    ``None`` when the programme has no referrals.
    """
    rule = program.referrals
    if rule is None:
        return None
    codes: set[str] = set()
    referees: set[str] = set()
    for code, referee in uses:
        codes.add(code.strip().upper())
        referees.add(referee)
    rewarded = 0
    reasons: Counter[str] = Counter()
    for entry in entries:
        if entry.rule_id != rule.id or not period.contains(entry.effective_at):
            continue
        if entry.kind is IntentKind.REFERRAL_REWARD:
            rewarded += 1
        elif entry.kind is IntentKind.REFERRAL_REJECTED:
            reasons[entry.attribute("reason") or "other"] += 1
    return ReferralFunnel(
        codes_issued=codes_issued,
        codes_used=len(codes),
        referees=len(referees),
        qualified=rewarded + reasons["cap"],
        rewarded=rewarded,
        rejected=tuple(sorted(reasons.items(), key=lambda item: (-item[1], item[0]))),
    )
