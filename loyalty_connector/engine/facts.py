"""What the customer rules read about each order, computed once per evaluation and shared by every rule.

A customer's history is read in one pass: the latest version of each order placed by ``now``, in time
order, with its refunds; and per order the product subtotals every rule compares or multiplies, already
in programme currency. Points, bonuses, levels and coupons then loop over these facts instead of
re-reading order lines once per rule.

Subtotals follow :func:`~loyalty_connector.engine.conditions.qualifying_subtotal` and
:func:`~loyalty_connector.engine.conditions.convert_amount` exactly (same values, same exponents):
product lines that are not children of a configurable or bundle item, minus excluded SKUs, before or
after their own discounts, never below zero.
"""

from __future__ import annotations

__all__ = ["OrderFacts", "OrderReader", "latest_orders", "refunds_by_order"]

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime, timezone
from decimal import Decimal
from operator import attrgetter, itemgetter

from ..domain import LineKind, Order, OrderStatus, Refund, quantize
from ..program import Program

_ZERO = Decimal(0)
_PRODUCT = LineKind.PRODUCT
_BY_PLACED = attrgetter("placed_at", "external_id")
_BY_CREATED = attrgetter("created_at", "external_id")
_ORDER_FIELDS = itemgetter(
    "external_id",
    "number",
    "placed_at",
    "updated_at",
    "status",
    "native_reward_points",
    "group_id",
    "currency",
    "lines",
)
_LINE_FIELDS = itemgetter("kind", "parent_line_id", "sku", "row_total", "discount")
_START = datetime.min.replace(tzinfo=timezone.utc)
_END = datetime.max.replace(tzinfo=timezone.utc)
"""No instant is later: reading "by ``_END``" leaves no order out."""


def latest_orders(orders: Sequence[Order], now: datetime) -> list[Order]:
    """One version per order (the latest read), placed by ``now``, sorted by placed_at then id.

    Of two versions, the later ``updated_at`` wins; at the same ``updated_at``, the greater status value.
    """
    latest: dict[str, Order] = {}
    for order in orders:
        if order.placed_at > now:
            continue
        known = latest.get(order.external_id)
        if known is None or (order.updated_at, order.status.value) > (known.updated_at, known.status.value):
            latest[order.external_id] = order
    return sorted(latest.values(), key=_BY_PLACED)


def refunds_by_order(refunds: Sequence[Refund], now: datetime) -> dict[str, list[Refund]]:
    """The latest version of each refund created by ``now``, grouped by order, oldest first."""
    if not refunds:
        return {}
    latest: dict[str, Refund] = {}
    for refund in refunds:
        if refund.created_at > now:
            continue
        known = latest.get(refund.external_id)
        if known is None or refund.updated_at > known.updated_at:
            latest[refund.external_id] = refund
    by_order: dict[str, list[Refund]] = {}
    for refund in sorted(latest.values(), key=_BY_CREATED):
        by_order.setdefault(refund.order_id, []).append(refund)
    return by_order


class OrderFacts:
    """One order as the customer rules see it. Built by :class:`OrderReader`; read-only by convention.

    The order's own fields the rules read are copied here once, while the order is being read anyway:
    a pydantic model's attribute costs more than a slot, and rules look at them several times.
    """

    __slots__ = (
        "bases", "group", "id", "native_points", "number", "order", "placed_at", "refunds", "spend",
        "spend_text", "status", "updated_at",
    )  # fmt: skip

    order: Order
    id: str
    """The order's ``external_id``."""
    number: str
    """The order number customers see (reasons name it)."""
    placed_at: datetime
    updated_at: datetime
    status: OrderStatus
    native_points: bool
    """The shop awarded its own reward points on the order (``Order.native_reward_points``)."""
    spend: Decimal | None
    """Product subtotal after line discounts in programme currency; ``None`` when the order's currency
    is left out of rewards (then every other amount is ``None`` too)."""
    spend_text: str
    """``spend`` as reasons print it, with thousands separators (``f"{spend:,}"``): the earn, bonus and
    coupon reasons of an order all name it, so it is formatted once; empty when ``spend`` is ``None``."""
    bases: tuple[Decimal | None, ...]
    """Per subtotal the reader was asked for (see :meth:`OrderReader.base_index`), in programme currency."""
    group: str | None
    """The customer-group code the order's rules see: the order's own group, else the customer's."""
    refunds: Sequence[Refund]
    """Its refunds created by ``now``, oldest first."""

    def __init__(
        self,
        order: Order,
        spend: Decimal | None,
        bases: tuple[Decimal | None, ...],
        group: str | None,
        refunds: Sequence[Refund],
    ) -> None:
        self.order = order
        self.id = order.external_id
        self.number = order.number
        self.placed_at = order.placed_at
        self.updated_at = order.updated_at
        self.status = order.status
        self.native_points = order.native_reward_points
        self.spend = spend
        self.spend_text = "" if spend is None else f"{spend:,}"
        self.bases = bases
        self.group = group
        self.refunds = refunds


