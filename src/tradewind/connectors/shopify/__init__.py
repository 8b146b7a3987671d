"""Shopify connector (Admin GraphQL API); importing the package registers it as ``shopify``."""

from tradewind.connectors.shopify.connector import Shopify, ShopifyOptions

__all__ = ["Shopify", "ShopifyOptions"]
