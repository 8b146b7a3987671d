"""Shopify (Admin GraphQL API): products, prices, stock, customers and orders of one shop.

Calls per resource (N records, first sync / incremental):

* products — read: N/25 pages; write: one ``productSet`` per product (create is an upsert by
  handle, so a create retried after a crash never duplicates); lookups: one search per 50 terms
  (each product's variant SKUs and its handle, OR-ed), so products of V variants cost about
  N·(V+1)/50 searches.
* prices — one price per variant (price list ``default`` only); lookups N/250 searches by SKU
  (as many SKUs as an 800-point search holds, ``queries.SKU_LOOKUP_COST``), none for the variants a
  ``productSet`` answered with (pre-bound); writes one ``productVariantsBulkUpdate`` per product touched.
* stock — lookups N/159 searches by SKU per location (none for pre-bound variants); writes one
  ``inventorySetQuantities`` per 250 levels, under compare-and-swap (:mod:`.stock`): levels the engine
  hands without the quantity they compare with (neither found nor pre-bound) are read first (N/159
  searches), and a level that moved meanwhile is read again and sent once more.
* customers — read N/50 pages; lookups N/50 searches by e-mail; one call per write.
* orders — read N/5 pages (lines come along); read-only.
* refunds — read with their orders: N/3 pages of orders changed since the cursor (:mod:`.refunds`); read-only.
* order_payments — payments from the ERP: one search per 25 orders (their payment state), then one
  ``orderMarkAsPaid`` per order that is not paid yet; paid orders and partial payments cost no call.
* shipments — written as fulfillments: per shipment one read of the order's fulfillment orders and
  one ``fulfillmentCreate``; lookups one search per 10 orders (their fulfillments inline).
* products, customers and orders are read by GID (``get``) a page's worth a call, so a webhook
  or a replay reads just its records.

Each resource lives in its own module; this one declares them. Bound to a connection, a resource
holds the connection's :class:`~.options.ShopSettings` and hands its codec what it needs.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from functools import cached_property

from tradewind.connectors import connector
from tradewind.connectors.base import Check, Connector, UpdatedSince
from tradewind.connectors.pacing import CostBucket, shared_budget
from tradewind.connectors.shopify import checks, codec, queries
from tradewind.connectors.shopify.client import ShopifyClient
from tradewind.connectors.shopify.codec_refunds import refund_in
from tradewind.connectors.shopify.customers import CustomersResource
from tradewind.connectors.shopify.fulfillments import FulfillmentsResource, fulfillment_in, shipment_out
from tradewind.connectors.shopify.options import ShopifyOptions
from tradewind.connectors.shopify.order_payments import OrderPaymentsResource, order_payment_in, payment_out
from tradewind.connectors.shopify.orders import OrdersResource
from tradewind.connectors.shopify.prices import PricesResource
from tradewind.connectors.shopify.products import ProductsResource
from tradewind.connectors.shopify.refunds import RefundsResource
from tradewind.connectors.shopify.stock import StockResource
from tradewind.errors import ConfigError
from tradewind.model import Customer, Order, Payment, Price, Product, Refund, Shipment, StockLevel

__all__ = ["Shopify", "ShopifyOptions"]


@connector
class Shopify(Connector):
    """One Shopify shop through the Admin GraphQL API, paced by its calculated-cost bucket."""

    name = "shopify"
    label = "Shopify"
    Options = ShopifyOptions
    options: ShopifyOptions

    products = ProductsResource(
        Product, native_key="id", natural_keys=["key"], cursor=UpdatedSince("updatedAt"),
        can=["read", "create", "update"], decode=codec.product_in, encode=codec.product_out,
        description="Products with variants; the product key is stored as the handle (slugified). A product is "
                    "found by its variants' SKUs first, then by handle: one the shop holds under another handle "
                    "is bound, not created again; SKUs on several shop products fail the record, naming them",
    )
    prices = PricesResource(
        Price, native_key="id", natural_keys=["sku"], cursor=None, can=["update", "bulk"],
        decode=codec.price_in, encode=codec.price_out, batch_size=250,
        description="One price per variant (price list 'default'), converted to the shop's taxesIncluded",
    )
    stock = StockResource(
        StockLevel, native_key="id", natural_keys=["sku", "location"], cursor=None, can=["update", "bulk"],
        decode=codec.stock_in, encode=codec.stock_out, batch_size=queries.STOCK_PER_MUTATION,
        description="Available quantity per SKU and location (inventorySetQuantities, 250 per call)",
    )
    customers = CustomersResource(
        Customer, native_key="id", natural_keys=["email"], cursor=UpdatedSince("updatedAt"),
        can=["read", "create", "update"], decode=codec.customer_in, encode=codec.customer_out,
        description="Customers keyed by e-mail; a company on the default address makes a company customer",
    )
    orders = OrdersResource(
        Order, native_key="id", natural_keys=["number"], cursor=UpdatedSince("updatedAt", overlap=timedelta(seconds=2)),
        can=["read"], decode=codec.order_in,
        description="Orders keyed by name (#1001), with lines, shipping, discounts, payments and the buyer",
    )
    shipments = FulfillmentsResource(
        Shipment, native_key="id", natural_keys=["order_number", "number", "tracking_number"], cursor=None,
        can=["create"], decode=fulfillment_in, encode=shipment_out,
        description="Shipments written as fulfillments (fulfillmentCreate) of the order's fulfillment orders, with "
                    "tracking and the shipped lines; partial shipments allowed; found again by order and tracking "
                    "number",
    )

    refunds = RefundsResource(
        Refund, native_key="id", natural_keys=["order_number", "reference"], cursor=UpdatedSince("updatedAt"),
        can=["read"], decode=refund_in,
        description="Refunds of orders (Order.refunds): the lines given back by position, shipping, adjustments "
                    "and the money; one record per refund, read with orders changed since the cursor",
    )

    order_payments = OrderPaymentsResource(
        Payment, native_key="id", natural_keys=["order_number"], cursor=None, can=["update"],
        decode=order_payment_in, encode=payment_out,
        description="Payments received elsewhere (the ERP) marking orders paid (orderMarkAsPaid) where Shopify "
                    "allows it; an order paid already is left alone, a partial payment is reported, not marked paid",
    )

    def account_key(self) -> str:
        return f"shopify:{self.options.shop}"

    def checks(self) -> Iterator[Check]:
        """Sign-in, the shop's currency and tax setting, and the locations option (:mod:`.checks`)."""
        return checks.run(self.client, self.options)

    @cached_property
    def client(self) -> ShopifyClient:
        base = (self.options.base_url or f"https://{self.options.shop}").rstrip("/")
        return ShopifyClient(
            self.http, endpoint=f"{base}/admin/api/{self.options.api_version}/graphql.json",
            token=self.secret(self.options.token), bucket=self._bucket(), policy=self.retry,
        )

    def _bucket(self) -> CostBucket:
        """The shop's bucket in this process: one per ledger, whose figures every process shares."""
        ledger, account = self.ledger, self.account_key()
        key = account if ledger is None else f"{account}@{ledger.scope}"
        bucket = shared_budget(key, lambda: CostBucket(ledger=ledger, account=account))
        if not isinstance(bucket, CostBucket):
            raise ConfigError(f"budget of {account} is not a cost bucket")
        bucket.ledger = ledger  # the newest handle on the same shared figures
        return bucket

    def close(self) -> None:
        """What the answers said of the bucket goes to the ledger for other processes."""
        if "client" in self.__dict__:
            self.client.bucket.release()
        super().close()
