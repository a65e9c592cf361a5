"""``loyalty-connector rules``: validate the programme, print its schema, push it into the shop, simulate.

``plan | apply | simulate`` work Terraform-style. They get ``ctx.obj`` with ``config`` (the programme
file), ``store_file()`` and ``program()`` (:class:`~loyalty_connector.cli.common.CommandContext`). Parse,
call :mod:`loyalty_connector.plan` / :mod:`loyalty_connector.simulate`, render — no business logic here.

Exit codes: 0 ok; 1 error (or a failed apply); ``plan --detailed-exitcode``: 0 no changes, 2 changes.
Coupon codes derive from ``LOYALTY_COUPON_SECRET`` (else the referral secret's variable).
"""

from __future__ import annotations

__all__ = ["COUPON_SECRET_ENV", "apply_command", "plan_command", "rules", "simulate_command"]

import json
import logging
import os
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import click

from ..adapter import ShopAdapter, create_adapter
from ..diff import jsonable
from ..plan import ApplyProgress, ApplyReport, Plan, apply, make_plan
from ..program import Program, load_program, program_json_schema
from ..simulate import Simulation, simulate
from ..store import Store
from .common import (
    CommandContext,
    Context,
    Instant,
    common_options,
    enabled_sources,
    errors,
    fail,
    json_option,
    open_existing_store,
    pass_context,
    source_option,
)

logger = logging.getLogger(__name__)

COUPON_SECRET_ENV = "LOYALTY_COUPON_SECRET"  # noqa: S105 - the name of a variable, not a secret
_SHOWN_PER_KIND = 50
_MARKS = {"create": "+", "update": "~", "delete": "-"}


@click.group()
def rules() -> None:
    """Validate the programme, print its schema, plan and apply it to the shop, simulate a change."""


@rules.command("validate")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@common_options
@pass_context
def rules_validate(context: Context, file: Path | None) -> None:
    """Check a programme file (default: --config); list every problem with line and field."""
    path = file or context.config
    with errors():
        program = load_program(path)
    counts = _rule_counts(program)
    summary = ", ".join(f"{name} {n}" for name, n in counts.items() if n)
    click.echo(f"{path}: valid — {sum(counts.values())} rules ({summary or 'none'})")


def _rule_counts(program: Program) -> dict[str, int]:
    return {
        "tier_prices": len(program.tier_prices),
        "free_products": len(program.free_products.thresholds) if program.free_products else 0,
        "referrals": 1 if program.referrals else 0,
        "points": len(program.points.earn) + len(program.points.bonuses) if program.points else 0,
        "levels": len(program.levels.levels) if program.levels else 0,
        "coupons": (len(program.coupons.next_purchase) + (1 if program.coupons.birthday else 0))
        if program.coupons
        else 0,
    }


@rules.command("schema")
@common_options
def rules_schema() -> None:
    """Print the programme file's JSON Schema (for editor completion and validation)."""
    click.echo(json.dumps(program_json_schema(), indent=2))


def _errors() -> AbstractContextManager[None]:
    return errors("interrupted; every change applied so far is recorded, run the command again to finish")


def _secret(program: Program, *, coupons: bool) -> bytes | None:
    names = [COUPON_SECRET_ENV] if coupons else []
    if program.referrals is not None:
        names.append(program.referrals.code_secret_env)
    value = next((os.environ[n] for n in names if os.environ.get(n)), None)
    return value.encode("utf-8") if value else None


def _value(value: Any) -> str:
    return json.dumps(jsonable(value), ensure_ascii=False, sort_keys=False)


def _render_plan(plan: Plan, show: int) -> list[str]:
    lines = [f"source {plan.source} (state at {plan.state.at.isoformat()}):"]
    totals = Counter((item.change.action, item.change.kind) for item in plan.items)
    shown: Counter[tuple[str, str]] = Counter()
    for item in plan.items:
        c = item.change
        slot = (c.action, c.kind)
        shown[slot] += 1
        if show and shown[slot] > show:
            if shown[slot] == show + 1:
                more = totals[slot] - show
                lines.append(
                    f"  ... {more} more {c.kind} change(s) to {c.action} (--json lists every change)"
                )
            continue
        where = f" (shop id {c.shop_id})" if c.shop_id else ""
        lines.append(f"  {_MARKS[c.action]} {c.kind} {c.key}{where}")
        if c.action == "create":
            lines += [f"      {name}: {_value(value)}" for name, value in c.fields.items()]
        elif c.action == "update":
            lines += [f"      {d.name}: {_value(d.before)} -> {_value(d.after)}" for d in item.diffs]
    if plan.drift:
        lines.append("  drift (changed in the shop since the last apply; the plan restores it):")
        for drift in plan.drift:
            if drift.missing:
                lines.append(f"    ! {drift.kind} {drift.key}: removed from the shop")
            for d in drift.diffs:
                applied, now = _value(d.before), _value(d.after)
                lines.append(f"    ! {drift.kind} {drift.key}: {d.name}: applied {applied}, shop has {now}")
    if plan.untracked:
        lines.append(
            f"  {len(plan.untracked)} managed-looking object(s) in the shop were not written by "
            "loyalty-connector and are left alone"
        )
    lines += [f"  warning: {w}" for w in plan.warnings]
    counts = plan.counts()
    if plan.has_changes:
        lines.append(
            f"  Plan: {counts['create']} to create, {counts['update']} to update, "
            f"{counts['delete']} to delete."
        )
        for kind, per in plan.counts_by_kind().items():
            lines.append(f"    {kind}: " + ", ".join(f"{n} to {a}" for a, n in per.items() if n))
    else:
        lines.append("  No changes: the shop matches the programme.")
    return lines


