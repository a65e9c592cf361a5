"""``customer show``: one customer's level, points, referrals and the engine's reasons."""

from __future__ import annotations

__all__ = ["customer", "find_customer"]

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import click

from ..adapter import create_adapter
from ..domain import normalize_email
from ..engine.results import RuleOutcome
from ..engine.tier_pricing import format_money
from ..errors import ConfigurationError, ShopError
from ..ledger import LedgerEntry, export_rows
from ..program import Program
from ..store import Store
from ..summary import CustomerView, explain_customer, load_customer_facts
from .common import (
    Context,
    at_or_now,
    common_options,
    errors,
    json_option,
    now_option,
    pass_context,
    referral_secret,
    source_names,
    source_option,
)
from .output import day, echo_lines, minute, table, to_json


def find_customer(store: Store, names: Sequence[str], query: str) -> tuple[str, str]:
    """(source, customer key) of the customer whose id or e-mail is ``query``."""
    found: list[tuple[str, str]] = []
    email = normalize_email(query) if "@" in query else None
    for source in names:
        if store.histories(source, [query])[query].customer is not None:
            found.append((source, query))
        elif email is not None:
            found.extend((source, key) for key in store.customer_keys_by_email(source, email))
    if not found:
        raise ConfigurationError(
            f"no customer {query!r} in {', '.join(names) or 'the store'} (give the shop's customer id or "
            "e-mail; the store knows only what `sync` or `backfill` has read)"
        )
    if len(found) > 1:
        where = ", ".join(f"{s} (customer {k})" for s, k in found)
        raise ConfigurationError(f"{query!r} matches more than one customer: {where}; pick one with --source")
    return found[0]


def _customer_view(
    context: Context, query: str, source_name: str | None, now: datetime | None, offline: bool
) -> CustomerView:
    program = context.program()
    secret = referral_secret(program)
    store = context.open_store(create=False)
    try:
        source, key = find_customer(store, source_names(program, source_name, store), query)
        facts = load_customer_facts(store, source, key)
        assert facts is not None
        stored = {g.external_id: g.code for g in store.customer_groups(source)}
    finally:
        store.close()
    groups = stored
    config = program.sources.get(source)
    if config is not None and not offline:
        try:
            adapter = create_adapter(source, config)
            try:
                groups = {g.external_id: g.code for g in adapter.read_groups()}
            finally:
                adapter.close()
        except (ShopError, ConfigurationError) as exc:
            fallback = "as the last sync read them" if stored else "shown by shop id"
            click.echo(f"warning: customer groups of {source} not read ({exc}); {fallback}", err=True)
    return explain_customer(program, facts, at_or_now(now), referral_secret=secret, group_codes=groups)


def _entry_rows(entries: Sequence[LedgerEntry], currency: str) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for e in entries:
        value = (
            f"{e.points:+,}"
            if e.points
            else (format_money(e.amount, e.currency or currency) if e.amount else "")
        )
        if not value and e.percent is not None:
            value = f"{e.percent.normalize():f} %"
        rows.append((day(e.effective_at), e.kind.value, e.rule_id, value, e.reason))
    return rows


def _outcome_lines(outcomes: Sequence[RuleOutcome], order: Sequence[str], limit: int) -> list[str]:
    by_rule: dict[str, list[RuleOutcome]] = {}
    for outcome in outcomes:
        by_rule.setdefault(outcome.rule_id, []).append(outcome)
    ranked = sorted(by_rule, key=lambda r: order.index(r) if r in order else len(order))
    width = max((len(r) for r in ranked), default=0)
    lines = []
    for rule_id in ranked:
        items = by_rule[rule_id]
        yes = [o for o in items if o.applied]
        no = sorted((o for o in items if not o.applied), key=lambda o: -(o.progress or Decimal(0)))
        label = rule_id
        for mark, group in (("✓", yes), ("✗", no)):
            for outcome in group[:limit]:
                close = f" ({outcome.progress:.0%} there)" if not outcome.applied and outcome.progress else ""
                lines.append(f"  {label:<{width}}  {mark} {outcome.reason}{close}")
                label = ""
            if len(group) > limit:
                lines.append(f"  {'':<{width}}    ... and {len(group) - limit} more like this")
    return lines


