"""The ``loyalty-connector`` command line: parse, call the library, render. No business logic here.

Exit codes: 0 ok, 1 failure, 2 usage error (click), 3 finished but records were quarantined.
Settings come from flags, then ``LOYALTY_CONNECTOR_*`` environment variables, then the programme file.
``--config`` and ``--store`` are accepted before the command and on every command.
"""

from __future__ import annotations

__all__ = ["EXIT_QUARANTINED", "main"]

import csv
import dataclasses
import enum
import json
import logging
import os
import shutil
import socket
import sys
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import closing, suppress
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, NoReturn, TypeVar

import click

from . import __version__
from .adapter import ShopAdapter, Stream, create_adapter, discover_adapters
from .cli_common import errors, fail
from .cli_report import nps, nps_import, segments, segments_export
from .cli_report import report as report_command
from .cli_rules import apply_command, plan_command, simulate_command
from .domain import Customer, normalize_email
from .engine.results import IntentKind, RuleOutcome
from .engine.tier_pricing import format_money
from .errors import ConfigurationError, LoyaltyConnectorError, ShopError
from .http import RedactingFilter, RequestBudget
from .ledger import EXPORT_FIELDS, LedgerEntry, export_rows
from .program import Program, SourceConfig, load_program, program_json_schema
from .store import Store, default_store_path, open_store
from .summary import CustomerView, explain_customer, load_customer_facts
from .sync import DEFAULT_LOOK_BACK, DEFAULT_WINDOW, Backfill, ProgressEvent, SyncRunner, retry_quarantined

EXIT_QUARANTINED = 3
_LOOK_BACK_MINUTES = int(DEFAULT_LOOK_BACK.total_seconds() // 60)
logger = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])


class Context:
    """Global options shared by every command."""

    def __init__(self, config: Path, store: Path | None, verbose: int, config_given: bool = False) -> None:
        self.config = config
        self.config_given = config_given
        self.store_path = store
        self.verbose = verbose

    def program(self) -> Program:
        return load_program(self.config)

    def store_file(self) -> Path:
        """``--store``, else ``loyalty.db`` next to the programme file."""
        return self.store_path or default_store_path(self.config)

    def open_store(self, *, create: bool = True) -> Store:
        path = self.store_file()
        if not create and not path.exists():
            raise ConfigurationError(
                f"no state database at {path}; run `loyalty-connector sync` or `backfill` first, "
                "or pass --store"
            )
        return open_store(path)


pass_context = click.make_pass_decorator(Context)


_fail = fail


_errors = errors


def _setup_logging(verbose: int) -> Callable[[], None]:
    """Log to stderr through the redacting filter; return how to put the previous handlers back."""
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    previous, previous_level = root.handlers[:], root.level
    root.handlers[:] = [handler]
    root.setLevel(level)
    quiet = {name: logging.getLogger(name).level for name in _SECRET_LOGGERS}
    for name in _SECRET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)

    def restore() -> None:
        root.handlers[:] = previous
        root.setLevel(previous_level)
        for name, was in quiet.items():
            logging.getLogger(name).setLevel(was)

    return restore


_SECRET_LOGGERS = ("oauthlib", "requests_oauthlib")
"""Third-party loggers whose debug lines carry credentials (OAuth base strings, signed headers):
kept at WARNING even with -vv."""


