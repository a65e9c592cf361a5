"""Plan and apply: the desired shop state diffed against the shop, then executed in batches.

:func:`make_plan` is read-only: it computes the shop-neutral desired state (:mod:`.desired`), lets
the adapter translate it (``desired_objects``), reads every managed object of those kinds from the
shop and returns a :class:`Plan` — creates, updates (field by field) and deletes — plus drift:
managed objects whose fields in the shop differ from what ``apply`` last wrote (changed by hand).

Ownership is strict. An object is deleted only when the store records that loyalty-connector wrote
it (``applied_objects``); a managed-looking object the store does not know is reported as
*untracked* and left alone. Adapters whose managed scope is configured rather than marked (Magento
tier prices and assignments) take ``groups``/``skus`` keywords on ``read_managed``; the plan passes the
programme's groups and SKUs plus those of earlier applies, so dropped ones are still read and cleaned.

:func:`apply` (:mod:`.execute`, re-exported here) executes a plan in batches and records each
success in the store, so a failure midway leaves a report and a new plan + apply finishes the job.
"""

from __future__ import annotations

__all__ = [
    "ApplyProgress",
    "ApplyReport",
    "Drift",
    "Plan",
    "PlanItem",
    "apply",
    "make_plan",
]

import inspect
import logging
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cached_property
from typing import Any

from .adapter import Change, ManagedObject, ShopAdapter
from .desired import RELEASE, DesiredState, ShopFacts, desired_state
from .diff import FieldDiff, field_diffs, jsonable
from .errors import ConfigurationError
from .execute import ApplyProgress, ApplyReport, apply
from .program import Program
from .store import AppliedObject, Store

logger = logging.getLogger(__name__)

_CORE_ORDER = (
    "customer_group",
    "rule",
    "cart_rule",
    "promotion",
    "coupon",
    "tier_price",
    "promotion_code",
    "group_assignment",
)
"""Dependency order of the kinds the bundled adapters write; other kinds follow in translation order."""


# --- the plan ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanItem:
    """One change of a plan and, for an update, the fields that change."""

    change: Change
    diffs: tuple[FieldDiff, ...] = ()

    def to_json(self) -> dict[str, Any]:
        c = self.change
        data: dict[str, Any] = {"action": c.action, "kind": c.kind, "key": c.key, "shop_id": c.shop_id}
        if c.action == "create":
            data["fields"] = jsonable(c.fields)
        elif c.action == "update":
            data["changes"] = [
                {"field": d.name, "before": jsonable(d.before), "after": jsonable(d.after)}
                for d in self.diffs
            ]
        elif c.fields:
            data["fields"] = jsonable(c.fields)
        return data


@dataclass(frozen=True)
class Drift:
    """A managed object someone changed in the shop since ``apply`` wrote it (or removed: ``missing``)."""

    kind: str
    key: str
    shop_id: str | None
    diffs: tuple[FieldDiff, ...] = ()
    """``before``: what apply wrote; ``after``: what the shop holds now."""
    missing: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "key": self.key,
            "shop_id": self.shop_id,
            "missing": self.missing,
            "fields": [
                {"field": d.name, "applied": jsonable(d.before), "shop": jsonable(d.after)}
                for d in self.diffs
            ],
        }


