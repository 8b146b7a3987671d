"""Invoices registered as paid by payment method, over both sandboxes on loopback (SQLite and PostgreSQL).

The tea-and-mug order (25.55, docs/booking-rules.md) paid by iDEAL is booked as a direct invoice (processed:
invoice 26000001) and its payment booked in the Shopify Payments clearing journal 20, which Exact matches with
the invoice's receivable; a bank transfer gets 14 days and stays open; an unknown method is held; a payment
whose answer is lost is found by its OurRef, not booked twice; a draft or an open (unprocessed) invoice is
not registered as paid, and the transfer says why (docs/refunds-and-invoices.md, "The payment-method map")."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from tests.e2e.test_booking import tea_and_mug
from tests.e2e.test_booking_types import _reason, _table, booking_world  # noqa: F401  (a fixture)

d = Decimal
MAP = ("payments: {methods: {ideal: {paid: true, journal: '20', condition: IB}, banktransfer: {days: 14}, "
       "'shopify payments': {paid: true, journal: '20', condition: PP}}}")


@pytest.fixture
def world_of(booking_world: Any) -> Any:  # noqa: F811  (the fixture imported above)
    """Worlds whose Exact connection books by ``booking: {…, <extra>}`` (tests/e2e/test_booking_types.py)."""
    return booking_world


def _direct(world_of: Any, extra: str = "") -> Any:
    return world_of(f"booking_type: direct_invoice, journal: '70', {MAP}{extra}")


def _paid_by(method: str, **extra: Any) -> dict[str, Any]:
    return tea_and_mug(created_at="2026-05-12T10:00:00Z", payment_gateway_names=[method], **extra)


def _terms(world: Any) -> list[dict[str, Any]]:
    return sorted(world.exact.sandbox.terms(), key=lambda t: t["TransactionType"])


def _reported(world: Any, result: Any) -> str:
    [transfer] = [t for t in world.services.transfers(result.run_id, outcome="created") if t.entity == "order"]
    return transfer.reason or ""


def test_an_ideal_order_is_invoiced_and_registered_as_paid_and_exact_matches_its_receivable(world_of: Any) -> None:
    world = _direct(world_of)
    world.shop.sandbox.add_order(_paid_by("ideal"))
    result = world.run("orders")
    assert (1, 0) == (result.counts.get("created", 0), result.counts.get("failed", 0)), result
    [invoice] = _table(world, "SalesInvoices")
    assert (50, 26000001, d("25.55"), "IB", "2026-05-12") == (
        invoice["Status"], invoice["InvoiceNumber"], d(str(invoice["AmountFC"])), invoice["PaymentCondition"],
        invoice["DueDate"].date().isoformat())
    [entry] = world.exact.sandbox.bank_entries()
    [line] = entry["BankEntryLines"]
    assert ("20", "EUR", invoice["InvoiceTo"], d("-25.55"), 26000001, "2026-05-12") == (
        entry["JournalCode"], entry["Currency"], line["Account"], d(str(line["AmountFC"])), line["OurRef"],
        line["Date"][:10])
    assert "Payment of order #1001 (ideal), invoice 26000001" == line["Description"]
    invoice_term, payment_term = _terms(world)  # the invoice's receivable (20) and the bank line's (40)
    assert (50, True, d("25.55"), "#1001") == (invoice_term["Status"], invoice_term["IsFullyPaid"],
                                                d(str(invoice_term["AmountFC"])), invoice_term["YourRef"])
    assert (50, d("-25.55"), "#1001") == (payment_term["Status"], d(str(payment_term["AmountFC"])),
                                          payment_term["YourRef"])
    assert ("registered as paid: 25.55 EUR received by ideal on 2026-05-12 in bank journal 20, OurRef invoice "
            "26000001") == _reported(world, result)
    again = world.run("orders")
    assert 0 == again.counts.get("created", 0) and 1 == len(world.exact.sandbox.bank_entries()), again


def test_a_bank_transfer_gets_fourteen_days_and_its_invoice_stays_open(world_of: Any) -> None:
    world = _direct(world_of)
    world.shop.sandbox.add_order(_paid_by("Bank Transfer"))
    result = world.run("orders")
    assert (1, 0) == (result.counts.get("created", 0), result.counts.get("failed", 0)), result
    [invoice] = _table(world, "SalesInvoices")
    assert ("14", "2026-05-26", 50) == (invoice["PaymentCondition"], invoice["DueDate"].date().isoformat(),
                                        invoice["Status"])
    assert [] == world.exact.sandbox.bank_entries()
    [term] = _terms(world)
    assert (20, False, d("25.55"), "2026-05-26") == (term["Status"], term["IsFullyPaid"], d(str(term["AmountFC"])),
                                                     term["DueDate"].date().isoformat())


def test_an_unknown_method_is_held_naming_it_and_nothing_is_booked(world_of: Any) -> None:
    world = _direct(world_of)
    world.shop.sandbox.add_order(_paid_by("klarna"))
    result = world.run("orders")
    assert (0, 1) == (result.counts.get("created", 0), result.counts.get("failed", 0)), result
    assert "payment method 'klarna' is not in the payment map (known: banktransfer, ideal, shopifypayments) and " \
           "there is no default" in _reason(world), _reason(world)
    assert [] == _table(world, "SalesInvoices") and [] == world.exact.sandbox.bank_entries()


def test_a_default_gives_an_unknown_method_its_term(world_of: Any) -> None:
    world = world_of("booking_type: sales_invoice, journal: '70', payments: {methods: {ideal: {paid: true, "
                          "journal: '20', condition: IB}}, default: {days: 30}}")
    world.shop.sandbox.add_order(_paid_by("klarna"))
    assert 1 == world.run("orders").counts.get("created", 0)
    [invoice] = _table(world, "SalesInvoices")
    assert ("30", "2026-06-11") == (invoice["PaymentCondition"], invoice["DueDate"].date().isoformat())


def test_a_payment_whose_answer_is_lost_is_found_by_its_ourref_and_not_booked_twice(world_of: Any) -> None:
    world = _direct(world_of)
    world.shop.sandbox.add_order(_paid_by("ideal"))
    world.fault(world.exact, after=True, times=1, status=503, path_contains="financialtransaction/BankEntries",
                method="POST")  # Exact stores the entry, the answer is lost
    result = world.run("orders")
    assert (1, 0) == (result.counts.get("created", 0), result.counts.get("failed", 0)), result
    [entry] = world.exact.sandbox.bank_entries()
    assert 1 == len(entry["BankEntryLines"])
    assert _reported(world, result).startswith("registered (its answer was lost, found by OurRef): bank entry 1 "
                                               "pays 25.55 against invoice 26000001 (ideal, 2026-05-12)")
    assert all(t["Status"] == 50 for t in _terms(world))


def test_an_invoice_whose_answer_is_lost_is_still_processed_and_paid_once(world_of: Any) -> None:
    world = _direct(world_of)
    world.shop.sandbox.add_order(_paid_by("ideal"))
    world.fault(world.exact, after=True, times=1, status=503, path_contains="salesinvoice/SalesInvoices",
                method="POST")
    result = world.run("orders")
    assert (1, 0) == (result.counts.get("created", 0), result.counts.get("failed", 0)), result
    [invoice] = _table(world, "SalesInvoices")
    assert 50 == invoice["Status"] and 1 == len(world.exact.sandbox.bank_entries())


def test_a_draft_invoice_is_not_registered_as_paid_and_the_transfer_says_so(world_of: Any) -> None:
    world = _direct(world_of, ", on_difference: draft")
    world.shop.sandbox.add_order(_paid_by("ideal", total_price="26.55"))  # 0.98 beyond the tolerance: a draft
    result = world.run("orders")
    assert 1 == result.counts.get("created", 0), result
    [invoice] = _table(world, "SalesInvoices")
    assert 10 == invoice["Status"] and [] == world.exact.sandbox.bank_entries() and [] == _terms(world)
    assert _reported(world, result).startswith("draft invoice (Status 10, on_difference: draft) is not final: the "
                                               "ideal payment is not registered as paid")


def test_an_open_sales_invoice_gets_its_condition_but_is_not_registered_as_paid(world_of: Any) -> None:
    world = world_of(f"booking_type: sales_invoice, journal: '70', {MAP}")
    world.shop.sandbox.add_order(_paid_by("ideal"))
    result = world.run("orders")
    [invoice] = _table(world, "SalesInvoices")
    assert (20, "IB") == (invoice["Status"], invoice["PaymentCondition"]) and [] == world.exact.sandbox.bank_entries()
    assert _reported(world, result).startswith("invoice is open, not processed: Exact opens its receivable when it "
                                               "is processed, so the ideal payment is not registered")
