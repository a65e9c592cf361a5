"""The state database's schema and its migrations, versioned by SQLite's ``PRAGMA user_version``.

Each migration is a tuple of statements applied in one transaction together with the new
``user_version``, so a database is always at exactly one version: a crash mid-migration leaves the
previous one. Version 1 is the first schema; a later change appends a migration (never edits one
that has shipped). A database written by a newer loyalty-connector is refused, not guessed at.

Conventions: timestamps are ISO-8601 UTC text with microseconds (so text order is time order),
money and percentages are Decimal text (never REAL), records are kept whole as their pydantic JSON
next to the columns that are indexed or queried.
"""

from __future__ import annotations

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "migrate"]

import logging
import sqlite3

from ..errors import StoreError

logger = logging.getLogger(__name__)

_V1: tuple[str, ...] = (
    """CREATE TABLE customers (
        source TEXT NOT NULL,
        external_id TEXT NOT NULL,
        customer_key TEXT NOT NULL,
        email TEXT NOT NULL,
        group_id TEXT,
        created_at TEXT NOT NULL,
        changed_at TEXT NOT NULL,
        data TEXT NOT NULL,
        synced_at TEXT NOT NULL,
        PRIMARY KEY (source, external_id)
    )""",
    "CREATE INDEX customers_by_email ON customers (source, email)",
    """CREATE TABLE orders (
        source TEXT NOT NULL,
        external_id TEXT NOT NULL,
        customer_key TEXT NOT NULL,
        email TEXT NOT NULL,
        placed_at TEXT NOT NULL,
        changed_at TEXT NOT NULL,
        status TEXT NOT NULL,
        data TEXT NOT NULL,
        synced_at TEXT NOT NULL,
        PRIMARY KEY (source, external_id)
    )""",
    "CREATE INDEX orders_by_customer ON orders (source, customer_key, placed_at)",
    "CREATE INDEX orders_by_changed ON orders (source, changed_at)",
    """CREATE TABLE order_coupons (
        source TEXT NOT NULL,
        order_id TEXT NOT NULL,
        code_key TEXT NOT NULL,
        PRIMARY KEY (source, order_id, code_key),
        FOREIGN KEY (source, order_id) REFERENCES orders (source, external_id) ON DELETE CASCADE
    )""",
    "CREATE INDEX order_coupons_by_code ON order_coupons (source, code_key)",
    """CREATE TABLE refunds (
        source TEXT NOT NULL,
        external_id TEXT NOT NULL,
        order_id TEXT NOT NULL,
        created_at TEXT NOT NULL,
        changed_at TEXT NOT NULL,
        data TEXT NOT NULL,
        synced_at TEXT NOT NULL,
        PRIMARY KEY (source, external_id)
    )""",
    "CREATE INDEX refunds_by_order ON refunds (source, order_id)",
    """CREATE TABLE checkpoints (
        source TEXT NOT NULL,
        stream TEXT NOT NULL,
        scope TEXT NOT NULL,
        changed_at TEXT NOT NULL,
        tiebreak INTEGER NOT NULL,
        updated_at TEXT NOT NULL,
        run_id INTEGER REFERENCES runs (id),
        PRIMARY KEY (source, stream, scope)
    )""",
    """CREATE TABLE backfill_windows (
        source TEXT NOT NULL,
        stream TEXT NOT NULL,
        backfill_id TEXT NOT NULL,
        since TEXT NOT NULL,
        until TEXT NOT NULL,
        records INTEGER NOT NULL,
        finished_at TEXT NOT NULL,
        run_id INTEGER REFERENCES runs (id),
        PRIMARY KEY (source, stream, backfill_id, since, until)
    )""",
    """CREATE TABLE quarantine (
        source TEXT NOT NULL,
        stream TEXT NOT NULL,
        external_id TEXT NOT NULL,
        reason TEXT NOT NULL,
        raw TEXT,
        changed_at TEXT NOT NULL,
        tiebreak INTEGER NOT NULL,
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        retry_requested_at TEXT,
        resolved_at TEXT,
        PRIMARY KEY (source, stream, external_id)
    )""",
    "CREATE INDEX quarantine_open ON quarantine (source, resolved_at)",
    """CREATE TABLE runs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL,
        source TEXT NOT NULL,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        status TEXT NOT NULL,
        counts TEXT,
        error TEXT,
        duration_seconds REAL,
        pid INTEGER NOT NULL,
        host TEXT NOT NULL
    )""",
    "CREATE INDEX runs_by_source ON runs (source, started_at)",
    """CREATE TABLE locks (
        source TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        pid INTEGER NOT NULL,
        host TEXT NOT NULL,
        started_at TEXT NOT NULL,
        run_id INTEGER REFERENCES runs (id)
    )""",
    """CREATE TABLE ledger (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        key TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL,
        rule_id TEXT NOT NULL,
        source TEXT NOT NULL,
        customer_key TEXT NOT NULL,
        record TEXT NOT NULL,
        points INTEGER NOT NULL,
        amount TEXT,
        currency TEXT,
        percent TEXT,
        effective_at TEXT NOT NULL,
        available_at TEXT,
        expires_at TEXT,
        reverses TEXT,
        attributes TEXT NOT NULL,
        reason TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        run_id INTEGER REFERENCES runs (id)
    )""",
    "CREATE INDEX ledger_by_customer ON ledger (source, customer_key, effective_at)",
    """CREATE TABLE referral_codes (
        source TEXT NOT NULL,
        customer_key TEXT NOT NULL,
        code TEXT NOT NULL,
        code_key TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (source, customer_key),
        UNIQUE (source, code_key)
    )""",
    """CREATE TABLE dirty_customers (
        source TEXT NOT NULL,
        customer_key TEXT NOT NULL,
        generation INTEGER NOT NULL,
        marked_at TEXT NOT NULL,
        PRIMARY KEY (source, customer_key)
    )""",
    """CREATE TABLE customer_reviews (
        source TEXT NOT NULL,
        customer_key TEXT NOT NULL,
        evaluated_at TEXT NOT NULL,
        next_review_at TEXT,
        PRIMARY KEY (source, customer_key)
    )""",
    "CREATE INDEX customer_reviews_due ON customer_reviews (source, next_review_at)",
)

