"""Incremental sync and resumable backfill: shop pages in, store and ledger out, exactly once in effect.

- :class:`SyncRunner` reads each stream of one source from its checkpoint (minus a look-back) and
  commits every page together with the cursor after it; then evaluates the customers it touched.
- :class:`Backfill` covers ``[since, until)`` in windows with their own checkpoints, optionally in
  parallel workers sharing one request budget; a crashed backfill reruns only its gaps.
- :func:`evaluate_dirty` is the evaluation step both end with; :func:`retry_quarantined` has the
  next sync read quarantined records again.
"""

from __future__ import annotations

__all__ = [
    "DEFAULT_LOOK_BACK",
    "DEFAULT_WINDOW",
    "DEFAULT_WORKERS",
    "AdapterFactory",
    "Backfill",
    "BackfillReport",
    "EvaluationReport",
    "Evaluator",
    "ProgressCallback",
    "ProgressEvent",
    "SyncReport",
    "SyncRunner",
    "evaluate_dirty",
    "plan_windows",
    "retry_quarantined",
]

from .backfill import DEFAULT_WINDOW, DEFAULT_WORKERS, AdapterFactory, Backfill, plan_windows
from .cursor import DEFAULT_LOOK_BACK, retry_quarantined
from .evaluation import Evaluator, evaluate_dirty
from .reports import BackfillReport, EvaluationReport, ProgressCallback, ProgressEvent, SyncReport
from .runner import SyncRunner
