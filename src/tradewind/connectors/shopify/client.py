"""Shopify Admin GraphQL client: one POST per document, paced by the shop's cost bucket.

Transport, retries and the error tree come from :func:`tradewind.connectors.http.send`; this module
adds what is Shopify's own (https://shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits):

* pacing by *calculated query cost*: before a call, the query's expected cost is taken from the
  :class:`~tradewind.connectors.pacing.CostBucket` the shop shares with every flow in this process
  (estimated from its ``first:`` sizes the first time, then the ``requestedQueryCost`` Shopify
  reported for it); after it, ``extensions.cost.throttleStatus`` replaces our own count;
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

import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import httpx
import structlog
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableNode,
    parse,
)

from tradewind.connectors import paging
from tradewind.connectors.http import CallKind, default_translate, retry_after_seconds, send
from tradewind.connectors.pacing import CostBucket
from tradewind.connectors.retry import RetryPolicy
from tradewind.connectors.shopify import queries
from tradewind.errors import ConfigError, RateLimited, RecordError, RejectedByTarget, TradewindError, TransientError

log = structlog.get_logger("tradewind.shopify")

MUTATION_COST = 10
VERSION_HEADER = "X-Shopify-API-Version"
_SCHEMA_CODES = {
    "undefinedField", "undefinedType", "argumentNotAccepted", "missingRequiredArguments",
    "selectionMismatch", "argumentLiteralsIncompatible", "variableNotDefined", "useAndDefineFragment",
}
_CONFIG_CODES = {"ACCESS_DENIED", "MAX_COST_EXCEEDED", "SHOP_INACTIVE"}


# -- cost estimate ------------------------------------------------------------------------------


@lru_cache(maxsize=64)
def _parsed(document: str) -> DocumentNode:
    return parse(document)


def estimate_cost(document: str, variables: Mapping[str, Any] | None = None) -> int:
    """Shopify's requested cost of ``document``, computed the documented way.

    Objects cost 1, scalars 0, a connection (any field with ``first``) 2 + ``first`` × its node,
    a mutation 10. Used only until Shopify has told us the real figure for the document.
    """
    doc = _parsed(document)
    fragments = {d.name.value: d for d in doc.definitions if isinstance(d, FragmentDefinitionNode)}
    operation = next(d for d in doc.definitions if isinstance(d, OperationDefinitionNode))
    walker = _CostWalker(fragments, dict(variables or {}))
    if operation.operation == OperationType.MUTATION:
        return sum(MUTATION_COST + walker.children(f) for f in walker.fields(operation.selection_set))
    return walker.selection(operation.selection_set)


@dataclass
class _CostWalker:
    fragments: Mapping[str, FragmentDefinitionNode]
    variables: Mapping[str, Any]

    def fields(self, selection_set: SelectionSetNode | None) -> Iterator[FieldNode]:
        for node in selection_set.selections if selection_set else ():
            if isinstance(node, FieldNode):
                yield node
            elif isinstance(node, FragmentSpreadNode):
                yield from self.fields(self.fragments[node.name.value].selection_set)
            elif isinstance(node, InlineFragmentNode):
                yield from self.fields(node.selection_set)

    def selection(self, selection_set: SelectionSetNode | None) -> int:
        return sum(self.field(f) for f in self.fields(selection_set))

    def children(self, node: FieldNode) -> int:
        return self.selection(node.selection_set)

    def field(self, node: FieldNode) -> int:
        if node.selection_set is None:
            return 0
        size = self.first(node)
        if size is None:
            return 1 + self.children(node)
        return 2 + size * self.node_cost(node)

    def node_cost(self, connection: FieldNode) -> int:
        inner = [f for f in self.fields(connection.selection_set) if f.name.value in ("nodes", "edges")]
        if not inner:
            return 1 + self.children(connection)
        cost = 0
        for wrapper in inner:
            if wrapper.name.value == "edges":
                nodes = [f for f in self.fields(wrapper.selection_set) if f.name.value == "node"]
                cost = max(cost, 1 + sum(self.children(n) for n in nodes))
            else:
                cost = max(cost, 1 + self.children(wrapper))
        return cost

    def first(self, node: FieldNode) -> int | None:
        for argument in node.arguments:
            if argument.name.value not in ("first", "last"):
                continue
            value = argument.value
            if isinstance(value, IntValueNode):
                return int(value.value)
            if isinstance(value, VariableNode):
                return int(self.variables.get(value.name.value) or queries.PAGE_MAX)
        return None


# -- errors -------------------------------------------------------------------------------------


def is_mutation(document: str) -> bool:
    """Whether the document's (first) operation is a mutation."""
    return any(getattr(d, "operation", None) == OperationType.MUTATION for d in _parsed(document).definitions)


