"""Processed sales invoices read from the Exact Online sandbox as canonical invoices: only numbered ones,
with their lines, and the customer's address from the contact person or the account — read per page in
one ``or``-filtered call each, never one call per invoice."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradewind.connectors.exact_online import ExactOnline
from tradewind.connectors.exact_online.invoices import invoice_in
from tradewind.connectors.pacing import forget_budgets
from tradewind.connectors.testing import FAST_RETRY
from tradewind.errors import RecordError
from tradewind.model import Invoice
from tradewind.sandboxes._serve import Served
from tradewind.sandboxes.exact_online import create_app
from tradewind.sandboxes.exact_online.ledger import INVOICES, PRINTED
from tradewind.sandboxes.exact_online.schema import ACCOUNTS

from .test_exact_online import DOC, ENVIRON, options

d = Decimal
HOFFMANN, SECOND, THIRD = DOC["accounts"][:3]
THIJS = next(c for c in DOC["contacts"] if c["Account"] == HOFFMANN["ID"])


@pytest.fixture
def served() -> Iterator[Served]:
    forget_budgets()
    with Served(create_app(seed=DOC, minutely_limit=10_000, daily_limit=1_000_000)) as served:
        yield served


@pytest.fixture
def connection(served: Served) -> Iterator[ExactOnline]:
    instance = ExactOnline(options(served.url), environ=ENVIRON, retry=FAST_RETRY)
    yield instance
    instance.close()


def _invoice(served: Served, account: dict[str, Any], ref: str, *, processed: bool = True, **extra: Any) -> str:
    state = served.sandbox
    body = {"OrderedBy": account["ID"], "Journal": "70", "YourRef": ref, "Currency": "EUR",
            "SalesInvoiceLines": [{"Item": DOC["items"][0]["ID"], "Quantity": 2, "UnitPrice": 20.0,
                                   "Discount": 0.1, "VATCode": "2"},
                                  {"Item": DOC["items"][1]["ID"], "Quantity": 1, "UnitPrice": 10.0, "VATCode": "1"}],
            **extra}
    invoice = state.create(INVOICES, body)
    if processed:
        state.create(PRINTED, {"InvoiceID": invoice["InvoiceID"]})
    return str(invoice["InvoiceID"])


def test_processed_invoices_are_read_with_lines_and_addresses_in_three_calls(connection: ExactOnline,
                                                                           served: Served) -> None:
    with served.sandbox.lock:
        served.sandbox.update(ACCOUNTS, THIRD["ID"].lower(), {"Email": None}, trusted=True)
    _invoice(served, HOFFMANN, "#1001", InvoiceToContactPerson=THIJS["ID"])
    _invoice(served, SECOND, "#1002")
    _invoice(served, THIRD, "#1003")
    _invoice(served, SECOND, "#1004", processed=False)  # open: no number yet, not read
    resource = connection.resource("invoices")
    resource.find(connection.client, {"number": "1"})  # the token is fetched before counting
    before = served.calls()

    records = [r for page in resource.pages(connection.client, None) for r in page.records]

    assert 3 == served.calls() - before  # the invoices with their lines, the contacts, the accounts
    invoices = sorted((resource.decode(r.data) for r in records), key=lambda i: i.order_number or "")
    assert [("#1001", THIJS["Email"]), ("#1002", SECOND["Email"]), ("#1003", None)] == [
        (i.order_number, i.customer.email) for i in invoices]
    first = invoices[0]
    assert ("26000001", HOFFMANN["Name"], "Thijs Hoffmann") == (
        first.number, first.customer.name, first.customer.contacts[0].full_name)
    assert [(d(2), d("20"), d("36.00"), d("7.56"), d(21)), (d(1), d("10"), d("10.00"), d("0.90"), d(9))] == [
        (ln.quantity, ln.unit_price.amount, ln.net_amount.amount, ln.tax.amount if ln.tax else None, ln.vat_rate)
        for ln in first.lines]
    assert (d("46.00"), d("8.46"), d("54.46"), "EUR") == (
        first.subtotal.amount, first.tax_total.amount, first.total.amount, first.total.currency)
    assert [] == [i for i in invoices if i.is_credit_note]


def test_an_invoice_is_found_by_its_number(connection: ExactOnline, served: Served) -> None:
    invoice_id = _invoice(served, SECOND, "#1002")
    resource = connection.resource("invoices")
    found = resource.find(connection.client, {"number": "26000001"})
    assert found is not None and not isinstance(found, tuple)
    assert invoice_id == getattr(found, "id", None)
    assert None is resource.find(connection.client, {"number": "not a number"})


def test_a_credit_note_is_an_invoice_of_its_order(connection: ExactOnline, served: Served) -> None:
    _invoice(served, SECOND, "#1002/R77", Type=8021, SalesInvoiceLines=[
        {"Item": DOC["items"][0]["ID"], "Quantity": -1, "UnitPrice": 20.0, "VATCode": "2"}])
    resource = connection.resource("invoices")
    [record] = [r for page in resource.pages(connection.client, None) for r in page.records]
    credit = resource.decode(record.data)
    assert (True, "#1002", d("-20.00"), d("-4.20"), d("-24.20")) == (
        credit.is_credit_note, credit.order_number, credit.subtotal.amount, credit.tax_total.amount,
        credit.total.amount)


def _row(lines: list[tuple[str, str]], header: str | None = None) -> dict[str, Any]:
    return {"InvoiceID": "x", "InvoiceNumber": 26000009, "Status": 50, "Currency": "EUR", "Type": 8020,
            "InvoiceDate": "/Date(1714521600000)/", "InvoiceToName": "Anna", "AmountFC": header,
            "SalesInvoiceLines": [{"LineNumber": n, "ItemCode": f"I{n}", "Description": "x", "Quantity": 1,
                                   "UnitPrice": float(net), "AmountFC": float(net), "VATAmountFC": float(vat),
                                   "VATPercentage": 0.21} for n, (net, vat) in enumerate(lines, 1)]}


def test_a_header_that_does_not_add_up_to_its_lines_is_refused() -> None:
    with pytest.raises(RecordError, match=r"total EUR 99.00 is not the sum of its lines \(EUR 10.00 net \+ 2.10"):
        invoice_in(_row([("10.00", "2.10")], header="99.00"))


cents = st.decimals(min_value=-5000, max_value=5000, places=2, allow_nan=False, allow_infinity=False)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(cents, cents), min_size=1, max_size=12))
def test_an_invoices_total_is_its_lines_net_plus_vat(lines: list[tuple[Decimal, Decimal]]) -> None:
    net, vat = sum(n for n, _ in lines), sum(v for _, v in lines)
    invoice = invoice_in(_row([(str(n), str(v)) for n, v in lines], header=str(net + vat)))
    assert isinstance(invoice, Invoice)
    assert (net, vat, net + vat) == (invoice.subtotal.amount, invoice.tax_total.amount, invoice.total.amount)
    assert invoice.total.amount == sum(ln.net_amount.amount + (ln.tax.amount if ln.tax else 0)
                                       for ln in invoice.lines)
