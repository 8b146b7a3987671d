"""The fewest calls a correct full catalogue sync from Exact Online to Shopify needs: the benchmark's floor.

A plain, sequential httpx client — no engine, no store, no mapping language — written against the
vendors' documented APIs (the same sandboxes the engine talks to), doing by hand what the sandbox
project's ``products``, ``prices`` and ``stock`` flows do together:

Exact Online
  1. one token grant (``POST /api/oauth2/token``, refresh-token grant);
  2. every item, every sales price and every item-warehouse row once, through the sync API (1,000 rows
     a call; ``inventory/ItemWarehouses`` may not be read unfiltered, and the sync API filters on
     ``Timestamp`` only, so other warehouses' rows are read and dropped): ⌈I/1000⌉ + ⌈R/1000⌉ + ⌈W/1000⌉.
     A full read sees every item of every model: grouping needs no further read.

Shopify
  3. the locations, once (the stock's location id);
  4. the products that may exist already, by their variants' SKUs and their handles, 50 OR-ed terms a
     search (nothing is bound yet: a product the shop holds must be updated, not duplicated):
     ⌈(I + P)/50⌉ on an empty shop;
  5. one ``productSet`` per product (Shopify has no bulk product write) carrying each variant's price
     (the general sales price, else the item's) and, for a product created, its available quantity
     at the location (``inventoryQuantities``): P. Prices and stock then need no call of their own.

So on an empty shop the floor is ``1 + ⌈I/1000⌉ + ⌈R/1000⌉ + ⌈W/1000⌉`` Exact calls and
``1 + ⌈(I+P)/50⌉ + P`` Shopify calls. What it does not do: a product found in the shop is updated
without its stock (``inventoryQuantities`` only apply on create; a populated shop would add one
``inventorySetQuantities`` per 250 levels after reading them) — the benchmark runs it on an empty
shop. It paces itself by the vendors' rules (Exact: the minutely window's headers and 429s; Shopify:
the cost bucket's ``throttleStatus`` and THROTTLED answers), so it may also run under real limits.
"""

from __future__ import annotations

import math
import re
import time
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

DIVISION = 123456
GROUP, OPTIONS = "FreeTextField_01", {"colour": "FreeTextField_02", "size": "FreeTextField_03"}
ITEM_SELECT = ("ID,Code,Description,Barcode,ExtraDescription,IsSalesItem,IsStockItem,ItemGroupDescription,EndDate,"
               f"StandardSalesPrice,Timestamp,{GROUP},{','.join(OPTIONS.values())}")
PRICE_SELECT = "ID,ItemCode,Account,Currency,Price,Quantity,Timestamp"
STOCK_SELECT = "ID,ItemCode,WarehouseCode,CurrentStock,ReservedStock,Timestamp"
WAREHOUSE = "1"
TERMS_PER_SEARCH = 50
VENDOR = "Tradewind Demo Goods"

LOCATIONS = "query Locations { locations(first: 5, includeInactive: false) { nodes { id } } }"
SEARCH = """query Search($query: String!, $after: String) {
  products(first: 25, after: $after, query: $query) {
    nodes { id handle variants(first: 10) { nodes { sku } } }
    pageInfo { hasNextPage endCursor }
  }
}"""
PRODUCT_SET = """mutation ProductSet($identifier: ProductSetIdentifiers, $input: ProductSetInput!) {
  productSet(identifier: $identifier, input: $input, synchronous: true) {
    product { id }
    userErrors { field message code }
  }
}"""


@dataclass
class Tally:
    """Calls made by kind, and Shopify's actual cost points."""

    calls: Counter[str] = field(default_factory=Counter)
    points: float = 0.0
    refused: int = 0

    def system(self, name: str) -> int:
        return sum(n for kind, n in self.calls.items() if kind.startswith(name))


