"""Exact Online: one division's items (grouped into products), prices, stock, customers and sales orders.

Reads are incremental: products, prices, stock and customers through the sync API (``Timestamp``,
1,000 rows a call), orders by ``Modified``. Calls are paced by the division's shared minute/day budget.

Since 2021 Exact refuses a GET without ``$filter`` on every standard or bulk endpoint that has a sync
counterpart (Items, SalesItemPrices, ItemWarehouses, Accounts, Contacts, SalesOrders, SalesOrderLines;
Exact release note 2107 "mandatory filtering", answered "This endpoint has mandatory filtering
applied…", picqer/exact-php-client#591). So full reads go through ``sync/`` endpoints, look-ups
filter by their keys, and the one read by ``Modified`` (orders) always carries a lower bound.
Orders, customers, prices and stock are read by id (``get``) in ``or``-filters of Guids, one call
per ~40 ids.

Each resource lives in its own module; this one declares them. Bound to a connection, a resource
holds the connection's options and hands its codec :class:`~.codec.Settings` explicitly.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tradewind.connectors import connector
from tradewind.connectors.base import Check, ConnectionOptions, Connector, SyncToken, UpdatedSince
from tradewind.connectors.exact_online import checks, codec, reference
from tradewind.connectors.exact_online.client import Credentials, ExactClient
from tradewind.connectors.exact_online.contacts import CONTACT_FIELDS, ContactResource, contact_in
from tradewind.connectors.exact_online.customers import CustomerResource
from tradewind.connectors.exact_online.invoices import INVOICE_FIELDS, InvoiceResource, invoice_in, number_clause
from tradewind.connectors.exact_online.options import ExactOnlineOptions
from tradewind.connectors.exact_online.orders import OrderResource
from tradewind.connectors.exact_online.payments import TERM_FIELDS, PaymentResource, payment_in
from tradewind.connectors.exact_online.prices import PriceResource
from tradewind.connectors.exact_online.products import ProductResource
from tradewind.connectors.exact_online.refunds import CreditNoteResource, not_bound, not_read
from tradewind.connectors.exact_online.resource import eq
from tradewind.connectors.exact_online.shipments import DELIVERY_FIELDS, ShipmentResource, shipment_in
from tradewind.connectors.exact_online.stock import StockResource
from tradewind.connectors.exact_online.vat import ITEMS_BULK
from tradewind.connectors.pacing import WindowBudget, shared_budget
from tradewind.model import Customer, Invoice, Order, Payment, Price, Product, Shipment, StockLevel
from tradewind.model.refund import Refund

__all__ = ["ExactOnline", "ExactOnlineOptions"]


@connector
class ExactOnline(Connector):
    """Exact Online (one division) over its REST API."""

    name = "exact_online"
    label = "Exact Online"
    Options = ExactOnlineOptions

    products = ProductResource(
        Product, path=ITEMS_BULK, select=codec.ITEM_FIELDS, native_key="ID", natural_keys=["key"],
        cursor=SyncToken("Timestamp"), can=["read"], decode=codec.product_in, lookups={},
        description="Items grouped into products by the model code in group_field")
    prices = PriceResource(
        Price, path="logistics/SalesItemPrices", sync_path="sync/Logistics/SalesItemPrices",
        select=codec.PRICE_FIELDS, native_key="ID", natural_keys=["sku", "price_list", "min_quantity"],
        cursor=SyncToken("Timestamp"), can=["read"], decode=codec.price_in,
        lookups={"sku": eq("trim(ItemCode)")}, description="Sales item prices, general and per customer")
    stock = StockResource(
        StockLevel, path="inventory/ItemWarehouses", sync_path="sync/Inventory/ItemWarehouses",
        select=(*codec.STOCK_FIELDS, "Timestamp"), native_key="ID", natural_keys=["sku", "location"],
        cursor=SyncToken("Timestamp"), can=["read"], decode=codec.stock_in,
        lookups={"sku": eq("trim(ItemCode)"), "location": eq("trim(WarehouseCode)")},
        description="Stock per item and warehouse (those in stock_warehouses, or all), placed on locations "
                    "by stock_warehouses or summed into stock_sum_into")
    customers = CustomerResource(
        Customer, path="crm/Accounts", sync_path="sync/CRM/Accounts", select=(*codec.ACCOUNT_FIELDS, "Timestamp"),
        native_key="ID", natural_keys=["email"], cursor=SyncToken("Timestamp"), can=["read", "create", "update"],
        decode=codec.customer_in, encode=codec.customer_out,
        lookups={"email": eq("Email"), "vat_number": eq("VATNumber"), "reference": eq("trim(Code)")},
        description="Sales accounts with their contact people")
    contacts = ContactResource(
        Customer, path="crm/Contacts", sync_path="sync/CRM/Contacts", select=CONTACT_FIELDS, native_key="ID",
        natural_keys=["email"], cursor=SyncToken("Timestamp"), can=["read"], decode=contact_in,
        lookups={"email": eq("Email")},
        description="Contact people as customers for a shop, one per contact, with their account's company name "
                    "and address; an e-mail address two contacts share fails both, naming them")
    orders = OrderResource(
        Order, path="salesorder/SalesOrders", select=codec.ORDER_FIELDS, native_key="OrderID",
        natural_keys=["number"], cursor=UpdatedSince("Modified"), can=["read", "create", "update"],
        decode=codec.order_in, encode=codec.order_out, expand="SalesOrderLines",
        lookups={"number": eq("YourRef")},
        description="Sales orders with their lines; YourRef holds the shop's number")
    shipments = ShipmentResource(
        Shipment, path="salesorder/GoodsDeliveries", select=DELIVERY_FIELDS, native_key="EntryID",
        natural_keys=["order_number", "number"], cursor=UpdatedSince("Modified"), can=["read"],
        decode=shipment_in, expand="GoodsDeliveryLines", lookups={"number": lambda n: f"DeliveryNumber eq {int(n)}"},
        description="Goods deliveries with their lines as shipments of the shop's order (the sales order's YourRef), "
                    "with tracking number and shipping method")
    credit_notes = CreditNoteResource(
        Refund, path="salesinvoice/SalesInvoices", select=("InvoiceID", "InvoiceNumber", "YourRef", "Type"),
        native_key="InvoiceID", natural_keys=["order_number", "reference"], cursor=None, can=["create"],
        decode=not_read, encode=not_bound, lookups={},
        description="Shop refunds as sales credit notes (Type 8021) reversing the order's booking — for orders "
                    "booked as sales entries, sales entries of the booked lines reversed on their GL accounts; "
                    "YourRef holds the order's number and the refund's (#1001/R123); the order must be booked first")
    payments = PaymentResource(
        Payment, path="cashflow/Receivables", sync_path="sync/Cashflow/PaymentTerms", select=TERM_FIELDS,
        native_key="TransactionEntryID", natural_keys=["order_number", "invoice_number"],
        cursor=SyncToken("Timestamp"), can=["read"], decode=payment_in, lookups={},
        description="Payments received: invoices and sales entries a bank payment was matched with (the sync API's "
                    "receivables), one record per invoice, paid in full or in part; order_number is the invoice's "
                    "YourRef (the shop's number)")
    invoices = InvoiceResource(
        Invoice, path="salesinvoice/SalesInvoices", select=INVOICE_FIELDS, native_key="InvoiceID",
        natural_keys=["number"], cursor=UpdatedSince("Modified"), can=["read"], decode=invoice_in,
        expand="SalesInvoiceLines", lookups={"number": number_clause},
        description="Processed sales invoices and credit notes (Status 50, numbered) with their lines and the "
                    "customer's e-mail address (the invoice's contact person, else its account), for the invoice mail")

    def __init__(self, options: ConnectionOptions, **kwargs: Any) -> None:
        super().__init__(options, **kwargs)
        self._client: ExactClient | None = None

    @property
    def opts(self) -> ExactOnlineOptions:
        assert isinstance(self.options, ExactOnlineOptions)
        return self.options

    def account_key(self) -> str:
        return f"exact_online:{self.opts.division}"

    @property
    def client(self) -> ExactClient:
        if self._client is None:
            options = self.opts
            budget = self._budget(options)
            credentials = Credentials(client_id=options.client_id, client_secret=self.secret(options.client_secret),
                                      refresh_token=self.secret(options.refresh_token),
                                      refresh_env=options.refresh_token.name)
            self._client = ExactClient(http=self.http, base_url=options.base_url, division=options.division,
                                       credentials=credentials, tokens=self.tokens, token_key=self.account_key(),
                                       budget=budget, retry=self.retry,
                                       reference=reference.shared(f"{self.account_key()}@{options.base_url}@"
                                                                  f"{self.ledger.scope if self.ledger else ''}",
                                                                  options.reference_minutes))
        return self._client

    def _budget(self, options: ExactOnlineOptions) -> WindowBudget:
        """The division's budget in this process: one per ledger, whose figures every process shares."""
        ledger, account = self.ledger, self.account_key()
        key = account if ledger is None else f"{account}@{ledger.scope}"
        budget = shared_budget(key, lambda: WindowBudget.per_minute_and_day(
            options.calls_per_minute, options.calls_per_day, ledger=ledger, account=account))
        assert isinstance(budget, WindowBudget)
        budget.ledger = ledger  # the newest handle on the same shared figures
        return budget

    def checks(self) -> Iterator[Check]:
        """Sign-in, VAT codes for the rates the booking uses, items and warehouses (:mod:`.checks`), read
        afresh (a check tells what Exact has now, not what this process kept)."""
        self.client.reference.forget()
        return checks.run(self.client, self.opts)

    def close(self) -> None:
        """Calls reserved and not made go back to the shared budget for other processes."""
        if self._client is not None:
            self._client.budget.release()
        super().close()