def throttle_wait(cost: Mapping[str, Any]) -> float:
    """Seconds until the bucket holds the requested cost again (Shopify's own formula)."""
    status = cost.get("throttleStatus") or {}
    requested = float(cost.get("requestedQueryCost") or 0)
    available = float(status.get("currentlyAvailable") or 0)
    rate = float(status.get("restoreRate") or 50)
    return max(0.0, requested - available) / rate + 0.05


def _messages(errors: list[Mapping[str, Any]]) -> str:
    return "; ".join(str(e.get("message") or "error") for e in errors)


def graphql_error(body: Mapping[str, Any]) -> TradewindError | None:
    """The error top-level ``errors`` mean, or None when there are none."""
    raw = body.get("errors")
    if not raw:
        return None
    if not isinstance(raw, list):
        return ConfigError(f"Shopify refused the request: {raw}")
    errors: list[Mapping[str, Any]] = [e if isinstance(e, Mapping) else {"message": str(e)} for e in raw]
    codes = {str((e.get("extensions") or {}).get("code") or "") for e in errors}
    message = _messages(errors)
    cost = (body.get("extensions") or {}).get("cost") or {}
    if "THROTTLED" in codes:
        return _throttled(cost, status=200)
    if "INTERNAL_SERVER_ERROR" in codes:
        return TransientError(f"Shopify: {message}", status=200)
    if codes & _CONFIG_CODES:
        return ConfigError(f"Shopify: {message}", hint="check the app's access scopes and the shop's plan")
    if codes & _SCHEMA_CODES or "doesn't exist on type" in message or "Cannot query field" in message:
        return ConfigError(f"Shopify rejected the query: {message}", hint="check api_version")
    return RecordError(f"Shopify: {message}")


def _throttled(cost: Mapping[str, Any], *, status: int, header: float | None = None) -> TradewindError:
    limit = float((cost.get("throttleStatus") or {}).get("maximumAvailable") or 0)
    requested = float(cost.get("requestedQueryCost") or 0)
    if limit and requested > limit:
        return ConfigError(f"a query costs {requested:g} points but the shop's bucket holds {limit:g}",
                           hint="lower the page sizes in tradewind.connectors.shopify.queries")
    wait = throttle_wait(cost) if cost else (header if header is not None else 1.0)
    return RateLimited("Shopify throttled the query (THROTTLED)", retry_after=wait, status=status)


def _body(response: httpx.Response) -> dict[str, Any] | None:
    try:
        parsed = response.json()
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


def translate(response: httpx.Response, body: Mapping[str, Any] | None) -> TradewindError | None:
    """What an answer means for the run loop; None for a usable answer."""
    status = response.status_code
    if status == 401:
        return ConfigError("Shopify refused the access token (401 Unauthorized)",
                           hint="check the token option: an Admin API access token of an app installed on this shop")
    if status in (402, 403, 404, 423):
        reason = {402: "the shop's payment is due (402)", 403: "the token lacks an access scope (403)",
                  404: "no Admin API here (404)", 423: "the shop is locked (423)"}[status]
        return ConfigError(f"Shopify: {reason}", hint="check shop, base_url, api_version and the app's scopes")
    if status == 429:
        cost = ((body or {}).get("extensions") or {}).get("cost") or {}
        header = retry_after_seconds(response) if "Retry-After" in response.headers else None
        return _throttled(cost, status=429, header=header)
    error = default_translate(response, f"Shopify answered {status}")
    if error is not None:
        return error
    if status >= 400:
        return ConfigError(f"Shopify answered {status}: {_messages_of(body)}")
    if body is None:
        return TransientError(f"Shopify answered {status} without a JSON body", status=status)
    return graphql_error(body)


