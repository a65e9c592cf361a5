"""The demo's sandbox shops: each installed adapter's sandbox started in-process on 127.0.0.1.

A sandbox describes itself (:meth:`~loyalty_connector.adapter.SandboxShop.describe`) as a ready
programme ``source`` entry plus the environment values its credentials name, so the demo connects
to it exactly as a real programme connects to a real shop.
"""

from __future__ import annotations

__all__ = ["DemoShop", "sandbox_now", "start_shop"]

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from ..adapter import AdapterPlugin, SandboxShop
from ..program import SourceConfig
from .events import DemoSettings


@dataclass
class DemoShop:
    """A started sandbox and how to connect to it."""

    adapter: str
    source: str
    sandbox: SandboxShop
    config: SourceConfig
    env: dict[str, str]


@contextmanager
def start_shop(plugin: AdapterPlugin, settings: DemoSettings) -> Iterator[DemoShop]:
    """Start ``plugin``'s sandbox seeded as ``settings`` says, as source ``<adapter>-demo``; stop it after."""
    assert plugin.sandbox is not None
    sandbox = plugin.sandbox(seed=settings.seed, customers=settings.customers, orders=settings.orders, port=0)
    sandbox.start()
    try:
        info = sandbox.describe()
        config = SourceConfig.model_validate(info["source"])
        yield DemoShop(plugin.name, f"{plugin.name}-demo", sandbox, config, dict(info.get("env", {})))
    finally:
        sandbox.stop()


def sandbox_now(shop: DemoShop, clock: Callable[[], datetime]) -> datetime:
    """The sandbox's own clock (records are stamped by it), else ours."""
    now = getattr(shop.sandbox, "now", None)
    return now() if callable(now) else clock()
