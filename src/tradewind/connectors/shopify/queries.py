"""Every GraphQL document the Shopify connector sends, as module constants (Admin API 2026-07).

Kept in one place so ``tests/connectors/shopify/test_schema.py`` can validate each of them against
Shopify's published schema: a field the real API would refuse fails CI, not a customer's sync.

Page sizes keep each document's requested cost well below Shopify's single-query maximum of 1000
points and leave room in a 1000-point bucket for other flows (rules:
https://shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits — objects 1, connections
2 + ``first`` × node). Nested connections (a product's variants, an order's lines) bring a first
slice inline; the rest, rarely needed, comes with a follow-up query (``*_REST``).
"""

from __future__ import annotations

from functools import lru_cache

PAGE_MAX = 250
"""Shopify's maximum ``first`` for any connection."""

PRODUCTS_PAGE = 25
"""Products per page (each with up to 10 variants inline: about 600 points requested)."""
CUSTOMERS_PAGE = 50
"""Customers per page (each with up to 5 addresses inline: about 550 points requested)."""
ORDERS_PAGE = 5
"""Orders per page (each with up to 10 lines inline: about 700 points requested)."""
KEYS_PER_LOOKUP = 50
"""Natural keys OR-ed into one search (product SKUs and handles, e-mail addresses)."""
SKU_LOOKUP_COST = 800
"""Points a search of variants by SKU (prices, stock) may request: its SKUs are as many as fit
(``cost.lookup_size``: 250 for prices, 159 for stock with their levels), each answered in the page.
Shopify documents no limit on a query's terms, only on its cost (1000 a query); 800 is what a
catalogue call may take from a full 1000-point bucket above the reserve it leaves to orders."""
PRODUCT_KEYS_PER_LOOKUP = PRODUCTS_PAGE
"""Handles per product search: products bring their variants, so fewer fit in one query."""
STOCK_PER_MUTATION = 250
"""Quantities per ``inventorySetQuantities`` call."""

# -- fragments (not sent alone) -----------------------------------------------------------------

ADDRESS_FIELDS = """
fragment AddressFields on MailingAddress {
  name firstName lastName company address1 address2 zip city province provinceCode countryCodeV2 phone
}
"""

VARIANT_FIELDS = """
fragment VariantFields on ProductVariant {
  id sku barcode title position price compareAtPrice
  selectedOptions { name value }
}
"""

PRODUCT_FIELDS = """
fragment ProductFields on Product {
  id handle title descriptionHtml vendor productType status tags updatedAt
  options { name position }
  variants(first: 10) { nodes { ...VariantFields } pageInfo { hasNextPage endCursor } }
}
""" + VARIANT_FIELDS

CUSTOMER_FIELDS = """
fragment CustomerFields on Customer {
  id firstName lastName displayName note taxExempt tags updatedAt
  defaultEmailAddress { emailAddress }
  defaultPhoneNumber { phoneNumber }
  defaultAddress { ...AddressFields }
  addressesV2(first: 5) { nodes { ...AddressFields } }
}
""" + ADDRESS_FIELDS

TAX_LINE_FIELDS = """
fragment Bag on MoneyBag { shopMoney { amount currencyCode } presentmentMoney { amount currencyCode } }
fragment TaxLineFields on TaxLine {
  title ratePercentage priceSet { ...Bag }
}
"""

LINE_FIELDS = """
fragment LineFields on LineItem {
  sku title name quantity
  originalUnitPriceSet { ...Bag }
  totalDiscountSet { ...Bag }
  taxLines { ...TaxLineFields }
}
""" + TAX_LINE_FIELDS

