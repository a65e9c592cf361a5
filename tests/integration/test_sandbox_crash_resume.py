"""A backfill of a sandbox shop over HTTP, SIGKILLed at seeded points, resumes to the uninterrupted store.

The Magento sandbox is served from this (the parent) process; each backfill runs in a child process
(``backfill_child.py``) that reaches the shop with the URL and credentials it finds in its environment
and kills itself at a seeded write transaction: after or inside a page, window or evaluation commit.
After every kill the next child resumes the same backfill; the final store must equal one built by an
uninterrupted backfill: the same customers, orders, refunds and ledger, nothing twice.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from backfill_child import EVALUATION, EVALUATION_BATCH, child_environment

from loyalty_connector.store import open_store

if TYPE_CHECKING:
    import conftest as shared
else:  # the alias the integration conftest registers (see its docstring)
    import integration_conftest as shared

CHILD = Path(__file__).with_name("backfill_child.py")
READING_KILLS = 8
EVALUATION_KILLS = 3


@pytest.fixture
def kit() -> Iterator[shared.MagentoKit]:
    with shared.magento_kit() as kit:
        yield kit


def run_child(
    kit: shared.MagentoKit, store: Path, kill: tuple[str, int, str] | None, workers: int
) -> subprocess.CompletedProcess[str]:
    since, until = kit.span()
    env = {key: value for key, value in os.environ.items() if not key.startswith(("MAGENTO_", "LC_CHILD_"))}
    env.update(
        child_environment(
            source=kit.source_config(page_size=shared.PAGE_SIZE).model_dump(),
            credentials=kit.credentials_env(),
            store=str(store),
            since=since,
            until=until,
            now=kit.now,
            workers=workers,
            kill=kill,
        )
    )
    command = [sys.executable, str(CHILD)]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False, env=env)  # noqa: S603


@pytest.mark.slow
def test_a_backfill_killed_at_eleven_seeded_points_resumes_to_the_uninterrupted_store(
    kit: shared.MagentoKit, tmp_path: Path
) -> None:
    reference = open_store(tmp_path / "reference.db")
    since, until = kit.span()
    uninterrupted = shared.run_backfill(
        reference, kit.factory(), now=kit.now, since=since, until=until, evaluation_batch=EVALUATION_BATCH
    )
    reference.close()
    # Eight kills while windows are read, at any write transaction (the lock, a page, a finished
    # window), each at most 1/8 of the reading's commits into its run so that all eight land while
    # reading; then three while customers are evaluated, batch by batch.
    reading_commits = 1 + uninterrupted.totals.pages + uninterrupted.windows_total
    most = reading_commits // READING_KILLS
    assert most >= 4, "the shop must span enough pages and windows to kill the reading eight times"
    rng = random.Random(shared.SEED)
    points = [("", rng.randint(2, most)) for _ in range(READING_KILLS)]
    points += [(EVALUATION, rng.randint(1, 3)) for _ in range(EVALUATION_KILLS)]
    path = tmp_path / "killed.db"
    for action, kill_at in points:
        mode, workers = rng.choice(("after", "inside")), rng.choice((1, 2))
        proc = run_child(kit, path, (action, kill_at, mode), workers)
        assert proc.returncode == -signal.SIGKILL, f"{(action, kill_at, mode, workers)}: {proc.stderr}"
    served = len(kit.shop.requests)
    final = run_child(kit, path, None, 1)
    assert final.returncode == 0, final.stderr
    assert len(kit.shop.requests) > served, "the last run must have had work left to resume"
    shared.assert_same_store(path, tmp_path / "reference.db")
    resumed = open_store(path)
    try:
        statuses = [run.status for run in resumed.runs(limit=100)]
    finally:
        resumed.close()
    assert statuses.count("interrupted") == len(points)
    assert statuses[0] == "ok"