def _override(attribute: str) -> Callable[[click.Context, click.Parameter, Any], Any]:
    def callback(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        if value is not None:
            context = ctx.find_object(Context)
            if context is not None:
                setattr(context, attribute, value)
                if attribute == "config":
                    context.config_given = True
        return value

    return callback


def _common(func: F) -> F:
    """``--config`` and ``--store`` on the command itself (they win over the ones before it)."""
    path = click.Path(dir_okay=False, path_type=Path)
    func = click.option(
        "--store",
        type=path,
        expose_value=False,
        allow_from_autoenv=False,
        callback=_override("store_path"),
        help="The state database (also before the command, or LOYALTY_CONNECTOR_STORE).",
    )(func)
    return click.option(
        "--config",
        type=path,
        expose_value=False,
        allow_from_autoenv=False,
        callback=_override("config"),
        help="The programme file (also before the command, or LOYALTY_CONNECTOR_CONFIG).",
    )(func)


class _Instant(click.ParamType):  # type: ignore[type-arg]
    """An ISO date or timestamp; without a zone it is UTC."""

    name = "TIMESTAMP"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> datetime:
        if isinstance(value, datetime):
            return value
        text = str(value).strip()
        try:
            moment = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
        except ValueError:
            self.fail(f"{value!r} is not an ISO date or timestamp (e.g. 2025-01-31 or 2025-01-31T12:00Z)")
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        return moment.astimezone(timezone.utc)


INSTANT = _Instant()


def _now(given: datetime | None) -> datetime:
    return given or datetime.now(timezone.utc)


def _json(data: Any) -> str:
    def default(value: Any) -> Any:
        if isinstance(value, Decimal):
            return str(value)
        if isinstance(value, datetime):
            return value.isoformat()
        if isinstance(value, enum.Enum):
            return value.value
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return dataclasses.asdict(value)
        if isinstance(value, (set, frozenset, tuple)):
            return list(value)
        raise TypeError(f"cannot write {type(value).__name__} as JSON")

    return json.dumps(data, default=default, ensure_ascii=False)


def _table(
    headers: Sequence[str], rows: Sequence[Sequence[Any]], align: str = "", indent: str = ""
) -> list[str]:
    """Aligned columns; ``align`` has an ``l`` or ``r`` per column (default: left)."""
    cells = [[str(c) for c in row] for row in rows]
    widths = [max([len(h)] + [len(row[i]) for row in cells]) for i, h in enumerate(headers)]

    def line(values: Sequence[str]) -> str:
        parts = [
            v.rjust(widths[i]) if i < len(align) and align[i] == "r" else v.ljust(widths[i])
            for i, v in enumerate(values)
        ]
        return (indent + "  ".join(parts)).rstrip()

    return [line(headers), *(line(row) for row in cells)]


def _echo_lines(lines: Sequence[str]) -> None:
    for text in lines:
        click.echo(text)


def _day(moment: datetime | None) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d") if moment else "-"


def _minute(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _referral_secret(program: Program) -> bytes | None:
    """The referral secret from the environment variable the programme names; fail if it is unset."""
    if program.referrals is None:
        return None
    name = program.referrals.code_secret_env
    value = os.environ.get(name)
    if not value:
        raise ConfigurationError(
            f"the programme has referrals but the environment variable {name} is not set; "
            "it holds the secret that makes referral codes unguessable (referrals.code_secret_env)"
        )
    return value.encode("utf-8")


def _sources(program: Program, name: str | None) -> list[tuple[str, SourceConfig]]:
    """``--source NAME``, else every enabled source of the programme."""
    if name is not None:
        if name not in program.sources:
            known = ", ".join(sorted(program.sources)) or "none"
            raise click.BadParameter(f"no source named {name!r} in the programme (sources: {known})")
        return [(name, program.sources[name])]
    chosen = [(n, c) for n, c in program.sources.items() if c.enabled]
    if not chosen:
        raise ConfigurationError("the programme has no enabled sources; add one under `sources:`")
    return chosen


def _source_names(program_or_none: Program | None, name: str | None, store: Store) -> list[str]:
    if name is not None:
        return [name]
    if program_or_none is not None:
        return list(program_or_none.sources)
    return sorted({run.source for run in store.runs(limit=1000)})


source_option = click.option(
    "--source", "source_name", metavar="NAME", help="Only this source (default: all)."
)
json_option = click.option("--json", "as_json", is_flag=True, help="One JSON document for scripts.")
now_option = click.option(
    "--now", type=INSTANT, default=None, help="Evaluate at this instant instead of the wall clock (UTC)."
)


@click.group(
    context_settings={"help_option_names": ["-h", "--help"], "auto_envvar_prefix": "LOYALTY_CONNECTOR"}
)
@click.option(
    "--config",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("loyalty.yaml"),
    show_default=True,
    envvar="LOYALTY_CONNECTOR_CONFIG",
    help="The programme file.",
)
@click.option(
    "--store",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    envvar="LOYALTY_CONNECTOR_STORE",
    help="The state database [default: loyalty.db next to the programme file].",
)
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.version_option(__version__, prog_name="loyalty-connector")
@click.pass_context
def main(ctx: click.Context, config: Path, store: Path | None, verbose: int) -> None:
    """Run a B2B loyalty programme on top of a Magento 2 or Shopware 6 shop."""
    ctx.call_on_close(_setup_logging(verbose))
    given = ctx.get_parameter_source("config") is not click.core.ParameterSource.DEFAULT
    ctx.obj = Context(config, store, verbose, given)


# -- rules -------------------------------------------------------------------------------------------


@main.group()
def rules() -> None:
    """Validate the programme, print its schema, plan and apply it to the shop, simulate a change."""


@rules.command("validate")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@_common
@pass_context
def rules_validate(context: Context, file: Path | None) -> None:
    """Check a programme file (default: --config); list every problem with line and field."""
    path = file or context.config
    with _errors():
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


rules.add_command(plan_command)
rules.add_command(apply_command)
rules.add_command(simulate_command)
for _command in (report_command, nps_import, segments_export):
    _common(_command)
main.add_command(report_command)
main.add_command(nps)
main.add_command(segments)


@rules.command("schema")
@_common
def rules_schema() -> None:
    """Print the programme file's JSON Schema (for editor completion and validation)."""
    click.echo(json.dumps(program_json_schema(), indent=2))


# -- sources and sandboxes ---------------------------------------------------------------------------


@main.group()
def sources() -> None:
    """Installed adapters and configured sources."""


@sources.command("list")
@json_option
@_common
def sources_list(as_json: bool) -> None:
    """List the adapters found through the ``loyalty_connector.adapters`` entry points."""
    plugins = discover_adapters()
    if as_json:
        rows = [
            {"name": p.name, "description": p.description, "sandbox": p.sandbox is not None}
            for p in plugins.values()
        ]
        click.echo(json.dumps({"adapters": rows}))
        return
    if not plugins:
        click.echo(
            "no adapters installed (pip install loyalty-connector-magento / loyalty-connector-shopware)"
        )
        return
    rows_text = [(name, "yes" if p.sandbox else "no", p.description) for name, p in sorted(plugins.items())]
    _echo_lines(_table(("ADAPTER", "SANDBOX", "DESCRIPTION"), rows_text))


@main.group()
def sandbox() -> None:
    """Local sandbox shops on 127.0.0.1 for trying things out."""


@sandbox.command("serve")
@click.argument("adapter")
@click.option(
    "--port", type=click.IntRange(0, 65535), default=0, show_default=True, help="0 picks a free port."
)
@click.option("--seed", type=int, default=7, show_default=True)
@click.option("--customers", type=click.IntRange(1), default=300, show_default=True)
@click.option("--orders", type=click.IntRange(0), default=3000, show_default=True)
@click.option(
    "--json", "as_json", is_flag=True, help="First line is one JSON object (base_url, credentials, source)."
)
@_common
def sandbox_serve(adapter: str, port: int, seed: int, customers: int, orders: int, as_json: bool) -> None:
    """Serve a seeded sandbox shop until interrupted. The first line gives its URL and credentials."""
    plugins = discover_adapters()
    plugin = plugins.get(adapter)
    if plugin is None or plugin.sandbox is None:
        with_sandbox = sorted(name for name, p in plugins.items() if p.sandbox is not None)
        raise click.BadParameter(
            f"no sandbox for {adapter!r}; choose from {', '.join(with_sandbox) or 'none'}",
            param_hint="ADAPTER",
        )
    with _errors():
        shop = plugin.sandbox(seed=seed, customers=customers, orders=orders, port=port)
        shop.start()
    try:
        with suppress(KeyboardInterrupt):  # Ctrl-C at any point stops the shop cleanly
            info = shop.describe()
            env = dict(info.get("env", {}))
            if as_json:
                click.echo(json.dumps(info))
            else:
                pairs = " ".join(f"{name}={value}" for name, value in env.items())
                click.echo(f"{adapter} sandbox at {info['base_url']}  {pairs}".rstrip())
                click.echo("  # for a shell, then use this source in the programme's `sources:`:")
                for name, value in env.items():
                    click.echo(f"  export {name}={value}")
                click.echo(f"  # {json.dumps(info.get('source', {}))}")
                click.echo("  # Ctrl-C stops the shop")
            sys.stdout.flush()
            threading.Event().wait()
    finally:
        shop.stop()


# -- sync and backfill -------------------------------------------------------------------------------


class _Progress:
    """Backfill progress on stderr: a redrawn bar on a terminal, a plain line every few seconds otherwise."""

    def __init__(
        self, source: str, *, expected: int | None = None, interval: float = 5.0, tty: bool | None = None
    ) -> None:
        self.source = source
        self.expected = expected
        self.interval = interval
        self.out: IO[str] = sys.stderr
        self.tty = self.out.isatty() if tty is None else tty
        self.last = -1e9
        self.drawn = 0
        self.reading_done = False

    def __call__(self, event: ProgressEvent) -> None:
        if self.expected:
            fraction = min(event.records_done / self.expected, 0.99)
        else:
            fraction = event.windows_done / event.windows_total if event.windows_total else 0.0
        eta = event.elapsed_seconds * (1 - fraction) / fraction if fraction > 0 else None
        text = (
            f"{self.source}  {event.records_done:,} records  {event.records_per_second:,.0f}/s  "
            f"{event.windows_done}/{event.windows_total} windows"
        )
        done = event.phase == "evaluate" or (
            event.windows_total > 0 and event.windows_done == event.windows_total
        )
        if self.tty:
            width = 24
            filled = int(width * (1.0 if done else fraction))
            bar = "#" * filled + "-" * (width - filled)
            line = f"{text}  [{bar}] {100 * (1.0 if done else fraction):3.0f}%  ETA {_eta(eta)}"
            self.out.write("\r" + line.ljust(self.drawn))
            self.drawn = len(line)
            self.out.flush()
        elif time.monotonic() - self.last >= self.interval or (done and not self.reading_done):
            self.last = time.monotonic()
            click.echo(f"{text}, ETA {_eta(eta)}", err=True)
        if done and not self.reading_done:
            self.reading_done = True
            self.close()
            click.echo(f"{self.source}  reading done; evaluating customers ...", err=True)

    def close(self) -> None:
        if self.tty and self.drawn:
            self.out.write("\n")
            self.out.flush()
            self.drawn = 0


def _eta(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes}:{rest:02d}"


def _budget(config: SourceConfig, rate: float | None) -> RequestBudget | None:
    value = rate if rate is not None else config.settings.get("rate_limit")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise ConfigurationError("settings.rate_limit must be a positive number of requests per second")
    return RequestBudget(rate=float(value), burst=max(1, int(value)))


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
            _json(
                {
                    "runs": [r.as_dict() for r in reports],
                    "failures": [{"source": s, "error": e} for s, e in failures],
                    "quarantined": quarantined,
                }
            )
        )
    else:
        if reports:
            _echo_lines(_table(_REPORT_HEADERS, _report_rows(reports), "lrrrrrrrr"))
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


@main.command()
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
@_common
@pass_context
def sync(
    context: Context, source_name: str | None, page_size: int | None, look_back: int | None, as_json: bool
) -> None:
    """Incremental sync of every enabled source (or --source): read what changed, update the ledger.

    Safe to run from cron every few minutes: a run that finds the source locked by another run exits 1.
    Exit 3 when records were quarantined.
    """
    with _errors():
        program = context.program()
        chosen = _sources(program, source_name)
        secret = _referral_secret(program)
        store = context.open_store()
    reports, failures = [], []
    with _errors(), closing(store):
        for name, config in chosen:
            progress = _Progress(name)
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


@main.command()
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
    default=1,
    show_default=True,
    envvar="LOYALTY_CONNECTOR_WORKERS",
    help="Windows read in parallel (they share one request budget).",
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
@_common
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
    with _errors():
        program = context.program()
        chosen = _sources(program, source_name)
        secret = _referral_secret(program)
        store = context.open_store()
    reports, failures = [], []
    with _errors(), closing(store):
        for name, config in chosen:
            progress = _Progress(name)

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
                _fail("interrupted; finished windows are kept: rerun the same command to resume")
            finally:
                progress.close()
    _finish(reports, failures, as_json)


def _default_until(since: datetime) -> datetime:
    """Today's start (UTC), so the same command rerun the same day resumes the same backfill."""
    now = datetime.now(timezone.utc)
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return today if since < today else now


# -- customers, points, ledger ------------------------------------------------------------------------


def _find_customer(store: Store, names: Sequence[str], query: str) -> tuple[str, str]:
    """(source, customer key) of the customer whose id or e-mail is ``query``."""
    found: list[tuple[str, str]] = []
    email = normalize_email(query) if "@" in query else None
    for source in names:
        if store.histories(source, [query])[query].customer is not None:
            found.append((source, query))
        elif email is not None:
            found.extend(
                (source, record.key)
                for record in store.records(source, Stream.CUSTOMERS)
                if isinstance(record, Customer) and record.email_normalized == email
            )
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
    secret = _referral_secret(program)
    store = context.open_store(create=False)
    try:
        source, key = _find_customer(store, _source_names(program, source_name, store), query)
        facts = load_customer_facts(store, source, key)
        assert facts is not None
    finally:
        store.close()
    groups: dict[str, str] = {}
    config = program.sources.get(source)
    if config is not None and not offline:
        try:
            adapter = create_adapter(source, config)
            try:
                groups = {g.external_id: g.code for g in adapter.read_groups()}
            finally:
                adapter.close()
        except (ShopError, ConfigurationError) as exc:
            click.echo(f"warning: customer groups of {source} not read ({exc}); shown by shop id", err=True)
    return explain_customer(program, facts, _now(now), referral_secret=secret, group_codes=groups)


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
        rows.append((_day(e.effective_at), e.kind.value, e.rule_id, value, e.reason))
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
        f"  as of {_minute(view.at)}; {view.orders:,} orders; customer since {_day(c.created_at)}",
    ]
    if view.level is not None:
        level = view.level
        held = f"{level.name} since {_day(level.since)}" if level.level_id else "no level"
        lines.append(f"level      {held}: {level.reason}")
        if level.downgrade_at is not None:
            lines.append(f"           held until {_day(level.downgrade_at)} unless it is earned again")
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
            _table(
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


@main.group()
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
@_common
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
    with _errors():
        view = _customer_view(context, query, source_name, now, offline)
        program = context.program()
    if as_json:
        click.echo(_json(_customer_json(view, history)))
    else:
        _echo_lines(_render_customer(view, program, explain, history, limit))


@main.group()
def points() -> None:
    """A customer's points balance and history, from the ledger."""


def _points_customer(
    context: Context, query: str, source_name: str | None
) -> tuple[Program, str, str, list[LedgerEntry]]:
    program = context.program()
    store = context.open_store(create=False)
    try:
        source, key = _find_customer(store, _source_names(program, source_name, store), query)
        return program, source, key, store.ledger_entries(source, key)
    finally:
        store.close()


@points.command("balance")
@click.argument("query", metavar="ID|EMAIL")
@source_option
@now_option
@json_option
@_common
@pass_context
def points_balance(
    context: Context, query: str, source_name: str | None, now: datetime | None, as_json: bool
) -> None:
    """Points available and pending at --now (default: the wall clock)."""
    with _errors():
        program, source, key, entries = _points_customer(context, query, source_name)
    at = _now(now)
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
        click.echo(_json({**data, "currency": program.currency}))
        return
    worth = f" (worth {format_money(value, program.currency)})" if value is not None else ""
    click.echo(
        f"customer {key} of {source} on {_minute(at)}: {available:,} points available{worth}, "
        f"{pending:,} pending"
    )


@points.command("history")
@click.argument("query", metavar="ID|EMAIL")
@source_option
@click.option("--since", type=INSTANT, default=None)
@click.option("--until", type=INSTANT, default=None)
@click.option("--limit", type=click.IntRange(1), default=None, help="Only the latest N entries.")
@json_option
@_common
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
    with _errors():
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
        click.echo(_json({"source": source, "customer": key, "entries": export_rows(moved)}))
        return
    if not moved:
        click.echo(f"customer {key} of {source}: no points entries")
        return
    rows = [
        (
            _day(e.effective_at),
            e.kind.value,
            e.rule_id,
            f"{e.points:+,}",
            _day(e.available_at),
            _day(e.expires_at),
            e.reason,
        )
        for e in moved
    ]
    _echo_lines(_table(("DATE", "KIND", "RULE", "POINTS", "AVAILABLE", "EXPIRES", "REASON"), rows, "lllr"))


@main.group()
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
@_common
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
    with _errors():
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
        output.write(_json(rows) + "\n")
    else:
        output.writelines(_json(row) + "\n" for row in rows)


# -- quarantine and locks -----------------------------------------------------------------------------


@main.group()
def quarantine() -> None:
    """Records the mapping could not read."""


stream_option = click.option("--stream", type=click.Choice([s.value for s in Stream]), default=None)


@quarantine.command("list")
@source_option
@stream_option
@click.option("--all", "include_resolved", is_flag=True, help="Also records that were read later.")
@click.option("--raw", is_flag=True, help="Include the shop's raw payload in --json (holds personal data).")
@json_option
@_common
@pass_context
def quarantine_list(
    context: Context,
    source_name: str | None,
    stream: str | None,
    include_resolved: bool,
    raw: bool,
    as_json: bool,
) -> None:
    """Quarantined records with the reason, oldest first."""
    with _errors():
        store = context.open_store(create=False)
        try:
            items = store.quarantined(
                source_name, stream=Stream(stream) if stream else None, include_resolved=include_resolved
            )
        finally:
            store.close()
    if as_json:
        rows = [
            {
                **dataclasses.asdict(item),
                "raw": item.raw if raw else None,
                "position": item.position.to_json(),
            }
            for item in items
        ]
        click.echo(_json({"quarantined": rows}))
        return
    if not items:
        click.echo("nothing quarantined")
        return
    rows_text = [
        (
            i.source,
            i.stream.value,
            i.external_id,
            _day(i.first_seen),
            i.attempts,
            "resolved" if i.resolved_at else "open",
            i.reason,
        )
        for i in items
    ]
    _echo_lines(
        _table(("SOURCE", "STREAM", "ID", "FIRST SEEN", "ATTEMPTS", "STATE", "REASON"), rows_text, "llllr")
    )


@quarantine.command("retry")
@source_option
@stream_option
@click.option("--id", "external_ids", multiple=True, metavar="ID", help="Only these records (repeatable).")
@_common
@pass_context
def quarantine_retry(
    context: Context, source_name: str | None, stream: str | None, external_ids: tuple[str, ...]
) -> None:
    """Have the next sync read quarantined records again (rewinds the sync checkpoint before them)."""
    with _errors():
        store = context.open_store(create=False)
        try:
            open_items = store.quarantined(source_name, stream=Stream(stream) if stream else None)
            names = sorted({i.source for i in open_items})
            if not names:
                click.echo("nothing quarantined")
                return
            for name in names:
                rewound = retry_quarantined(
                    store, name, stream=Stream(stream) if stream else None, external_ids=external_ids or None
                )
                where = ", ".join(f"{s.value} to {c.changed_at.isoformat()}" for s, c in rewound.items())
                count = sum(
                    1
                    for i in open_items
                    if i.source == name and (not external_ids or i.external_id in external_ids)
                )
                click.echo(
                    f"{name}: {count} record(s) marked for retry; "
                    f"sync checkpoint rewound ({where or 'no change'})"
                )
        finally:
            store.close()
    click.echo("run `loyalty-connector sync` to read them again")


@main.command()
@click.argument("source")
@click.option("--force", is_flag=True, help="Remove the lock even if its process still runs on this host.")
@_common
@pass_context
def unlock(context: Context, source: str, force: bool) -> None:
    """Break SOURCE's lock left by a run that died (its run is marked interrupted)."""
    with _errors():
        store = context.open_store(create=False)
        try:
            held = store.lock_of(source)
            if held is None:
                click.echo(f"source {source} is not locked")
                return
            if not force and held.host == socket.gethostname() and _alive(held.pid):
                _fail(
                    f"the {held.kind} of {source} (pid {held.pid}, since {held.started_at.isoformat()}) "
                    "is still running on this host; stop it first, or pass --force"
                )
            store.break_lock(source)
        finally:
            store.close()
    click.echo(
        f"removed the lock of {source}: {held.kind} run {held.run_id} (pid {held.pid} on {held.host}, "
        f"since {held.started_at.isoformat()}) is marked interrupted"
    )


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# -- demo -----------------------------------------------------------------------------------------------


@main.command()
@click.option("--seed", type=int, default=7, show_default=True)
@click.option("--customers", type=click.IntRange(1), default=1500, show_default=True, help="Per shop.")
@click.option("--orders", type=click.IntRange(0), default=10000, show_default=True, help="Per shop.")
@click.option(
    "--adapter", "adapters", multiple=True, help="Only these sandboxes [default: magento, shopware]."
)
@click.option("--workers", type=click.IntRange(1, 8), default=1, show_default=True)
@now_option
@json_option
@_common
@pass_context
def demo(
    context: Context,
    seed: int,
    customers: int,
    orders: int,
    adapters: tuple[str, ...],
    workers: int,
    now: datetime | None,
    as_json: bool,
) -> None:
    """Sandbox shops: backfill, what each rule did, the programme applied, a sync (`make demo`).

    Uses examples/loyalty.yaml (or --config) with the sandboxes as its sources, and a temporary store
    unless --store is given. Referral and coupon codes use a fixed demo secret, never a real one.
    """
    from . import demo as demo_lib

    path = context.config if context.config_given else Path("examples/loyalty.yaml")
    settings = demo_lib.DemoSettings(
        program_path=path,
        seed=seed,
        customers=customers,
        orders=orders,
        adapters=adapters or ("magento", "shopware"),
        store=context.store_path,
        now=now,
        workers=workers,
    )
    expected = customers + orders + orders // 10
    bars: list[_Progress] = []

    def progress(source: str) -> _Progress | None:
        if as_json:
            return None
        bars.append(_Progress(source, expected=expected, interval=10.0))
        return bars[-1]

    def show(event: demo_lib.DemoEvent) -> None:
        for bar in bars:
            bar.close()
        if not as_json:
            _echo_lines(demo_lib.render_event(event, _width()))

    with _errors():
        result = demo_lib.run_demo(settings, on_event=show, on_progress=progress)
    if as_json:
        click.echo(_json(demo_lib.result_dict(result)))
    else:
        _echo_lines(demo_lib.render_footer(result))


def _width() -> int:
    return shutil.get_terminal_size((120, 24)).columns if sys.stdout.isatty() else 0


if __name__ == "__main__":
    main()
