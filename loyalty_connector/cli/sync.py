"""``sync`` and ``backfill``: read the shops into the state database and update the ledger.

Both print one row per source and exit 1 when a source failed, 3 when records were quarantined.
"""

from __future__ import annotations

__all__ = ["EXIT_QUARANTINED", "backfill", "sync"]

import sys
from collections.abc import Sequence
from contextlib import closing
from datetime import datetime, timedelta, timezone
from typing import Any, NoReturn

import click

from ..adapter import ShopAdapter, create_adapter
from ..errors import ConfigurationError, LoyaltyConnectorError
from ..http import RequestBudget
from ..program import Program, SourceConfig
from ..store import Store
from ..sync import DEFAULT_LOOK_BACK, DEFAULT_WINDOW, DEFAULT_WORKERS, Backfill, SyncRunner
from .common import (
    INSTANT,
    Context,
    common_options,
    enabled_sources,
    errors,
    fail,
    json_option,
    pass_context,
    referral_secret,
    source_option,
)
from .output import echo_lines, table, to_json
from .progress import Progress

EXIT_QUARANTINED = 3
"""The run finished but some records could not be read and were quarantined."""

_LOOK_BACK_MINUTES = int(DEFAULT_LOOK_BACK.total_seconds() // 60)


def _budget(config: SourceConfig, rate: float | None) -> RequestBudget | None:
    value = rate if rate is not None else config.settings.get("rate_limit")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise ConfigurationError("settings.rate_limit must be a positive number of requests per second")
    return RequestBudget(rate=float(value), burst=max(1, int(value)))


def _prepare(
    context: Context, source_name: str | None
) -> tuple[Program, list[tuple[str, SourceConfig]], bytes | None, Store]:
    """What ``sync`` and ``backfill`` need before reading: the programme, the sources to read, the
    referral secret and the store (opened last, so a bad programme or secret creates no store)."""
    program = context.program()
    chosen = enabled_sources(program, source_name)
    secret = referral_secret(program)
    return program, chosen, secret, context.open_store()


def _report_rows(reports: Sequence[Any]) -> list[tuple[Any, ...]]:
    rows = []
    for report in reports:
        t = report.totals
        rows.append(
            (
                report.source,
                f"{t.read:,}",
                f"{t.inserted:,}",
                f"{t.updated:,}",
                f"{t.unchanged:,}",
                f"{t.quarantined:,}",
                f"{report.customers_evaluated:,}",
                f"{report.ledger_entries_added:,}",
                f"{report.duration_seconds:.1f} s",
            )
        )
    return rows


_REPORT_HEADERS = (
    "SOURCE",
    "READ",
    "NEW",
    "UPDATED",
    "UNCHANGED",
    "QUARANTINED",
    "EVALUATED",
    "LEDGER",
    "TIME",
)


def _finish(reports: Sequence[Any], failures: Sequence[tuple[str, str]], as_json: bool) -> NoReturn:
    quarantined = sum(r.quarantined for r in reports)
    if as_json:
        click.echo(
            to_json(
                {
                    "runs": [r.as_dict() for r in reports],
                    "failures": [{"source": s, "error": e} for s, e in failures],
                    "quarantined": quarantined,
                }
            )
        )
    else:
        if reports:
            echo_lines(table(_REPORT_HEADERS, _report_rows(reports), "lrrrrrrrr"))
        if quarantined:
            click.echo(
                f"{quarantined:,} record(s) could not be read and were quarantined; "
                "see `loyalty-connector quarantine list`"
            )
    for source, error in failures:
        click.echo(
            f"error: {error}" if error.startswith(f"[{source}]") else f"error: [{source}] {error}", err=True
        )
    sys.exit(1 if failures else EXIT_QUARANTINED if quarantined else 0)


@click.command()
@source_option
@click.option(
    "--page-size",
    type=click.IntRange(1),
    envvar="LOYALTY_CONNECTOR_PAGE_SIZE",
    help="Records per request [default: the source's settings.page_size].",
)
@click.option(
    "--look-back",
    type=click.IntRange(0),
    envvar="LOYALTY_CONNECTOR_LOOK_BACK",
    metavar="MINUTES",
    help=f"Re-read this many minutes before the checkpoint [default: {_LOOK_BACK_MINUTES}].",
)
@json_option
@common_options
@pass_context
def sync(
    context: Context, source_name: str | None, page_size: int | None, look_back: int | None, as_json: bool
) -> None:
    """Incremental sync of every enabled source (or --source): read what changed, update the ledger.

    Safe to run from cron every few minutes: a run that finds the source locked by another run exits 1.
    Exit 3 when records were quarantined.
    """
    with errors():
        program, chosen, secret, store = _prepare(context, source_name)
    reports, failures = [], []
    with errors(), closing(store):
        for name, config in chosen:
            progress = Progress(name)
            try:
                adapter = create_adapter(name, config)
                try:
                    runner = SyncRunner(
                        store,
                        adapter,
                        program,
                        referral_secret=secret,
                        page_size=page_size,
                        look_back=DEFAULT_LOOK_BACK if look_back is None else timedelta(minutes=look_back),
                        on_progress=progress if progress.tty else None,
                    )
                    reports.append(runner.run())
                finally:
                    adapter.close()
            except LoyaltyConnectorError as exc:
                failures.append((name, str(exc)))
            finally:
                progress.close()
    _finish(reports, failures, as_json)


@click.command()
@click.option("--since", type=INSTANT, required=True, help="Start of the history to read (inclusive).")
@click.option(
    "--until",
    type=INSTANT,
    default=None,
    help="End of the history to read (exclusive) [default: the start of today, UTC].",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 32),
    default=DEFAULT_WORKERS,
    show_default=True,
    envvar="LOYALTY_CONNECTOR_WORKERS",
    help="Windows read in parallel (they share one request budget); 1 sends one request at a time.",
)
@click.option(
    "--window",
    type=click.IntRange(1),
    default=int(DEFAULT_WINDOW.days),
    show_default=True,
    metavar="DAYS",
    help="Length of each resumable window.",
)
@click.option(
    "--rate-limit",
    type=click.FloatRange(min=0, min_open=True),
    envvar="LOYALTY_CONNECTOR_RATE_LIMIT",
    metavar="REQ/S",
    help="Requests per second for all workers together [default: settings.rate_limit].",
)
@click.option("--page-size", type=click.IntRange(1), envvar="LOYALTY_CONNECTOR_PAGE_SIZE")
@click.option("--dry-run", is_flag=True, help="Read and check every page; write nothing.")
@click.option("--restart", is_flag=True, help="Forget finished windows of this backfill and read them again.")
@click.option(
    "--handover",
    is_flag=True,
    help="When done, let `sync` continue from --until instead of re-reading all history.",
)
@source_option
@json_option
@common_options
@pass_context
def backfill(
    context: Context,
    since: datetime,
    until: datetime | None,
    workers: int,
    window: int,
    rate_limit: float | None,
    page_size: int | None,
    dry_run: bool,
    restart: bool,
    handover: bool,
    source_name: str | None,
    as_json: bool,
) -> None:
    """Read the history of [--since, --until) in resumable windows; rerun the same command to resume."""
    end = until or _default_until(since)
    if not since < end:
        raise click.BadParameter(
            f"--since {since.isoformat()} is not before {end.isoformat()}", param_hint="--since"
        )
    with errors():
        program, chosen, secret, store = _prepare(context, source_name)
    reports, failures = [], []
    with errors(), closing(store):
        for name, config in chosen:
            progress = Progress(name)

            def factory(
                shared: RequestBudget | None, name: str = name, config: SourceConfig = config
            ) -> ShopAdapter:
                return create_adapter(name, config, budget=shared)

            try:
                budget = _budget(config, rate_limit)
                job = Backfill(
                    store,
                    factory,
                    program,
                    since=since,
                    until=end,
                    window=timedelta(days=window),
                    workers=workers,
                    budget=budget,
                    dry_run=dry_run,
                    referral_secret=secret,
                    page_size=page_size,
                    restart=restart,
                    on_progress=progress,
                    handover=handover,
                )
                reports.append(job.run())
            except LoyaltyConnectorError as exc:
                failures.append((name, str(exc)))
            except KeyboardInterrupt:
                progress.close()
                fail("interrupted; finished windows are kept: rerun the same command to resume")
            finally:
                progress.close()
    _finish(reports, failures, as_json)


def _default_until(since: datetime) -> datetime:
    """Today's start (UTC), so the same command rerun the same day resumes the same backfill."""
    now = datetime.now(timezone.utc)
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return today if since < today else now