_V2_APPLIED: tuple[str, ...] = (
    # What plan/apply last wrote to each managed object of a shop: the fields sent, the shop's id
    # for it and notes the planner keeps (e.g. a customer's group before their first loyalty group).
    # ``plan`` compares these with the shop to report drift; only objects recorded here are deleted.
    """CREATE TABLE applied_objects (
        source TEXT NOT NULL,
        kind TEXT NOT NULL,
        key TEXT NOT NULL,
        fields TEXT NOT NULL,
        shop_id TEXT,
        notes TEXT NOT NULL,
        applied_at TEXT NOT NULL,
        PRIMARY KEY (source, kind, key)
    )""",
)

_V3_NPS: tuple[str, ...] = (
    # Net Promoter Score survey answers imported from CSV (``nps import``). Keyed by respondent and
    # answer time, so importing a file twice changes nothing; ``dated`` is 0 when the file gave no
    # time and the answer is dated at its import. Emails are matched to customers when reporting.
    """CREATE TABLE nps_answers (
        email TEXT NOT NULL,
        answered_at TEXT NOT NULL,
        score INTEGER NOT NULL CHECK (score BETWEEN 0 AND 10),
        dated INTEGER NOT NULL,
        imported_at TEXT NOT NULL,
        file TEXT,
        PRIMARY KEY (email, answered_at)
    )""",
    "CREATE INDEX nps_answers_by_time ON nps_answers (answered_at)",
)

_V4_COVERING: tuple[str, ...] = (
    # The orders of a set of customers, with their external ids, from the index alone: marking the
    # referrers of the customers a page touched and loading refunds for evaluation both start there,
    # and without external_id in the index each order cost a lookup of its (large) row.
    "DROP INDEX orders_by_customer",
    "CREATE INDEX orders_by_customer ON orders (source, customer_key, placed_at, external_id)",
)

_V5_GROUPS: tuple[str, ...] = (
    # The shop's customer groups as last read (each sync reads them to map group ids to codes):
    # reports and `customer show --offline` name a group instead of showing its shop id. Rows are
    # only upserted, never deleted, so a group removed from the shop keeps its name in old reports.
    """CREATE TABLE customer_groups (
        source TEXT NOT NULL,
        external_id TEXT NOT NULL,
        code TEXT NOT NULL,
        name TEXT,
        synced_at TEXT NOT NULL,
        PRIMARY KEY (source, external_id)
    )""",
)

MIGRATIONS: tuple[tuple[str, ...], ...] = (_V1, _V2_APPLIED, _V3_NPS, _V4_COVERING, _V5_GROUPS)
"""Migration ``n`` (1-based) brings a database from ``user_version`` ``n - 1`` to ``n``. Append only."""

SCHEMA_VERSION = len(MIGRATIONS)


def migrate(conn: sqlite3.Connection, path: str) -> int:
    """Bring the database on ``conn`` (autocommit mode) to :data:`SCHEMA_VERSION`; return the version.

    Each step runs in its own ``BEGIN IMMEDIATE`` transaction and re-reads the version inside it, so
    two processes opening a fresh database at once migrate it exactly once.
    """
    while True:
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"{path} has schema version {version}, newer than this loyalty-connector "
                    f"understands ({SCHEMA_VERSION}); upgrade loyalty-connector"
                )
            if version == SCHEMA_VERSION:
                conn.execute("COMMIT")
                return version
            for statement in MIGRATIONS[version]:
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {version + 1}")
            conn.execute("COMMIT")
            logger.info("migrated %s to schema version %d", path, version + 1)
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
