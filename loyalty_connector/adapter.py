"""The port every shop adapter plugs into, and discovery of adapters through entry points.

An adapter is a *stateless page reader* plus a writer of managed objects. The sync engine owns the
cursor: it asks ``read(stream, cursor, limit)`` for the records strictly after ``cursor`` in
``(changed_at, tiebreak)`` order and commits the page with the cursor of its last record in one
transaction. The adapter never stores progress.

Adapters ship as their own distributions and register an :class:`AdapterPlugin` under the entry-point
group ``loyalty_connector.adapters``::

    [project.entry-points."loyalty_connector.adapters"]
    woocommerce = "loyalty_connector_woocommerce:plugin"

Adapters import only the core's public API: this module, ``domain``, ``http``, ``errors`` and
``desired`` (the state an adapter's optional ``desired_objects`` translates).
"""

from __future__ import annotations

__all__ = [
    "ENTRY_POINT_GROUP",
    "AdapterPlugin",
    "Capabilities",
    "Change",
    "ChangeResult",
    "Cursor",
    "ManagedObject",
    "Page",
    "ReadRecord",
    "Record",
    "SandboxShop",
    "ShopAdapter",
    "Stream",
    "create_adapter",
    "discover_adapters",
]

import enum
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

from .domain import Customer, CustomerGroup, Order, Refund
from .errors import ConfigurationError

if TYPE_CHECKING:
    from .http import RequestBudget
    from .program import SourceConfig

logger = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "loyalty_connector.adapters"

Record = Customer | Order | Refund
"""What a stream yields."""


class Stream(str, enum.Enum):
    """The streams every adapter reads. Each has its own cursor per source."""

    CUSTOMERS = "customers"
    ORDERS = "orders"
    REFUNDS = "refunds"


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


@dataclass(frozen=True, order=True)
class Cursor:
    """A keyset position: everything at or before ``(changed_at, tiebreak)`` has been read.

    ``changed_at`` is the shop's change timestamp (Magento ``updated_at``, Shopware
    ``updatedAt ?? createdAt``); ``tiebreak`` a monotonic integer id (Magento ``entity_id``,
    Shopware ``autoIncrement``) that orders records sharing one timestamp.
    """

    changed_at: datetime
    tiebreak: int

    def __post_init__(self) -> None:
        if self.changed_at.tzinfo is None:
            raise ValueError("cursor timestamps must be timezone-aware UTC")

    @classmethod
    def start(cls) -> Cursor:
        """A cursor before every record."""
        return cls(_EPOCH, -1)

    @classmethod
    def at(cls, moment: datetime) -> Cursor:
        """A cursor just before ``moment``: reading from it includes records changed at ``moment``."""
        return cls(moment.astimezone(timezone.utc), -1)

    def to_json(self) -> dict[str, Any]:
        return {"changed_at": self.changed_at.isoformat(), "tiebreak": self.tiebreak}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Cursor:
        return cls(datetime.fromisoformat(str(data["changed_at"])), int(data["tiebreak"]))


@dataclass(frozen=True)
class ReadRecord:
    """One record of a page: its keyset position and either the mapped record or why mapping failed.

    A record the mapping cannot read still has a position, so the cursor moves past it and the sync
    quarantines it (``error`` + ``raw``) instead of dropping it or looping on it.
    """

    position: Cursor
    external_id: str
    record: Record | None = None
    error: str | None = None
    raw: str | None = None
    """The shop's payload as JSON text, kept only for quarantined records."""


@dataclass(frozen=True)
class Page:
    """Records strictly after the requested cursor, in ``(changed_at, tiebreak)`` order."""

    items: tuple[ReadRecord, ...]
    has_more: bool
    """True when the page was full, so another read from its last position may find more."""

    @property
    def last_position(self) -> Cursor | None:
        return self.items[-1].position if self.items else None


@dataclass(frozen=True)
class Capabilities:
    """What an adapter can do, so the CLI and plan/apply can adapt and explain."""

    streams: frozenset[Stream] = frozenset(Stream)
    writes: frozenset[str] = frozenset()
    """Managed object kinds it can write: customer_group, tier_price, cart_rule, coupon, group_assignment."""
    max_page_size: int = 500
    notes: tuple[str, ...] = ()
    """Human notes about what the shop cannot enforce by itself (e.g. auto-adding a gift line)."""


@dataclass(frozen=True)
class ManagedObject:
    """An object loyalty-connector owns in a shop, identified by kind and our own stable key."""

    kind: str
    key: str
    fields: Mapping[str, Any]
    shop_id: str | None = None
    """The shop's id for the object, once it exists there."""


