"""The queries reports and segments need: read-only, streaming, one snapshot; and the NPS answers table.

:class:`Analytics` opens the state database next to the sync (WAL lets it read while a sync writes)
and reads inside :meth:`Analytics.snapshot`, one read transaction, so every query of a report sees
the same data. Records stream through SQLite cursors one customer at a time — a report over years
of orders never holds them all in memory. The only write is :meth:`Analytics.record_nps_answers`,
one transaction that upserts imported survey answers.
"""

from __future__ import annotations

__all__ = ["Analytics", "CustomerOrders", "NpsImportCounts", "open_analytics"]

import heapq
import itertools
import logging
import os
import sqlite3
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ..domain import Customer, Order, Refund
from ..engine.results import IntentKind
from ..errors import ConfigurationError, StoreError
from ..ledger import LedgerEntry
from ..nps import NpsAnswer
from . import open_store
from .rows import ledger_entry, parse_ts, ts

logger = logging.getLogger(__name__)

_SourceKey = tuple[str, str]


@dataclass(frozen=True)
class CustomerOrders:
    """One customer key's records as of the snapshot's cut-off: its customer record, orders and refunds."""

    source: str
    customer_key: str
    customer: Customer | None
    """``None`` for guests (``guest:<email>`` keys) and accounts whose record was not synced."""
    orders: tuple[Order, ...]
    """Sorted by ``placed_at``, then external id."""
    refunds: tuple[Refund, ...]


@dataclass(frozen=True)
class NpsImportCounts:
    """What importing survey answers did."""

    inserted: int
    updated: int
    """Answers already stored (same email and time) whose score changed."""
    unchanged: int


def _where_source(source: str | None, column: str = "source") -> tuple[str, tuple[str, ...]]:
    return ("", ()) if source is None else (f" AND {column} = ?", (source,))


