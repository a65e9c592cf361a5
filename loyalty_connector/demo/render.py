"""The demo as text and as data: one block of aligned lines per finished step, the footer, ``--json``.

Pure functions of the events and the result (:mod:`.events`); the CLI prints what they return.
"""

from __future__ import annotations

__all__ = ["render_event", "render_footer", "render_summary", "result_dict"]

import dataclasses
from collections.abc import Sequence
from typing import Any

from ..engine.results import IntentKind
from ..engine.tier_pricing import format_money
from ..ledger import export_rows
from ..summary import CartReplay, LedgerSummary
from .events import (
    BackfillDone,
    ChangesMade,
    DemoEvent,
    DemoResult,
    ProgrammeApplied,
    ShopsStarted,
    Summarized,
)


def _n(value: int) -> str:
    return f"{value:,}"


def _cut(text: str, width: int) -> str:
    return text if width <= 0 or len(text) <= width else text[: width - 1] + "…"


def _columns(
    headers: Sequence[str], rows: Sequence[Sequence[str]], align: str, indent: str = "  "
) -> list[str]:
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]

    def line(values: Sequence[str]) -> str:
        cells = [
            v.rjust(w) if a == "r" else v.ljust(w) for v, w, a in zip(values, widths, align, strict=True)
        ]
        return (indent + "  ".join(cells)).rstrip()

    return [line(headers), *(line(r) for r in rows)]


def render_event(event: DemoEvent, width: int = 0) -> list[str]:
    """Lines for one finished step of the demo (``width`` > 0 cuts long example reasons to fit)."""
    if isinstance(event, ShopsStarted):
        return _render_started(event)
    if isinstance(event, BackfillDone):
        r = event.report
        streams = {s.value: c.read for s, c in r.streams.items()}
        rate = r.totals.read / r.duration_seconds if r.duration_seconds else 0.0
        if r.windows_total == 0 and r.windows_skipped:
            return [f"  {r.source:<16} already backfilled into this store by an earlier run: nothing to read"]
        return [
            f"  {r.source:<16} {_n(r.totals.read)} records read "
            f"({_n(streams.get('customers', 0))} customers, "
            f"{_n(streams.get('orders', 0))} orders, {_n(streams.get('refunds', 0))} refunds) in "
            f"{r.duration_seconds:.1f} s ({rate:,.0f} records/s); {_n(r.customers_evaluated)} customers "
            f"evaluated, {_n(r.ledger_entries_added)} ledger entries, {_n(r.quarantined)} quarantined"
        ]
    if isinstance(event, Summarized):
        return render_summary(event.ledger, event.replay, width)
    if isinstance(event, ProgrammeApplied):
        return _render_applied(event, width)
    if isinstance(event, ChangesMade):
        heading = ["", "5. A few changes in each shop, then an incremental sync that reads only what changed"]
        return [
            *(heading if event.first else []),
            "",
            f"   {event.source}:",
            *(f"   - {change}" for change in event.changes),
        ]
    synced = event.report
    t = synced.totals
    lines = [
        f"   sync read {_n(t.read)} records ({_n(t.inserted)} new, {_n(t.updated)} updated, "
        f"{_n(t.unchanged)} unchanged re-reads from the look-back) in {synced.duration_seconds:.1f} s; "
        f"{_n(synced.customers_evaluated)} customers evaluated, "
        f"{_n(len(event.entries))} ledger entries added:"
    ]
    first = sorted(event.entries, key=lambda e: (e.kind not in _REFERRAL_KINDS, e.id))
    rows = [
        (e.rule_id, e.customer_key, f"{e.points:+,}" if e.points else e.kind.value, e.reason)
        for e in first[:_SHOWN]
    ]
    if rows:
        table = _columns(("RULE", "CUSTOMER", "POINTS", "REASON"), rows, "llrl", "     ")
        lines += [_cut(line, width) for line in table]
    if len(first) > _SHOWN:
        lines.append(f"     ... and {len(first) - _SHOWN} more")
    return lines


