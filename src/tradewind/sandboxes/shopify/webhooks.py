"""Webhooks as Shopify sends them: subscriptions, signed deliveries, retries.

Follows https://shopify.dev/docs/apps/build/webhooks (about webhooks, delivery headers),
https://shopify.dev/docs/apps/build/webhooks/subscribe/https (verify with HMAC, respond within
5 seconds, retries) and
https://shopify.dev/docs/api/admin-graphql/2026-07/mutations/webhookSubscriptionCreate:

* an app subscribes with ``webhookSubscriptionCreate(topic, webhookSubscription: {uri})``; the
  sandbox also serves the topics ``orders/create``, ``orders/updated``, ``products/update`` and
  ``inventory_levels/update`` (GraphQL enum ``ORDERS_CREATE`` …);
* each delivery is a POST of the record in the REST shape with ``admin_graphql_api_id``, headers
  ``X-Shopify-Topic``, ``X-Shopify-Hmac-Sha256`` (base64 HMAC-SHA256 of the raw body under the
  app's client secret), ``X-Shopify-Shop-Domain``, ``X-Shopify-API-Version``,
  ``X-Shopify-Webhook-Id`` (one per delivery, the same on its retries), ``X-Shopify-Event-Id``
  (one per event, the same on every subscription's delivery) and ``X-Shopify-Triggered-At``;
* an answer outside 2xx, or none within the timeout, is a failure: Shopify retries 8 times over
  4 hours; the sandbox keeps the shape (8 retries, doubling waits) scaled down to seconds, and
  ``retry_waits`` makes the schedule configurable.

Deliveries run on a small thread pool, so a slow endpoint never holds the GraphQL route.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx
import tenacity

TOPICS = ("orders/create", "orders/updated", "products/update", "inventory_levels/update")
RETRY_WAITS = (0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 6.4, 12.8)
"""Shopify's 8 retries over 4 hours, as doubling waits scaled down to about 25 seconds."""


def topic_name(enum: str) -> str:
    """``ORDERS_CREATE`` → ``orders/create`` (how the GraphQL enum names a REST topic)."""
    return {t.replace("/", "_").upper(): t for t in TOPICS}[enum]


def topic_enum(topic: str) -> str:
    return topic.replace("/", "_").upper()


def sign(secret: str, body: bytes) -> str:
    """Shopify's ``X-Shopify-Hmac-Sha256``: base64 of the HMAC-SHA256 of the raw body."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


@dataclass
class Subscription:
    id: int
    topic: str
    uri: str
    created_at: str
    api_version: str


@dataclass
class Attempt:
    """One POST of a delivery, as the sandbox saw it (for tests and ``GET``-style checks)."""

    webhook_id: str
    topic: str
    uri: str
    status: int | None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


class _Failed(Exception):
    pass


class Webhooks:
    """A shop's subscriptions and its delivery pool."""

    def __init__(self, *, shop: str, secret: str, retry_waits: Sequence[float] = RETRY_WAITS,
                 timeout: float = 5.0) -> None:
        self.shop = shop
        self.secret = secret
        self.retry_waits = tuple(retry_waits)
        self.timeout = timeout
        self.subscriptions: dict[int, Subscription] = {}
        self.attempts: list[Attempt] = []
        self.lock = threading.Lock()
        self.pool: ThreadPoolExecutor | None = None
        self.stopping = threading.Event()

    def subscribe(self, number: int, topic: str, uri: str, now: str, version: str) -> Subscription:
        if topic not in TOPICS:
            raise ValueError(f"topic {topic!r} is not one the sandbox sends: {', '.join(TOPICS)}")
        with self.lock:
            subscription = Subscription(number, topic, uri, now, version)
            self.subscriptions[number] = subscription
            return subscription

    def emit(self, topic: str, record: dict[str, Any], triggered_at: str) -> None:
        """Queue one event's delivery to every subscription of ``topic`` (the body is fixed now)."""
        with self.lock:
            targets = [s for s in self.subscriptions.values() if s.topic == topic]
            if not targets:
                return
            if self.pool is None:
                self.pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="shopify-webhooks")
            pool = self.pool
        body = json.dumps(record, separators=(",", ":")).encode()
        event_id = str(uuid.uuid4())
        for target in targets:
            headers = {
                "Content-Type": "application/json",
                "X-Shopify-Topic": topic,
                "X-Shopify-Hmac-Sha256": sign(self.secret, body),
                "X-Shopify-Shop-Domain": self.shop,
                "X-Shopify-API-Version": target.api_version,
                "X-Shopify-Webhook-Id": str(uuid.uuid4()),
                "X-Shopify-Event-Id": event_id,
                "X-Shopify-Triggered-At": triggered_at,
            }
            pool.submit(self._deliver, target.uri, body, headers)

    def _deliver(self, uri: str, body: bytes, headers: dict[str, str]) -> None:
        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(len(self.retry_waits) + 1) | tenacity.stop_when_event_set(self.stopping),
            wait=tenacity.wait_chain(*(tenacity.wait_fixed(w) for w in self.retry_waits)),
            retry=tenacity.retry_if_exception_type(_Failed), reraise=False,
            retry_error_callback=lambda state: None,  # given up, as Shopify gives up after its last retry
            sleep=self._sleep,
        )
        retrying(self._post, uri, body, headers)

    def _sleep(self, seconds: float) -> None:
        self.stopping.wait(seconds)  # stop() cuts a wait short; the stop condition then ends the retries

    def _post(self, uri: str, body: bytes, headers: dict[str, str]) -> None:
        status: int | None = None
        try:
            status = httpx.post(uri, content=body, headers=headers, timeout=self.timeout).status_code
        except httpx.HTTPError:
            pass
        finally:
            with self.lock:
                self.attempts.append(Attempt(headers["X-Shopify-Webhook-Id"], headers["X-Shopify-Topic"], uri,
                                             status, dict(headers), body))
        if status is None or not 200 <= status < 300:
            raise _Failed(status)

    def redeliver(self, webhook_id: str) -> None:
        """Send a past delivery again, unchanged: Shopify may deliver an event more than once, and a
        receiver must take it once (its ``X-Shopify-Event-Id`` says it is the same event)."""
        with self.lock:
            sent = next(a for a in self.attempts if a.webhook_id == webhook_id)
            pool = self.pool
        if pool is not None:
            pool.submit(self._deliver, sent.uri, sent.body, sent.headers)

    def stop(self) -> None:
        """Stop delivering (pending retries are dropped)."""
        self.stopping.set()
        with self.lock:
            pool, self.pool = self.pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