class Analytics:
    """Read-only KPI queries over one state database (see :func:`open_analytics`)."""

    def __init__(self, path: str | os.PathLike[str], *, busy_timeout: float = 30.0) -> None:
        self.path = os.fspath(path)
        try:
            self._conn = sqlite3.connect(self.path, timeout=busy_timeout, isolation_level=None)
            self._conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
        except sqlite3.Error as exc:
            raise self._error(exc, "opening") from exc
        self._conn.row_factory = sqlite3.Row

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Analytics:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _error(self, exc: sqlite3.Error, action: str) -> StoreError:
        text = str(exc)
        if "locked" in text.lower() or "busy" in text.lower():
            return StoreError(
                f"the state database {self.path} stayed locked by another process while {action}; "
                "nothing was written: retry when the other process is done"
            )
        return StoreError(f"the state database {self.path} failed while {action}: {text}")

    @contextmanager
    def snapshot(self) -> Iterator[Analytics]:
        """One read transaction: every query inside sees the same data."""
        try:
            self._conn.execute("BEGIN")
        except sqlite3.Error as exc:
            raise self._error(exc, "starting a read") from exc
        try:
            yield self
        finally:
            if self._conn.in_transaction:
                self._conn.execute("COMMIT")

    def _rows(self, sql: str, params: Sequence[Any], action: str) -> Iterator[sqlite3.Row]:
        try:
            cursor = self._conn.execute(sql, params)
            while True:
                batch = cursor.fetchmany(500)
                if not batch:
                    return
                yield from batch
        except sqlite3.Error as exc:
            raise self._error(exc, action) from exc

    # customers, orders, refunds

    def sources(self) -> list[str]:
        """Every source with a customer or an order in the store."""
        rows = self._rows(
            "SELECT source FROM customers UNION SELECT source FROM orders ORDER BY 1", (), "listing sources"
        )
        return [row[0] for row in rows]

    def group_names(self) -> dict[tuple[str, str], str]:
        """(source, shop group id) -> the group's name (else its code), as the last sync read them."""
        rows = self._rows(
            "SELECT source, external_id, code, name FROM customer_groups", (), "reading customer groups"
        )
        return {(row[0], row[1]): row[3] or row[2] for row in rows}

    def histories(self, *, until: datetime, source: str | None = None) -> Iterator[CustomerOrders]:
        """Every customer key — registered with or without orders, and guests — in (source, key) order.

        Only what existed before ``until`` is read: customers created, orders placed and refunds made
        before it. Three sorted cursors are merged, so one customer at a time is in memory.
        """
        cut = ts(until)
        where, extra = _where_source(source)
        customers = self._rows(
            "SELECT source, customer_key, data FROM customers WHERE created_at < ?"  # noqa: S608
            f"{where} ORDER BY source, customer_key",
            (cut, *extra),
            "reading customers",
        )
        orders = self._rows(
            "SELECT source, customer_key, data FROM orders WHERE placed_at < ?"  # noqa: S608
            f"{where} ORDER BY source, customer_key, placed_at, external_id",
            (cut, *extra),
            "reading orders",
        )
        where, extra = _where_source(source, "o.source")
        refunds = self._rows(
            "SELECT o.source, o.customer_key, r.data FROM refunds r "  # noqa: S608
            "JOIN orders o ON o.source = r.source AND o.external_id = r.order_id "
            f"WHERE r.created_at < ? AND o.placed_at < ?{where} "
            "ORDER BY o.source, o.customer_key, r.created_at, r.external_id",
            (cut, cut, *extra),
            "reading refunds",
        )
        tagged = heapq.merge(
            ((key, 0, data) for key, data in _grouped(customers)),
            ((key, 1, data) for key, data in _grouped(orders)),
            ((key, 2, data) for key, data in _grouped(refunds)),
        )
        for (src, key), parts in itertools.groupby(tagged, key=lambda item: item[0]):
            found: dict[int, list[str]] = {tag: data for _, tag, data in parts}
            customer = found.get(0)
            yield CustomerOrders(
                source=src,
                customer_key=key,
                customer=Customer.model_validate_json(customer[0]) if customer else None,
                orders=tuple(Order.model_validate_json(d) for d in found.get(1, ())),
                refunds=tuple(Refund.model_validate_json(d) for d in found.get(2, ())),
            )

    def matching_emails(self, emails: Collection[str]) -> set[str]:
        """Which of ``emails`` (normalized) belong to a registered customer of any source."""
        found: set[str] = set()
        items = sorted(emails)
        for start in range(0, len(items), 500):
            part = items[start : start + 500]
            rows = self._rows(
                f"SELECT DISTINCT email FROM customers WHERE email IN ({','.join('?' * len(part))})",  # noqa: S608
                part,
                "matching emails",
            )
            found.update(row[0] for row in rows)
        return found

    # ledger and referrals

    def ledger(
        self,
        *,
        until: datetime,
        source: str | None = None,
        kinds: Collection[IntentKind] | None = None,
    ) -> Iterator[LedgerEntry]:
        """Ledger entries effective before ``until``, in ``effective_at`` order, streamed."""
        where, params = _where_source(source)
        if kinds is not None:
            where += f" AND kind IN ({','.join('?' * len(kinds))})"
            params += tuple(kind.value for kind in kinds)
        for row in self._rows(
            f"SELECT * FROM ledger WHERE effective_at < ?{where} ORDER BY effective_at, id",  # noqa: S608
            (ts(until), *params),
            "reading the ledger",
        ):
            yield ledger_entry(row)

    def referral_codes_issued(self, *, until: datetime, source: str | None = None) -> int:
        """Referral codes of customers registered before ``until`` (a code exists once its customer does)."""
        where, extra = _where_source(source, "rc.source")
        rows = self._rows(
            "SELECT COUNT(*) FROM referral_codes rc JOIN customers c "  # noqa: S608
            "ON c.source = rc.source AND c.customer_key = rc.customer_key "
            f"WHERE c.created_at < ?{where}",
            (ts(until), *extra),
            "counting referral codes",
        )
        return int(next(rows)[0])

    def referral_uses(
        self, *, since: datetime, until: datetime, source: str | None = None
    ) -> Iterator[tuple[str, str]]:
        """(referral code, referee key) of every order placed in ``[since, until)`` with a known code."""
        where, extra = _where_source(source, "oc.source")
        for row in self._rows(
            "SELECT DISTINCT rc.code, o.customer_key FROM order_coupons oc "  # noqa: S608
            "JOIN referral_codes rc ON rc.source = oc.source AND rc.code_key = oc.code_key "
            "JOIN orders o ON o.source = oc.source AND o.external_id = oc.order_id "
            f"WHERE o.placed_at >= ? AND o.placed_at < ? AND o.status != 'canceled'{where}",
            (ts(since), ts(until), *extra),
            "reading referral orders",
        ):
            yield row[0], row[1]

    # NPS answers

    def nps_answers(self, *, until: datetime | None = None) -> Iterator[NpsAnswer]:
        """Imported survey answers dated before ``until`` (all when ``None``), oldest first."""
        for row in self._rows(
            "SELECT email, score, answered_at FROM nps_answers WHERE (? IS NULL OR answered_at < ?) "
            "ORDER BY answered_at, email",
            (None if until is None else ts(until),) * 2,
            "reading NPS answers",
        ):
            yield NpsAnswer(row["email"], int(row["score"]), parse_ts(row["answered_at"]))

    def record_nps_answers(
        self,
        answers: Sequence[NpsAnswer],
        *,
        imported_at: datetime,
        file: str | None = None,
    ) -> NpsImportCounts:
        """Upsert ``answers`` by (email, answered_at) in one transaction: a second import changes nothing."""
        stamp = ts(imported_at)
        counts = {"inserted": 0, "updated": 0, "unchanged": 0}
        conn = self._conn
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                for answer in answers:
                    at = ts(answer.answered_at)
                    row = conn.execute(
                        "SELECT score FROM nps_answers WHERE email = ? AND answered_at = ?",
                        (answer.email, at),
                    ).fetchone()
                    if row is None:
                        conn.execute(
                            "INSERT INTO nps_answers (email, answered_at, score, dated, imported_at, file) "
                            "VALUES (?, ?, ?, ?, ?, ?)",
                            (answer.email, at, answer.score, int(answer.dated), stamp, file),
                        )
                        counts["inserted"] += 1
                    elif int(row[0]) != answer.score:
                        conn.execute(
                            "UPDATE nps_answers SET score = ?, imported_at = ?, file = ? "
                            "WHERE email = ? AND answered_at = ?",
                            (answer.score, stamp, file, answer.email, at),
                        )
                        counts["updated"] += 1
                    else:
                        counts["unchanged"] += 1
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise self._error(exc, "importing NPS answers") from exc
        logger.info("NPS answers imported: %s", counts)
        return NpsImportCounts(**counts)


def _grouped(rows: Iterator[sqlite3.Row]) -> Iterator[tuple[_SourceKey, list[str]]]:
    for key, group in itertools.groupby(rows, key=lambda row: (row[0], row[1])):
        yield key, [row[2] for row in group]


def open_analytics(path: str | os.PathLike[str], *, create: bool = False) -> Analytics:
    """Open the state database at ``path`` for reports (migrating it to the current schema first).

    With ``create=False`` a missing file is a :class:`~loyalty_connector.errors.ConfigurationError`
    (a report of nothing would only mislead).
    """
    if not create and not Path(path).exists():
        raise ConfigurationError(
            f"no state database at {os.fspath(path)}; run `loyalty-connector sync` or `backfill` first, "
            "or pass --store"
        )
    open_store(path).close()
    return Analytics(path)