ORDER_FIELDS = """
fragment OrderFields on Order {
  id name email phone note tags createdAt updatedAt cancelledAt currencyCode presentmentCurrencyCode taxesIncluded
  displayFinancialStatus displayFulfillmentStatus discountCodes paymentGatewayNames
  subtotalPriceSet { ...Bag }
  totalTaxSet { ...Bag }
  totalPriceSet { ...Bag }
  totalDiscountsSet { ...Bag }
  customer { id firstName lastName displayName defaultEmailAddress { emailAddress } defaultPhoneNumber { phoneNumber } }
  billingAddress { ...AddressFields }
  shippingAddress { ...AddressFields }
  lineItems(first: 10) { nodes { ...LineFields } pageInfo { hasNextPage endCursor } }
  shippingLines(first: 3) {
    nodes { title code originalPriceSet { ...Bag } taxLines { ...TaxLineFields } }
  }
  transactions(first: 5) { kind status gateway processedAt amountSet { ...Bag } }
  customAttributes { key value }
  paymentTerms { paymentTermsName paymentTermsType dueInDays }
  purchasingEntity {
    ... on PurchasingCompany { company { name } location { name taxSettings { taxRegistrationId } } }
  }
}
""" + LINE_FIELDS + ADDRESS_FIELDS
"""An order as booked: the buyer's VAT number is the B2B company location's tax registration id
(``purchasingEntity``), else a checkout attribute (``customAttributes``, REST ``note_attributes``) as EU
VAT apps write it."""

# -- products -----------------------------------------------------------------------------------

PRODUCTS = """
query Products($first: Int!, $after: String, $query: String) {
  products(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {
    nodes { ...ProductFields }
    pageInfo { hasNextPage endCursor }
  }
}
""" + PRODUCT_FIELDS
"""Products changed since a time (``updated_at:>='…'``), or those with given handles."""

PRODUCT_VARIANTS_REST = """
query ProductVariantsRest($id: ID!, $after: String) {
  product(id: $id) {
    variants(first: 100, after: $after) { nodes { ...VariantFields } pageInfo { hasNextPage endCursor } }
  }
}
""" + VARIANT_FIELDS
"""The variants of one product beyond the inline ten (many sizes and colours)."""

PRODUCT_SET = """
mutation ProductSet($identifier: ProductSetIdentifiers, $input: ProductSetInput!, $variants: Int!) {
  productSet(identifier: $identifier, input: $input, synchronous: true) {
    product {
      id handle title descriptionHtml vendor productType status tags updatedAt
      options { name position }
      variants(first: $variants) { nodes { ...VariantFields inventoryItem { id } } pageInfo { hasNextPage endCursor } }
    }
    userErrors { field message code }
  }
}
""" + VARIANT_FIELDS
"""Create (an upsert by handle, so a create retried after a crash never duplicates) or update a product.
Its variants answer with their inventory items too: the price and stock records they name are bound
from it. ``$variants`` is the number of variants written (``productSet`` keeps exactly those), at most
a page of 250: every variant comes back in the answer, asked for at the cost of those it has, and a
product of more (Shopify allows 2048) reads the rest with ``PRODUCT_SET_VARIANTS_REST``."""

PRODUCT_SET_VARIANTS_REST = """
query ProductSetVariantsRest($id: ID!, $after: String) {
  product(id: $id) {
    variants(first: 250, after: $after) {
      nodes { ...VariantFields inventoryItem { id } }
      pageInfo { hasNextPage endCursor }
    }
  }
}
""" + VARIANT_FIELDS
"""The variants of a product just written beyond the first 250, with their inventory items (only
when the answer says ``hasNextPage``)."""

# -- prices and stock ---------------------------------------------------------------------------

VARIANTS_BY_SKU = """
query VariantsBySku($first: Int!, $after: String, $query: String!) {
  productVariants(first: $first, after: $after, query: $query) {
    nodes { id sku price compareAtPrice product { id } inventoryItem { id } }
    pageInfo { hasNextPage endCursor }
  }
}
"""
"""Variants with given SKUs (``sku:"A" OR sku:"B"``): price records and the variant → product index."""

VARIANTS_BULK_UPDATE = """
mutation VariantsBulkUpdate($productId: ID!, $variants: [ProductVariantsBulkInput!]!) {
  productVariantsBulkUpdate(productId: $productId, variants: $variants, allowPartialUpdates: true) {
    productVariants { id sku price compareAtPrice product { id } inventoryItem { id } }
    userErrors { field message code }
  }
}
"""
"""New prices for several variants of one product in one call; valid ones are kept when others fail."""

SHOP = """
query Shop {
  shop { currencyCode taxesIncluded }
}
"""
"""The shop's currency and whether its prices include tax, read once before prices are written."""