def _render_customer(
    view: CustomerView, program: Program, explain: bool, history: int, limit: int
) -> list[str]:
    c = view.customer
    name = " ".join(p for p in (c.first_name, c.last_name) if p) or "-"
    who = ", ".join(p for p in (name, c.company) if p)
    lines = [
        f"customer {c.external_id} of {view.source}: {who} <{c.email}>",
        f"  as of {minute(view.at)}; {view.orders:,} orders; customer since {day(c.created_at)}",
    ]
    if view.level is not None:
        level = view.level
        held = f"{level.name} since {day(level.since)}" if level.level_id else "no level"
        lines.append(f"level      {held}: {level.reason}")
        if level.downgrade_at is not None:
            lines.append(f"           held until {day(level.downgrade_at)} unless it is earned again")
    value = f" ({format_money(view.points_value, program.currency)})" if view.points_value is not None else ""
    lines.append(f"points     {view.points_available:,} available{value}, {view.points_pending:,} pending")
    if program.referrals is not None:
        states = [r.state for r in view.referees]
        counts = ", ".join(f"{states.count(s)} {s}" for s in ("rewarded", "rejected", "open") if s in states)
        lines.append(
            f"referrals  code {view.referral_code or '(unknown)'}; "
            f"{len(view.referees)} referred{': ' + counts if counts else ''}"
        )
        lines.extend(f"           {r.customer_key} <{r.email}>: {r.state}: {r.reason}" for r in view.referees)
    shown = view.entries[-history:] if history else ()
    lines.append(f"ledger     {len(view.entries):,} entries" + (f", the last {len(shown)}:" if shown else ""))
    if shown:
        lines.extend(
            table(
                ("DATE", "KIND", "RULE", "VALUE", "REASON"),
                _entry_rows(shown, program.currency),
                "lllr",
                "  ",
            )
        )
    if explain:
        lines.append("why, rule by rule (✓ given, ✗ not given):")
        lines.extend(_outcome_lines(view.outcomes, program.rule_ids(), limit))
        if view.unrecorded:
            lines.append(f"not in the ledger yet ({len(view.unrecorded)}; the next sync records them):")
            lines.extend(f"  {i.rule_id}: {i.reason}" for i in view.unrecorded[:limit])
    return lines


def _customer_json(view: CustomerView, history: int) -> dict[str, Any]:
    c = view.customer
    return {
        "source": view.source,
        "customer": {
            "id": c.external_id,
            "email": c.email,
            "first_name": c.first_name,
            "last_name": c.last_name,
            "company": c.company,
            "created_at": c.created_at,
        },
        "at": view.at,
        "orders": view.orders,
        "level": view.level,
        "points": {
            "available": view.points_available,
            "pending": view.points_pending,
            "value": view.points_value,
        },
        "referral": {"code": view.referral_code, "referees": view.referees},
        "outcomes": view.outcomes,
        "ledger": export_rows(view.entries[-history:] if history else view.entries),
        "unrecorded": view.unrecorded,
    }


@click.group()
def customer() -> None:
    """One customer: level, points, referrals and why."""


@customer.command("show")
@click.argument("query", metavar="ID|EMAIL")
@source_option
@click.option("--explain", is_flag=True, help="Say why each reward was or was not given.")
@click.option(
    "--history", type=click.IntRange(0), default=10, show_default=True, help="Ledger entries to show."
)
@click.option("--limit", type=click.IntRange(1), default=3, show_default=True, help="Reasons per rule.")
@click.option("--offline", is_flag=True, help="Do not ask the shop for its customer-group names.")
@now_option
@json_option
@common_options
@pass_context
def customer_show(
    context: Context,
    query: str,
    source_name: str | None,
    explain: bool,
    history: int,
    limit: int,
    offline: bool,
    now: datetime | None,
    as_json: bool,
) -> None:
    """Level, points balance and history, referral state; with --explain the engine's reasons."""
    with errors():
        view = _customer_view(context, query, source_name, now, offline)
        program = context.program()
    if as_json:
        click.echo(to_json(_customer_json(view, history)))
    else:
        echo_lines(_render_customer(view, program, explain, history, limit))
