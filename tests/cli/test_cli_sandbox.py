"""End to end: ``sandbox serve magento --json`` in a subprocess, then ``backfill`` against it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cli_kit import SECRET, write_programme
from click.testing import CliRunner

from loyalty_connector.cli import main


@pytest.fixture
def served() -> Iterator[dict[str, Any]]:
    """A sandbox served by the CLI in another process; yields the JSON object of its first line."""
    command = [sys.executable, "-m", "loyalty_connector.cli", "sandbox", "serve", "magento", "--json",
               "--seed", "3", "--customers", "12", "--orders", "50"]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # noqa: S603
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert first, process.stderr.read() if process.stderr else "no output"
        yield json.loads(first)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()
    assert process.returncode == 0


def test_a_served_sandbox_is_backfilled_through_its_advertised_source(
    served: dict[str, Any], tmp_path: Path
) -> None:
    assert served["base_url"].startswith("http://127.0.0.1:")
    assert set(served["env"]) == set(served["source"]["credentials"].values())
    config = write_programme(tmp_path / "loyalty.yaml", {"served": served["source"]})
    env = {**os.environ, **served["env"], "LOYALTY_REFERRAL_SECRET": SECRET}
    result = CliRunner().invoke(
        main,
        ["--config", str(config), "backfill", "--since", "2020-01-01", "--window", "365", "--json"],
        env=env,
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    (run,) = json.loads(result.stdout)["runs"]
    assert run["source"] == "served"
    assert run["streams"]["customers"]["inserted"] == 12
    assert run["streams"]["orders"]["inserted"] == 50
    assert (tmp_path / "loyalty.db").exists()


def test_the_plain_first_line_gives_the_url_and_credentials() -> None:
    command = [sys.executable, "-m", "loyalty_connector.cli", "sandbox", "serve", "magento",
               "--customers", "3", "--orders", "5"]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # noqa: S603
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=10)
    assert first.startswith("magento sandbox at http://127.0.0.1:")
    assert "MAGENTO_CONSUMER_KEY=" in first
    assert "MAGENTO_ACCESS_TOKEN_SECRET=" in first
    assert process.returncode == 0