_SHOWN = 16
_REFERRAL_KINDS = (IntentKind.REFERRAL_REWARD, IntentKind.REFERRAL_REJECTED)


def _render_started(event: ShopsStarted) -> list[str]:
    lines = ["1. Sandbox shops on 127.0.0.1 (seeded, in this process)"]
    lines += [
        f"   {s.source:<16} {s.base_url:<26} {_n(s.customers)} customers, {_n(s.orders)} orders"
        for s in event.shops
    ]
    lines += [f"   ({name}: not installed or without a sandbox; skipped)" for name in event.missing]
    where = event.store_path if event.kept else "a temporary store, removed at the end"
    lines += [
        "   referral codes use a fixed demo secret set in-process (never use it for a real programme)",
        "",
        f"2. Backfill of every shop's history into {where}",
    ]
    return lines


def render_summary(ledger: LedgerSummary, replay: CartReplay, width: int = 0) -> list[str]:
    """What each rule did, as aligned text: the ledger per rule, levels, referrals, the cart replay."""
    cur = ledger.currency
    lines = [
        "",
        f"3. What each rule did (ledger as of {ledger.at:%Y-%m-%d %H:%M} UTC: {_n(ledger.entries)} entries "
        f"for {_n(ledger.customers)} customers)",
    ]
    if ledger.levels:
        total = sum(level.customers for level in ledger.levels) or 1
        lines.append(
            "   levels held: "
            + ", ".join(
                f"{level.name} {_n(level.customers)} ({100 * level.customers / total:.0f} %)"
                for level in ledger.levels
            )
        )
    p = ledger.points
    lines.append(
        f"   points: {_n(p.earned)} earned, {_n(p.reversed)} reversed, {_n(p.expired)} expired, "
        f"{_n(p.redeemed)} redeemed; {_n(p.available)} available and {_n(p.pending)} pending now"
    )
    rows: list[tuple[str, ...]] = []
    notes: list[str] = []
    previous = ""
    for tally in ledger.rules:
        value = format_money(tally.amount, cur) if tally.amount else ""
        if not value and tally.percents:
            value = ", ".join(f"{pc.normalize():f} %" for pc in tally.percents) + " off"
        rule = "" if tally.rule_id == previous else tally.rule_id
        previous = tally.rule_id
        rows.append(
            (
                rule,
                tally.kind.value,
                _n(tally.entries),
                _n(tally.customers),
                f"{tally.points:+,}" if tally.points else "",
                value,
            )
        )
        notes.append(tally.examples[0] if tally.examples else "")
    table = _columns(("RULE", "KIND", "ENTRIES", "CUSTOMERS", "POINTS", "VALUE"), rows, "llrrrr", "   ")
    lines.append("")
    lines.append(table[0])
    for row, note in zip(table[1:], notes, strict=True):
        lines.append(row)
        if note:
            lines.append(_cut(f"       e.g. {note}", width))
    if ledger.referrals is not None:
        ref = ledger.referrals
        rejected = sum(r.count for r in ref.rejected)
        lines += [
            "",
            f"   referrals ({ref.rule_id}): {_n(ref.rewarded)} rewarded "
            f"({_n(ref.reward_points)} points), {_n(rejected)} rejected",
        ]
        if not ref.rewarded and not ref.rejected:
            lines.append("       (no referral code has been used yet)")
        lines += [_cut(f"       e.g. {example}", width) for example in ref.examples[:1]]
        lines += [_cut(f"     {_n(r.count)} x {r.reason}, e.g. {r.example}", width) for r in ref.rejected]
    lines += [
        "",
        f"   cart rules, replayed over {_n(replay.orders)} orders at their placed_at "
        f"({_n(replay.skipped)} canceled ones skipped):",
    ]
    rows, notes = [], []
    for tier in replay.tiers:
        rows.append(
            (
                tier.rule_id,
                "tier price",
                f"{_n(tier.lines)} lines in {_n(tier.orders)} orders",
                format_money(tier.discount, cur) + " off",
            )
        )
        notes.append(tier.examples[0] if tier.examples else "")
    for gift in replay.gifts:
        rows.append(
            (
                gift.rule_id,
                "free product",
                f"{_n(gift.orders)} orders",
                f"{gift.qty.normalize():,f} x {gift.sku}",
            )
        )
        notes.append(gift.examples[0] if gift.examples else "")
    if replay.referee is not None:
        ref_d = replay.referee
        rows.append(
            (
                ref_d.rule_id,
                "referee discount",
                f"{_n(ref_d.orders)} orders",
                format_money(ref_d.amount, cur) + " off",
            )
        )
        notes.append(ref_d.examples[0] if ref_d.examples else "")
    if rows:
        table = _columns(("RULE", "EFFECT", "APPLIED", "VALUE"), rows, "llrr", "   ")
        lines.append(table[0])
        for row, note in zip(table[1:], notes, strict=True):
            lines.append(row)
            if note:
                lines.append(_cut(f"       e.g. {note}", width))
    lines += [
        "",
        "4. The sample programme applied to each shop: plan, apply, then plan again "
        "(coupon codes use the demo secret)",
    ]
    return lines


