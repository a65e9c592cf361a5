"""What the benchmark scripts share: timing runs against each other on CPU time."""

from __future__ import annotations

import time
from collections.abc import Callable


def best_of(repeats: int, runs: dict[str, Callable[[], object]]) -> dict[str, float]:
    """Best CPU time (``time.process_time``) of each run over ``repeats`` rounds, the runs interleaved
    within a round so that a slow moment of the machine hits every side alike."""
    best = dict.fromkeys(runs, float("inf"))
    for _ in range(repeats):
        for name, run in runs.items():
            began = time.process_time()
            run()
            best[name] = min(best[name], time.process_time() - began)
    return best
