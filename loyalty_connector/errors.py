"""The one error tree every layer of loyalty-connector raises.

Callers catch what they can handle; every message says what happened and what to do next, and
never carries a secret (tokens, client secrets, Authorization headers)::

    LoyaltyConnectorError
    ├── ConfigurationError            the programme file or settings are wrong: fix them and rerun
    │   └── ProgramValidationError    loyalty.yaml failed validation (file, line, dotted path, expected)
    ├── CurrencyMismatchError         arithmetic or comparison across currencies
    ├── ShopError                     talking to a shop failed
    │   ├── AuthenticationError       credentials missing, wrong or expired (401)
    │   ├── PermissionDeniedError     credentials fine, ACL grant missing (403)
    │   ├── NotFoundError             the shop has no such record or route (404)
    │   ├── ShopRequestError          the shop rejected the request (other 4xx): fix the request
    │   ├── PagingError               a page came back out of keyset order, or the cursor did not move
    │   └── TransientShopError        may succeed later: retried by the HTTP client
    │       ├── RateLimitedError      429; carries the wait the shop asked for
    │       └── ShopUnavailableError  connection error, timeout, 5xx, truncated body
    ├── MappingError                  a shop payload the mapping cannot read (goes to quarantine)
    ├── StoreError                    the state database failed (disk full, corrupt, locked too long)
    ├── ConflictError                 another run holds the lock, or the shop changed under us
    └── StoppedError                  the caller called the work off (Ctrl-C, another worker failed)
"""

from __future__ import annotations

__all__ = [
    "AuthenticationError",
    "ConfigurationError",
    "ConflictError",
    "CurrencyMismatchError",
    "LoyaltyConnectorError",
    "MappingError",
    "NotFoundError",
    "PagingError",
    "PermissionDeniedError",
    "ProgramIssue",
    "ProgramValidationError",
    "RateLimitedError",
    "ShopError",
    "ShopRequestError",
    "ShopUnavailableError",
    "StoppedError",
    "StoreError",
    "TransientShopError",
]

from dataclasses import dataclass


class LoyaltyConnectorError(Exception):
    """Root of every error loyalty-connector raises on purpose."""


class ConfigurationError(LoyaltyConnectorError):
    """Settings or the programme file are wrong; nothing was changed. Fix the named setting and rerun."""


@dataclass(frozen=True)
class ProgramIssue:
    """One problem in a programme file: where it is and what was expected there."""

    path: str
    """Dotted path to the field, e.g. ``levels.levels.1.min_spend`` (``<root>`` for the whole file)."""
    message: str
    line: int | None = None
    """1-based line in the file where the field starts, when the file is YAML/JSON we could map."""

    def render(self, file: str | None) -> str:
        where = file or "<programme>"
        if self.line is not None:
            where = f"{where}:{self.line}"
        return f"{where}: {self.path}: {self.message}"


class ProgramValidationError(ConfigurationError):
    """A programme file failed validation. ``issues`` lists every problem found, not just the first."""

    def __init__(self, issues: list[ProgramIssue], file: str | None = None) -> None:
        self.issues = list(issues)
        self.file = file
        lines = [issue.render(file) for issue in self.issues]
        count = len(lines)
        plural = "s" if count != 1 else ""
        head = f"{file or 'programme'} is not a valid loyalty programme ({count} problem{plural})"
        super().__init__(head + ":\n" + "\n".join(f"  {line}" for line in lines))


class CurrencyMismatchError(LoyaltyConnectorError, ValueError):
    """Two amounts in different currencies were combined; convert one first (see ``exchange_rates``)."""

    def __init__(self, left: str, right: str, operation: str = "combine") -> None:
        self.left = left
        self.right = right
        super().__init__(
            f"cannot {operation} {left} and {right} amounts; convert one of them first "
            "(the programme's exchange_rates decide how foreign-currency orders are treated)"
        )


class ShopError(LoyaltyConnectorError):
    """Talking to a shop failed. ``status`` is the HTTP status when there was a response."""

    def __init__(self, message: str, *, source: str | None = None, status: int | None = None) -> None:
        self.source = source
        self.status = status
        prefix = f"[{source}] " if source else ""
        super().__init__(prefix + message)


class AuthenticationError(ShopError):
    """The shop refused our credentials (missing, wrong, expired, or of the wrong kind)."""


class PermissionDeniedError(ShopError):
    """The credentials are valid but lack the ACL grant for this call."""


class NotFoundError(ShopError):
    """The shop has no such record, route or store code."""


class ShopRequestError(ShopError):
    """The shop rejected the request as invalid (a 4xx other than 401/403/404/429). Not retried."""


class PagingError(ShopError):
    """The shop answered a page that would make the sync loop or skip records; the run stops.

    Raised when a page is out of ``(changed_at, tiebreak)`` order, or a full page left the cursor where
    it was. Nothing of that page is committed. Usually a shop extension changes sorting or filtering.
    """


class TransientShopError(ShopError):
    """A failure that may go away by itself; the HTTP client retries these with backoff."""


class RateLimitedError(TransientShopError):
    """The shop (or a proxy in front of it) asked us to slow down. ``retry_after`` is in seconds."""

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        status: int | None = 429,
        retry_after: float | None = None,
    ) -> None:
        self.retry_after = retry_after
        super().__init__(message, source=source, status=status)


class ShopUnavailableError(TransientShopError):
    """The shop did not answer usefully: connection refused or dropped, timeout, 5xx, truncated body."""


class MappingError(LoyaltyConnectorError):
    """A shop payload could not be turned into a domain object. The sync quarantines the record."""

    def __init__(self, message: str, *, record_id: str | None = None, field: str | None = None) -> None:
        self.record_id = record_id
        self.field = field
        super().__init__(message)


class StoreError(LoyaltyConnectorError):
    """The state store failed; the current transaction was rolled back and nothing half-written remains."""


class ConflictError(LoyaltyConnectorError):
    """Another run holds the lock for this source, or the shop's state changed under an operation."""


class StoppedError(LoyaltyConnectorError):
    """The work was called off by its caller while it waited (see :mod:`loyalty_connector.interrupt`).

    Raised inside a reader thread whose reading was stopped — by Ctrl-C, or because another worker
    failed — so it stops waiting to retry; the caller already knows why it stopped. Nothing to fix.
    """
