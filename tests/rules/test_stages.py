"""Send stages: which orders an order flow sends, and the reason it gives for the others."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tradewind.model import Customer, FinancialStatus, FulfillmentStatus, Money, Order, OrderLine, OrderStage
from tradewind.rules.stages import SendStage, stage_not_reached


def order(financial: str = "pending", fulfillment: str = "unfulfilled", stage: str = "open") -> Order:
    return Order(number="#1001", created_at=datetime(2026, 5, 12, 10, tzinfo=UTC), currency="EUR",
                 customer=Customer(name="Anna de Vries"), total=Money.of("12.99", "EUR"),
                 lines=[OrderLine(sku="MUG-01", quantity=Decimal(1), unit_price=Money.of("12.99", "EUR"))],
                 financial_status=FinancialStatus(financial), fulfillment_status=FulfillmentStatus(fulfillment),
                 stage=OrderStage(stage))


def test_a_pending_order_waits_for_paid() -> None:
    assert "waiting for stage paid; order is pending" == stage_not_reached(order(), SendStage.PAID)


@pytest.mark.parametrize("financial", ["paid", "partially_refunded", "refunded"])
def test_an_order_once_paid_has_reached_paid(financial: str) -> None:
    assert stage_not_reached(order(financial), "paid") is None


@pytest.mark.parametrize(("financial", "fulfillment", "stage", "reason"), [
    ("authorized", "unfulfilled", "paid", "waiting for stage paid; order is authorized"),
    ("partially_paid", "unfulfilled", "paid", "waiting for stage paid; order is partially_paid"),
    ("pending", "unfulfilled", "authorized", "waiting for stage authorized; order is pending"),
    ("paid", "partial", "fulfilled", "waiting for stage fulfilled; order is partial"),
    ("paid", "unfulfilled", "completed", "waiting for stage completed (paid and fulfilled); order is paid, "
                                         "unfulfilled"),
    ("pending", "fulfilled", "completed", "waiting for stage completed (paid and fulfilled); order is pending, "
                                          "fulfilled"),
])
def test_an_order_short_of_its_stage_says_where_it_is(financial: str, fulfillment: str, stage: str,
                                                      reason: str) -> None:
    assert reason == stage_not_reached(order(financial, fulfillment), stage)


@pytest.mark.parametrize(("financial", "fulfillment", "stage"), [
    ("pending", "unfulfilled", "placed"),
    ("authorized", "unfulfilled", "authorized"),
    ("paid", "unfulfilled", "authorized"),
    ("pending", "fulfilled", "fulfilled"),
    ("paid", "fulfilled", "completed"),
])
def test_an_order_at_or_past_its_stage_is_sent(financial: str, fulfillment: str, stage: str) -> None:
    assert stage_not_reached(order(financial, fulfillment), stage) is None


@pytest.mark.parametrize("stage", list(SendStage))
def test_a_cancelled_order_reaches_no_stage(stage: SendStage) -> None:
    named = "completed (paid and fulfilled)" if stage is SendStage.COMPLETED else stage.value
    assert f"order is cancelled, so it never reaches stage {named}" == \
        stage_not_reached(order("paid", "fulfilled", stage="cancelled"), stage)
