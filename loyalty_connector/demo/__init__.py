"""``make demo``: two seeded sandbox shops, a backfill, what each rule did, the programme applied to
each shop, then an incremental sync.

:func:`run_demo` starts every installed adapter's sandbox shop in-process on 127.0.0.1, takes the
sample programme shipped in this package (:func:`sample_program`, the file the repository's
``examples/loyalty.yaml`` links to) — or the programme file given — with its ``sources`` replaced in
memory by the sandboxes, backfills each into a store (a temporary one unless given), tallies what
each rule did (:mod:`loyalty_connector.summary`), pushes the programme into each shop with
:func:`~loyalty_connector.plan.make_plan` and :func:`~loyalty_connector.plan.apply` and plans once
more to show the shop now matches, then changes a few records in each shop — a referred business's
first order, a self-referral, a pending order completed, an order refunded — and runs an incremental
sync that reads only what changed. Each step is reported through ``on_event`` as it finishes, so the
CLI can print while the demo runs; the result holds everything for rendering or assertions.

Referral codes, and the single-use coupon codes ``apply`` pushes, are made with
:data:`DEMO_REFERRAL_SECRET`, a fixed demo secret passed in-process and never written anywhere: a real
programme reads its own secrets from the environment (``referrals.code_secret_env``,
``LOYALTY_COUPON_SECRET``).

Modules: :mod:`.events` (settings, one event per step, the result), :mod:`.run` (the steps),
:mod:`.shops` (starting the sandboxes), :mod:`.changes` (step 5's scripted changes), :mod:`.render`
(text and ``--json``), :mod:`.sample` (the packaged sample programme). Import from
``loyalty_connector.demo``.
"""

from __future__ import annotations

__all__ = [
    "DEMO_REFERRAL_SECRET",
    "DEMO_SINCE",
    "SAMPLE_PROGRAM",
    "BackfillDone",
    "ChangeCounts",
    "ChangesMade",
    "DemoEvent",
    "DemoResult",
    "DemoSettings",
    "ProgrammeApplied",
    "ShopInfo",
    "ShopsStarted",
    "Summarized",
    "SyncDone",
    "render_event",
    "render_footer",
    "render_summary",
    "result_dict",
    "run_demo",
    "sample_program",
    "sample_program_text",
]

from .events import (
    DEMO_REFERRAL_SECRET,
    DEMO_SINCE,
    BackfillDone,
    ChangeCounts,
    ChangesMade,
    DemoEvent,
    DemoResult,
    DemoSettings,
    ProgrammeApplied,
    ShopInfo,
    ShopsStarted,
    Summarized,
    SyncDone,
)
from .render import render_event, render_footer, render_summary, result_dict
from .run import run_demo
from .sample import SAMPLE_PROGRAM, sample_program, sample_program_text