def _plans(
    obj: CommandContext, source_name: str | None, now: datetime | None
) -> Iterator[tuple[Plan, ShopAdapter, Store]]:
    program = obj.program()
    chosen = enabled_sources(program, source_name)
    secret = _secret(program, coupons=True)
    store = open_existing_store(obj)
    try:
        for name, config in chosen:
            adapter = create_adapter(name, config)
            try:
                yield make_plan(program, store, adapter, now=now, coupon_secret=secret), adapter, store
            finally:
                adapter.close()
    finally:
        store.close()


now_option = click.option(
    "--now",
    type=Instant(example="2026-01-31T12:00Z"),
    default=None,
    help="Compute the desired state at this instant (UTC) [default: now].",
)


@rules.command("plan")
@source_option
@json_option
@click.option("--detailed-exitcode", is_flag=True, help="Exit 0 without changes, 2 with changes, 1 on error.")
@click.option(
    "--show", type=click.IntRange(0), default=_SHOWN_PER_KIND, help="Changes listed per kind (0: all)."
)
@now_option
@click.pass_obj
def plan_command(
    obj: CommandContext,
    source_name: str | None,
    as_json: bool,
    detailed_exitcode: bool,
    show: int,
    now: datetime | None,
) -> None:
    """Show what `rules apply` would change in the shop (read-only), and what drifted there."""
    plans: list[Plan] = []
    with _errors():
        for found, _, _ in _plans(obj, source_name, now):
            plans.append(found)
            if not as_json:
                for line in _render_plan(found, show):
                    click.echo(line)
    if as_json:
        click.echo(json.dumps({"plans": [p.to_json() for p in plans]}, ensure_ascii=False))
    if detailed_exitcode and any(p.has_changes for p in plans):
        sys.exit(2)


def _confirm(plan: Plan, yes: bool) -> None:
    if yes:
        return
    if not sys.stdin.isatty():
        fail("refusing to apply without --yes: there is no terminal to confirm on; nothing was changed")
    counts = plan.counts()
    question = (
        f"Apply {counts['create']} create(s), {counts['update']} update(s) and {counts['delete']} delete(s) "
        f"to {plan.source}?"
    )
    if not click.confirm(question, default=False):
        fail("apply cancelled; nothing was changed")


def _render_report(report: ApplyReport) -> list[str]:
    lines = [f"  {len(report.succeeded)} change(s) applied to {report.source}."]
    for result in report.failed:
        c = result.change
        lines.append(f"  failed: {c.action} {c.kind} {c.key}: {result.error}")
    if report.not_attempted:
        lines.append(f"  not attempted: {len(report.not_attempted)} change(s) (stopped: {report.stopped})")
    if not report.ok:
        lines.append("  Run `loyalty-connector rules apply` again to finish: it plans only what is left.")
    return lines


@rules.command("apply")
@source_option
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option(
    "--batch-size", type=click.IntRange(1, 500), default=100, show_default=True, help="Changes per batch."
)
@json_option
@now_option
@click.pass_obj
def apply_command(
    obj: CommandContext,
    source_name: str | None,
    yes: bool,
    batch_size: int,
    as_json: bool,
    now: datetime | None,
) -> None:
    """Apply the plan to the shop in batches, with progress; re-run to finish an interrupted apply."""
    reports: list[ApplyReport] = []

    def progress(event: ApplyProgress) -> None:
        click.echo(
            f"  {event.source}: {event.action} {event.kind}: {event.done + event.failed}/{event.total} "
            f"({event.failed} failed)",
            err=True,
        )

    with _errors():
        for found, adapter, store in _plans(obj, source_name, now):
            if not as_json:
                for line in _render_plan(found, _SHOWN_PER_KIND):
                    click.echo(line)
            if not found.has_changes:
                continue
            _confirm(found, yes)
            report = apply(found, adapter, store, batch_size=batch_size, on_progress=progress)
            reports.append(report)
            if not as_json:
                for line in _render_report(report):
                    click.echo(line)
    if as_json:
        click.echo(json.dumps({"applied": [r.to_json() for r in reports]}, ensure_ascii=False))
    if not all(r.ok for r in reports):
        sys.exit(1)


