"""Which Exact document an order becomes (``booking.booking_type``) and the division facts its lines refer to.

Four booking types, as the APIcenter brief offers them for Exact Online, each an Exact endpoint
(https://start.exactonline.nl/docs/HlpRestAPIResourcesDetails.aspx?name=…):

* ``sales_order`` — ``salesorder/SalesOrders`` with ``SalesOrderLines`` (``SalesOrderSalesOrders``);
* ``sales_invoice`` — ``salesinvoice/SalesInvoices`` with ``SalesInvoiceLines``, in a sales ``Journal``;
  open (Status 20), or a real draft (Status 10) when the rules draft the booking
  (``SalesInvoiceSalesInvoices``: "10 = draft … 20 = open … 50 = processed");
* ``direct_invoice`` — the same invoice, then processed by ``salesinvoice/PrintedSalesInvoices``
  ("Processing is done via printing"; a drafted booking is left a draft, never processed);
* ``sales_entry`` — ``salesentry/SalesEntries`` with ``SalesEntryLines`` on revenue GL accounts with their
  VAT codes, in the sales journal: a financial entry without items (``SalesEntrySalesEntries``).

Lines refer to GL accounts and projects by Guid, shipping methods too (``sales/ShippingMethods``); the
project file names them by code, so :func:`division_facts` reads those small tables once per connection,
with the division's exchange rates (``financial/ExchangeRates``) for orders in another currency, kept for
``reference_minutes`` across runs (:mod:`.reference`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from tradewind.connectors.exact_online.client import ExactClient, Row, nested, parse_date
from tradewind.errors import RecordError
from tradewind.rules.settings import BookingType


@dataclass(frozen=True)
class Document:
    """One kind of Exact document: its endpoint, key, lines, date field and the account it is for."""

    path: str
    key: str
    lines: str
    date: str
    party: str
    label: str
    fields: tuple[str, ...]
    line_fields: tuple[str, ...]
    journal: bool = True

    @property
    def select(self) -> tuple[str, ...]:
        return (*self.fields, self.lines)


_ORDER_LINE = ("ID", "Item", "ItemCode", "Description", "Quantity", "UnitPrice", "Discount", "AmountFC", "AmountDC",
               "VATAmount", "VATCode", "VATPercentage", "LineNumber", "QuantityDelivered", "QuantityInvoiced",
               "CostCenter", "CostUnit", "Project")
SALES_ORDER = Document(
    "salesorder/SalesOrders", "OrderID", "SalesOrderLines", "OrderDate", "OrderedBy", "sales order",
    ("OrderID", "OrderNumber", "YourRef", "Description", "OrderDate", "Currency", "OrderedBy", "OrderedByName",
     "InvoiceTo", "DeliverTo", "DeliveryAddress", "PaymentCondition", "ShippingMethod", "WarehouseID", "Remarks",
     "Status", "InvoiceStatus", "DeliveryStatus", "AmountFC", "AmountFCExclVat", "AmountDC", "Modified"),
    _ORDER_LINE, journal=False)
SALES_INVOICE = Document(
    "salesinvoice/SalesInvoices", "InvoiceID", "SalesInvoiceLines", "InvoiceDate", "OrderedBy", "sales invoice",
    ("InvoiceID", "OrderNumber", "InvoiceNumber", "YourRef", "Description", "InvoiceDate", "OrderDate", "Currency",
     "OrderedBy", "OrderedByName", "InvoiceTo", "DeliverTo", "Journal", "PaymentCondition", "Remarks", "Status",
     "Type", "AmountFC", "AmountFCExclVat", "AmountDC", "VATAmountFC", "Modified"),
    ("ID", "Item", "ItemCode", "Description", "Quantity", "UnitPrice", "Discount", "AmountFC", "AmountDC",
     "VATAmountFC", "VATCode", "VATPercentage", "LineNumber", "GLAccount", "CostCenter", "CostUnit", "Project"))
SALES_ENTRY = Document(
    "salesentry/SalesEntries", "EntryID", "SalesEntryLines", "EntryDate", "Customer", "sales entry",
    ("EntryID", "EntryNumber", "YourRef", "Description", "EntryDate", "Currency", "Rate", "Customer", "CustomerName",
     "Journal", "PaymentCondition", "Status", "AmountFC", "AmountDC", "VATAmountFC", "Modified"),
    ("ID", "Description", "Quantity", "AmountFC", "AmountDC", "VATAmountFC", "VATCode", "VATPercentage",
     "LineNumber", "GLAccount", "GLAccountCode", "CostCenter", "CostUnit", "Project"))

DOCUMENTS: dict[BookingType, Document] = {
    BookingType.SALES_ORDER: SALES_ORDER, BookingType.SALES_INVOICE: SALES_INVOICE,
    BookingType.DIRECT_INVOICE: SALES_INVOICE, BookingType.SALES_ENTRY: SALES_ENTRY,
}
PRINT_PATH = "salesinvoice/PrintedSalesInvoices"

_TABLES = {"GLAccounts": "financial/GLAccounts", "Projects": "project/Projects",
           "ShippingMethods": "sales/ShippingMethods"}


class MissingCode(RecordError):
    """A code the project file names is not in the division's table as read: the kept tables are
    dropped (:func:`.reference.forget`) so a code added in Exact is read on the next run."""


@dataclass(frozen=True)
class DivisionFacts:
    """Codes → Guids of the division's GL accounts, projects and shipping methods, and its exchange rates
    (currency → ``(start, rate)`` pairs, newest last): read once per connection, handed to the codec."""

    ids: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    rates: Mapping[str, tuple[tuple[date, Decimal], ...]] = field(default_factory=dict)
    conditions: dict[str, int] = field(default_factory=dict)
    """Payment condition code → its ``PaymentDays`` (read when the booking has a payment map)."""

    def id_of(self, table: str, code: str, field_name: str) -> str:
        found = self.ids.get(table, {}).get(code.strip())
        if found is None:
            raise MissingCode(f"Exact Online has no {table[:-1]} with code {code!r} ({_TABLES[table]})",
                              field=field_name)
        return found

    def rate(self, currency: str, day: date) -> Decimal | None:
        """Exact's rate of ``currency`` valid on ``day`` (the latest that started by then), None without one."""
        valid = [rate for start, rate in self.rates.get(currency, ()) if start <= day]
        return valid[-1] if valid else None


