"""Calculated query cost and the leaky bucket, as Shopify's GraphQL Admin API rate limits work.

Sources: https://shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits and
https://shopify.dev/docs/api/usage/limits. Scalars and enums cost 0, objects 1, connections
``2 + (first|last) × cost of one node``, mutations 10. The requested cost is taken from a leaky
bucket before execution and ``requested − actual`` refunded after; every answer carries
``extensions.cost{requestedQueryCost, actualQueryCost, throttleStatus{maximumAvailable,
currentlyAvailable, restoreRate}}``. Bucket 1000 / restore 50 per second by default (the values in
most recorded traffic; the current page lists 100–2000 points/second by plan, hence configurable).
When the bucket is short: HTTP 200, ``errors[0].extensions.code == "THROTTLED"``, no ``data``,
``actualQueryCost: null`` (community.shopify.com/t/throttled/254776; Shopify/cli PR #8317 says
GraphQL throttles with 200 — ``throttle_status=429`` switches to the uncertain alternative).
A query whose requested cost exceeds 1000 is refused with ``MAX_COST_EXCEEDED`` and the message
Shopify/shopify-app-js#577 quotes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import graphql
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)

from tradewind.sandboxes._kit import LeakyBucket
from tradewind.sandboxes.shopify.common import MAX_QUERY_COST, RATE_LIMIT_DOCS, UNLIMITED

THROTTLED = {"message": "Throttled", "extensions": {"code": "THROTTLED", "documentation": RATE_LIMIT_DOCS}}


def max_cost_error(cost: int) -> dict[str, Any]:
    message = (
        f"Query cost is {cost}, which exceeds the single query max cost limit ({MAX_QUERY_COST}).\n\n"
        "See https://shopify.dev/concepts/about-apis/rate-limits for more information on how the\n"
        "cost of a query is calculated.\n\n"
        "To query larger amounts of data with fewer limits, bulk operations should be used instead.\n"
        "See https://shopify.dev/tutorials/perform-bulk-operations-with-admin-api for usage details.\n"
    )
    return {
        "message": message,
        "extensions": {
            "code": "MAX_COST_EXCEEDED",
            "cost": cost,
            "maxCost": MAX_QUERY_COST,
            "documentation": RATE_LIMIT_DOCS,
        },
    }

def cost_extension(bucket: LeakyBucket | None, requested: int, actual: int | None) -> dict[str, Any]:
    """``extensions.cost`` as every answer carries it (``actual`` None when nothing ran)."""
    if bucket is None:
        status = {"maximumAvailable": UNLIMITED, "currentlyAvailable": int(UNLIMITED), "restoreRate": UNLIMITED}
    else:
        status = {
            "maximumAvailable": float(bucket.size),
            "currentlyAvailable": int(bucket.available),
            "restoreRate": float(bucket.restore_rate),
        }
    return {"cost": {"requestedQueryCost": requested, "actualQueryCost": actual, "throttleStatus": status}}


MUTATION_COST = 10
CONNECTION_COST = 2


def query_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation: OperationDefinitionNode,
    variables: Mapping[str, Any],
    data: Mapping[str, Any] | None = None,
) -> int:
    """Requested cost (``data`` None: connections sized by first/last) or actual cost (sized by ``data``)."""
    if operation.operation == graphql.OperationType.MUTATION:
        return MUTATION_COST * len(_CostWalker(schema, document, variables).fields(operation.selection_set))
    root = schema.query_type
    assert root is not None
    return _CostWalker(schema, document, variables).selection(root, operation.selection_set, data)


class _CostWalker:
    """Scalars and enums 0, objects 1, connections 2 + size × (1 + a node's children)."""

    def __init__(self, schema: GraphQLSchema, document: DocumentNode, variables: Mapping[str, Any]) -> None:
        self.schema = schema
        self.variables = dict(variables)
        self.fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}

    def fields(self, selection_set: SelectionSetNode | None) -> list[FieldNode]:
        found: list[FieldNode] = []
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                found.append(selection)
            elif isinstance(selection, InlineFragmentNode):
                found += self.fields(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode) and selection.name.value in self.fragments:
                found += self.fields(self.fragments[selection.name.value].selection_set)
        return found

    def selection(self, parent: GraphQLObjectType, selection_set: SelectionSetNode | None, data: Any) -> int:
        total = 0
        for node in self.fields(selection_set):
            definition = parent.fields.get(node.name.value)
            named = graphql.get_named_type(definition.type) if definition else None
            if not isinstance(named, GraphQLObjectType):
                continue
            value = data.get(_key(node)) if isinstance(data, Mapping) else None
            if named.name.endswith("Connection"):
                total += self.connection(named, node, data is not None, value)
            else:
                total += self.object(named, node, data is not None, value)
        return total

    def object(self, named: GraphQLObjectType, node: FieldNode, actual: bool, value: Any) -> int:
        if not actual:
            return 1 + self.selection(named, node.selection_set, None)
        if value is None:
            return 0
        items = value if isinstance(value, list) else [value]
        return 1 + max((self.selection(named, node.selection_set, item) for item in items), default=0)

    def connection(self, named: GraphQLObjectType, node: FieldNode, actual: bool, value: Any) -> int:
        node_type = graphql.get_named_type(named.fields["nodes"].type)
        assert isinstance(node_type, GraphQLObjectType)
        paths = self._node_paths(node)
        if not actual:
            child = max((self.selection(node_type, sel.selection_set, None) for _, sel in paths), default=0)
            return CONNECTION_COST + self._page_size(node) * (1 + child)
        if value is None:
            return 0
        costs = [
            sum(1 + self.selection(node_type, sel.selection_set, item) for item in _items(value, keys))
            for keys, sel in paths
        ]
        return CONNECTION_COST + max(costs, default=0)

    def _node_paths(self, node: FieldNode) -> list[tuple[tuple[str, ...], FieldNode]]:
        paths: list[tuple[tuple[str, ...], FieldNode]] = []
        for child in self.fields(node.selection_set):
            if child.name.value == "nodes":
                paths.append(((_key(child),), child))
            elif child.name.value == "edges":
                paths += [
                    ((_key(child), _key(grand)), grand)
                    for grand in self.fields(child.selection_set)
                    if grand.name.value == "node"
                ]
        return paths

    def _page_size(self, node: FieldNode) -> int:
        for argument in node.arguments or ():
            if argument.name.value in ("first", "last"):
                size = graphql.value_from_ast(argument.value, graphql.GraphQLInt, self.variables)
                if isinstance(size, int):
                    return size
        return 0


def _key(node: FieldNode) -> str:
    return node.alias.value if node.alias else node.name.value


def _items(value: Mapping[str, Any], keys: tuple[str, ...]) -> list[Any]:
    if len(keys) == 1:
        return list(value.get(keys[0]) or [])
    return [edge.get(keys[1]) for edge in value.get(keys[0]) or []]