@dataclass(frozen=True)
class Plan:
    """What ``apply`` would change in one source's shop, and what has drifted there."""

    source: str
    state: DesiredState
    items: tuple[PlanItem, ...]
    kind_order: tuple[str, ...]
    drift: tuple[Drift, ...] = ()
    untracked: tuple[ManagedObject, ...] = ()
    """Managed-looking objects the store has no record of writing: never changed or deleted."""
    forget: tuple[tuple[str, str], ...] = ()
    """Recorded objects that are gone from the shop and no longer wanted: apply drops their records."""
    warnings: tuple[str, ...] = ()

    @property
    def changes(self) -> tuple[Change, ...]:
        return tuple(item.change for item in self.items)

    def count(self, action: str) -> int:
        return sum(1 for item in self.items if item.change.action == action)

    def counts(self) -> dict[str, int]:
        """``{"create": n, "update": n, "delete": n}``."""
        return {action: self.count(action) for action in ("create", "update", "delete")}

    def counts_by_kind(self) -> dict[str, dict[str, int]]:
        found: dict[str, dict[str, int]] = {}
        for item in self.items:
            per = found.setdefault(item.change.kind, {"create": 0, "update": 0, "delete": 0})
            per[item.change.action] += 1
        return {kind: found[kind] for kind in self.kind_order if kind in found}

    @property
    def has_changes(self) -> bool:
        return bool(self.items)

    @cached_property
    def _homes(self) -> dict[str, str]:
        return {
            a.customer_key: a.home_group_id for a in self.state.assignments if a.home_group_id is not None
        }

    @cached_property
    def _coupons(self) -> dict[str, tuple[str, str]]:
        return {c.code: (c.ledger_key, c.customer_key) for c in self.state.coupons}

    def notes_for(self, kind: str, key: str, fields: Mapping[str, Any]) -> dict[str, str]:
        """What the store keeps with an applied object: a customer's home group, a code's ledger entry."""
        notes: dict[str, str] = {}
        if kind == "group_assignment" and key in self._homes:
            notes["home_group_id"] = self._homes[key]
        code = fields.get("code")
        if isinstance(code, str) and code in self._coupons:
            notes["ledger_key"], notes["customer_key"] = self._coupons[code]
        return notes

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "at": self.state.at.isoformat(),
            "has_changes": self.has_changes,
            "counts": self.counts(),
            "counts_by_kind": self.counts_by_kind(),
            "changes": [item.to_json() for item in self.items],
            "drift": [d.to_json() for d in self.drift],
            "untracked": [{"kind": o.kind, "key": o.key, "shop_id": o.shop_id} for o in self.untracked],
            "warnings": list(self.warnings),
        }


def _facts(program: Program, applied: Sequence[AppliedObject]) -> ShopFacts:
    level_codes = {
        level.customer_group.casefold() for level in (program.levels.levels if program.levels else [])
    }
    groups = [a for a in applied if a.kind == "customer_group"]
    assignments = [a for a in applied if a.kind == "group_assignment"]
    return ShopFacts(
        loyalty_group_ids=frozenset(a.shop_id for a in groups if a.shop_id),
        assigned=frozenset(a.key for a in assignments),
        home_groups={a.key: a.notes["home_group_id"] for a in assignments if a.notes.get("home_group_id")},
        retired_groups=tuple(a.key for a in groups if a.key.casefold() not in level_codes),
    )


def _kind_order(desired: Sequence[ManagedObject], others: Collection[str]) -> tuple[str, ...]:
    seen = list(dict.fromkeys(o.kind for o in desired))
    for kind in sorted(
        set(others) - set(seen), key=lambda k: (_CORE_ORDER.index(k) if k in _CORE_ORDER else 99, k)
    ):
        position = len(seen)
        if kind in _CORE_ORDER:
            later = [
                i
                for i, k in enumerate(seen)
                if k in _CORE_ORDER and _CORE_ORDER.index(k) > _CORE_ORDER.index(kind)
            ]
            position = later[0] if later else position
        seen.insert(position, kind)
    return tuple(seen)


def _read_current(
    adapter: ShopAdapter, kinds: Sequence[str], state: DesiredState, applied: Sequence[AppliedObject]
) -> list[ManagedObject]:
    parameters = inspect.signature(adapter.read_managed).parameters
    if "groups" in parameters and "skus" in parameters:
        tiers = [a for a in applied if a.kind == "tier_price"]
        groups = [*state.group_codes(), *state.retired_groups]
        groups += [a.key for a in applied if a.kind == "customer_group"]
        groups += [str(a.fields["customer_group"]) for a in tiers if a.fields.get("customer_group")]
        skus = [t.sku for t in state.tier_prices] + [
            str(a.fields["sku"]) for a in tiers if a.fields.get("sku")
        ]
        scoped: Callable[..., list[ManagedObject]] = adapter.read_managed
        return scoped(kinds, groups=list(dict.fromkeys(groups)), skus=list(dict.fromkeys(skus)))
    return adapter.read_managed(kinds)


