"""A sync or backfill killed at any instant loses nothing and duplicates nothing once resumed.

The subprocess test runs a backfill in a child Python process and SIGKILLs it at seeded points
counted in commits (never in wall-clock time): right after a page, window or evaluation commit, or
inside a transaction after its rows were written but before it commits. Each kill is followed by
another run that resumes; the final store must equal one built by an uninterrupted run.

Run as a script, this module is that child:
``python test_sync_reliability.py STORE SEED ACTION KILL_AT MODE WORKERS`` (``KILL_AT`` 0: never kill).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sync_fakes import NOW, SECRET, FakeAdapter, FakeShop, FixedClock, program, snapshot

from loyalty_connector.engine.customer import CustomerEvaluator
from loyalty_connector.errors import ShopUnavailableError
from loyalty_connector.store.sqlite import SqliteStore
from loyalty_connector.sync import Backfill, SyncRunner

SEED = 21
EVALUATION = "recording ledger entries"
"""The action of the write transaction that stores a batch of evaluations."""
SINCE = datetime(2023, 12, 1, tzinfo=timezone.utc)
UNTIL = datetime(2025, 7, 1, tzinfo=timezone.utc)


def run_backfill(store: SqliteStore, workers: int) -> None:
    shop = FakeShop.generated(seed=SEED)
    Backfill(
        store,
        lambda budget: FakeAdapter(shop, budget),
        program(),
        since=SINCE,
        until=UNTIL,
        window=timedelta(days=45),
        workers=workers,
        evaluator=CustomerEvaluator(program()),
        referral_secret=SECRET,
        clock=FixedClock(NOW),
        evaluation_batch=2,
    ).run()


class KillingStore(SqliteStore):
    """SIGKILLs its own process at the ``kill_at``-th write transaction whose action starts with ``action``.

    ``after``: right after that transaction commits; ``inside``: after its statements ran, before
    it commits (so it must leave no trace).
    """

    def __init__(self, path: str, action: str, kill_at: int, mode: str) -> None:
        self.action = action
        self.kill_at = kill_at
        self.mode = mode
        self.count = 0
        self.guard = threading.Lock()
        super().__init__(path)

    @contextmanager
    def _write(self, action):
        with super()._write(action) as conn:
            yield conn
            if self.mode == "inside":
                self.tick(action)
        if self.mode == "after":
            self.tick(action)

    def tick(self, action: str) -> None:
        if not action.startswith(self.action):
            return
        with self.guard:
            self.count += 1
            if self.count == self.kill_at:
                os.kill(os.getpid(), signal.SIGKILL)


def child(argv: list[str]) -> int:
    path, seed, action, kill_at, mode, workers = argv
    assert int(seed) == SEED
    store = KillingStore(path, action, int(kill_at), mode)
    run_backfill(store, int(workers))
    store.close()
    return 0


@pytest.mark.slow
def test_a_backfill_killed_at_ten_random_points_resumes_to_the_uninterrupted_store(tmp_path):
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}

    def run_child(
        path: Path, action: str, kill_at: int, mode: str, workers: int
    ) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, __file__, str(path), str(SEED), action, str(kill_at), mode, str(workers)]
        return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False, env=env)  # noqa: S603

    reference = SqliteStore(tmp_path / "reference.db")
    run_backfill(reference, workers=1)
    reference.close()
    path = tmp_path / "killed.db"
    rng = random.Random(SEED)
    # seven kills while windows are read (any write transaction), three while customers are evaluated
    points = [("", rng.randint(2, 6)) for _ in range(7)] + [(EVALUATION, rng.randint(2, 3)) for _ in range(3)]
    for action, kill_at in points:
        mode, workers = rng.choice(("after", "inside")), rng.choice((1, 1, 2))
        proc = run_child(path, action, kill_at, mode, workers)
        assert proc.returncode == -signal.SIGKILL, f"{(action, kill_at, mode)}: {proc.stderr}"
    final = run_child(path, "", 0, "after", 1)
    assert final.returncode == 0, final.stderr
    resumed, expected = snapshot(str(path)), snapshot(str(tmp_path / "reference.db"))
    assert resumed["ledger"], "the comparison must cover a real ledger"
    for table in expected:
        assert resumed[table] == expected[table], f"{table} differs"
    assert [run.status for run in SqliteStore(path).runs(limit=100)].count("interrupted") == len(points)


def test_a_sync_failing_at_random_pages_resumes_to_the_uninterrupted_store(tmp_path):
    def sync(store: SqliteStore, shop: FakeShop) -> None:
        SyncRunner(
            store,
            FakeAdapter(shop),
            program(),
            evaluator=CustomerEvaluator(program()),
            referral_secret=SECRET,
            clock=FixedClock(NOW),
        ).run()

    reference = SqliteStore(tmp_path / "reference.db")
    sync(reference, FakeShop.generated(seed=SEED))
    store = SqliteStore(tmp_path / "failing.db")
    shop = FakeShop.generated(seed=SEED)
    rng = random.Random(SEED)
    failures = 0
    while True:
        shop.fail_on_read = len(shop.reads) + rng.randint(1, 4)
        try:
            sync(store, shop)
        except ShopUnavailableError:
            failures += 1
            continue
        break
    assert failures >= 10
    assert snapshot(store.path) == snapshot(reference.path)
    reference.close()
    store.close()


if __name__ == "__main__":
    sys.exit(child(sys.argv[1:]))