def division_facts(client: ExactClient, *, need_rates: bool, need_conditions: bool = False) -> DivisionFacts:
    """The tables the booking's codes refer to: one call each (small settings tables), rates and payment
    conditions (``cashflow/PaymentConditions``: code and ``PaymentDays``) when asked."""
    ids = {name: {str(r.get("Code") or "").strip(): str(r["ID"]) for r in client.rows(path, {"$select": "ID,Code"})}
           for name, path in _TABLES.items()}
    rates: dict[str, list[tuple[date, Decimal]]] = {}
    if need_rates:
        for row in client.rows("financial/ExchangeRates", {"$select": "SourceCurrency,StartDate,Rate"}):
            start = parse_date(row.get("StartDate"))
            if start is not None and row.get("Rate") is not None:
                rates.setdefault(str(row["SourceCurrency"]).strip(), []).append(
                    (start.date(), Decimal(str(row["Rate"]))))
    conditions = {str(r.get("Code") or "").strip(): int(r.get("PaymentDays") or 0) for r in client.rows(
        "cashflow/PaymentConditions", {"$select": "Code,PaymentDays"})} if need_conditions else {}
    return DivisionFacts(ids, {c: tuple(sorted(v)) for c, v in rates.items()}, conditions)


def lines_of(row: Row, document: Document) -> list[Row]:
    return nested(row.get(document.lines))
