"""``tradewind check`` for a Shopify connection: two reads, no writes.

1. authentication: ``shop { name currencyCode taxesIncluded }`` (one cheap query), and whether the
   shop's currency and tax setting are what the connection's options say;
2. locations: the ``locations`` option names active locations (one page of ``locations``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tradewind.connectors.base import Check
from tradewind.connectors.shopify import queries
from tradewind.connectors.shopify.client import ShopifyClient
from tradewind.connectors.shopify.options import ShopifyOptions

SHOP = "query Shop { shop { name currencyCode taxesIncluded } }"


def run(client: ShopifyClient, options: ShopifyOptions) -> Iterator[Check]:
    shop: dict[str, Any] = client.execute(SHOP).get("shop") or {}
    yield Check("authentication", "ok", f"shop {shop.get('name') or options.shop}")
    yield _currency(shop, options)
    if options.taxes_included is not None and shop.get("taxesIncluded") is not None \
            and bool(shop["taxesIncluded"]) != options.taxes_included:
        said = {True: "include", False: "exclude"}
        yield Check("taxes_included", "warn", f"the option says prices {said[options.taxes_included]} tax, the "
                                              f"shop's setting says they {said[bool(shop['taxesIncluded'])]} it; "
                                              "the option wins, so check which is right")
    yield from locations(client, options)


def _currency(shop: dict[str, Any], options: ShopifyOptions) -> Check:
    currency = shop.get("currencyCode")
    if currency and currency != options.default_currency:
        return Check("currency", "warn", f"the shop's currency is {currency}, default_currency says "
                                         f"{options.default_currency}")
    return Check("currency", "ok", str(currency or options.default_currency))


def locations(client: ShopifyClient, options: ShopifyOptions) -> Iterator[Check]:
    nodes = [n for page in client.paginate(queries.LOCATIONS, {}, "locations", queries.LOCATIONS_PAGE) for n in page]
    active = [n for n in nodes if n.get("isActive", True)]
    if not active:
        yield Check("locations", "fail", "the shop has no active location to hold stock")
        return
    if not options.locations:
        yield Check("locations", "ok", f"stock goes to the first active location, {active[0].get('name')!r}")
        return
    names = {str(n.get("name")) for n in active} | {str(n.get("id")) for n in active}
    for code, wanted in options.locations.items():
        yield (Check(f"locations.{code}", "ok", f"location {wanted!r} is active") if wanted in names else
               Check(f"locations.{code}", "fail", f"no active location {wanted!r}; active: "
                                                  f"{', '.join(sorted(str(n.get('name')) for n in active))}"))
