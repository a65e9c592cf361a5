"""The ``report``, ``nps import`` and ``segments`` commands: parse, call the library, render.

Each reads the programme and the state database from ``ctx.obj``
(:class:`~loyalty_connector.cli.common.CommandContext`: ``.config``, ``.store_file()``, ``.program()``).

Exit codes: 0 ok, 1 failure, 2 usage error, 3 ``nps import`` finished but rejected some rows.
"""

from __future__ import annotations

__all__ = ["EXIT_REJECTED_ROWS", "nps", "report", "segments"]

import csv
import io
import json
import sys
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click

from ..engine.results import IntentKind
from ..kpi import Period, kpi_settings, level_changes
from ..nps import latest_answers, parse_nps_csv
from ..program import Program
from ..report import collect_report, render_csv, render_json, render_text
from ..report_html import render_html
from ..segments import EXPORT_FIELDS, SEGMENTS, segment_rows
from ..store.analytics import open_analytics
from .common import INSTANT, CommandContext, common_options, errors, fail, source_option

EXIT_REJECTED_ROWS = 3
"""``nps import`` imported the readable rows but rejected others (listed on stderr with line numbers)."""


def _context(ctx: click.Context) -> CommandContext:
    obj = ctx.obj
    if obj is None or not hasattr(obj, "store_file") or not hasattr(obj, "program"):
        raise click.UsageError("run this command through `loyalty-connector` (no programme context)")
    return obj  # type: ignore[no-any-return]


class _DecimalType(click.ParamType):  # type: ignore[type-arg]
    name = "NUMBER"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Decimal:
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            self.fail(f"{value!r} is not a number")
        if not number.is_finite() or number <= 0:
            self.fail(f"{value!r} must be a positive number")
        return number


_DATE = click.DateTime(formats=["%Y-%m-%d"])
_NOW = click.option(
    "--now", type=INSTANT, default=None, help="Report as if it were this instant (default: now, UTC)."
)
_OUTPUT = click.option(
    "--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None, help="[default: stdout]"
)


def _write(text: str, output: Path | None) -> None:
    if output is None:
        click.echo(text, nl=False)
        return
    with errors():
        output.write_text(text, encoding="utf-8")
    click.echo(f"wrote {output}", err=True)


def _period(program: Program, since: datetime | None, until: datetime | None, now: datetime) -> Period:
    """``--since``/``--until`` as local dates (until excluded); default the 12 months up to today."""
    zone = program.timezone
    if since is None and until is None:
        return Period.last_months(now.astimezone(ZoneInfo(zone)).date(), 12, zone)
    end = until.date() if until is not None else now.astimezone(ZoneInfo(zone)).date() + timedelta(days=1)
    start = since.date() if since is not None else Period.last_months(end - timedelta(days=1), 12, zone).start
    if not start < end:
        raise click.BadParameter(
            f"--since {start} must be before --until {end} (until is the first day not included)",
            param_hint="--since/--until",
        )
    return Period(start, end, zone)


@common_options  # above the command: --config/--store come after its own options in --help
@click.command("report")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json", "csv", "html"]), default="text", show_default=True
)
@click.option("--since", type=_DATE, default=None, help="First day (programme time zone).")
@click.option("--until", type=_DATE, default=None, help="First day NOT included [default: tomorrow].")
@source_option
@click.option(
    "--active-days",
    type=click.IntRange(1),
    default=None,
    help="Customers at the start: bought within this many days before --since [default: the "
    "programme's reports.active_days, 365].",
)
@click.option("--all-time", "all_time", is_flag=True, help="Customers at the start: anyone who ever bought.")
@click.option(
    "--relationship-years", type=_DecimalType(), default=None, help="CLV years [default: 1 / churn rate]."
)
@_NOW
@_OUTPUT
@click.pass_context
def report(
    ctx: click.Context,
    fmt: str,
    since: datetime | None,
    until: datetime | None,
    source_name: str | None,
    active_days: int | None,
    all_time: bool,
    relationship_years: Decimal | None,
    now: datetime | None,
    output: Path | None,
) -> None:
    """Loyalty KPIs for a period (default: the last 12 months) as text, JSON, CSV or one HTML file."""
    context = _context(ctx)
    moment = now or datetime.now(timezone.utc)
    with errors():
        program = context.program()
        period = _period(program, since, until, moment)
        settings = kpi_settings(program, active_days=active_days, all_time=all_time, years=relationship_years)
        with open_analytics(context.store_file()) as analytics:
            result = collect_report(
                analytics, program, period, now=moment, source=source_name, settings=settings
            )
    renderers = {"text": render_text, "json": render_json, "csv": render_csv, "html": render_html}
    _write(renderers[fmt](result), output)


