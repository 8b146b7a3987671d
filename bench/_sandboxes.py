"""Serve the Exact Online and Shopify sandboxes in a process of their own, for the benchmarks.

Run as ``python bench/_sandboxes.py --products N [--real-limits]``; it prints one line
``READY <exact_url> <shop_url>`` once both listen on loopback, then serves until stdin closes
(or it is terminated). A separate process keeps the sandboxes' data (and their CPU) out of the
engine process, so the engine's memory and wall time are the engine's own.

Each server is wrapped in :class:`BenchControl`, which adds a few benchmark-only control calls
under ``/_bench/`` beside the sandboxes' own ``/_sandbox/`` plane (nothing in ``src/`` changes):

* ``GET  /_bench/stats``   → calls by route (the kit's counter), Shopify calls by GraphQL
  operation, Shopify cost points requested/actual, THROTTLED answers, HTTP statuses;
* ``POST /_bench/reset``   → zero those counters (and the kit's);
* ``POST /_bench/record``  ← ``{"on": true|false}``: keep every vendor request (method, path with
  query, body) so the bare httpx loop can replay exactly the calls the engine made;
* ``GET  /_bench/recorded`` → the kept requests;
* ``GET  /_bench/info``    (Exact) → how many items, products (models), prices and stock rows;
* ``POST /_bench/change``  (Exact) ← ``{"every": 100}``: change one product in ``every`` as a user
  would — one item's description, its sales price and its stock in warehouse 1 (each bumps
  Modified and the Timestamp, so incremental reads see exactly these);
* ``POST /_bench/token``   (Exact) → a fresh access token for the bare loop;
* ``POST /_bench/empty-shop`` (Shopify) → an empty shop again (the bare loop replays creates).
"""

from __future__ import annotations

import argparse
import base64
import json
import re
import sys
import threading
import time
from collections import Counter
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tradewind.sandboxes import exact_online, shopify
from tradewind.sandboxes._serve import Served
from tradewind.sandboxes.exact_online_data import catalogue, service_items

_OPERATION = re.compile(r"^\s*(query|mutation)\s+(\w+)")


class BenchControl:
    """ASGI wrapper: ``/_bench/`` control calls, status counting and request recording."""

    def __init__(self, app: Any, extra: dict[tuple[str, str], Any] | None = None) -> None:
        self.app: ASGIApp = app
        self.sandbox = app.state.sandbox
        self.extra = extra or {}
        self.lock = threading.Lock()
        self.statuses: Counter[int] = Counter()
        self.ops: Counter[str] = Counter()
        self.points = {"requested": 0.0, "actual": 0.0, "throttled": 0}
        self.recording = False
        self.recorded: list[list[str]] = []
        """[monotonic time, method, path?query, content type, base64 body] per vendor request."""

    def reset(self) -> None:
        with self.lock:
            self.statuses.clear()
            self.ops.clear()
            self.points = {"requested": 0.0, "actual": 0.0, "throttled": 0}
        self.sandbox.kit.reset_calls()

    def stats(self) -> dict[str, Any]:
        with self.lock:
            return {"by_route": dict(self.sandbox.kit.calls), "total": self.sandbox.kit.total_calls,
                    "ops": dict(self.ops), "points": dict(self.points),
                    "statuses": {str(k): v for k, v in self.statuses.items()}}

    def count_graphql(self, body: Any, status: int, payload: dict[str, Any]) -> None:
        """Shopify only: which operation, and what it cost (the sandbox's own figures)."""
        match = _OPERATION.match(str((body or {}).get("query") or ""))
        cost = (payload.get("extensions") or {}).get("cost") or {}
        throttled = any((e.get("extensions") or {}).get("code") == "THROTTLED"
                        for e in payload.get("errors") or [] if isinstance(e, dict))
        with self.lock:
            self.ops[match.group(2) if match else "?"] += 1
            self.points["requested"] += float(cost.get("requestedQueryCost") or 0)
            self.points["actual"] += float(cost.get("actualQueryCost") or 0)
            self.points["throttled"] += int(throttled)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path.startswith("/_bench/"):
            request = Request(scope, receive)
            response = await self.control(request, path[len("/_bench"):])
            await response(scope, receive, send)
            return
        if self.recording and not path.startswith("/_sandbox"):
            receive = await self._record(scope, receive)

        async def counting_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                with self.lock:
                    self.statuses[int(message["status"])] += 1
            await send(message)

        await self.app(scope, receive, counting_send)

    async def _record(self, scope: Scope, receive: Receive) -> Receive:
        """Keep the request (its body read once, then handed on unchanged)."""
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        query = scope.get("query_string", b"").decode()
        target = scope["path"] + (f"?{query}" if query else "")
        headers = dict(scope.get("headers") or [])
        content_type = headers.get(b"content-type", b"").decode()
        with self.lock:
            self.recorded.append([f"{time.monotonic():.6f}", scope["method"], target, content_type,
                                  base64.b64encode(body).decode()])
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        return replay

    async def control(self, request: Request, action: str) -> Response:
        key = (request.method, action)
        if key == ("GET", "/stats"):
            return JSONResponse(self.stats())
        if key == ("POST", "/reset"):
            self.reset()
            return JSONResponse({"ok": True})
        if key == ("POST", "/record"):
            on = bool(json.loads(await request.body() or b"{}").get("on"))
            with self.lock:
                self.recording = on
                if on:
                    self.recorded = []
            return JSONResponse({"recording": on})
        if key == ("GET", "/recorded"):
            with self.lock:
                return JSONResponse(list(self.recorded))
        handler = self.extra.get(key)
        if handler is None:
            return JSONResponse({"error": f"no bench action {request.method} {action}"}, status_code=404)
        payload = json.loads(await request.body() or b"{}") if request.method == "POST" else {}
        return JSONResponse(handler(payload))