class OrderReader:
    """The subtotals a programme's customer rules need, compiled once; :meth:`read` builds the facts."""

    def __init__(self, program: Program) -> None:
        self._program_currency = program.currency
        rates: dict[str, Decimal | None] = {program.currency: None}
        if program.foreign_currency == "convert":
            for currency, rate in program.exchange_rates.items():
                rates.setdefault(currency, rate)
        self._rates = rates
        """Currency -> rate into programme currency (``None``: it is the programme currency); a
        currency missing here is left out of rewards."""
        self._exclusions: list[frozenset[str]] = [frozenset()]
        self._bases: list[tuple[int, bool]] = []
        """Per requested base: (index into ``_exclusions``, after discounts?)."""
        self._plan: tuple[tuple[bool, bool], ...] = ()
        """Per requested base: (over every product line?, after discounts?)."""
        self._single = False
        """Exactly one base is asked for, after discounts, over the lines not excluded."""

    def _compile(self) -> None:
        """Decide once (not per evaluation) how :meth:`read` computes the requested bases."""
        excluded = self._exclusions[-1]
        self._plan = tuple((i == 0, after) for i, after in self._bases)
        self._single = len(self._plan) == 1 and self._plan[0] == (not excluded, True)

    def base_index(self, after_discounts: bool, exclude_skus: Collection[str] = ()) -> int:
        """Ask for one more subtotal per order; returns its index in :attr:`OrderFacts.bases`."""
        skus = frozenset(exclude_skus)
        if skus not in self._exclusions:
            self._exclusions.append(skus)
        self._bases.append((self._exclusions.index(skus), after_discounts))
        self._compile()
        return len(self._bases) - 1

    def convert(self, amount: Decimal, currency: str) -> Decimal | None:
        """``amount`` in programme currency, or ``None`` (as :func:`~.conditions.convert_amount`)."""
        if currency not in self._rates:
            return None
        rate = self._rates[currency]
        return amount if rate is None else quantize(amount * rate, self._program_currency)

    def read(
        self,
        orders: Sequence[Order],
        refunds: Mapping[str, Sequence[Refund]],
        own_group: str | None,
        group_codes: Mapping[str, str],
        now: datetime = _END,
    ) -> list[OrderFacts]:
        """The facts of the latest version of each order placed by ``now``, in (placed_at, id) order.

        ``orders`` is a history as it comes. The usual one (each order once, none after ``now``,
        already in time order, as the store reads it) is read as it is; any other is first put right
        by :func:`latest_orders`, so the result does not depend on the order it came in.
        """
        if len(self._exclusions) <= 2:
            found = self._read_plain(orders, refunds, own_group, group_codes, now)
            if found is not None:
                return found
        latest = latest_orders(orders, now)
        if len(self._exclusions) <= 2:
            found = self._read_plain(latest, refunds, own_group, group_codes, now)
            assert found is not None  # latest_orders' output is in order, unique and by now
            return found
        return [self._read_one(order, refunds, own_group, group_codes) for order in latest]

    def _read_plain(
        self,
        orders: Sequence[Order],
        refunds: Mapping[str, Sequence[Refund]],
        own_group: str | None,
        group_codes: Mapping[str, str],
        now: datetime,
    ) -> list[OrderFacts] | None:
        """:meth:`read` for programmes whose earn rules exclude at most one set of SKUs; ``None`` as
        soon as ``orders`` turn out not to be in (placed_at, id) order, unique and placed by ``now``.

        One pass over each order's lines sums them after discounts; the usual programme asks for
        exactly that, without its excluded SKUs, which only an order holding one of them sums again.
        Fields are read from the models' ``__dict__``, where pydantic keeps every field value (see
        ``domain._filled``): a model's attribute goes through pydantic's ``__getattr__`` hook and costs
        about twice a dictionary lookup, on the reads every order pays.
        """
        rates, home, product = self._rates, self._program_currency, _PRODUCT
        excluded = self._exclusions[-1]
        plan, single = self._plan, self._single
        excluded_currency = (None,) * len(plan)
        groups: dict[str | None, str | None] = {None: own_group}
        new = object.__new__
        facts: list[OrderFacts] = []
        append = facts.append
        seen: set[str] = set()
        see = seen.add
        last_placed, last_id = _START, ""
        for order in orders:
            order_id, number, placed, updated, status, native, group_id, currency, lines = _ORDER_FIELDS(
                order.__dict__
            )
            if placed > last_placed:
                if placed > now:
                    return None
            elif placed != last_placed or order_id <= last_id:
                return None
            last_placed, last_id = placed, order_id
            see(order_id)
            fact = new(OrderFacts)
            fact.order = order
            fact.id = order_id
            fact.number = number
            fact.placed_at = placed
            fact.updated_at = updated
            fact.status = status
            fact.native_points = native
            if group_id in groups:
                fact.group = groups[group_id]
            else:
                fact.group = groups[group_id] = (
                    own_group if group_id is None else group_codes.get(group_id, group_id)
                )
            fact.refunds = refunds.get(order_id, ()) if refunds else ()
            append(fact)
            if currency not in rates:
                fact.spend = None
                fact.spend_text = ""
                fact.bases = excluded_currency
                continue
            rate = rates[currency]
            if single:
                after = _ZERO
                dropped = False
                for line in lines:
                    kind, parent, sku, row, off = _LINE_FIELDS(line.__dict__)
                    if kind is product and parent is None:
                        after += row.amount - off.amount
                        if sku in excluded:
                            dropped = True
                if after < _ZERO:
                    after = _ZERO
                spend = after if rate is None else quantize(after * rate, home)
                fact.spend = spend
                fact.spend_text = f"{spend:,}"
                if not dropped:
                    fact.bases = (spend,)
                    continue
                kept = _ZERO
                for line in lines:
                    if line.kind is product and line.parent_line_id is None and line.sku not in excluded:
                        kept += line.row_total.amount - line.discount.amount
                if kept < _ZERO:
                    kept = _ZERO
                fact.bases = (kept if rate is None else quantize(kept * rate, home),)
                continue
            gross = discount = kept = kept_discount = _ZERO
            for line in lines:
                if line.kind is product and line.parent_line_id is None:
                    row, off = line.row_total.amount, line.discount.amount
                    gross += row
                    discount += off
                    if excluded and line.sku not in excluded:
                        kept += row
                        kept_discount += off
            after = gross - discount
            if after < _ZERO:
                after = _ZERO
            fact.spend = spend = after if rate is None else quantize(after * rate, home)
            fact.spend_text = f"{spend:,}"
            if not excluded:
                kept, kept_discount = gross, discount
            values = []
            for everything, after_discounts in plan:
                if everything:
                    value = after if after_discounts else max(gross, _ZERO)
                else:
                    value = max(kept - kept_discount if after_discounts else kept, _ZERO)
                values.append(value if rate is None else quantize(value * rate, home))
            fact.bases = tuple(values)
        if len(seen) != len(facts):
            return None
        return facts

    def _read_one(
        self,
        order: Order,
        refunds: Mapping[str, Sequence[Refund]],
        own_group: str | None,
        group_codes: Mapping[str, str],
    ) -> OrderFacts:
        """:meth:`read` for one order, for programmes whose earn rules exclude several SKU sets."""
        group = own_group if order.group_id is None else group_codes.get(order.group_id, order.group_id)
        order_refunds = refunds.get(order.external_id, ())
        if order.currency not in self._rates:
            return OrderFacts(order, None, (None,) * len(self._bases), group, order_refunds)
        rate = self._rates[order.currency]
        exclusions = self._exclusions
        gross = [_ZERO] * len(exclusions)
        discount = [_ZERO] * len(exclusions)
        for line in order.lines:
            if line.kind is not _PRODUCT or line.parent_line_id is not None:
                continue
            row, off, sku = line.row_total.amount, line.discount.amount, line.sku
            for i, skus in enumerate(exclusions):
                if sku not in skus:
                    gross[i] += row
                    discount[i] += off
        values: list[Decimal | None] = []
        for i, after_discounts in [(0, True), *self._bases]:
            value = max(gross[i] - discount[i], _ZERO) if after_discounts else max(gross[i], _ZERO)
            values.append(value if rate is None else quantize(value * rate, self._program_currency))
        return OrderFacts(order, values[0], tuple(values[1:]), group, order_refunds)
