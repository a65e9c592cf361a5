"""``points balance | history`` and ``ledger export``: the reward ledger, one customer's or whole."""

from __future__ import annotations

__all__ = ["ledger", "points"]

import csv
from datetime import datetime
from decimal import Decimal
from typing import IO

import click

from ..engine.results import IntentKind
from ..engine.tier_pricing import format_money
from ..ledger import EXPORT_FIELDS, LedgerEntry, export_rows
from ..program import Program
from .common import (
    INSTANT,
    Context,
    at_or_now,
    common_options,
    errors,
    json_option,
    now_option,
    pass_context,
    source_names,
    source_option,
)
from .customer import find_customer
from .output import day, echo_lines, minute, table, to_json


@click.group()
def points() -> None:
    """A customer's points balance and history, from the ledger."""


def _points_customer(
    context: Context, query: str, source_name: str | None
) -> tuple[Program, str, str, list[LedgerEntry]]:
    program = context.program()
    store = context.open_store(create=False)
    try:
        source, key = find_customer(store, source_names(program, source_name, store), query)
        return program, source, key, store.ledger_entries(source, key)
    finally:
        store.close()


@points.command("balance")
@click.argument("query", metavar="ID|EMAIL")
@source_option
@now_option
@json_option
@common_options
@pass_context
def points_balance(
    context: Context, query: str, source_name: str | None, now: datetime | None, as_json: bool
) -> None:
    """Points available and pending at --now (default: the wall clock)."""
    with errors():
        program, source, key, entries = _points_customer(context, query, source_name)
    at = at_or_now(now)
    available = sum(e.points for e in entries if e.is_available(at))
    pending = sum(e.points for e in entries if e.is_pending(at))
    rate = program.points.points_per_currency_unit if program.points else None
    value = None if rate is None else (Decimal(available) / rate).quantize(Decimal("0.01"))
    if as_json:
        data = {
            "source": source,
            "customer": key,
            "at": at,
            "available": available,
            "pending": pending,
            "value": value,
        }
        click.echo(to_json({**data, "currency": program.currency}))
        return
    worth = f" (worth {format_money(value, program.currency)})" if value is not None else ""
    click.echo(
        f"customer {key} of {source} on {minute(at)}: {available:,} points available{worth}, "
        f"{pending:,} pending"
    )


@points.command("history")
@click.argument("query", metavar="ID|EMAIL")
@source_option
@click.option("--since", type=INSTANT, default=None)
@click.option("--until", type=INSTANT, default=None)
@click.option("--limit", type=click.IntRange(1), default=None, help="Only the latest N entries.")
@json_option
@common_options
@pass_context
def points_history(
    context: Context,
    query: str,
    source_name: str | None,
    since: datetime | None,
    until: datetime | None,
    limit: int | None,
    as_json: bool,
) -> None:
    """Every ledger entry that moved the customer's points, oldest first."""
    with errors():
        _, source, key, entries = _points_customer(context, query, source_name)
    moved = [
        e
        for e in entries
        if e.points
        and (since is None or e.effective_at >= since)
        and (until is None or e.effective_at < until)
    ]
    if limit is not None:
        moved = moved[-limit:]
    if as_json:
        click.echo(to_json({"source": source, "customer": key, "entries": export_rows(moved)}))
        return
    if not moved:
        click.echo(f"customer {key} of {source}: no points entries")
        return
    rows = [
        (
            day(e.effective_at),
            e.kind.value,
            e.rule_id,
            f"{e.points:+,}",
            day(e.available_at),
            day(e.expires_at),
            e.reason,
        )
        for e in moved
    ]
    echo_lines(table(("DATE", "KIND", "RULE", "POINTS", "AVAILABLE", "EXPIRES", "REASON"), rows, "lllr"))


@click.group()
def ledger() -> None:
    """The reward ledger."""


@ledger.command("export")
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "json", "jsonl"]), default="csv", show_default=True
)
@source_option
@click.option("--customer", "customer_key", metavar="ID", help="Only this customer (shop id).")
@click.option("--kind", "kinds", multiple=True, type=click.Choice([k.value for k in IntentKind]))
@click.option("--since", type=INSTANT, default=None)
@click.option("--until", type=INSTANT, default=None)
@click.option(
    "--output", "-o", type=click.File("w", encoding="utf-8", lazy=True), default="-", help="[default: stdout]"
)
@common_options
@pass_context
def ledger_export(
    context: Context,
    fmt: str,
    source_name: str | None,
    customer_key: str | None,
    kinds: tuple[str, ...],
    since: datetime | None,
    until: datetime | None,
    output: IO[str],
) -> None:
    """Every ledger entry (amounts and timestamps as exact strings) as CSV, a JSON array or JSON lines."""
    with errors():
        store = context.open_store(create=False)
        try:
            entries = store.ledger_entries(
                source_name,
                customer_key,
                kinds=[IntentKind(k) for k in kinds] or None,
                since=since,
                until=until,
            )
        finally:
            store.close()
    rows = export_rows(entries)
    if fmt == "csv":
        writer = csv.DictWriter(output, fieldnames=list(EXPORT_FIELDS), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    elif fmt == "json":
        output.write(to_json(rows) + "\n")
    else:
        output.writelines(to_json(row) + "\n" for row in rows)
