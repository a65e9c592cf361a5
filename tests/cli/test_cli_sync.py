"""``sync``, ``backfill``, ``quarantine``, ``unlock``: exit codes, JSON, locks, quarantine, secrets."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from datetime import datetime, timezone

from cli_kit import SINCE, Setup

from loyalty_connector.cli import EXIT_QUARANTINED
from loyalty_connector.store import open_store


def test_backfill_reads_the_whole_history_and_reports_it_as_json(own_shop: Setup) -> None:
    result = own_shop.run("backfill", "--since", SINCE, "--window", "365", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    (run,) = data["runs"]
    assert run["kind"] == "backfill"
    assert run["streams"]["customers"]["inserted"] == len(own_shop.shop.customers)
    assert run["streams"]["orders"]["inserted"] == len(own_shop.shop.orders)
    assert run["ledger_entries_added"] > 0
    assert data["failures"] == []
    assert data["quarantined"] == 0


def test_backfill_prints_progress_lines_on_stderr_when_not_on_a_terminal(own_shop: Setup) -> None:
    result = own_shop.run("backfill", "--since", SINCE, "--window", "365")
    assert result.exit_code == 0
    assert "shop  reading done; evaluating customers" in result.stderr
    assert "records/s" not in result.stdout
    assert result.stdout.splitlines()[0].split()[:3] == ["SOURCE", "READ", "NEW"]


def test_a_dry_run_backfill_reads_everything_and_writes_nothing(own_shop: Setup) -> None:
    result = own_shop.run("backfill", "--since", SINCE, "--window", "365", "--dry-run", "--json")
    assert result.exit_code == 0
    (run,) = json.loads(result.stdout)["runs"]
    assert run["dry_run"] is True
    assert run["run_id"] is None
    assert run["streams"]["orders"]["read"] == len(own_shop.shop.orders)
    store = open_store(own_shop.store)
    try:
        assert store.ledger_entries() == []
        assert store.runs() == []
    finally:
        store.close()


def test_rerunning_a_finished_backfill_skips_its_windows(synced: Setup) -> None:
    result = synced.run("backfill", "--since", SINCE, "--window", "365", "--json")
    (run,) = json.loads(result.stdout)["runs"]
    assert run["windows_total"] == 0
    assert run["windows_skipped"] > 0
    assert run["ledger_entries_added"] == 0


def test_sync_picks_up_a_change_and_awards_it_once(own_shop: Setup) -> None:
    shop = own_shop.shop
    first = own_shop.run("sync", "--json")
    assert first.exit_code == 0
    assert json.loads(first.stdout)["runs"][0]["streams"]["orders"]["inserted"] == len(shop.orders)
    customer = next(iter(shop.customers))
    shop.add_order(customer, [{"sku": "PAPER-A4", "qty": 40}], state="complete")
    second = json.loads(own_shop.run("sync", "--json").stdout)["runs"][0]
    assert second["streams"]["orders"]["inserted"] == 1
    assert second["ledger_entries_added"] >= 1
    third = json.loads(own_shop.run("sync", "--json").stdout)["runs"][0]
    assert third["streams"]["orders"]["inserted"] == 0
    assert third["ledger_entries_added"] == 0


def test_an_unknown_source_is_a_usage_error(synced: Setup) -> None:
    result = synced.run("sync", "--source", "nope")
    assert result.exit_code == 2
    assert "no source named 'nope'" in result.stderr
    assert "(sources: shop)" in result.stderr


def test_a_missing_referral_secret_fails_with_one_line_naming_the_variable(synced: Setup) -> None:
    result = synced.run("sync", env={"LOYALTY_REFERRAL_SECRET": ""})
    assert result.exit_code == 1
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error: the programme has referrals but the environment variable")
    assert "LOYALTY_REFERRAL_SECRET" in line


def test_missing_shop_credentials_fail_the_source_with_one_line(synced: Setup) -> None:
    result = synced.run("sync", env={"MAGENTO_ACCESS_TOKEN": ""})
    assert result.exit_code == 1
    assert "MAGENTO_ACCESS_TOKEN" in result.stderr
    assert "Traceback" not in result.output


def test_a_source_locked_by_a_running_sync_is_refused_with_a_clear_message(synced: Setup) -> None:
    store = open_store(synced.store)
    try:
        store.begin_run("sync", "shop", datetime.now(timezone.utc))
        result = synced.run("sync")
        assert result.exit_code == 1
        assert "another sync of source shop is running" in result.stderr
        assert "loyalty-connector unlock shop" in result.stderr
        refused = synced.run("unlock", "shop")
        assert refused.exit_code == 1
        assert "still running on this host" in refused.stderr
        forced = synced.run("unlock", "shop", "--force")
        assert forced.exit_code == 0
        assert "removed the lock of shop" in forced.stdout
        assert store.lock_of("shop") is None
    finally:
        store.close()


def test_unlock_removes_the_lock_of_a_dead_process_and_marks_its_run_interrupted(synced: Setup) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    store = open_store(synced.store)
    try:
        run_id = store.begin_run("backfill", "shop", datetime.now(timezone.utc))
    finally:
        store.close()
    with sqlite3.connect(synced.store) as conn:
        conn.execute("UPDATE locks SET pid = ? WHERE source = 'shop'", (int(dead.stdout),))
    result = synced.run("unlock", "shop")
    assert result.exit_code == 0
    assert f"backfill run {run_id}" in result.stdout
    store = open_store(synced.store)
    try:
        assert store.lock_of("shop") is None
        assert next(r for r in store.runs("shop") if r.id == run_id).status == "interrupted"
    finally:
        store.close()
    assert synced.run("unlock", "shop").stdout.strip() == "source shop is not locked"


def test_quarantined_records_exit_3_and_can_be_listed_and_retried(own_shop: Setup) -> None:
    shop = own_shop.shop
    assert own_shop.run("backfill", "--since", SINCE, "--window", "365").exit_code == 0
    customer_id = next(iter(shop.customers))
    shop.touch("customers", customer_id, dob="31.02.1990")
    result = own_shop.run("sync")
    assert result.exit_code == EXIT_QUARANTINED
    assert "1 record(s) could not be read and were quarantined" in result.stdout
    listed = json.loads(own_shop.run("quarantine", "list", "--json").stdout)["quarantined"]
    assert [(q["stream"], q["external_id"]) for q in listed] == [("customers", str(customer_id))]
    assert "dob is not a date" in listed[0]["reason"]
    assert listed[0]["raw"] is None
    text = own_shop.run("quarantine", "list")
    assert f"customers  {customer_id}" in text.stdout

    shop.touch("customers", customer_id, dob="1990-02-11")
    retried = own_shop.run("quarantine", "retry")
    assert retried.exit_code == 0
    assert "shop: 1 record(s) marked for retry" in retried.stdout
    after = json.loads(own_shop.run("sync", "--json").stdout)
    assert after["quarantined"] == 0
    assert after["runs"][0]["streams"]["customers"]["resolved"] == 1
    assert own_shop.run("quarantine", "list").stdout.strip() == "nothing quarantined"


def test_no_secret_appears_in_any_output_even_at_debug_level(own_shop: Setup) -> None:
    outputs = []
    for args in (
        ("-vv", "backfill", "--since", SINCE, "--window", "365"),
        ("-vv", "sync"),
        ("-vv", "customer", "show", str(next(iter(own_shop.shop.customers))), "--explain"),
        ("-vv", "sync", "--source", "shop"),
    ):
        result = own_shop.run(*args)
        assert result.exit_code == 0, result.output
        outputs.append(result.output)
    failing = own_shop.run("-vv", "sync", env={"MAGENTO_CONSUMER_SECRET": "wrong-secret-value-123"})
    outputs.append(failing.output)
    text = "\n".join(outputs)
    assert "DEBUG" in text
    for secret in own_shop.secrets():
        assert secret not in text
    assert "wrong-secret-value-123" not in text


def test_state_commands_without_a_store_fail_instead_of_creating_one(own_shop: Setup) -> None:
    for args in (
        ("quarantine", "list"),
        ("ledger", "export"),
        ("unlock", "shop"),
        ("points", "balance", "1"),
    ):
        result = own_shop.run(*args)
        assert result.exit_code == 1, args
        assert "no state database at" in result.stderr
    assert not own_shop.store.exists()
