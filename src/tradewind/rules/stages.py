"""Send stages: an order flow sends an order only once it has reached the configured stage.

An ERP should book an order when the business says it is final — paid for a webshop that books
on payment, fulfilled (or paid and fulfilled) for one that books on shipping. The flow option
``stage:`` names it; :func:`stage_not_reached` tells whether an order is there, and if not, why,
so the engine skips it with that reason (not a failure). Shops bump an order's modification time
when it is paid or shipped, so the next run reads it again and sends it then.

Stages, each including the ones after it in the order's life:

* ``placed`` — any order that is not cancelled;
* ``authorized`` — payment authorised, partly or fully paid;
* ``paid`` — paid in full (later refunds do not undo that it was paid);
* ``fulfilled`` — every line shipped;
* ``completed`` — paid and fulfilled.

A cancelled order reaches no stage.
"""

from __future__ import annotations

from enum import StrEnum

from tradewind.model import FinancialStatus, FulfillmentStatus, Order, OrderStage


class SendStage(StrEnum):
    """The stage an order must reach before an order flow sends it."""

    PLACED = "placed"
    AUTHORIZED = "authorized"
    PAID = "paid"
    FULFILLED = "fulfilled"
    COMPLETED = "completed"


_PAID = frozenset({FinancialStatus.PAID, FinancialStatus.PARTIALLY_REFUNDED, FinancialStatus.REFUNDED})
_AUTHORIZED = _PAID | {FinancialStatus.AUTHORIZED, FinancialStatus.PARTIALLY_PAID}
_DESCRIBED = {SendStage.COMPLETED: "completed (paid and fulfilled)"}


def _reached(order: Order, stage: SendStage) -> bool:
    paid = order.financial_status in _PAID
    fulfilled = order.fulfillment_status is FulfillmentStatus.FULFILLED
    return {SendStage.PLACED: True,
            SendStage.AUTHORIZED: order.financial_status in _AUTHORIZED,
            SendStage.PAID: paid,
            SendStage.FULFILLED: fulfilled,
            SendStage.COMPLETED: paid and fulfilled}[stage]


def _state(order: Order, stage: SendStage) -> str:
    """Where the order is, in the words of the statuses the stage looks at."""
    if stage is SendStage.FULFILLED:
        return order.fulfillment_status.value
    if stage is SendStage.COMPLETED:
        return f"{order.financial_status.value}, {order.fulfillment_status.value}"
    return order.financial_status.value


def stage_not_reached(order: Order, stage: SendStage | str) -> str | None:
    """Why ``order`` is not sent yet (``waiting for stage paid; order is pending``), or None when it may be."""
    stage = SendStage(stage)
    named = _DESCRIBED.get(stage, stage.value)
    if order.stage is OrderStage.CANCELLED:
        return f"order is cancelled, so it never reaches stage {named}"
    if _reached(order, stage):
        return None
    return f"waiting for stage {named}; order is {_state(order, stage)}"