@click.group("nps")
def nps() -> None:
    """Net Promoter Score survey answers."""


@common_options  # above the command: --config/--store come after its own options in --help
@nps.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--strict", is_flag=True, help="Import nothing when any row is bad.")
@click.pass_context
def nps_import(ctx: click.Context, file: Path, strict: bool) -> None:
    """Import survey answers from FILE.csv (header: email,score[,answered_at]; scores 0 to 10).

    Importing the same answers again changes nothing. Rows that cannot be read are listed with
    their line numbers; the others are imported (exit code 3), or none with --strict (exit code 1).
    """
    context = _context(ctx)
    moment = datetime.now(timezone.utc)
    with errors():
        program = context.program()
        try:
            text = file.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            fail(f"{file} is not UTF-8 text; save the survey export as UTF-8 CSV")
        parsed = parse_nps_csv(text, timezone_name=program.timezone, imported_at=moment)
        for error in parsed.errors:
            click.echo(f"{file}:{error.line}: {error.message}", err=True)
        if parsed.errors and (strict or not parsed.answers):
            fail(f"nothing imported: {len(parsed.errors)} bad row(s) in {file}")
        with open_analytics(context.store_file(), create=True) as analytics:
            counts = analytics.record_nps_answers(parsed.answers, imported_at=moment, file=file.name)
            known = analytics.matching_emails({a.email for a in parsed.answers})
    unmatched = len({a.email for a in parsed.answers} - known)
    click.echo(
        f"imported {len(parsed.answers)} answers from {file.name}: {counts.inserted} new, {counts.updated} "
        f"updated, {counts.unchanged} unchanged; {unmatched} email(s) match no customer (they still count "
        "toward the NPS)"
    )
    if parsed.errors:
        click.echo(f"{len(parsed.errors)} row(s) rejected (see above)", err=True)
        sys.exit(EXIT_REJECTED_ROWS)


@click.group("segments")
def segments() -> None:
    """Customer segments for email campaigns."""


@segments.command("list")
def segments_list() -> None:
    """Every segment with what it selects."""
    width = max(len(name) for name in SEGMENTS)
    for name, segment in SEGMENTS.items():
        click.echo(f"{name.ljust(width)}  {segment.description}")


@common_options  # above the command: --config/--store come after its own options in --help
@segments.command("export")
@click.option("--segment", "name", required=True, type=click.Choice(sorted(SEGMENTS)), help="Which segment.")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
@click.option("--days", type=click.IntRange(1), default=None, help="The segment's window [default: its own].")
@source_option
@_NOW
@_OUTPUT
@click.pass_context
def segments_export(
    ctx: click.Context,
    name: str,
    fmt: str,
    days: int | None,
    source_name: str | None,
    now: datetime | None,
    output: Path | None,
) -> None:
    """Members of one segment with the fields a mailing tool imports (one row per email address)."""
    context = _context(ctx)
    moment = now or datetime.now(timezone.utc)
    segment = SEGMENTS[name]
    with errors():
        program = context.program()
        with open_analytics(context.store_file()) as analytics, analytics.snapshot():
            levels = level_changes(
                analytics.ledger(until=moment, source=source_name, kinds=[IntentKind.LEVEL])
            )
            answers = latest_answers(analytics.nps_answers(until=moment))
            rows = segment_rows(
                segment,
                program,
                analytics.histories(until=moment, source=source_name),
                now=moment,
                nps_answers=answers,
                levels=levels,
                days=days,
                thresholds=kpi_settings(program).lifecycle,
            )
    if fmt == "json":
        _write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n", output)
        return
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(EXPORT_FIELDS), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    _write(buffer.getvalue(), output)
    click.echo(f"{len(rows)} customers in segment {name}", err=True)