@dataclass(frozen=True)
class Change:
    """One step of a plan: create, update or delete a managed object."""

    action: Literal["create", "update", "delete"]
    kind: str
    key: str
    fields: Mapping[str, Any] = field(default_factory=dict)
    before: Mapping[str, Any] | None = None
    shop_id: str | None = None


@dataclass(frozen=True)
class ChangeResult:
    """What happened to one change when it was applied."""

    change: Change
    ok: bool
    shop_id: str | None = None
    error: str | None = None


@runtime_checkable
class ShopAdapter(Protocol):
    """A shop, seen as pages of domain records and a place to write managed objects.

    Optional: ``desired_objects(state: DesiredState) -> list[ManagedObject]`` translates the
    shop-neutral desired state of :mod:`loyalty_connector.desired` into this shop's managed objects,
    in dependency order; ``rules plan``/``apply`` need it (an adapter without it can sync, not push).
    It is not a member of this protocol so that ``isinstance`` keeps accepting read-only adapters;
    :class:`loyalty_connector.desired.DesiredStateAdapter` is the protocol of adapters that have it.
    """

    source: str
    """The programme's name for this source; set on every record read."""

    @property
    def capabilities(self) -> Capabilities: ...

    def read(self, stream: Stream, cursor: Cursor, limit: int, *, until: datetime | None = None) -> Page:
        """Records of ``stream`` strictly after ``cursor``, changed before ``until``; at most ``limit``."""
        ...

    def read_groups(self) -> list[CustomerGroup]:
        """All customer groups of the shop."""
        ...

    def read_managed(self, kinds: Sequence[str]) -> list[ManagedObject]:
        """The current shop state of every managed object of ``kinds`` (never unmanaged ones)."""
        ...

    def write_managed(self, changes: Sequence[Change]) -> list[ChangeResult]:
        """Apply ``changes``; each result says whether it was done. Must be safe to retry."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


@runtime_checkable
class SandboxShop(Protocol):
    """A local fake shop on 127.0.0.1 that an adapter's tests, the demo and ``sandbox serve`` use."""

    @property
    def base_url(self) -> str: ...

    def start(self) -> Any: ...

    def stop(self) -> None: ...

    def describe(self) -> dict[str, Any]:
        """``base_url``, credentials, ``source`` (a ready programme entry) and ``env`` (var -> value)."""
        ...


AdapterFactory = Callable[[str, "SourceConfig", Mapping[str, str], "RequestBudget | None"], ShopAdapter]
SandboxFactory = Callable[..., SandboxShop]


@dataclass(frozen=True)
class AdapterPlugin:
    """What an adapter distribution registers under the ``loyalty_connector.adapters`` entry point.

    ``create(source_name, config, credentials, budget)`` builds a connected adapter;
    ``sandbox(seed=, customers=, orders=, port=)`` builds a (not yet started) local sandbox shop.
    """

    name: str
    description: str
    create: AdapterFactory
    sandbox: SandboxFactory | None = None
    credential_names: tuple[str, ...] = ()


def discover_adapters() -> dict[str, AdapterPlugin]:
    """Every installed adapter plugin by name. A plugin that fails to load is logged and skipped."""
    plugins: dict[str, AdapterPlugin] = {}
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        try:
            plugin = entry.load()
        except Exception as exc:  # a broken third-party plugin must not break the others
            logger.warning(
                "adapter plugin %r could not be loaded (%s: %s); skipped", entry.name, type(exc).__name__, exc
            )
            logger.debug("adapter plugin %r import failure", entry.name, exc_info=True)
            continue
        if not isinstance(plugin, AdapterPlugin):
            logger.error("entry point %r is not an AdapterPlugin; skipped", entry.name)
            continue
        plugins[entry.name] = plugin
    return plugins


def create_adapter(
    source_name: str,
    config: SourceConfig,
    *,
    environ: Mapping[str, str] | None = None,
    budget: RequestBudget | None = None,
    plugins: Mapping[str, AdapterPlugin] | None = None,
) -> ShopAdapter:
    """Build the adapter for one programme source, reading its credentials from the environment."""
    available = discover_adapters() if plugins is None else dict(plugins)
    plugin = available.get(config.adapter)
    if plugin is None:
        known = ", ".join(sorted(available)) or "none installed"
        raise ConfigurationError(
            f"source {source_name!r} uses adapter {config.adapter!r}, which is not installed "
            f"(available: {known}); install loyalty-connector-{config.adapter}"
        )
    credentials = config.resolve_credentials(environ)
    return plugin.create(source_name, config, credentials, budget)
