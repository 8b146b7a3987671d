"""Shopify Admin GraphQL client: one POST per document, paced by the shop's cost bucket.

Transport, retries and the error tree come from :func:`tradewind.connectors.http.send`; this module
adds what is Shopify's own (https://shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits),
with the cost estimate in :mod:`.cost`, the meaning of answers in :mod:`.answers` and the served
version's check in :mod:`.versions`:

* pacing by *calculated query cost*: before a call, the query's expected cost is taken from the
  :class:`~tradewind.connectors.pacing.CostBucket` the shop shares with every flow in this process,
  and with every other process through the connection's ledger when it has one (the store's, in a
  run), estimated from its ``first:`` sizes the first time, then the ``requestedQueryCost`` Shopify
  reported for it; after it, ``extensions.cost.throttleStatus`` corrects our own count;
* ``THROTTLED`` answers (HTTP 200, or 429) become :class:`RateLimited` whose ``retry_after`` is the
  time the bucket needs to refill to the requested cost;
* top-level ``errors`` and mutation ``userErrors`` become the error the run loop acts on;
* Shopify answers a version past its support as the oldest supported one and names the version it
  served in ``X-Shopify-API-Version`` (https://shopify.dev/docs/api/usage/versioning): when that is
  not the version asked for, a warning is logged once per process, so an outdated ``api_version``
  is seen before the version served changes under the connector.

Request and answer bodies are never logged: they hold customers' personal data.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any

import httpx

from tradewind.connectors import paging
from tradewind.connectors.http import CallKind, send
from tradewind.connectors.pacing import CostBucket, Throttle
from tradewind.connectors.retry import RetryPolicy
from tradewind.connectors.shopify import queries
from tradewind.connectors.shopify.answers import body_of, translate, user_errors
from tradewind.connectors.shopify.cost import estimate_cost, is_mutation
from tradewind.connectors.shopify.cost import throttle_wait as throttle_wait
from tradewind.connectors.shopify.versions import VERSION_HEADER, warn_if_served_otherwise
from tradewind.connectors.shopify.versions import _warned as _warned
from tradewind.errors import TradewindError, TransientError

CostKey = tuple[str, tuple[tuple[str, int], ...]]

_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode
"""JSON as httpx's ``json=`` writes it, byte for byte."""


@lru_cache(maxsize=128)
def _opening(document: str) -> bytes:
    """A request body up to its variables: a document is sent many times, so it is encoded once."""
    return b'{"query":' + _encode(document).encode() + b',"variables":'


def request_body(document: str, variables: Mapping[str, Any]) -> bytes:
    """``{"query": document, "variables": variables}`` as JSON, the bytes ``json=`` would send."""
    return _opening(document) + _encode(variables).encode() + b"}"


@dataclass
class _Exchange:
    """One logical call: its pacing, its answer and what the answer means."""

    client: ShopifyClient
    document: str
    variables: dict[str, Any]
    acquired: float = 0.0
    body: dict[str, Any] | None = None

    @cached_property
    def cost_key(self) -> CostKey:
        """The document and its sizes (``first``, a productSet's ``variants``): what its cost depends on."""
        sizes = tuple(sorted((k, v) for k, v in self.variables.items() if type(v) is int))
        return self.document, sizes

    def build(self) -> httpx.Request:
        url, headers, extensions = self.client.template
        return httpx.Request("POST", url, content=request_body(self.document, self.variables), headers=headers,
                             extensions=extensions)

    def before(self) -> None:
        known = self.client.costs.get(self.cost_key)
        self.acquired = float(known if known is not None else estimate_cost(self.document, self.variables))
        self.client.bucket.acquire(self.acquired)

    def after(self, response: httpx.Response) -> None:
        client = self.client
        self.body = body = body_of(response)
        served = response.headers.get(VERSION_HEADER)
        if served:
            warn_if_served_otherwise(client.endpoint, served)
        cost = ((body.get("extensions") or {}).get("cost") or {}) if body else {}
        requested = cost.get("requestedQueryCost")
        if requested is not None:
            client.costs[self.cost_key] = float(requested)
        status = cost.get("throttleStatus")
        # Shopify's figure already includes its refund of requested - actual; a THROTTLED answer
        # (actualQueryCost null) or one without a cost spent nothing
        client.bucket.settle(self.acquired, spent=float(cost.get("actualQueryCost") or 0.0), status=Throttle(
            maximum=float(status["maximumAvailable"]), available=float(status["currentlyAvailable"]),
            restore_rate=float(status["restoreRate"])) if status else None)

    def translate(self, response: httpx.Response) -> TradewindError | None:
        return translate(response, self.body)


@dataclass(frozen=True)
class ShopFacts:
    """What the shop itself says about its prices, read once per connection (or configured)."""

    currency: str
    taxes_included: bool


