"""Backfill benchmark against a sandbox shop over HTTP: our whole backfill versus plain ``requests``.

1. Time. A sandbox shop with ``--orders`` orders (100,000 by default) is served by its own process
   (``loyalty-connector sandbox serve``), so it never competes with the client for the GIL. Our
   backfill (adapter + mapping + sync engine + store + evaluation), in a fresh process, is timed
   against a baseline that fetches the very same keyset pages with plain ``requests`` and only
   parses the JSON. Target: ours <= 1.5x the baseline. The baseline runs once before ours, to warm
   the shop, and once after; the second run is the one compared.
2. Memory. Peak RSS of our backfill at a quarter of the orders and at all of them, each in a fresh
   process against its own shop: target ratio <= 1.2 (memory must not grow with history size).

``--profile`` also runs our backfill under cProfile and prints where its time goes, by module group.

Run: ``.venv/bin/python bench/backfill.py [--orders 100000] [--shop magento|shopware] [--json] [--profile]``.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, ClassVar

import requests

SINCE = datetime(2023, 1, 1, tzinfo=timezone.utc)
UNTIL = datetime(2027, 1, 1, tzinfo=timezone.utc)
"""The backfill span: every seeded sandbox record changed inside it (the sandboxes never read the wall
clock for record timestamps)."""
NOW = UNTIL
SEED = 7
SECRET = b"bench-referral-secret"
SOURCE = "bench"
PROGRAM = """
name: Benchmark programme
currency: EUR
timezone: Europe/Berlin
exchange_rates: {USD: 0.92, GBP: 1.17}
foreign_currency: convert
levels:
  window_days: 365
  grace_days: 60
  levels:
    - {id: bronze, name: Bronze, customer_group: Loyalty Bronze, min_orders: 1}
    - {id: silver, name: Silver, customer_group: Loyalty Silver, min_spend: 5000, min_orders: 3}
    - {id: gold, name: Gold, customer_group: Loyalty Gold, min_spend: 15000, min_orders: 6}
referrals:
  referee_discount: {percent: 10}
  referrer_reward: {points: 2000}
  min_subtotal: 250
points:
  earn: [{id: spend-points, rate: 1, pending_days: 14}]
  bonuses: [{id: welcome-bonus, points: 500, trigger: first_order, min_subtotal: 100}]
  expiry_days: 730
coupons:
  next_purchase: [{id: thank-you-5, discount: {percent: 5}, valid_days: 30, min_subtotal: 1000}]
  birthday: {id: birthday-20, discount: {amount: 20}, days_before: 7, days_after: 14}
