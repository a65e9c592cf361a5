"""The ``loyalty-connector`` command line: parse, call the library, render. No business logic here.

Exit codes: 0 ok, 1 failure, 2 usage error (click), 3 finished but records were quarantined.
Settings come from flags, then ``LOYALTY_CONNECTOR_*`` environment variables, then the programme file.
``--config`` and ``--store`` are accepted before the command and on every command.

This module holds the ``main`` group and its global options; each command lives in the module of
its subject (``rules``, ``sync``, ``customer``, ``ledger``, ``quarantine``, ``report``, ``sandbox``,
``demo``), and what they share is in ``common`` and ``output``.
"""

from __future__ import annotations

__all__ = ["EXIT_QUARANTINED", "main"]

import logging
import sys
from collections.abc import Callable
from pathlib import Path

import click

from .. import __version__
from ..http import RedactingFilter
from .common import Context
from .customer import customer
from .demo import demo
from .ledger import ledger, points
from .quarantine import quarantine, unlock
from .report import nps, report, segments
from .rules import rules
from .sandbox import sandbox, sources
from .sync import EXIT_QUARANTINED, backfill, sync

_SECRET_LOGGERS = ("oauthlib", "requests_oauthlib")
"""Third-party loggers whose debug lines carry credentials (OAuth base strings, signed headers):
kept at WARNING even with -vv."""


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


for _command in (
    rules,
    report,
    nps,
    segments,
    sources,
    sandbox,
    sync,
    backfill,
    customer,
    points,
    ledger,
    quarantine,
    unlock,
    demo,
):
    main.add_command(_command)
