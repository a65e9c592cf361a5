"""``sources list`` and ``sandbox serve``: the installed adapters, and their local sandbox shops."""

from __future__ import annotations

__all__ = ["sandbox", "sources"]

import json
import sys
import threading
from contextlib import suppress

import click

from ..adapter import discover_adapters
from .common import common_options, errors, json_option
from .output import echo_lines, table


@click.group()
def sources() -> None:
    """Installed adapters and configured sources."""


@sources.command("list")
@json_option
@common_options
def sources_list(as_json: bool) -> None:
    """List the adapters found through the ``loyalty_connector.adapters`` entry points."""
    plugins = discover_adapters()
    if as_json:
        rows = [
            {"name": p.name, "description": p.description, "sandbox": p.sandbox is not None}
            for p in plugins.values()
        ]
        click.echo(json.dumps({"adapters": rows}))
        return
    if not plugins:
        click.echo(
            "no adapters installed (pip install loyalty-connector-magento / loyalty-connector-shopware)"
        )
        return
    rows_text = [(name, "yes" if p.sandbox else "no", p.description) for name, p in sorted(plugins.items())]
    echo_lines(table(("ADAPTER", "SANDBOX", "DESCRIPTION"), rows_text))


@click.group()
def sandbox() -> None:
    """Local sandbox shops on 127.0.0.1 for trying things out."""


@sandbox.command("serve")
@click.argument("adapter")
@click.option(
    "--port", type=click.IntRange(0, 65535), default=0, show_default=True, help="0 picks a free port."
)
@click.option("--seed", type=int, default=7, show_default=True)
@click.option("--customers", type=click.IntRange(1), default=300, show_default=True)
@click.option("--orders", type=click.IntRange(0), default=3000, show_default=True)
@click.option(
    "--json", "as_json", is_flag=True, help="First line is one JSON object (base_url, credentials, source)."
)
@common_options
def sandbox_serve(adapter: str, port: int, seed: int, customers: int, orders: int, as_json: bool) -> None:
    """Serve a seeded sandbox shop until interrupted. The first line gives its URL and credentials."""
    plugins = discover_adapters()
    plugin = plugins.get(adapter)
    if plugin is None or plugin.sandbox is None:
        with_sandbox = sorted(name for name, p in plugins.items() if p.sandbox is not None)
        raise click.BadParameter(
            f"no sandbox for {adapter!r}; choose from {', '.join(with_sandbox) or 'none'}",
            param_hint="ADAPTER",
        )
    with errors():
        shop = plugin.sandbox(seed=seed, customers=customers, orders=orders, port=port)
        shop.start()
    try:
        with suppress(KeyboardInterrupt):  # Ctrl-C at any point stops the shop cleanly
            info = shop.describe()
            env = dict(info.get("env", {}))
            if as_json:
                click.echo(json.dumps(info))
            else:
                pairs = " ".join(f"{name}={value}" for name, value in env.items())
                click.echo(f"{adapter} sandbox at {info['base_url']}  {pairs}".rstrip())
                click.echo("  # for a shell, then use this source in the programme's `sources:`:")
                for name, value in env.items():
                    click.echo(f"  export {name}={value}")
                click.echo(f"  # {json.dumps(info.get('source', {}))}")
                click.echo("  # Ctrl-C stops the shop")
            sys.stdout.flush()
            threading.Event().wait()
    finally:
        shop.stop()