def _render_simulation(sim: Simulation, customers: Sequence[str], limit: int) -> list[str]:
    lines = [f"source {sim.source} at {sim.at.isoformat()}:", f"  {sim.summary()}"]
    before, after = sim.levels("before"), sim.levels("after")
    lines.append("  level      now   new")
    for level in sorted(set(before) | set(after)):
        lines.append(f"  {level:<9} {before.get(level, 0):>4}  {after.get(level, 0):>4}")
    for change in sim.rule_changes:
        what = f" ({', '.join(change.fields)})" if change.fields else ""
        lines.append(f"  rule {change.section}/{change.rule_id}: {change.change}{what}")
    if sim.baseline_mismatches:
        lines.append(
            f"  note: {sim.baseline_mismatches} customer(s) in the store differ from a replay under the "
            "current programme (run sync first, set the referral secret): not all their differences come "
            "from the new programme"
        )
    wanted = set(customers)
    chosen = (
        [c for c in sim.customers if c.customer_key in wanted]
        if wanted
        else [c for c in sim.customers if c.changed]
    )
    missing = wanted - {c.customer_key for c in chosen}
    if missing:
        lines.append(f"  no stored customer with key(s) {', '.join(sorted(missing))}")
    for c in chosen[: limit or None]:
        when = f" from {c.effective_at.date().isoformat()}" if c.effective_at and c.move != "same" else ""
        lines.append(
            f"  {c.customer_key} {c.email or ''}: level {c.level_before or 'none'} -> "
            f"{c.level_after or 'none'}{when}; points {c.points_before:,} -> {c.points_after:,}; "
            f"coupons {c.coupons_before} -> {c.coupons_after}"
        )
        if wanted:
            lines.append(f"      {c.reason}")
    if limit and len(chosen) > limit:
        lines.append(
            f"  ... and {len(chosen) - limit} more customers (--json lists them, --limit 0 shows all)"
        )
    return lines


@rules.command("simulate")
@click.argument("new_program", metavar="NEW.yaml", type=click.Path(dir_okay=False, path_type=Path))
@source_option
@json_option
@click.option("--customer", "customers", multiple=True, metavar="KEY", help="Drill down to these customers.")
@click.option(
    "--all", "all_customers", is_flag=True, help="With --json: every customer, not only changed ones."
)
@click.option(
    "--limit", type=click.IntRange(0), default=20, show_default=True, help="Customers listed (0: all)."
)
@click.option("--offline", is_flag=True, help="Do not ask the shop for its customer-group codes.")
@now_option
@click.pass_obj
def simulate_command(
    obj: CommandContext,
    new_program: Path,
    source_name: str | None,
    as_json: bool,
    customers: tuple[str, ...],
    all_customers: bool,
    limit: int,
    offline: bool,
    now: datetime | None,
) -> None:
    """Replay the synced history under NEW.yaml and diff it against the ledger. Nothing is written."""
    moment = now or datetime.now(timezone.utc)
    results: list[Simulation] = []
    with _errors():
        current = obj.program()
        new = load_program(new_program)
        secret = _secret(new, coupons=False) or _secret(current, coupons=False)
        store = open_existing_store(obj)
        try:
            for name, config in enabled_sources(current, source_name):
                codes: dict[str, str] = {}
                if not offline:
                    adapter = create_adapter(name, config)
                    try:
                        codes = {g.external_id: g.code for g in adapter.read_groups()}
                    finally:
                        adapter.close()
                sim = simulate(
                    current, new, store, name, now=moment, referral_secret=secret, group_codes=codes
                )
                results.append(sim)
                if not as_json:
                    for line in _render_simulation(sim, customers, limit):
                        click.echo(line)
        finally:
            store.close()
    if as_json:
        which = "all" if all_customers else "changed"
        documents = []
        for sim in results:
            data = sim.to_json(customers=which)
            if customers:
                data["customers"] = [c.to_json() for c in sim.customers if c.customer_key in set(customers)]
            documents.append(data)
        click.echo(json.dumps({"simulations": documents}, ensure_ascii=False))
