"""``POST /hooks/{connection}``: the webshop's webhooks, stored durably, then processed apart.

A delivery is refused (401, logged, never processed) unless ``X-Shopify-Hmac-Sha256`` is the
base64 HMAC-SHA256 of the raw body under the connection's webhook secret. A good one is put in
the engine's inbox — stored once per ``X-Shopify-Event-Id`` — and only then answered 200; a
background worker then runs the flows reading that resource for just the announced records.

The secret: the connection's ``webhook_secret`` option when its connector has one, else the
environment variable ``TRADEWIND_WEBHOOK_SECRET_<CONNECTION>`` (``shop`` → ``…_SHOP``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import queue
import re
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

import structlog
from fastapi import APIRouter, HTTPException, Request
from starlette.concurrency import run_in_threadpool

from tradewind.engine.locks import FlowBusy
from tradewind.engine.runner import RunResult
from tradewind.engine.services import Services
from tradewind.errors import TradewindError

log = structlog.get_logger("tradewind.hooks")
router = APIRouter(tags=["webhooks"])
MAX_BODY = 1 << 20
TOPICS = {"orders/create": "orders", "orders/updated": "orders", "orders/paid": "orders"}
PREFIXES = {"products/": "products", "customers/": "customers", "inventory_levels/": "stock"}
GIDS = {"orders": "Order", "products": "Product", "customers": "Customer", "stock": "InventoryLevel"}


def resource_for(topic: str) -> str | None:
    """The resource a Shopify topic announces records of; None for topics no flow reads."""
    if topic in TOPICS:
        return TOPICS[topic]
    return next((resource for prefix, resource in PREFIXES.items() if topic.startswith(prefix)), None)


def secret_env(connection: str) -> str:
    return "TRADEWIND_WEBHOOK_SECRET_" + re.sub(r"[^A-Z0-9]", "_", connection.upper())


def webhook_secret(services: Services, connection: str) -> str | None:
    found = services.project.connections.get(connection)
    if found is None or found.connector.name != "shopify":
        return None
    ref = getattr(found.options, "webhook_secret", None)
    if ref is not None:
        try:
            return str(ref.resolve())
        except TradewindError:
            return None
    return os.environ.get(secret_env(connection)) or None


def signed(secret: str, body: bytes, signature: str) -> bool:
    expected = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    return hmac.compare_digest(expected, signature)


def record_id(resource: str, payload: dict[str, Any]) -> str | None:
    """The native (GraphQL) id the event announces."""
    gid = payload.get("admin_graphql_api_id")
    if isinstance(gid, str) and gid:
        return gid
    native = payload.get("inventory_item_id") if resource == "stock" else payload.get("id")
    return f"gid://shopify/{GIDS[resource]}/{native}" if native is not None else None


def _occurred(request: Request) -> datetime | None:
    stamp = request.headers.get("x-shopify-triggered-at")
    try:
        parsed = datetime.fromisoformat(stamp.replace("Z", "+00:00")) if stamp else None
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed and parsed.tzinfo else None


@router.post("/hooks/{connection}", responses={401: {"description": "Bad or missing signature"}})
async def receive(connection: str, request: Request) -> dict[str, Any]:
    """Receive one Shopify webhook (public: the signature is the proof)."""
    services: Services = request.app.state.services
    body = await request.body()
    secret = await run_in_threadpool(webhook_secret, services, connection)
    signature = request.headers.get("x-shopify-hmac-sha256", "")
    if secret is None or not signature or len(body) > MAX_BODY or not signed(secret, body, signature):
        why = "no webhook secret for this connection" if secret is None else (
            "missing signature" if not signature else "bad signature")
        log.warning("webhook_refused", connection=connection[:100], reason=why,
                    client=request.client.host if request.client else None)
        raise HTTPException(401, "webhook signature refused")
    topic = request.headers.get("x-shopify-topic", "")
    resource = resource_for(topic)
    if resource is None:
        return {"stored": False, "ignored": f"topic {topic[:100]!r} is not read by tradewind"}
    event_id = request.headers.get("x-shopify-event-id") or request.headers.get("x-shopify-webhook-id")
    try:
        payload = json.loads(body)
    except ValueError:
        raise HTTPException(400, "the body is not JSON") from None
    native = record_id(resource, payload) if isinstance(payload, dict) else None
    if not event_id or native is None:
        raise HTTPException(400, "X-Shopify-Event-Id (or X-Shopify-Webhook-Id) and the record's id are needed")
    stored = await run_in_threadpool(services.receive_event, connection, resource, event_id[:200], [native],
                                     _occurred(request))
    log.info("webhook_received", connection=connection, topic=topic, duplicate=not stored)
    request.app.state.worker.wake(services.flows_reading(connection, resource))
    return {"stored": True, "duplicate": not stored}


class HookWorker:
    """Runs the flows woken by events, one at a time, off the request: a flow woken again while it
    waits is run once; one found running (or paused) is left to its next run, which drains the inbox too.
    ``give_way(flow)`` (the scheduler's) names a flow deferred behind this one that is about to start:
    the run waits like a busy one, so a stream of events does not keep the flows ``after`` it back."""

    def __init__(self, services: Services, retry_seconds: float = 1.0,
                 on_result: Callable[[RunResult], None] | None = None,
                 give_way: Callable[[str], str | None] | None = None) -> None:
        self.services = services
        self.give_way = give_way
        self.retry_seconds = retry_seconds
        self.on_result = on_result
        """Told of every run the worker made (the demo prints them)."""
        self.queue: queue.Queue[str] = queue.Queue()
        self.pending: set[str] = set()
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None

    def wake(self, flows: Iterable[str]) -> None:
        with self.lock:
            if self.thread is None:
                self.thread = threading.Thread(target=self._loop, name="webhook-worker", daemon=True)
                self.thread.start()
            for name in flows:
                if name not in self.pending:
                    self.pending.add(name)
                    self.queue.put(name)

    def stop(self) -> None:
        self.stopping.set()
        self.queue.put("")
        if self.thread is not None:
            self.thread.join(timeout=30)

    def _loop(self) -> None:
        while not self.stopping.is_set():
            name = self.queue.get()
            if not name:
                continue
            with self.lock:
                self.pending.discard(name)
            self._run(name)

    def _run(self, name: str) -> None:
        if name in self.services.paused():
            log.info("webhook_run_skipped", flow=name, reason="paused")
            return
        why = self.give_way(name) if self.give_way is not None else None
        if why is not None:
            log.info("webhook_run_waits", flow=name, reason=why)
            if not self.stopping.wait(self.retry_seconds):
                self.wake([name])  # the events stay in the inbox; this run takes them after that flow
            return
        try:
            result = self.services.run_for_events(name)
            log.info("webhook_run", flow=name, status=result.status, **result.counts)
            if self.on_result is not None:
                self.on_result(result)
        except FlowBusy:
            if not self.stopping.wait(self.retry_seconds):
                self.wake([name])  # the running run may have read the inbox before this event came
        except TradewindError as error:
            log.error("webhook_run_failed", flow=name, error=str(error))
        except Exception:  # the worker outlives any one run; the events stay in the inbox
            log.exception("webhook_run_crashed", flow=name)
