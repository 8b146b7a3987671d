"""One GraphQL request from body to answer: parse, validate, price, throttle, resolve, refund.

Order and answers as Shopify's Admin API gives them (https://shopify.dev/docs/api/admin-graphql,
https://shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits): syntax and schema errors are
HTTP 200 with ``errors``; a query over the single-query maximum or beyond what the bucket holds
runs nothing; every answer that priced its query carries ``extensions.cost``, and unknown search
fields add ``extensions.search`` warnings. The version the request is served as (see
:mod:`.versions`) reaches resolvers as ``info.context["version"]``.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

import graphql
from graphql import DocumentNode, GraphQLError, OperationDefinitionNode

from tradewind.sandboxes.shopify.common import MAX_QUERY_COST
from tradewind.sandboxes.shopify.cost import THROTTLED, cost_extension, max_cost_error, query_cost
from tradewind.sandboxes.shopify.queries import Root

if TYPE_CHECKING:
    from tradewind.sandboxes.shopify.sandbox import ShopifySandbox

SERVED_VERSION: ContextVar[str | None] = ContextVar("shopify_served_version", default=None)
"""The API version the current request is served as (set by the HTTP route; None: the newest rules)."""


def execute(sandbox: ShopifySandbox, body: Mapping[str, Any]) -> tuple[int, dict[str, Any]]:
    """Run one GraphQL request; returns (HTTP status, JSON body)."""
    try:
        document = graphql.parse(body["query"])
    except GraphQLError as error:
        return 200, {"errors": [error.formatted]}
    errors = graphql.validate(sandbox.schema, document)
    if errors:
        return 200, {"errors": [e.formatted for e in errors]}
    operation = graphql.get_operation_ast(document, body.get("operationName"))
    if operation is None:
        return 200, {"errors": [{"message": "An operation name is required"}]}
    variables = body.get("variables") or {}
    requested = query_cost(sandbox.schema, document, operation, variables)
    unpriced = cost_extension(sandbox.bucket, requested, None)
    if requested > MAX_QUERY_COST:
        return 200, {"errors": [max_cost_error(requested)], "extensions": unpriced}
    if sandbox.bucket is not None and not sandbox.bucket.take(requested):
        return sandbox.throttle_status, {"errors": [THROTTLED], "extensions": unpriced}
    return 200, _run(sandbox, document, operation, variables, requested, body.get("operationName"))


def _run(
    sandbox: ShopifySandbox,
    document: DocumentNode,
    operation: OperationDefinitionNode,
    variables: Mapping[str, Any],
    requested: int,
    operation_name: str | None,
) -> dict[str, Any]:
    context: dict[str, Any] = {"search": [], "version": SERVED_VERSION.get()}
    with sandbox.lock:
        result = graphql.execute_sync(
            sandbox.schema,
            document,
            root_value=Root(sandbox),
            context_value=context,
            variable_values=dict(variables),
            operation_name=operation_name,
        )
    actual = min(requested, query_cost(sandbox.schema, document, operation, variables, result.data or {}))
    if sandbox.bucket is not None:
        sandbox.bucket.refund(requested - actual)
    extensions = cost_extension(sandbox.bucket, requested, actual)
    if context["search"]:
        extensions["search"] = context["search"]
    return {**result.formatted, "extensions": extensions}