def make_plan(
    program: Program,
    store: Store,
    adapter: ShopAdapter,
    *,
    source: str | None = None,
    now: datetime | None = None,
    coupon_secret: bytes | None = None,
) -> Plan:
    """Read-only: the changes that bring ``adapter``'s shop to the state ``program`` and the store ask for."""
    name = source or adapter.source
    moment = now or datetime.now(timezone.utc)
    translate = getattr(adapter, "desired_objects", None)
    if not callable(translate):
        raise ConfigurationError(
            f"the adapter of source {name!r} cannot push the programme: it has no desired_objects()"
        )
    applied = store.applied_objects(name)
    state = desired_state(
        program, store, name, now=moment, coupon_secret=coupon_secret, facts=_facts(program, applied)
    )
    desired: list[ManagedObject] = translate(state)
    writable = set(adapter.capabilities.writes) | {a.kind for a in applied}
    kinds = _kind_order(desired, writable)
    current = _read_current(adapter, kinds, state, applied)
    return _diff(name, state, kinds, desired, current, applied)


def _diff(
    source: str,
    state: DesiredState,
    kinds: tuple[str, ...],
    desired: Sequence[ManagedObject],
    current: Sequence[ManagedObject],
    applied: Sequence[AppliedObject],
) -> Plan:
    shop = {(o.kind, o.key): o for o in current}
    recorded = {(a.kind, a.key): a for a in applied}
    wanted = {(o.kind, o.key): o for o in desired if not o.fields.get(RELEASE)}
    released = {
        (o.kind, o.key): o for o in desired if o.fields.get(RELEASE) and (o.kind, o.key) not in wanted
    }
    upserts: list[PlanItem] = []
    deletes: list[PlanItem] = []
    untracked: list[ManagedObject] = []
    for slot, obj in wanted.items():
        have = shop.get(slot)
        if have is None:
            upserts.append(PlanItem(Change("create", obj.kind, obj.key, dict(obj.fields))))
            continue
        diffs = field_diffs(obj.fields, have.fields)
        if diffs:
            change = Change("update", obj.kind, obj.key, dict(obj.fields), dict(have.fields), have.shop_id)
            upserts.append(PlanItem(change, diffs))
    for slot, have in shop.items():
        if slot in wanted:
            continue
        release = released.get(slot)
        if release is not None:
            fields = {k: v for k, v in release.fields.items() if k != RELEASE}
            deletes.append(
                PlanItem(Change("delete", have.kind, have.key, fields, dict(have.fields), have.shop_id))
            )
        elif slot in recorded:
            deletes.append(
                PlanItem(Change("delete", have.kind, have.key, {}, dict(have.fields), have.shop_id))
            )
        else:
            untracked.append(have)
    drift: list[Drift] = []
    for slot, record in recorded.items():
        have = shop.get(slot)
        if have is None:
            if slot in wanted:
                drift.append(Drift(record.kind, record.key, record.shop_id, missing=True))
            continue
        diffs = tuple(FieldDiff(d.name, d.after, d.before) for d in field_diffs(record.fields, have.fields))
        if diffs:
            drift.append(Drift(record.kind, record.key, have.shop_id, diffs))
    rank = {kind: n for n, kind in enumerate(kinds)}
    upserts.sort(key=lambda i: (rank.get(i.change.kind, len(rank)), i.change.key))
    deletes.sort(key=lambda i: (-rank.get(i.change.kind, len(rank)), i.change.key))
    return Plan(
        source=source,
        state=state,
        items=tuple(upserts + deletes),
        kind_order=kinds,
        drift=tuple(drift),
        untracked=tuple(untracked),
        forget=tuple(slot for slot in recorded if slot not in shop and slot not in wanted),
        warnings=state.warnings,
    )