STOCK_BY_SKU = """
query StockBySku($first: Int!, $after: String, $query: String!, $locationId: ID!) {
  productVariants(first: $first, after: $after, query: $query) {
    nodes {
      id sku product { id }
      inventoryItem {
        id
        inventoryLevel(locationId: $locationId) {
          quantities(names: ["available", "on_hand", "committed", "incoming"]) { name quantity }
        }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""
"""Inventory items and quantities of given SKUs at one location."""

LOCATIONS_PAGE = 20
"""Locations a page. Shopify reserves a query's requested cost (2 + ``first``) before running it, so
``first: 250`` held back 252 points for a shop's few locations: 2.7 s of refill when the stock flow
starts on a bucket the products flow drained. A shop with more active locations pages."""

LOCATIONS = """
query Locations($first: Int!, $after: String) {
  locations(first: $first, after: $after, includeInactive: false) {
    nodes { id name isActive }
    pageInfo { hasNextPage endCursor }
  }
}
"""

INVENTORY_SET = """
mutation InventorySet($input: InventorySetQuantitiesInput!, $key: String!) {
  inventorySetQuantities(input: $input) @idempotent(key: $key) {
    inventoryAdjustmentGroup { id }
    userErrors { field message code }
  }
}
"""
"""Absolute ``available`` quantities for up to 250 item/location pairs in one call, each with the
``changeFromQuantity`` it replaces; the ``@idempotent`` key is required since 2026-04 (see ``stock.py``)."""

# -- customers ----------------------------------------------------------------------------------

CUSTOMERS = """
query Customers($first: Int!, $after: String, $query: String) {
  customers(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {
    nodes { ...CustomerFields }
    pageInfo { hasNextPage endCursor }
  }
}
""" + CUSTOMER_FIELDS
"""Customers changed since a time, or those with given e-mail addresses."""

CUSTOMER_CREATE = """
mutation CustomerCreate($input: CustomerInput!) {
  customerCreate(input: $input) {
    customer { ...CustomerFields }
    userErrors { field message }
  }
}
""" + CUSTOMER_FIELDS

CUSTOMER_UPDATE = """
mutation CustomerUpdate($input: CustomerInput!) {
  customerUpdate(input: $input) {
    customer { ...CustomerFields }
    userErrors { field message }
  }
}
""" + CUSTOMER_FIELDS

# -- orders -------------------------------------------------------------------------------------

ORDERS = """
query Orders($first: Int!, $after: String, $query: String) {
  orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {
    nodes { ...OrderFields }
    pageInfo { hasNextPage endCursor }
  }
}
""" + ORDER_FIELDS
"""Orders changed since a time, or those with given names (``name:"#1001"``)."""

ORDER_LINES_REST = """
query OrderLinesRest($id: ID!, $after: String) {
  order(id: $id) {
    lineItems(first: 50, after: $after) { nodes { ...LineFields } pageInfo { hasNextPage endCursor } }
  }
}
""" + LINE_FIELDS
"""The lines of one order beyond the inline ten."""

# -- reading by id -------------------------------------------------------------------------------


@lru_cache(maxsize=32)
def by_ids(field: str, fragment: str, count: int) -> str:
    """One document reading ``count`` records by GID, as aliased root fields (``n0: product(id: $id0)``).

    Shopify's ``nodes(ids:)`` would do the same; aliases of the typed root fields ask only for what
    every API version (and the sandbox) serves, and cost the same: each record is one object with
    its fragment. A record that is gone answers null in its place."""
    name = fragment.split()[1]
    variables = ", ".join(f"$id{i}: ID!" for i in range(count))
    fields = " ".join(f"n{i}: {field}(id: $id{i}) {{ ...{name} }}" for i in range(count))
    kind = field[0].upper() + field[1:]
    return f"query {kind}ById({variables}) {{ {fields} }}\n" + fragment


PRODUCTS_BY_ID = by_ids("product", PRODUCT_FIELDS, PRODUCTS_PAGE)
"""Products by GID, a page's worth a call (a webhook's or a replay's records)."""
CUSTOMERS_BY_ID = by_ids("customer", CUSTOMER_FIELDS, CUSTOMERS_PAGE)
"""Customers by GID, a page's worth a call."""
ORDERS_BY_ID = by_ids("order", ORDER_FIELDS, ORDERS_PAGE)
"""Orders by GID, a page's worth a call (about 700 points, as a page of orders)."""

DOCUMENTS: dict[str, str] = {
    name: value
    for name, value in dict(globals()).items()
    if name.isupper() and isinstance(value, str) and value.lstrip().startswith(("query", "mutation"))
}
"""Every executable document by constant name (what the schema test validates)."""
