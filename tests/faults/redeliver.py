"""A shop that delivers orders more than once or out of order: ASGI middleware around the Shopify
sandbox that rewrites each page of orders it answers by a plan.

Real shops do this: a listing sorted by ``updatedAt`` shows an order again on a later page when it
changes while being paged, and replicas or webhook retries hand out an older version after a newer.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

Node = dict[str, Any]
Plan = Callable[[list[Node]], list[Node]]


class Redeliver:
    """Wraps a Shopify sandbox app; every ``orders`` page it answers goes through ``plan``."""

    def __init__(self, app: ASGIApp, plan: Plan) -> None:
        self.app = app
        self.plan = plan
        self.state = app.state  # type: ignore[attr-defined]  # Served reads the sandbox from app.state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or "graphql" not in scope["path"]:
            await self.app(scope, receive, send)
            return
        held: list[Message] = []

        async def hold(message: Message) -> None:
            held.append(message)

        await self.app(scope, receive, hold)
        start = next(m for m in held if m["type"] == "http.response.start")
        body = self.rewrite(b"".join(m.get("body", b"") for m in held if m["type"] == "http.response.body"))
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        await send({**start, "headers": [*headers, (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    def rewrite(self, body: bytes) -> bytes:
        try:
            doc = json.loads(body)
        except ValueError:
            return body
        orders = (doc.get("data") or {}).get("orders") if isinstance(doc, dict) else None
        if not isinstance(orders, dict) or not isinstance(orders.get("nodes"), list):
            return body
        orders["nodes"] = self.plan(orders["nodes"])
        return json.dumps(doc).encode()


def twice_in_each_page(nodes: list[Node]) -> list[Node]:
    """Every order twice, side by side."""
    return [node for node in nodes for _ in range(2)]


class AgainOnLaterPages:
    """Every order served before comes again at the head of each later page (and later run)."""

    def __init__(self) -> None:
        self.served: list[Node] = []

    def __call__(self, nodes: list[Node]) -> list[Node]:
        page = [*self.served, *nodes]
        self.served.extend(nodes)
        return page


class StaleVersions:
    """Remembers the first version served of each order; while ``stale`` is on, each page also
    carries, right after an order's newer version, the first one (an older version after a newer)."""

    def __init__(self) -> None:
        self.first: dict[str, Node] = {}
        self.stale = False

    def __call__(self, nodes: list[Node]) -> list[Node]:
        page: list[Node] = []
        for node in nodes:
            old = self.first.setdefault(node["id"], node)
            page.append(node)
            if self.stale and old is not node and old.get("updatedAt") != node.get("updatedAt"):
                page.append(old)
        return page

    def only_old(self) -> Plan:
        """A plan that answers every page with the first versions of its orders (a lagging replica)."""
        return lambda nodes: [self.first.get(node["id"], node) for node in nodes]
