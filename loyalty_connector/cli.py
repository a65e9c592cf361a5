"""The ``loyalty-connector`` command line: parse, call the library, render. No business logic here.

Exit codes: 0 ok, 1 failure, 2 usage error (click), 3 finished but records were quarantined.
Settings come from flags, then ``LOYALTY_CONNECTOR_*`` environment variables, then the programme file.
"""

from __future__ import annotations

__all__ = ["main"]

import json
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, NoReturn

import click

from . import __version__
from .adapter import discover_adapters
from .errors import LoyaltyConnectorError, ProgramValidationError
from .http import RedactingFilter
from .program import Program, load_program, program_json_schema

EXIT_QUARANTINED = 3


class Context:
    """Global options shared by every command."""

    def __init__(self, config: Path, store: Path | None, verbose: int) -> None:
        self.config = config
        self.store_path = store
        self.verbose = verbose

    def program(self) -> Program:
        return load_program(self.config)

    def store_file(self) -> Path:
        """``--store``, else ``loyalty.db`` next to the programme file."""
        return self.store_path or self.config.resolve().parent / "loyalty.db"


pass_context = click.make_pass_decorator(Context)


def _fail(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


@contextmanager
def _errors() -> Iterator[None]:
    """Turn library errors into one clear line on stderr and exit code 1 — never a traceback."""
    try:
        yield
    except ProgramValidationError as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    except LoyaltyConnectorError as exc:
        _fail(str(exc))
    except KeyboardInterrupt:
        _fail("interrupted; everything committed so far is kept and the next run resumes from there")


def _setup_logging(verbose: int) -> None:
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


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
    _setup_logging(verbose)
    ctx.obj = Context(config, store, verbose)


@main.group()
def rules() -> None:
    """Validate the programme file and print its schema."""


@rules.command("validate")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
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


@rules.command("schema")
def rules_schema() -> None:
    """Print the programme file's JSON Schema (for editor completion and validation)."""
    click.echo(json.dumps(program_json_schema(), indent=2))


@main.group()
def sources() -> None:
    """Installed adapters and configured sources."""


@sources.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object for scripts.")
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
    width = max(len(name) for name in plugins)
    for name, plugin in sorted(plugins.items()):
        click.echo(f"{name:<{width}}  {plugin.description}")


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
def sandbox_serve(adapter: str, port: int, seed: int, customers: int, orders: int, as_json: bool) -> None:
    """Serve a seeded sandbox shop until interrupted. The first line gives its URL and credentials."""
    plugins = discover_adapters()
    plugin = plugins.get(adapter)
    if plugin is None or plugin.sandbox is None:
        with_sandbox = sorted(name for name, p in plugins.items() if p.sandbox is not None)
        raise click.BadParameter(
            f"no sandbox for {adapter!r}; choose from {', '.join(with_sandbox) or 'none'}"
        )
    shop = plugin.sandbox(seed=seed, customers=customers, orders=orders, port=port)
    shop.start()
    try:
        info = shop.describe()
        if as_json:
            click.echo(json.dumps(info), nl=True)
        else:
            click.echo(f"{adapter} sandbox at {info['base_url']}")
            for name, value in info.get("env", {}).items():
                click.echo(f"  export {name}={value}")
        sys.stdout.flush()
        _wait_forever()
    finally:
        shop.stop()


def _wait_forever(wait: Callable[[], None] | None = None) -> None:
    import threading

    stop = threading.Event()
    with suppress(KeyboardInterrupt):
        (wait or stop.wait)()


def _render_table(rows: list[dict[str, Any]], columns: list[str]) -> str:
    widths = {c: max(len(c), *(len(str(r.get(c, ""))) for r in rows)) if rows else len(c) for c in columns}
    lines = ["  ".join(c.upper().ljust(widths[c]) for c in columns)]
    for row in rows:
        lines.append("  ".join(str(row.get(c, "")).ljust(widths[c]) for c in columns))
    return "\n".join(line.rstrip() for line in lines)
