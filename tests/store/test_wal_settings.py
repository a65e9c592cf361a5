"""Every store connection checkpoints the WAL rarely enough for bulk loads, and caps the WAL file."""

from __future__ import annotations

import threading

from loyalty_connector.store.sqlite import WAL_CHECKPOINT_PAGES, WAL_SIZE_LIMIT, SqliteStore


def settings(store: SqliteStore) -> tuple[int, int, str]:
    conn = store._conn()
    return (
        conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0],
        conn.execute("PRAGMA journal_size_limit").fetchone()[0],
        conn.execute("PRAGMA journal_mode").fetchone()[0],
    )


def test_each_thread_connection_gets_the_wal_settings(tmp_path):
    store = SqliteStore(tmp_path / "loyalty.db")
    found: list[tuple[int, int, str]] = []
    worker = threading.Thread(target=lambda: found.append(settings(store)))
    worker.start()
    worker.join()
    assert settings(store) == (WAL_CHECKPOINT_PAGES, WAL_SIZE_LIMIT, "wal")
    assert found == [(WAL_CHECKPOINT_PAGES, WAL_SIZE_LIMIT, "wal")], "a reader thread's own connection too"
    assert WAL_CHECKPOINT_PAGES > 1000, "fewer checkpoints than SQLite's default of every 1000 pages"
    store.close()
