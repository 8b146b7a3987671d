"""IP-Soft (SOAP): customers, products, prices and stock from the ERP; B2B orders into it.

IP-Soft publishes no contract. The shipped WSDL (``wsdl/ipsoft.wsdl`` with ``ipsoft.xsd``) is
tradewind's *model* of such an ERP's SOAP service, built from the Le New Black / IP-Soft brief;
a customer's real WSDL replaces it through the ``wsdl`` option, and then only ``client.py`` (the
operations per resource, the auth header, the fault codes) and ``codec.py`` (element names) change.
This module names no SOAP operation or element: its resources delegate to the client and codec.

Reads are incremental on ``ModifiedAt`` (explicit UTC, as the WSDL defines), paged by continuation
token. Orders are created and found again by the portal's order number in ``ExternalReference``;
an order whose customer has no valid IP-Soft customer number is blocked with that reason.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

from pydantic import Field, model_validator

from tradewind.connectors import connector
from tradewind.connectors.base import (
    Ambiguous,
    Capability,
    ConnectionOptions,
    Connector,
    Decode,
    Encode,
    Found,
    NativeRecord,
    Page,
    Resource,
    SecretRef,
    UpdatedSince,
)
from tradewind.connectors.ip_soft import client as soap
from tradewind.connectors.ip_soft import codec
from tradewind.connectors.pacing import Window, WindowBudget, shared_budget
from tradewind.errors import RecordError
from tradewind.model import Customer, Entity, Order, Price, Product, StockLevel

E = TypeVar("E", bound=Entity)


class IPSoftOptions(ConnectionOptions):
    """Where the service lives, how to sign in, and which WSDL describes it."""

    endpoint: str = Field(description="URL of the IP-Soft SOAP service (the WSDL's soap:address is ignored)",
                          examples=["https://erp.example.com/soap/IPSoftService"],
                          pattern=r"^https?://[^\s]+$")
    wsdl: str | None = Field(None, description="Path or URL of the service's WSDL; empty for the WSDL shipped with "
                             "tradewind, which is a model of an IP-Soft service, not IP-Soft's own",
                             examples=["https://erp.example.com/soap/IPSoftService?wsdl"])
    username: str | None = Field(None, description="User name for the SOAP AuthHeader (with password)",
                                 examples=["tradewind"])
    password: SecretRef | None = Field(None, description="Password for the SOAP AuthHeader",
                                       examples=["${IPSOFT_PASSWORD}"])
    api_key: SecretRef | None = Field(None, description="API key for the SOAP AuthHeader, instead of user and "
                                      "password", examples=["${IPSOFT_API_KEY}"])
    page_size: int = Field(soap.PAGE_SIZE, ge=1, le=500, description="Records asked for per List call",
                           examples=[200])
    calls_per_minute: int = Field(600, ge=1, le=1_000_000, description="Calls allowed per minute; IP-Soft publishes "
                                  "no limit, so set what the customer's host allows", examples=[600])
    price_lists: list[str] = Field(default_factory=list, description="Price lists whose prices are read; empty for "
                                   "all", examples=[["WHOLESALE-EUR"]])
    warehouses: list[str] = Field(default_factory=list, description="Warehouses whose stock is read; empty for all",
                                  examples=[["MAIN"]])

    @model_validator(mode="after")
    def _one_way_to_sign_in(self) -> IPSoftOptions:
        if self.api_key is None and (self.username is None or self.password is None):
            raise ValueError("set api_key, or username and password")
        return self


Query = Callable[[IPSoftOptions], dict[str, Any]]
"""The connection's own restriction of a List call (price lists, warehouses)."""


def _since(value: str | None) -> datetime | None:
    if not value:
        return None
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise RecordError(f"cursor {value!r} has no time zone; IP-Soft filters on explicit UTC")
    return moment