"""
STREAMS = ("customers", "orders", "refunds")


# --- the sandbox, in a process of its own -----------------------------------------------------------------


@contextmanager
def serve(shop: str, orders: int, customers: int) -> Iterator[dict[str, Any]]:
    """Serve a seeded sandbox from a child process; yield what its first line describes."""
    command = [
        sys.executable, "-m", "loyalty_connector.cli", "sandbox", "serve", shop, "--json",
        "--orders", str(orders), "--customers", str(customers), "--seed", str(SEED),
    ]  # fmt: skip
    server = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        if not line:
            raise SystemExit(f"the {shop} sandbox did not start (exit code {server.wait()})")
        yield json.loads(line)
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def customers_for(orders: int) -> int:
    """The sandboxes' own default ratio: one customer per ten orders."""
    return max(20, orders // 10)


def windows(size: timedelta) -> list[tuple[datetime, datetime]]:
    """The backfill's windows over ``[SINCE, UNTIL)``, cut like ``loyalty_connector.sync.plan_windows``."""
    cuts, start = [], SINCE
    while start < UNTIL:
        end = min(start + size, UNTIL)
        cuts.append((start, end))
        start = end
    return cuts


# --- the baseline: the same keyset pages with plain requests, JSON parsed, nothing else ------------------


class MagentoBaseline:
    """``GET /rest/all/V1/<stream>`` keyset pages exactly as the Magento adapter asks for them."""

    PATHS: ClassVar[dict[str, tuple[str, str]]] = {
        "customers": ("/V1/customers/search", "id"),
        "orders": ("/V1/orders", "entity_id"),
        "refunds": ("/V1/creditmemos", "entity_id"),
    }

    def __init__(self, info: dict[str, Any], page_size: int) -> None:
        self.root = f"{info['base_url']}/rest/all"
        self.session = requests.Session()
        self.session.headers.update(
            {"Authorization": f"Bearer {info['credentials']['access_token']}", "Accept": "application/json"}
        )
        self.page_size = page_size
        self.requests = 0

    def _search(self, path: str, groups: list[list[Any]], size: int) -> list[dict[str, Any]]:
        from loyalty_connector_magento.client import search_params

        params = search_params(groups, (("updated_at", "ASC"), ("entity_id", "ASC")), size)
        response = self.session.get(self.root + path, params=params, timeout=(5, 60))
        response.raise_for_status()
        self.requests += 1
        items: list[dict[str, Any]] = json.loads(response.content).get("items") or []
        return items

    def read_window(self, stream: str, since: datetime, until: datetime) -> int:
        from loyalty_connector_magento.client import Filter
        from loyalty_connector_magento.mapping import format_timestamp

        path, id_field = self.PATHS[stream]
        bound = [[Filter("updated_at", format_timestamp(until, round_up=True), "lt")]]
        at, last_id, records = format_timestamp(since), -1, 0
        while True:
            rows: list[dict[str, Any]] = []
            if last_id >= 0:
                tie = [[Filter("updated_at", at, "eq")], [Filter("entity_id", str(last_id), "gt")]]
                rows = self._search(path, tie + bound, self.page_size)
            if len(rows) < self.page_size:
                after = Filter("updated_at", at, "gt" if last_id >= 0 else "gteq")
                more = self._search(path, [[after], *bound], self.page_size - len(rows))
                full = len(more) >= self.page_size - len(rows)
                rows += more
            else:
                full = True
            records += len(rows)
            if not full or not rows:
                return records
            at, last_id = str(rows[-1]["updated_at"]), int(rows[-1][id_field])


class ShopwareBaseline:
    """``POST /api/search/<entity>`` keyset pages exactly as the Shopware adapter asks for them."""

    def __init__(self, info: dict[str, Any], page_size: int) -> None:
        self.root = f"{info['base_url']}/api"
        self.session = requests.Session()
        self.session.headers.update({"Accept": "application/json", "Content-Type": "application/json"})
        credentials = info["credentials"]
        token = self.session.post(
            f"{self.root}/oauth/token",
            json={"grant_type": "client_credentials", "client_id": credentials["client_id"],
                  "client_secret": credentials["client_secret"]},
            timeout=(5, 60),
        )  # fmt: skip
        token.raise_for_status()
        self.session.headers["Authorization"] = f"Bearer {json.loads(token.content)['access_token']}"
        self.page_size = page_size
        self.requests = 0

    def read_window(self, stream: str, since: datetime, until: datetime) -> int:
        from loyalty_connector.adapter import Cursor, Stream
        from loyalty_connector_shopware.criteria import POPULATIONS, keyset_criteria, stream_query

        query = stream_query(Stream(stream))
        cursor, records = Cursor.at(since), 0
        while True:
            merged: dict[str, tuple[Cursor, str]] = {}
            full = False
            for population in POPULATIONS:
                body = keyset_criteria(query, population, cursor, self.page_size + 1, until)
                response = self.session.post(f"{self.root}/search/{query.entity}", json=body, timeout=(5, 60))
                response.raise_for_status()
                self.requests += 1
                rows = json.loads(response.content)["data"]
                full = full or len(rows) > self.page_size
                for row in rows:
                    position = _shopware_position(row, query.tiebreak)
                    seen = merged.get(row["id"])
                    if position > cursor and (seen is None or seen[0] < position):
                        merged[row["id"]] = (position, row["id"])
            ordered = sorted(merged.values())
            page = ordered[: self.page_size]
            records += len(page)
            if not (full or len(ordered) > len(page)) or not page:
                return records
            cursor = page[-1][0]


def _shopware_position(row: dict[str, Any], tiebreak: str) -> Any:
    from loyalty_connector.adapter import Cursor

    value: Any = row
    for part in tiebreak.split("."):
        value = value[part]
    changed = datetime.fromisoformat(str(row.get("updatedAt") or row["createdAt"]))
    return Cursor(changed.astimezone(timezone.utc), int(value))


def run_baseline(shop: str, info: dict[str, Any], page_size: int, window: timedelta) -> dict[str, Any]:
    reader = (MagentoBaseline if shop == "magento" else ShopwareBaseline)(info, page_size)
    began = time.perf_counter()
    records = sum(reader.read_window(stream, a, b) for stream in STREAMS for a, b in windows(window))
    return {"seconds": time.perf_counter() - began, "records": records, "requests": reader.requests}


# --- ours: a whole backfill in a fresh process -------------------------------------------------------------


def peak_rss_kb() -> int:
    """This process's peak resident set (VmHWM), in kB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    import resource

    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def our_backfill(spec: dict[str, Any]) -> dict[str, Any]:
    """Run in the child: one backfill of the whole span into a fresh store; timings and peak RSS."""
    import requests.adapters

    from loyalty_connector.adapter import create_adapter, discover_adapters
    from loyalty_connector.program import SourceConfig, parse_program
    from loyalty_connector.store import open_store
    from loyalty_connector.sync import Backfill, ProgressEvent

    sent = 0
    send = requests.adapters.HTTPAdapter.send

    def counting(self: Any, *args: Any, **kwargs: Any) -> Any:
        nonlocal sent
        sent += 1
        return send(self, *args, **kwargs)

    requests.adapters.HTTPAdapter.send = counting  # type: ignore[method-assign]
    program = parse_program(PROGRAM)
    config = SourceConfig(**spec["source"])
    plugins = {name: p for name, p in discover_adapters().items() if name == config.adapter}
    last_page: float | None = None

    def progress(event: ProgressEvent) -> None:
        nonlocal last_page
        if event.phase == "read":
            last_page = time.perf_counter()

    with tempfile.TemporaryDirectory() as folder:
        store = open_store(Path(folder) / "bench.db")
        backfill = Backfill(
            store,
            lambda budget: create_adapter(
                SOURCE, config, environ=spec["env"], budget=budget, plugins=plugins
            ),
            program,
            since=SINCE,
            until=UNTIL,
            window=timedelta(days=spec["window_days"]),
            **({"workers": spec["workers"]} if spec.get("workers") else {}),
            referral_secret=SECRET,
            clock=lambda: NOW,
            on_progress=progress,
        )
        began = time.perf_counter()
        cpu_began = time.process_time()
        if spec.get("profile"):
            report, breakdown = _profiled(backfill.run)
        else:
            report, breakdown = backfill.run(), None
        ended = time.perf_counter()
        cpu = time.process_time() - cpu_began
        store.close()
    reading_end = last_page or began  # the last page committed; evaluation follows
    result = {
        "seconds": ended - began,
        "cpu_seconds": cpu,
        "reading_seconds": reading_end - began,
        "evaluation_seconds": ended - reading_end,
        "records": report.totals.read,
        "quarantined": report.quarantined,
        "ledger_entries": report.ledger_entries_added,
        "customers_evaluated": report.customers_evaluated,
        "requests": sent,
        "peak_rss_kb": peak_rss_kb(),
    }
    if breakdown is not None:
        result["profile"] = breakdown
    return result


_WAITING = ("recv_into", "readinto", "'poll' of", "'select' of")
"""Builtins in which the client only waits for the shop's bytes (time the shop spends, not us)."""
_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("waiting for the shop (socket reads)", _WAITING),
    ("JSON decoding (Decimal numbers included)", ("json/", "_json", "scan_once", "scanstring")),
    ("pydantic validation (domain models)", ("pydantic", "loyalty_connector/domain.py")),
    ("read-ahead hand-over (one thread waiting for the other)", ("sync/readahead.py", "threading.py")),
    ("store: SQLite (sqlite3 calls)", ("sqlite3",)),
    ("store: Python (rows, encoding, queries)", ("loyalty_connector/store/",)),
    ("adapter: mapping and paging", ("loyalty_connector_magento/", "loyalty_connector_shopware/")),
    (
        "engine and ledger (evaluation)",
        ("loyalty_connector/engine/", "loyalty_connector/ledger.py", "loyalty_connector/sync/evaluation.py"),
    ),
    ("sync engine (pages, cursors, windows)", ("loyalty_connector/sync/",)),
    (
        "HTTP client: requests, urllib3, http.client",
        ("requests/", "urllib3/", "http/client", "socket", "ssl", "selectors", "email/", "sendall",
         "tenacity/", "loyalty_connector/http.py", "loyalty_connector/ratelimit",
         "loyalty_connector/redaction", "oauthlib/", "urllib/", "http/cookiejar", "queue"),
    ),
    ("datetime, zoneinfo, strptime", ("datetime", "zoneinfo", "_strptime", "strftime", "time.")),
)  # fmt: skip
_PHASES = (
    ("adapter.read (HTTP, JSON, mapping)", "_magento/adapter.py", "read"),
    ("adapter.read (HTTP, JSON, mapping)", "_shopware/adapter.py", "read"),
    ("  HTTP requests (incl. waiting)", "loyalty_connector/http.py", "_attempt"),
    ("  JSON decoding", "json/__init__.py", "loads"),
    ("  mapping to domain records", "mapping.py", "map_order"),
    ("  mapping to domain records", "mapping.py", "map_customer"),
    ("  mapping to domain records", "mapping.py", "map_refund"),
    ("  mapping to domain records", "refunds.py", "map_refund"),
    ("store.apply_page (page + cursor commit)", "store/sqlite.py", "apply_page"),
    ("evaluate_dirty (whole evaluation step)", "sync/evaluation.py", "evaluate_dirty"),
    ("  store.histories (loading histories)", "store/sqlite.py", "histories"),
    ("  engine CustomerEvaluator.evaluate", "engine/customer.py", "evaluate"),
    ("  store.apply_evaluations (ledger writes)", "store/sqlite.py", "apply_evaluations"),
    ("pydantic validate_python (everywhere)", "~", "<method 'validate_python'"),
)