class MinimalSync:
    """One full sync, sequential, by the fewest calls (see the module docstring)."""

    def __init__(self, exact_url: str, shop_url: str, secrets: dict[str, str], *, prefix: str = "BENCH") -> None:
        self.exact_url, self.shop_url = exact_url.rstrip("/"), shop_url.rstrip("/")
        self.secrets, self.prefix = secrets, prefix
        self.http = httpx.Client(timeout=120)
        self.tally = Tally()
        self.token = ""
        self.bucket_wait = 0.0  # seconds to wait before the next Shopify call (cost bucket)

    # -- Exact Online ---------------------------------------------------------------------------

    def grant(self) -> None:
        form = {"grant_type": "refresh_token", "refresh_token": self.secrets[f"{self.prefix}_EXACT_REFRESH_TOKEN"],
                "client_id": "demo-client", "client_secret": self.secrets[f"{self.prefix}_EXACT_CLIENT_SECRET"]}
        self.token = self._exact("POST", f"{self.exact_url}/api/oauth2/token", "exact token", data=form)["access_token"]

    def _exact(self, method: str, url: str, kind: str, **kwargs: Any) -> Any:
        headers = {"Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        while True:
            self.tally.calls[kind] += 1
            response = self.http.request(method, url, headers=headers, **kwargs)
            if response.status_code != 429:
                break
            self._wait_for_window(response)
        response.raise_for_status()
        if response.headers.get("X-RateLimit-Minutely-Remaining") == "0":
            self._wait_for_window(response)
        return response.json()

    @staticmethod
    def _wait_for_window(response: httpx.Response) -> None:
        reset = response.headers.get("X-RateLimit-Minutely-Reset")
        time.sleep(max(0.0, int(reset) / 1000 - time.time()) + 0.05 if reset else 1.0)

    def sync_rows(self, path: str, select: str) -> Iterator[dict[str, Any]]:
        url: str | None = f"{self.exact_url}/api/v1/{DIVISION}/sync/{path}"
        params: dict[str, str] | None = {"$select": select, "$filter": "Timestamp gt 1"}
        while url:
            body = self._exact("GET", url, f"exact {path}", params=params)["d"]
            rows = body["results"] if isinstance(body, dict) else body
            yield from rows
            url, params = (body.get("__next") if isinstance(body, dict) else None), None

    # -- Shopify --------------------------------------------------------------------------------

    def shop(self, kind: str, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        url = f"{self.shop_url}/admin/api/2026-07/graphql.json"
        headers = {"X-Shopify-Access-Token": self.secrets[f"{self.prefix}_SHOPIFY_TOKEN"]}
        while True:
            if self.bucket_wait:
                time.sleep(self.bucket_wait)
                self.bucket_wait = 0.0
            self.tally.calls[f"shop {kind}"] += 1
            answer = self.http.post(url, json={"query": query, "variables": variables or {}}, headers=headers)
            answer.raise_for_status()
            payload = answer.json()
            cost = (payload.get("extensions") or {}).get("cost") or {}
            self.tally.points += float(cost.get("actualQueryCost") or 0)
            self._pace(cost)
            errors = payload.get("errors") or []
            if not any((e.get("extensions") or {}).get("code") == "THROTTLED" for e in errors):
                break
        if errors:
            raise RuntimeError(f"Shopify refused {kind}: {errors}")
        return dict(payload["data"])

    def _pace(self, cost: dict[str, Any]) -> None:
        """Wait before the next call until the bucket holds what this one asked for."""
        status = cost.get("throttleStatus") or {}
        available, rate = status.get("currentlyAvailable"), status.get("restoreRate")
        wanted = float(cost.get("requestedQueryCost") or 0)
        if available is not None and rate and float(available) < wanted:
            self.bucket_wait = (wanted - float(available)) / float(rate)

    # -- the sync -------------------------------------------------------------------------------

    def run(self) -> Tally:
        self.grant()
        items = list(self.sync_rows("Logistics/Items", ITEM_SELECT))
        prices = {str(p["ItemCode"]).strip(): p["Price"] for p in self.sync_rows("Logistics/SalesItemPrices",
                                                                                 PRICE_SELECT)
                  if not p.get("Account") and float(p.get("Quantity") or 1) <= 1}
        stock = {str(s["ItemCode"]).strip(): int(float(s.get("CurrentStock") or 0) - float(s.get("ReservedStock") or 0))
                 for s in self.sync_rows("Inventory/ItemWarehouses", STOCK_SELECT)
                 if str(s.get("WarehouseCode")).strip() == WAREHOUSE}
        location = self.shop("Locations", LOCATIONS)["locations"]["nodes"][0]["id"]
        products = [p for p in group(items) if p.wanted]
        existing = self.find(products)
        for product in products:
            found = existing.get(product.handle)
            identifier = {"id": found} if found else {"handle": product.handle}
            data = self.shop("ProductSet", PRODUCT_SET, {
                "identifier": identifier, "input": product.input(prices, stock, None if found else location)})
            if data["productSet"]["userErrors"]:
                self.tally.refused += 1
        return self.tally

    def find(self, products: list[Product]) -> dict[str, str]:
        """Handle → id of the products the shop holds already (by a variant's SKU or the handle)."""
        terms = [t for p in products for t in [*(f"sku:{quote(s)}" for s in p.skus), f"handle:{quote(p.handle)}"]]
        owner = {s: p.handle for p in products for s in p.skus}
        found: dict[str, str] = {}
        for start in range(0, len(terms), TERMS_PER_SEARCH):
            query, after = " OR ".join(terms[start:start + TERMS_PER_SEARCH]), None
            while True:
                page = self.shop("Search", SEARCH, {"query": query, "after": after})["products"]
                for node in page["nodes"]:
                    skus = [v["sku"] for v in node["variants"]["nodes"]]
                    for handle in {node["handle"], *(owner[s] for s in skus if s in owner)}:
                        found[handle] = node["id"]
                if not page["pageInfo"]["hasNextPage"]:
                    break
                after = page["pageInfo"]["endCursor"]
        return found


@dataclass
class Product:
    """A model's items (or one item without a model) as the shop's product."""

    key: str
    items: list[dict[str, Any]]

    @property
    def handle(self) -> str:
        text = unicodedata.normalize("NFKD", self.key).encode("ascii", "ignore").decode()
        return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")

    @property
    def skus(self) -> list[str]:
        return [str(i["Code"]).strip() for i in self.items]

    @property
    def wanted(self) -> bool:
        """The flow's filter: active (some item sold and not ended) and a stock item (not SHIP, DISC)."""
        now = datetime.now(UTC).timestamp() * 1000
        active = any(i.get("IsSalesItem") is not False and not (_ms(i.get("EndDate")) or math.inf) <= now
                     for i in self.items)
        return active and bool(self.items[0].get("IsStockItem"))

    def input(self, prices: dict[str, Any], stock: dict[str, int], location: str | None) -> dict[str, Any]:
        names = [n for n, f in OPTIONS.items() if any(_text(i.get(f)) for i in self.items)]
        options = [{"name": n, "position": p, "values": [{"name": v} for v in
                                                         dict.fromkeys(_text(i.get(OPTIONS[n])) for i in self.items)]}
                   for p, n in enumerate(names, start=1)] or [{"name": "Title", "values": [{"name": "Default Title"}]}]
        variants = []
        for position, item in enumerate(self.items, start=1):
            sku = str(item["Code"]).strip()
            values = [{"optionName": n, "name": _text(item.get(OPTIONS[n]))} for n in names] or [
                {"optionName": "Title", "name": "Default Title"}]
            variant: dict[str, Any] = {"sku": sku, "barcode": _text(item.get("Barcode")), "position": position,
                                       "optionValues": values,
                                       "price": str(prices.get(sku, item.get("StandardSalesPrice")) or "0")}
            if location is not None and stock.get(sku):
                variant["inventoryQuantities"] = [{"locationId": location, "name": "available",
                                                   "quantity": stock[sku]}]
            variants.append(variant)
        first = self.items[0]
        return {"handle": self.handle, "title": _text(first.get("Description")) or self.key,
                "descriptionHtml": _text(first.get("ExtraDescription")) or "",
                "productType": _text(first.get("ItemGroupDescription")) or "", "status": "DRAFT", "vendor": VENDOR,
                "productOptions": options, "variants": variants}


def group(items: list[dict[str, Any]]) -> list[Product]:
    models: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in items:
        models[_text(item.get(GROUP)) or f"\0{item['Code']}"].append(item)
    return [Product(key=key.lstrip("\0").strip(), items=sorted(rows, key=lambda i: str(i["Code"])))
            for key, rows in models.items()]


def quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _text(value: Any) -> str | None:
    return str(value).strip() or None if value is not None else None


def _ms(value: Any) -> int | None:
    match = re.search(r"-?\d+", str(value or ""))
    return int(match.group()) if match else None


def minimal_calls(info: dict[str, int]) -> dict[str, int]:
    """The floor computed from the catalogue's counts (an empty shop): Exact and Shopify calls."""
    exact = 1 + sum(math.ceil(info[k] / 1000) for k in ("all_items", "all_prices", "stock_rows"))
    shop = 1 + math.ceil((info["items"] + info["products"]) / TERMS_PER_SEARCH) + info["products"]
    return {"exact": exact, "shop": shop}


def main() -> None:
    """Run the minimal client alone against fresh bench sandboxes (their own process) and print its calls."""
    import argparse
    import sys
    from pathlib import Path

    parser = argparse.ArgumentParser(description="The minimal-call full catalogue sync (the benchmark's floor) "
                                                 "against fresh sandboxes; prints its calls (asserts nothing)")
    parser.add_argument("--products", type=int, default=200)
    parser.add_argument("--real-limits", action="store_true", help="Exact 60/min + 5,000/day, Shopify 1000 pts, 50/s")
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from sync_catalogue import SECRETS, Sandboxes, limits_ceiling  # a sibling script, imported late: it imports us

    sandboxes = Sandboxes(args.products, real_limits=args.real_limits)
    try:
        info = sandboxes.get("exact", "info")
        started = time.perf_counter()
        tally = MinimalSync(sandboxes.url["exact"], sandboxes.url["shop"], SECRETS).run()
        seconds = time.perf_counter() - started
    finally:
        sandboxes.stop()
    floor = limits_ceiling(tally.system("exact"), tally.points)
    print(f"{info['products']:,} products, {info['items']:,} items: {seconds:.1f} s, "
          f"Exact {tally.system('exact')} calls, Shopify {tally.system('shop')} calls, {tally.points:,.0f} points, "
          f"{tally.refused} refused; by formula {minimal_calls(info)}; ceiling under the real limits "
          f"{floor['ceiling']:.0f} s")
    for kind, count in sorted(tally.calls.items()):
        print(f"  {count:6d}  {kind}")


if __name__ == "__main__":
    main()