def _messages_of(body: Mapping[str, Any] | None) -> str:
    errors = (body or {}).get("errors")
    if isinstance(errors, list):
        return _messages([e if isinstance(e, Mapping) else {"message": str(e)} for e in errors])  # type: ignore[misc]
    return str(errors) if errors else "no details"


def user_errors(payload: Mapping[str, Any]) -> list[RejectedByTarget]:
    """A mutation's ``userErrors`` as refusals naming Shopify's message and field path."""
    return [
        RejectedByTarget(str(e.get("message") or "refused"), field=".".join(e.get("field") or []) or None)
        for e in payload.get("userErrors") or []
    ]


# -- the client ---------------------------------------------------------------------------------


@dataclass
class _Exchange:
    """One logical call: its pacing, its answer and what the answer means."""

    client: ShopifyClient
    document: str
    variables: dict[str, Any]
    acquired: float = 0.0
    body: dict[str, Any] | None = None

    @property
    def cost_key(self) -> tuple[str, int | None]:
        first = self.variables.get("first")
        return self.document, first if isinstance(first, int) else None

    def build(self) -> httpx.Request:
        return self.client.http.build_request(
            "POST", self.client.endpoint, json={"query": self.document, "variables": self.variables},
            headers={"X-Shopify-Access-Token": self.client.token, "Accept": "application/json"},
        )

    def before(self) -> None:
        known = self.client.costs.get(self.cost_key)
        self.acquired = float(known if known is not None else estimate_cost(self.document, self.variables))
        self.client.bucket.acquire(self.acquired)

    def after(self, response: httpx.Response) -> None:
        self.body = _body(response)
        served = response.headers.get(VERSION_HEADER)
        if served:
            warn_if_served_otherwise(self.client.endpoint, served)
        cost = ((self.body or {}).get("extensions") or {}).get("cost") or {}
        if cost.get("requestedQueryCost") is not None:
            self.client.costs[self.cost_key] = float(cost["requestedQueryCost"])
        status = cost.get("throttleStatus")
        if status:
            # Shopify's figure already includes its refund of requested - actual: take it as is.
            self.client.bucket.observe(maximum=float(status["maximumAvailable"]),
                                       available=float(status["currentlyAvailable"]),
                                       restore_rate=float(status["restoreRate"]))
        elif cost.get("actualQueryCost") is not None:
            self.client.bucket.refund(max(0.0, self.acquired - float(cost["actualQueryCost"])))
        else:
            self.client.bucket.refund(self.acquired)

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
    costs: dict[tuple[str, int | None], float] = field(default_factory=dict)
    """Shopify's requested cost per (document, page size), learnt from its answers."""
    shop: ShopFacts | None = None
    """The shop's currency and ``taxesIncluded``, once read (see ``common.shop_facts``)."""
    locations: list[dict[str, Any]] | None = None
    """The shop's active locations, once read."""
    product_of_variant: dict[str, str] = field(default_factory=dict)
    """Variant GID → product GID, learnt from look-ups (a price write needs the product)."""
    stock_available: dict[str, int | None] = field(default_factory=dict)
    """Level id → ``available`` as last read or written (compare-and-swap, see ``stock.py``)."""
    nonce: str = field(default_factory=lambda: uuid.uuid4().hex)
    """Distinguishes this connection's idempotency keys from a later run's."""

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


_warned: set[tuple[str, str]] = set()
_warned_lock = threading.Lock()


def asked_version(endpoint: str) -> str:
    """The version in an Admin API endpoint (``…/admin/api/2026-07/graphql.json``)."""
    parts = endpoint.rstrip("/").split("/")
    return parts[-2] if len(parts) >= 2 else ""


def warn_if_served_otherwise(endpoint: str, served: str) -> bool:
    """Log once per endpoint and served version that Shopify answered in another version than
    asked (the asked one is past its support, or was never released). True when it logged."""
    asked = asked_version(endpoint)
    if served == asked:
        return False
    with _warned_lock:
        if (endpoint, served) in _warned:
            return False
        _warned.add((endpoint, served))
    log.warning("shopify_api_version_served", asked=asked, served=served,
                hint=f"Shopify no longer serves {asked}: set api_version to a supported version "
                     "(https://shopify.dev/docs/api/usage/versioning)")
    return True


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
