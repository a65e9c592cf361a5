"""Executing a plan: kind by kind, in batches, every success recorded in the store as it happens.

Upserts run in dependency order, then deletes in reverse, ``batch_size`` changes per adapter call.
Each successful change is written to the store's ``applied_objects`` right after its batch, so a
failure midway — a change the shop refuses, or a batch the adapter cannot even attempt, which stops
the run — leaves an :class:`ApplyReport` of what was and was not done, and a new plan plus apply
finishes the job. Objects that refer to shop ids created earlier in the same apply (Magento cart
rules to brand-new groups) are translated again after each phase that created something.
"""

from __future__ import annotations

__all__ = ["ApplyProgress", "ApplyReport", "apply"]

import dataclasses
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from .adapter import Change, ChangeResult, ShopAdapter
from .desired import RELEASE
from .store import AppliedObject, Store

if TYPE_CHECKING:
    from .plan import Plan

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ApplyProgress:
    """Reported after every batch: how far ``apply`` got."""

    source: str
    kind: str
    action: str
    done: int
    failed: int
    total: int


@dataclass(frozen=True)
class ApplyReport:
    """What ``apply`` did: every attempted change with its result, and what it did not get to."""

    source: str
    results: tuple[ChangeResult, ...]
    not_attempted: tuple[Change, ...] = ()
    stopped: str | None = None
    """Why ``apply`` stopped before the end (the shop failed a whole batch), if it did."""

    @property
    def succeeded(self) -> tuple[ChangeResult, ...]:
        return tuple(r for r in self.results if r.ok)

    @property
    def failed(self) -> tuple[ChangeResult, ...]:
        return tuple(r for r in self.results if not r.ok)

    @property
    def ok(self) -> bool:
        return not self.failed and not self.not_attempted and self.stopped is None

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "ok": self.ok,
            "done": len(self.succeeded),
            "failed": [
                {"action": r.change.action, "kind": r.change.kind, "key": r.change.key, "error": r.error}
                for r in self.failed
            ],
            "not_attempted": [{"action": c.action, "kind": c.kind, "key": c.key} for c in self.not_attempted],
            "stopped": self.stopped,
        }


def _phases(plan: Plan) -> list[tuple[str, str, list[Change]]]:
    phases: list[tuple[str, str, list[Change]]] = []
    for item in plan.items:
        c = item.change
        step = "delete" if c.action == "delete" else "upsert"
        if not phases or phases[-1][:2] != (step, c.kind):
            phases.append((step, c.kind, []))
        phases[-1][2].append(c)
    return phases


def _refresh(plan: Plan, adapter: ShopAdapter, later: Sequence[tuple[str, str, list[Change]]]) -> None:
    """Translate the state again (shop ids created so far are known now) into the pending upserts."""
    translate = getattr(adapter, "desired_objects", None)
    if not callable(translate):
        return
    try:
        fresh = {(o.kind, o.key): o for o in translate(plan.state) if not o.fields.get(RELEASE)}
    except Exception:  # keep the planned fields; the next plan shows what is still to do
        logger.warning("[%s] translating the desired state again failed", plan.source, exc_info=True)
        return
    for step, _, changes in later:
        if step != "upsert":
            continue
        for n, change in enumerate(changes):
            found = fresh.get((change.kind, change.key))
            if found is not None:
                changes[n] = dataclasses.replace(change, fields=dict(found.fields))


def apply(
    plan: Plan,
    adapter: ShopAdapter,
    store: Store,
    *,
    batch_size: int = 100,
    on_progress: Callable[[ApplyProgress], None] | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
) -> ApplyReport:
    """Execute ``plan`` against ``adapter``'s shop in batches; record every success in ``store``.

    Each change gets its own result; a batch the adapter cannot even attempt (it raised) stops the
    run, and the report lists the changes not attempted. Run a new plan and apply to finish.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    if plan.forget:
        store.record_applied(plan.source, [], removed=plan.forget, at=clock())
    phases = _phases(plan)
    total = len(plan.items)
    results: list[ChangeResult] = []
    for index, (step, kind, changes) in enumerate(phases):
        for start in range(0, len(changes), batch_size):
            batch = changes[start : start + batch_size]
            try:
                outcome = adapter.write_managed(batch)
            except Exception as exc:  # the shop failed a whole batch: stop and say what is left
                logger.exception("[%s] applying %d %s change(s) failed", plan.source, len(batch), kind)
                results.extend(ChangeResult(c, False, error=str(exc)) for c in batch)
                rest = changes[start + batch_size :] + [c for _, _, cs in phases[index + 1 :] for c in cs]
                return ApplyReport(plan.source, tuple(results), tuple(rest), f"{type(exc).__name__}: {exc}")
            _record(plan, store, outcome, clock())
            results.extend(outcome)
            if on_progress is not None:
                failed = sum(1 for r in results if not r.ok)
                on_progress(ApplyProgress(plan.source, kind, step, len(results) - failed, failed, total))
        created = any(r.ok and r.change.action == "create" and r.change.kind == kind for r in results)
        if step == "upsert" and created and index + 1 < len(phases):
            _refresh(plan, adapter, phases[index + 1 :])
    return ApplyReport(plan.source, tuple(results))


def _record(plan: Plan, store: Store, outcome: Sequence[ChangeResult], at: datetime) -> None:
    written = [
        AppliedObject(
            kind=r.change.kind,
            key=r.change.key,
            fields=dict(r.change.fields),
            shop_id=r.shop_id or r.change.shop_id,
            notes=plan.notes_for(r.change.kind, r.change.key, r.change.fields),
        )
        for r in outcome
        if r.ok and r.change.action != "delete"
    ]
    removed = [(r.change.kind, r.change.key) for r in outcome if r.ok and r.change.action == "delete"]
    if written or removed:
        store.record_applied(plan.source, written, removed=removed, at=at)
