"""Refunded ``order_transaction`` records -> :class:`~loyalty_connector.domain.Refund`.

Payment and refund state changes do not touch ``order.updatedAt`` in Shopware, so transactions are
a stream of their own; a transaction in ``refunded`` or ``refunded_partially`` becomes a refund.
How much was refunded comes from the transaction's completed capture refunds when a payment app
recorded them; see :func:`map_refund` for the amounts and the identity.
"""

from __future__ import annotations

__all__ = ["map_refund"]

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from loyalty_connector.domain import Refund

from .mapping import (
    _fail,
    _get,
    _is_mapping,
    _mapping,
    _net,
    _order_money,
    _shipping_net,
    _tax_status,
    _taxes,
    _technical_name,
    change_position,
    money_decimal,
    parse_timestamp,
)


def _completed_refunds(transaction: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Completed capture refunds of ``transaction``, oldest first (``captures.refunds``, if loaded)."""
    found: list[Mapping[str, Any]] = []
    for capture in transaction.get("captures") or []:
        for refund in _mapping(capture).get("refunds") or []:
            if _is_mapping(refund) and _technical_name(refund) == "completed":
                found.append(refund)
    return sorted(
        found, key=lambda r: (parse_timestamp(r.get("createdAt"), field="createdAt"), str(r.get("id")))
    )


def _refund_goods(
    refund: Mapping[str, Any], tax_status: str, order: Mapping[str, Any], goods: Decimal
) -> Decimal:
    """Goods value (no tax, no shipping) of one capture refund: its positions, else its share.

    Positions are the refunded lines, valued like order lines. Without positions the refund's
    amount is made net with its own calculated taxes (or, if it has none, the order's net share of
    its total) and scaled by the goods share of the order's net amount, which takes shipping out.
    """
    positions = [p for p in refund.get("positions") or [] if _is_mapping(p)]
    if positions:
        value = Decimal(0)
        for position in positions:
            price = _mapping(position.get("amount"))
            total = money_decimal(price.get("totalPrice"), field="refund position amount")
            value += _net(total, _taxes(price), tax_status)
        return value
    price = _mapping(refund.get("amount"))
    total = money_decimal(price.get("totalPrice"), field="refund amount")
    net_amount = money_decimal(order.get("amountNet", 0), field="order.amountNet")
    gross_amount = money_decimal(order.get("amountTotal", 0), field="order.amountTotal")
    if price.get("calculatedTaxes"):
        net = _net(total, _taxes(price), tax_status)
    elif tax_status == "gross" and gross_amount > 0:
        net = total * net_amount / gross_amount
    else:
        net = total
    return net * goods / net_amount if net_amount > 0 else Decimal(0)


def map_refund(raw: Mapping[str, Any], source: str) -> Refund:
    """A refunded (or partially refunded) ``order_transaction`` as a :class:`Refund`.

    Identity is ``<transaction id>:<state>``: the ``refunded_partially`` record and a later
    ``refunded`` record of the same transaction are two refunds, so the later full refund is never
    hidden behind the earlier partial one. Amounts are goods value excluding tax and shipping; the
    goods value of a whole transaction is the order's ``amountNet`` minus net shipping (after
    discounts), scaled by the transaction's share of the order total (1 for the usual single payment).

    The amount breakdown is the transaction's completed capture refunds (``captures.refunds``,
    written by payment apps through Shopware's refund handling), valued by their positions (the
    refunded lines) or else by their net amount's share of goods (see :func:`_refund_goods`). Shopware moves a
    transaction to ``refunded_partially`` or ``refunded`` when a capture refund completes, so:

    - ``refunded_partially``: the goods value of all completed capture refunds; **zero** when the
      transaction has none (the state says that money went back, not how much, and a guessed amount
      would reverse rewards that were earned);
    - ``refunded``: the whole transaction's goods value minus the completed capture refunds before
      the newest one — those were already carried by the ``refunded_partially`` record — so the two
      records together reverse the transaction exactly once. (If a partial and the full refund both
      happen between two syncs, the partial state is never seen and the earlier refunds stay
      unreversed: the adapter errs towards reversing too little, never twice.)
    """
    position = change_position(raw, "order.autoIncrement")
    state = _technical_name(raw)
    if state not in ("refunded", "refunded_partially"):
        raise _fail(f"transaction state {state!r} is not a refund state", raw, "stateMachineState")
    order = _get(raw, "order", required="order transaction (association order not loaded)")
    money = _order_money(order)
    transaction_id = str(_get(raw, "id", required="order transaction"))
    tax_status = _tax_status(order)
    order_total = money_decimal(_get(order, "amountTotal", required="order"), field="order.amountTotal")
    goods = money_decimal(order.get("amountNet", order_total), field="order.amountNet")
    goods -= _shipping_net(order, tax_status)
    refunds = [_refund_goods(r, tax_status, order, goods) for r in _completed_refunds(raw)]
    if state == "refunded_partially":
        amount = sum(refunds, Decimal(0))
    else:
        paid = _mapping(raw.get("amount"))
        share = Decimal(1)
        if paid.get("totalPrice") is not None and order_total > 0:
            share = min(
                Decimal(1), money_decimal(paid["totalPrice"], field="amount.totalPrice") / order_total
            )
        amount = goods * share - sum(refunds[:-1], Decimal(0))
    return Refund.trusted(  # every value is built here: ids, aware timestamps, rounded money
        source=source,
        external_id=f"{transaction_id}:{state}",
        order_id=str(_get(raw, "orderId", required="order transaction")),
        created_at=position.changed_at,
        updated_at=position.changed_at,
        amount=money.total(max(Decimal(0), amount)),
    )