def _render_applied(event: ProgrammeApplied, width: int) -> list[str]:
    kinds = event.kinds
    planned = sum(k.create + k.update + k.delete for k in kinds)
    ok, failed = sum(k.ok for k in kinds), sum(k.failed for k in kinds)
    lines = [
        "",
        f"   {event.source}: planned {_n(planned)} changes in {event.plan_seconds:.1f} s, applied "
        f"{_n(ok)} ok and {_n(failed)} failed in {event.apply_seconds:.1f} s",
    ]
    rows = [(k.kind, _n(k.create), _n(k.update), _n(k.delete), _n(k.ok), _n(k.failed)) for k in kinds]
    if rows:
        lines += _columns(("KIND", "CREATE", "UPDATE", "DELETE", "OK", "FAILED"), rows, "lrrrrr", "     ")
    lines += [_cut(f"     warning: {warning}", width) for warning in event.warnings]
    if event.stopped is not None:
        lines.append(
            _cut(f"     apply stopped ({_n(event.not_attempted)} not attempted): {event.stopped}", width)
        )
    left = sum(event.after.values())
    if left:
        counts = ", ".join(f"{_n(n)} {action}" for action, n in event.after.items())
        lines.append(f"     plan after apply: {_n(left)} changes left ({counts})")
    else:
        lines.append("     plan after apply: no changes")
    return lines


def render_footer(result: DemoResult) -> list[str]:
    """Where the time went, and the total."""
    steps = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in result.timings)
    return ["", f"done in {result.seconds:.1f} s ({steps})"]


def result_dict(result: DemoResult) -> dict[str, Any]:
    """The demo's result as plain data for ``--json`` (Decimals and datetimes left to the encoder)."""
    return {
        "program": result.program,
        "now": result.now,
        "store": result.started.store_path if result.started.kept else None,
        "shops": [dataclasses.asdict(s) for s in result.started.shops],
        "missing": list(result.started.missing),
        "backfills": [r.as_dict() for r in result.backfills],
        "summary": dataclasses.asdict(result.summary.ledger),
        "replay": dataclasses.asdict(result.summary.replay),
        "applied": [
            {
                "source": a.source,
                "ok": a.ok,
                "kinds": [dataclasses.asdict(k) for k in a.kinds],
                "not_attempted": a.not_attempted,
                "stopped": a.stopped,
                "warnings": list(a.warnings),
                "after": dict(a.after),
            }
            for a in result.applied
        ],
        "changes": {c.source: list(c.changes) for c in result.changes},
        "syncs": [{**s.report.as_dict(), "entries": export_rows(s.entries)} for s in result.syncs],
        "seconds": round(result.seconds, 3),
        "timings": {name: round(seconds, 3) for name, seconds in result.timings},
    }