def _group_of(where: str) -> str:
    return next((label for label, needles in _GROUPS if any(n in where for n in needles)), "other")


def _profiled(run: Any) -> tuple[Any, dict[str, Any]]:
    """Run ``run()`` under cProfile: exclusive seconds by module group (they add up to the total; a
    builtin's time goes to the groups of its callers) and inclusive seconds of the main phases.

    Threads started meanwhile (the read-ahead reader of each stream) are profiled too and merged in,
    so with pages read in the background the seconds of both threads add up: shares are of that sum.
    """
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    thread_profilers: list[cProfile.Profile] = []

    def profile_thread(*_: Any) -> None:  # first event of a new thread: profile it with its own cProfile
        sys.setprofile(None)
        thread_profiler = cProfile.Profile()
        thread_profilers.append(thread_profiler)
        thread_profiler.enable()

    threading.setprofile(profile_thread)
    try:
        result = profiler.runcall(run)
    finally:
        threading.setprofile(None)
    stats: dict[Any, Any] = pstats.Stats(profiler, *thread_profilers).stats  # type: ignore[attr-defined]
    groups: dict[str, float] = {}
    for (filename, _line, name), (_cc, _nc, tottime, _ct, callers) in stats.items():
        where = f"{filename} {name}".replace(os.sep, "/")
        group = _group_of(where)
        if filename == "~" and group == "other" and callers:
            caller_time = sum(entry[2] for entry in callers.values()) or 1.0
            for (caller_file, _l, caller_name), entry in callers.items():
                share = tottime * entry[2] / caller_time
                caller_group = _group_of(f"{caller_file} {caller_name}".replace(os.sep, "/"))
                groups[caller_group] = groups.get(caller_group, 0.0) + share
            continue
        groups[group] = groups.get(group, 0.0) + tottime
    phases: dict[str, float] = {}
    for label, file_part, name in _PHASES:
        for (filename, _line, function), row in stats.items():
            if function.startswith(name) and (
                file_part == "~" or filename.replace(os.sep, "/").endswith(file_part)
            ):
                phases[label] = phases.get(label, 0.0) + row[3]
    ordered = dict(sorted(groups.items(), key=lambda item: -item[1]))
    return result, {"groups": ordered, "phases": phases}


