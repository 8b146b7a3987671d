"""A run killed (SIGKILL) between an order's direct invoice and its payment (issue 11).

The tea-and-mug order (25.55, paid by iDEAL) is booked as a direct invoice, processed by printing it, and
its payment registered by a bank entry in journal 20 (docs/refunds-and-invoices.md). The ``tradewind run
orders`` process is killed by the Exact sandbox right after Exact stored the invoice (still open), or right
after it processed it (numbered), before the answer leaves: the binding stays *pending* and no bank entry
exists. The next run finds the invoice by ``YourRef`` — and must not bind it as it is: the invoice is only
done when it is processed and its payment registered, so that run finishes it. Exactly one invoice, one bank
entry of one line for the invoice's amount, and the invoice's receivable matched; a third run writes nothing.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

import pytest

from tests.e2e.slice import ENVIRON, World
from tests.e2e.test_booking import tea_and_mug
from tests.e2e.test_booking_types import _table, booking_world  # noqa: F401  (a fixture)
from tests.faults.booking import lift_exact_limits, tradewind, with_secret_key
from tradewind.engine import plan
from tradewind.store.db import Store

pytestmark = pytest.mark.faults

MAP = ("payments: {methods: {ideal: {paid: true, journal: '20', condition: IB}, banktransfer: {days: 14}}}")


def kill_when_stored(exact: Any, entity: str, victim: list[subprocess.Popen[str]]) -> None:
    """SIGKILL the run once the sandbox has stored its first POST to ``entity``, before the answer leaves."""
    original: Callable[..., dict[str, Any]] = exact.create
    killed: list[int] = []

    def create(kind: Any, body: Mapping[str, Any], *, trusted: bool = False) -> dict[str, Any]:
        record = original(kind, body, trusted=trusted)
        if kind.name == entity and not trusted and victim and not killed:
            os.kill(victim[0].pid, signal.SIGKILL)
            killed.append(victim[0].pid)
        return record

    exact.create = create


@pytest.mark.parametrize("entity", ["SalesInvoices", "PrintedSalesInvoices"])
def test_a_run_killed_between_the_invoice_and_its_payment_is_finished_by_the_next_run_once(
        entity: str, booking_world: Any, store: Store, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    with_secret_key(monkeypatch)
    world: World = booking_world(f"booking_type: direct_invoice, journal: '70', {MAP}")
    lift_exact_limits(world, store)
    world.shop.sandbox.add_order(tea_and_mug(created_at="2026-05-12T10:00:00Z", payment_gateway_names=["ideal"]))
    victim: list[subprocess.Popen[str]] = []
    kill_when_stored(world.exact.sandbox, entity, victim)
    env = {**os.environ, **ENVIRON, "TRADEWIND_LOG_LEVEL": "WARNING"}
    command = tradewind("run", "orders", "-p", str(world.project_path), "--database", store.url)
    victim.append(subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    out, err = victim[0].communicate(timeout=120)
    assert -signal.SIGKILL == victim[0].returncode, (out + err)[-3000:]
    [invoice] = _table(world, "SalesInvoices")
    assert [] == world.exact.sandbox.bank_entries()  # killed before the payment

    [planned] = plan.lines(world.run("orders", dry_run=True).plan, "erp")  # what the next run will do: finish it
    assert "create" == planned.action and planned.reason.startswith(
        f"erp record {invoice['InvoiceID']} found by number=#1001: the direct invoice "), planned
    assert [] == world.exact.sandbox.bank_entries()  # a dry run writes nothing

    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert 0 == again.returncode, (again.stdout + again.stderr)[-3000:]

    [invoice] = _table(world, "SalesInvoices")
    assert (50, 26000001, Decimal("25.55")) == (invoice["Status"], invoice["InvoiceNumber"],
                                                Decimal(str(invoice["AmountFC"])))
    [entry] = world.exact.sandbox.bank_entries()
    [line] = entry["BankEntryLines"]
    assert ("20", invoice["InvoiceTo"], Decimal("-25.55"), 26000001) == (
        entry["JournalCode"], line["Account"], Decimal(str(line["AmountFC"])), line["OurRef"])
    receivable = [t for t in world.exact.sandbox.terms() if t["TransactionType"] == 20]
    assert [(50, True, Decimal("25.55"))] == [(t["Status"], t["IsFullyPaid"], Decimal(str(t["AmountFC"])))
                                              for t in receivable]
    [second, _killed] = world.services.runs(flow="orders")[:2]
    [finished] = [t for t in world.services.transfers(second.id, outcome="created") if t.entity == "order"]
    assert (finished.reason or "").startswith("found by YourRef #1001, finished; "), finished.reason
    assert "registered as paid: 25.55 EUR received by ideal on 2026-05-12 in bank journal 20, OurRef invoice " \
           "26000001" in (finished.reason or ""), finished.reason
    third = world.run("orders")
    assert 0 == third.counts.get("created", 0) and 1 == len(world.exact.sandbox.bank_entries()), third
    assert 1 == len(_table(world, "SalesInvoices"))