def exact_info(sandbox: exact_online.ExactOnlineSandbox) -> dict[str, int]:
    """Counts the minimums are computed from, as the sandbox project's flows see the catalogue:
    a product is a model (``FreeTextField_01``) or an item without one; service items (SHIP,
    DISC: not stock items) are filtered out; stock is written for warehouse 1 only, but read through
    the sync API, which sees the rows of every warehouse (``stock_rows``), as it sees every item and
    price row (``all_items``, ``all_prices``: what the sync reads before filtering)."""
    with sandbox.lock:
        items = [i for i in sandbox.tables["Items"].values() if i.get("IsStockItem")]
        codes = {i["Code"] for i in items}
        stock = [r for r in sandbox.tables["ItemWarehouses"].values()
                 if r.get("WarehouseCode") == "1" and r.get("ItemCode") in codes]
        return {"items": len(items), "products": len({i.get("FreeTextField_01") or i["ID"] for i in items}),
                "prices": len([p for p in sandbox.tables["SalesItemPrices"].values() if p.get("ItemCode") in codes]),
                "stock": len(stock), "stock_nonzero": sum(1 for r in stock if float(r.get("CurrentStock") or 0)),
                "stock_rows": len(sandbox.tables["ItemWarehouses"]),
                "all_items": len(sandbox.tables["Items"]), "all_prices": len(sandbox.tables["SalesItemPrices"])}


def exact_change(sandbox: exact_online.ExactOnlineSandbox, every: int) -> dict[str, int]:
    """Change one product in ``every`` as a user would: the first item of every ``every``-th model
    gets a new extra description (the product's description) and a new sales price (on the item
    and on its sales price row, so the products and prices flows agree), and its stock in
    warehouse 1 changes. Each write bumps Modified and the Timestamp."""
    with sandbox.lock:
        models: dict[str, list[dict[str, Any]]] = {}
        for item in sandbox.tables["Items"].values():
            if item.get("FreeTextField_01"):
                models.setdefault(str(item["FreeTextField_01"]), []).append(item)
        chosen = [sorted(models[m], key=lambda i: str(i["Code"]))[0] for m in sorted(models)[::every]]
        prices = 0
        for item in chosen:
            price = round(float(item["StandardSalesPrice"]) + 1.0, 2)
            sandbox.update_item(str(item["Code"]), ExtraDescription=f"{item['ExtraDescription']} (revised)",
                                StandardSalesPrice=price)
            for row in sandbox.lookup(exact_online.PRICES, "Item", item["ID"]):
                sandbox.update(exact_online.PRICES, row["ID"], {"Price": price}, trusted=True)
                prices += 1
            sandbox.set_stock(str(item["Code"]), "1", 99.0)
        return {"products": len(chosen), "items": len(chosen), "prices": prices, "stock": len(chosen)}


def counted_execute(control: BenchControl) -> None:
    """Count each GraphQL call by operation and cost, around the Shopify sandbox's ``execute``."""
    sandbox = control.sandbox
    original = sandbox.execute

    def execute(body: Any) -> tuple[int, dict[str, Any]]:
        status, payload = original(body)
        control.count_graphql(body, status, payload)
        return status, payload

    sandbox.execute = execute


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, required=True)
    parser.add_argument("--real-limits", action="store_true", help="Exact 60/min + 5,000/day; Shopify 1000 pts, 50/s")
    args = parser.parse_args()

    seed = catalogue(products=args.products, customers=0)
    seed["items"].extend(service_items())
    limits: dict[str, Any] = {} if args.real_limits else {"minutely_limit": None, "daily_limit": None}
    exact_app = exact_online.create_app(seed=seed, rotate_refresh_tokens=False, **limits)
    del seed
    shop_app = shopify.create_app(**({} if args.real_limits else {"bucket_size": None}))
    exact_state = exact_app.state.sandbox
    shop_state = shop_app.state.sandbox
    exact = BenchControl(exact_app, {
        ("GET", "/info"): lambda _: exact_info(exact_state),
        ("POST", "/change"): lambda body: exact_change(exact_state, int(body.get("every", 100))),
        ("POST", "/token"): lambda _: exact_state.issue_token(),
    })
    shop = BenchControl(shop_app, {("POST", "/empty-shop"): lambda _: shop_state.seed({})})
    counted_execute(shop)
    servers = [Served(exact), Served(shop)]  # type: ignore[arg-type]
    for served in servers:
        served.start()
    print(f"READY {servers[0].url} {servers[1].url}", flush=True)
    try:
        sys.stdin.read()  # until the benchmark closes our stdin (or kills us)
    finally:
        for served in servers:
            served.stop()


if __name__ == "__main__":
    main()