def run_ours(spec: dict[str, Any]) -> dict[str, Any]:
    """Our backfill in a fresh Python process (so its peak RSS is its own)."""
    done = subprocess.run(
        [sys.executable, __file__, "--child", json.dumps(spec)], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"our backfill failed:\n{done.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def our_spec(
    shop: str, info: dict[str, Any], page_size: int, window: timedelta, profile: bool, workers: int | None
) -> dict[str, Any]:
    """What the child needs: the programme source, its credentials and the backfill's shape."""
    source = dict(info["source"])
    settings = {**source.get("settings", {}), "page_size": page_size}
    env = dict(info["env"])
    if shop == "magento":  # the baseline sends the integration's access token as a bearer token; so do we
        settings["auth"] = "bearer"
        source["credentials"] = {"access_token": "MAGENTO_ACCESS_TOKEN"}
    source["settings"] = settings
    return {"source": source, "env": env, "window_days": window.days, "profile": profile, "workers": workers}


# --- main ---------------------------------------------------------------------------------------------


def measure(args: argparse.Namespace) -> dict[str, Any]:
    window = timedelta(days=args.window_days)

    def spec(info: dict[str, Any], profile: bool = False) -> dict[str, Any]:
        return our_spec(args.shop, info, args.page_size, window, profile, args.workers)

    with serve(args.shop, args.orders, customers_for(args.orders)) as info:
        run_baseline(args.shop, info, args.page_size, window)  # warms the shop
        ours = run_ours(spec(info))
        baseline = run_baseline(args.shop, info, args.page_size, window)
        profile = None
        if args.profile:
            profile = run_ours(spec(info, profile=True))
    small_orders = max(1, args.orders // 4)
    with serve(args.shop, small_orders, customers_for(small_orders)) as info:
        small = run_ours(spec(info))
    result: dict[str, Any] = {
        "shop": args.shop,
        "orders": args.orders,
        "workers": args.workers or "default",
        "records": ours["records"],
        "baseline_records": baseline["records"],
        "requests": ours["requests"],
        "baseline_requests": baseline["requests"],
        "baseline_seconds": round(baseline["seconds"], 3),
        "ours_seconds": round(ours["seconds"], 3),
        "ours_reading_seconds": round(ours["reading_seconds"], 3),
        "ours_evaluation_seconds": round(ours["evaluation_seconds"], 3),
        "ours_cpu_seconds": round(ours["cpu_seconds"], 3),
        "ratio": round(ours["seconds"] / baseline["seconds"], 3),
        "reading_ratio": round(ours["reading_seconds"] / baseline["seconds"], 3),
        "baseline_records_per_second": round(baseline["records"] / baseline["seconds"], 1),
        "ours_records_per_second": round(ours["records"] / ours["seconds"], 1),
        "ledger_entries": ours["ledger_entries"],
        "customers_evaluated": ours["customers_evaluated"],
        "quarantined": ours["quarantined"],
        "small_orders": small_orders,
        "peak_rss_small_mb": round(small["peak_rss_kb"] / 1024, 1),
        "peak_rss_large_mb": round(ours["peak_rss_kb"] / 1024, 1),
        "rss_ratio": round(ours["peak_rss_kb"] / small["peak_rss_kb"], 3),
    }
    if profile is not None:
        groups, phases = profile["profile"]["groups"], profile["profile"]["phases"]
        total = sum(groups.values())
        result["profile_seconds"] = round(profile["seconds"], 3)
        result["profile"] = {group: round(seconds / total, 4) for group, seconds in groups.items()}
        result["profile_phases_share"] = {
            phase: round(seconds / total, 4) for phase, seconds in phases.items()
        }
    return result


def render(result: dict[str, Any]) -> str:
    r = result
    lines = [
        f"{r['shop']} sandbox, {r['orders']} orders: {r['records']} records in {r['requests']} requests "
        f"(baseline: {r['baseline_records']} in {r['baseline_requests']})",
        f"  baseline (requests + json):  {r['baseline_seconds']:8.2f} s  "
        f"{r['baseline_records_per_second']:9.0f} records/s",
        f"  our backfill:                {r['ours_seconds']:8.2f} s  {r['ours_records_per_second']:9.0f} "
        f"records/s  (reading {r['ours_reading_seconds']:.2f} s, "
        f"evaluation {r['ours_evaluation_seconds']:.2f} s; {r['ours_cpu_seconds']:.2f} s of CPU)",
        f"  ratio ours / baseline:       {r['ratio']:8.2f}x  (target <= 1.5x; reading only "
        f"{r['reading_ratio']:.2f}x)",
        f"  peak RSS {r['small_orders']} vs {r['orders']} orders: {r['peak_rss_small_mb']:.1f} MB vs "
        f"{r['peak_rss_large_mb']:.1f} MB, ratio {r['rss_ratio']:.2f} (target <= 1.2)",
    ]
    if "profile" in r:
        lines.append(
            f"  profile of our backfill ({r['profile_seconds']:.1f} s under cProfile), exclusive time:"
        )
        lines += [f"    {share * 100:5.1f} %  {group}" for group, share in r["profile"].items()]
        lines.append("  inclusive time of the main phases (share of the profiled total):")
        lines += [f"    {share * 100:5.1f} %  {phase}" for phase, share in r["profile_phases_share"].items()]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--shop", choices=("magento", "shopware"), default="magento")
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument("--window-days", type=int, default=30)
    parser.add_argument(
        "--workers", type=int, default=None, help="our backfill's workers [default: Backfill's, 2]"
    )
    parser.add_argument("--profile", action="store_true", help="also profile our backfill (cProfile)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(our_backfill(json.loads(args.child))))
        return
    result = measure(args)
    print(json.dumps(result) if args.json else render(result))


if __name__ == "__main__":
    main()
