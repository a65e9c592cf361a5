"""What every command module of the CLI shares: one way to fail, one way to turn errors into a line."""

from __future__ import annotations

__all__ = ["errors", "fail"]

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import click

from .errors import LoyaltyConnectorError, ProgramValidationError
from .redaction import redact

logger = logging.getLogger(__name__)

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