class IPSoftResource(Resource[E]):
    """A resource over the client's :class:`~.client.Operations`: reads page by token, finds and
    gets by the operations the table names, creates through the create operation."""

    def __init__(self, entity: type[E], *, ops: soap.Operations, native_id: Callable[[dict[str, Any]], str],
                 native_key: str, natural_keys: Sequence[str], can: Sequence[Capability], decode: Decode[E],
                 encode: Encode[E] | None = None, query: Query | None = None, description: str = "") -> None:
        cursor = UpdatedSince(soap.MODIFIED) if ops.list else None
        super().__init__(entity, native_key=native_key, natural_keys=natural_keys, cursor=cursor, can=can,
                         decode=decode, encode=encode, description=description)
        self.ops = ops
        self.native_id = native_id
        self.query = query

    def _record(self, row: dict[str, Any]) -> NativeRecord:
        return codec.record(row, self.native_id(row))

    def pages(self, client: soap.IPSoftClient, since: str | None) -> Iterator[Page]:
        extra = self.query(client.options) if self.query else {}
        for rows in client.pages(self.ops, _since(since), **extra):
            last = rows[-1].get(soap.MODIFIED) if rows else None
            yield Page(records=[self._record(row) for row in rows], cursor=last)

    def find(self, client: soap.IPSoftClient, keys: Mapping[str, str]) -> Found:
        searchable = [k for k in keys if k in self.ops.finds]
        if not searchable:
            raise RecordError(f"{self.name} cannot be found by {sorted(keys)} in IP-Soft "
                              f"(by: {', '.join(sorted(self.ops.finds)) or 'nothing'})")
        searched = searchable[0]
        rest = {k: v for k, v in keys.items() if k != searched}
        rows = client.find(self.ops, searched, keys[searched])
        records = [r for r in map(self._record, rows) if not rest or self._has(r, rest)]
        if len({r.id for r in records}) > 1:
            return Ambiguous(tuple(sorted({r.id for r in records})))
        return records[0] if records else None

    def _has(self, record: NativeRecord, keys: Mapping[str, str]) -> bool:
        entity = self.decode(record.data)
        return all(str(getattr(entity, k, None)) == str(v) for k, v in keys.items())

    def get(self, client: soap.IPSoftClient, ids: Sequence[str]) -> list[NativeRecord | None]:
        by_id = {self.native_id(row): row for row in client.get(self.ops, ids)}
        return [self._record(by_id[i]) if i in by_id else None for i in ids]

    def create(self, client: soap.IPSoftClient, native: dict[str, Any]) -> NativeRecord:
        if "create" not in self.can:
            return super().create(client, native)
        return self._record(client.create(self.ops, native))


@connector
class IPSoft(Connector):
    """IP-Soft ERP over SOAP 1.1 (zeep), described by a WSDL that models the service."""

    name = "ip_soft"
    label = "IP-Soft (SOAP)"
    Options = IPSoftOptions

    customers = IPSoftResource(
        Customer, ops=soap.CUSTOMERS, native_id=codec.customer_id, native_key="CustomerNumber",
        natural_keys=["reference"], can=["read"], decode=codec.customer_in,
        description="Customers with billing address and buyers; found by customer number, e-mail or VAT number")
    products = IPSoftResource(
        Product, ops=soap.PRODUCTS, native_id=codec.product_id, native_key="ProductCode", natural_keys=["key"],
        can=["read"], decode=codec.product_in,
        description="Products with category, colour, composition and sizes (variants with EAN13)")
    prices = IPSoftResource(
        Price, ops=soap.PRICES, native_id=codec.price_id, native_key="EntryId",
        natural_keys=["sku", "price_list", "min_quantity"], can=["read"], decode=codec.price_in,
        query=lambda o: {"PriceList": list(o.price_lists)} if o.price_lists else {},
        description="Price-list entries per customer group and currency (those in price_lists, or all)")
    stock = IPSoftResource(
        StockLevel, ops=soap.STOCK, native_id=codec.stock_id, native_key="Warehouse/Sku",
        natural_keys=["sku", "location"], can=["read"], decode=codec.stock_in,
        query=lambda o: {"Warehouse": list(o.warehouses)} if o.warehouses else {},
        description="Available-to-sell stock per SKU and warehouse (those in warehouses, or all)")
    orders = IPSoftResource(
        Order, ops=soap.ORDERS, native_id=codec.order_id, native_key="OrderNumber", natural_keys=["number"],
        can=["create"], decode=codec.order_in, encode=codec.order_out,
        description="Sales orders, created with their lines; ExternalReference holds the portal's order number; "
                    "an order whose customer has no valid IP-Soft customer number is blocked")

    def __init__(self, options: ConnectionOptions, **kwargs: Any) -> None:
        super().__init__(options, **kwargs)
        self._client: soap.IPSoftClient | None = None

    @property
    def opts(self) -> IPSoftOptions:
        assert isinstance(self.options, IPSoftOptions)
        return self.options

    def account_key(self) -> str:
        return f"ip_soft:{self.opts.endpoint.rstrip('/')}"

    @property
    def client(self) -> soap.IPSoftClient:
        if self._client is None:
            options = self.opts
            credentials = soap.Credentials(
                username=options.username, password=self.secret(options.password) if options.password else None,
                api_key=self.secret(options.api_key) if options.api_key else None)
            self._client = soap.IPSoftClient(
                http=self.http, endpoint=options.endpoint, wsdl=options.wsdl or soap.shipped_wsdl(),
                credentials=credentials, budget=self._budget(options), retry=self.retry, page_size=options.page_size,
                options=options)
        return self._client

    def _budget(self, options: IPSoftOptions) -> WindowBudget:
        """The account's per-minute budget in this process, shared through the ledger when one is given."""
        ledger, account = self.ledger, self.account_key()
        key = account if ledger is None else f"{account}@{ledger.scope}"

        def make() -> WindowBudget:
            limit, now = options.calls_per_minute, time.time()
            return WindowBudget(windows=[Window("minute", limit, 60.0, limit, now - now % 60 + 60)], ledger=ledger,
                                account=account)

        budget = shared_budget(key, make)
        assert isinstance(budget, WindowBudget)
        budget.ledger = ledger
        return budget

    def close(self) -> None:
        """Calls reserved and not made go back to the shared budget."""
        if self._client is not None:
            self._client.budget.release()
        super().close()
