"""The child process of the crash-resume test: one backfill of a sandbox shop over HTTP, killed on cue.

The parent test serves the sandbox from its own process and starts this script with everything in
the environment: the programme source (``LC_CHILD_SOURCE``, JSON, credentials named by env var),
the shop's credentials themselves, the store path, the span, evaluation's ``now`` and the kill cue.

The cue ``LC_CHILD_KILL=ACTION|K|MODE`` makes the process SIGKILL itself at the K-th write transaction
whose action starts with ACTION (``""``: any): ``after`` it commits, or ``inside`` it, after its
statements ran but before the commit. Kill points are counted in commits, never in time.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from loyalty_connector.adapter import create_adapter
from loyalty_connector.program import SourceConfig
from loyalty_connector.store.sqlite import SqliteStore

EVALUATION = "recording ledger entries"
"""The action of the write transaction that stores a batch of evaluations."""
EVALUATION_BATCH = 5
"""Small, so evaluation spans many transactions and can be killed between them."""


class KillingStore(SqliteStore):
    """SIGKILLs its own process at the ``kill_at``-th write transaction whose action begins ``action``."""

    def __init__(self, path: str, action: str, kill_at: int, mode: str) -> None:
        self.action = action
        self.kill_at = kill_at
        self.mode = mode
        self.count = 0
        self.guard = threading.Lock()
        super().__init__(path)

    @contextmanager
    def _write(self, action: str) -> Iterator[Any]:
        with super()._write(action) as conn:
            yield conn
            if self.mode == "inside":
                self._tick(action)
        if self.mode == "after":
            self._tick(action)

    def _tick(self, action: str) -> None:
        if not self.kill_at or not action.startswith(self.action):
            return
        with self.guard:
            self.count += 1
            if self.count == self.kill_at:
                os.kill(os.getpid(), signal.SIGKILL)


def child_environment(
    *,
    source: dict[str, Any],
    credentials: dict[str, str],
    store: str,
    since: datetime,
    until: datetime,
    now: datetime,
    workers: int,
    kill: tuple[str, int, str] | None,
) -> dict[str, str]:
    """The environment that tells this script what to do (added to the parent's own)."""
    action, kill_at, mode = kill or ("", 0, "after")
    return {
        **credentials,
        "LC_CHILD_SOURCE": json.dumps(source),
        "LC_CHILD_STORE": store,
        "LC_CHILD_SINCE": since.isoformat(),
        "LC_CHILD_UNTIL": until.isoformat(),
        "LC_CHILD_NOW": now.isoformat(),
        "LC_CHILD_WORKERS": str(workers),
        "LC_CHILD_KILL": f"{action}|{kill_at}|{mode}",
    }


def main() -> int:
    from conftest import SOURCE, run_backfill  # run as a script: this directory is on sys.path

    env = os.environ
    config = SourceConfig(**json.loads(env["LC_CHILD_SOURCE"]))
    action, kill_at, mode = env["LC_CHILD_KILL"].split("|")
    store = KillingStore(env["LC_CHILD_STORE"], action, int(kill_at), mode)
    try:
        run_backfill(
            store,
            lambda budget: create_adapter(SOURCE, config, environ=env, budget=budget),
            now=datetime.fromisoformat(env["LC_CHILD_NOW"]),
            since=datetime.fromisoformat(env["LC_CHILD_SINCE"]),
            until=datetime.fromisoformat(env["LC_CHILD_UNTIL"]),
            workers=int(env["LC_CHILD_WORKERS"]),
            evaluation_batch=EVALUATION_BATCH,
        )
    finally:
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
