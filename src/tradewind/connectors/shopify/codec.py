"""Shopify GraphQL nodes ⇄ canonical entities. Pure functions: no I/O.

Shopify's price fields (``ProductVariant.price``) are bare decimals, and whether they include tax
is a shop setting: what a codec needs of the connection and the shop comes in a :class:`Settings`
that the bound resource builds (the shop's currency, its ``taxesIncluded``), never from keys
inside the records. Every decoder turns a bad field into a :class:`RecordError` naming the field,
so one odd record never stops a page.

The codecs live by entity beside this module (``codec_products``, ``codec_prices``, ``codec_stock``,
``codec_customers``, ``codec_orders``, with what they share in ``codec_common``); this module is
the one name the resources and tests import.
"""

from __future__ import annotations

from tradewind.connectors.shopify.codec_common import DEFAULT, Settings, fields_named
from tradewind.connectors.shopify.codec_customers import address_in, address_out, customer_in, customer_out, split_name
from tradewind.connectors.shopify.codec_orders import order_in
from tradewind.connectors.shopify.codec_prices import amount_for_shop, price_for_shop, price_in, price_out
from tradewind.connectors.shopify.codec_products import DEFAULT_OPTION, product_in, product_out, slugify
from tradewind.connectors.shopify.codec_stock import QUANTITY_NAMES, stock_in, stock_out

__all__ = [
    "DEFAULT", "DEFAULT_OPTION", "QUANTITY_NAMES", "Settings", "address_in", "address_out", "amount_for_shop",
    "customer_in", "customer_out", "fields_named", "order_in", "price_for_shop", "price_in", "price_out",
    "product_in", "product_out", "slugify", "split_name", "stock_in", "stock_out",
]
