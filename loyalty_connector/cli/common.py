"""What every command module of the CLI shares: the context object, the shared options, one way to fail.

The main group puts a :class:`Context` in ``ctx.obj``. Commands that need only the programme and the
state database accept anything shaped like :class:`CommandContext`, so they also run under a bare
group (the tests of ``rules`` and ``report`` do that).
"""

from __future__ import annotations

__all__ = [
    "INSTANT",
    "CommandContext",
    "Context",
    "Instant",
    "at_or_now",
    "common_options",
    "enabled_sources",
    "errors",
    "fail",
    "json_option",
    "now_option",
    "open_existing_store",
    "pass_context",
    "referral_secret",
    "source_names",
    "source_option",
]

import logging
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, NoReturn, Protocol, TypeVar

import click

from ..errors import ConfigurationError, LoyaltyConnectorError, ProgramValidationError
from ..program import Program, SourceConfig, load_program
from ..redaction import redact
from ..store import Store, default_store_path, open_store

logger = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])

_RESUMES = "interrupted; everything committed so far is kept and the next run resumes from there"


def fail(message: str) -> NoReturn:
    """Print ``error: message`` on stderr and exit 1."""
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


@contextmanager
def errors(interrupted: str = _RESUMES) -> Iterator[None]:
    """Turn errors into one clear line on stderr and exit code 1 — never a traceback.

    Click's own exceptions (usage errors, exit, abort) pass through; a programme validation error
    prints every problem; a bug prints one line, with the traceback in the debug log (``-vv``).
    """
    try:
        yield
    except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
        raise
    except ProgramValidationError as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    except LoyaltyConnectorError as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        fail(interrupted)
    except OSError as exc:
        fail(f"{exc.strerror or exc}: {exc.filename}" if exc.filename else redact(str(exc)))
    except Exception as exc:  # a bug: one line by default, the traceback with -vv
        logger.debug("unexpected error", exc_info=True)
        fail(f"unexpected {type(exc).__name__}: {redact(str(exc))} (run with -vv for the traceback)")


class CommandContext(Protocol):
    """What a command needs from ``ctx.obj``: the programme file, the programme, the state database."""

    config: Path

    def store_file(self) -> Path: ...

    def program(self) -> Program: ...


def open_existing_store(obj: CommandContext) -> Store:
    """The state database; fail with a hint instead of creating an empty one."""
    path = obj.store_file()
    if not path.exists():
        raise ConfigurationError(
            f"no state database at {path}; run `loyalty-connector sync` or `backfill` first, or pass --store"
        )
    return open_store(path)


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
        return open_store(self.store_file()) if create else open_existing_store(self)


pass_context = click.make_pass_decorator(Context)


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


def common_options(func: F) -> F:
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


class Instant(click.ParamType):  # type: ignore[type-arg]
    """An ISO date or timestamp; without a zone it is UTC. ``example`` goes into the error message."""

    name = "TIMESTAMP"

    def __init__(self, example: str = "2025-01-31 or 2025-01-31T12:00Z") -> None:
        self.example = example

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> datetime:
        if isinstance(value, datetime):
            return value
        text = str(value).strip()
        try:
            moment = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
        except ValueError:
            self.fail(f"{value!r} is not an ISO date or timestamp (e.g. {self.example})")
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        return moment.astimezone(timezone.utc)


INSTANT = Instant()


def at_or_now(given: datetime | None) -> datetime:
    """``--now`` if given, else the wall clock (UTC)."""
    return given or datetime.now(timezone.utc)


def referral_secret(program: Program) -> bytes | None:
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


def enabled_sources(program: Program, name: str | None) -> list[tuple[str, SourceConfig]]:
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


def source_names(program_or_none: Program | None, name: str | None, store: Store) -> list[str]:
    """``--source NAME``, else the programme's sources, else every source the store has runs of."""
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