@dataclass
class ShopifyClient:
    """Runs GraphQL documents against one shop. Built once per connection (see ``Shopify.client``).

    It holds transport and what the shop answered once per connection (typed fields below); the
    connection's options are the bound resources' (:mod:`.settings`), never the client's."""

    http: httpx.Client
    endpoint: str
    token: str = field(repr=False)
    bucket: CostBucket
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    sleep: Callable[[float], None] = time.sleep
    costs: dict[CostKey, float] = field(default_factory=dict)
    """Shopify's requested cost per document and sizes, learnt from its answers."""
    shop: ShopFacts | None = None
    """The shop's currency and ``taxesIncluded``, once read (see ``common.shop_facts``)."""
    locations: list[dict[str, Any]] | None = None
    """The shop's active locations, once read."""
    nonce: str = field(default_factory=lambda: uuid.uuid4().hex)
    """Distinguishes this connection's idempotency keys from a later run's."""

    @cached_property
    def template(self) -> tuple[httpx.URL, httpx.Headers, dict[str, Any]]:
        """Every call's URL, headers and extensions as the HTTP client builds them (its defaults merged
        with the shop's token), built once: a call's request takes them with its body, where
        ``Client.build_request`` would parse and merge them again for each call (≈ 17 µs of CPU)."""
        built = self.http.build_request("POST", self.endpoint, headers={
            "X-Shopify-Access-Token": self.token, "Accept": "application/json", "Content-Type": "application/json"})
        headers = built.headers.copy()
        del headers["Content-Length"]  # the body's own length is set per call
        return built.url, headers, dict(built.extensions)

    def execute(self, document: str, variables: Mapping[str, Any] | None = None, *,
                idempotent: bool = False) -> dict[str, Any]:
        """Run one document; its ``data``, or the error it means. Every document is a POST, so the
        kind of call comes from the document: a query is a read; a mutation is a plain write
        (never re-sent once its answer is lost) unless ``idempotent`` (it sets absolute values,
        upserts by an identifier, or carries an ``@idempotent`` key)."""
        exchange = _Exchange(self, document, dict(variables or {}))
        kind: CallKind = ("idempotent" if idempotent else "write") if is_mutation(document) else "read"
        send(self.http, exchange.build, translate=exchange.translate, policy=self.policy,
             before=exchange.before, after=exchange.after, sleep=self.sleep, kind=kind)
        data = (exchange.body or {}).get("data")
        if not isinstance(data, dict):
            raise TransientError("Shopify answered without data")
        return data

    def mutate(self, document: str, variables: Mapping[str, Any], name: str, *,
               idempotent: bool = False) -> dict[str, Any]:
        """Run a mutation; its payload, or :class:`RejectedByTarget` for its first ``userErrors``."""
        payload = self.execute(document, variables, idempotent=idempotent).get(name) or {}
        errors = user_errors(payload)
        if errors:
            raise errors[0]
        return dict(payload)

    def paginate(self, document: str, variables: Mapping[str, Any], path: str,
                 first: int) -> Iterator[list[dict[str, Any]]]:
        """Follow a Relay connection at ``path`` (dotted) page by page (``endCursor`` as the
        paging token); yields each page's nodes."""
        size = min(first, queries.PAGE_MAX)

        def fetch(after: str | None) -> dict[str, Any]:
            return dict(dig(self.execute(document, {**variables, "first": size, "after": after}), path) or {})

        for connection in paging.token(fetch, _end_cursor):
            yield list(connection.get("nodes") or [])

    def by_ids(self, field: str, fragment: str, ids: Sequence[str]) -> list[dict[str, Any] | None]:
        """Records by GID in one call (``queries.by_ids``); answers aligned with ``ids``, None where gone."""
        data = self.execute(queries.by_ids(field, fragment, len(ids)), {f"id{i}": v for i, v in enumerate(ids)})
        return [node if isinstance(node := data.get(f"n{i}"), dict) else None for i in range(len(ids))]

    def complete(self, node: dict[str, Any], key: str, document: str, path: str) -> None:
        """Fetch the rest of a nested connection (``node[key]``) when its first slice was not all."""
        connection = node.get(key) or {}
        info = connection.get("pageInfo") or {}
        after = info.get("endCursor")
        while info.get("hasNextPage") and after:
            data = self.execute(document, {"id": node["id"], "after": after})
            more = dig(data, path) or {}
            connection["nodes"] = list(connection.get("nodes") or []) + list(more.get("nodes") or [])
            info = more.get("pageInfo") or {}
            after = info.get("endCursor")
        connection["pageInfo"] = {"hasNextPage": False, "endCursor": after}


def _end_cursor(connection: Mapping[str, Any]) -> str | None:
    info = connection.get("pageInfo") or {}
    return str(info["endCursor"]) if info.get("hasNextPage") and info.get("endCursor") else None


def dig(data: Mapping[str, Any] | None, path: str) -> Any:
    """``data["a"]["b"]`` for path ``"a.b"``; None where a step is missing."""
    value: Any = data
    for step in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(step)
    return value


def search_value(value: str) -> str:
    """A value quoted for Shopify's search syntax (https://shopify.dev/docs/api/usage/search-syntax)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def any_of(field_name: str, values: list[str]) -> str:
    """``field:"a" OR field:"b"`` — one search for a batch of natural keys."""
    return " OR ".join(f"{field_name}:{search_value(v)}" for v in values)


def since_query(since: str | None) -> str | None:
    """``updated_at:>='…'``; None reads everything. ``>=`` so a shared boundary time is never skipped."""
    return None if since is None else f"updated_at:>='{since}'"
