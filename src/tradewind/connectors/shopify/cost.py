"""Shopify's calculated query cost: the estimate we pace by until Shopify has told us the real
figure for a document, and the wait its ``throttleStatus`` asks for
(https://shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

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

from tradewind.connectors.shopify import queries

MUTATION_COST = 10


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


@lru_cache(maxsize=16)
def lookup_size(document: str, budget: int) -> int:
    """The largest page (at most 250) of ``document``'s connection whose requested cost stays
    within ``budget``: how many keys one search may OR together and still answer in one page."""
    size = queries.PAGE_MAX
    while size > 1 and estimate_cost(document, {"first": size}) > budget:
        size -= 1
    return size


@lru_cache(maxsize=64)
def is_mutation(document: str) -> bool:
    """Whether the document's (first) operation is a mutation (asked for every call: kept per document)."""
    return any(getattr(d, "operation", None) == OperationType.MUTATION for d in _parsed(document).definitions)


def throttle_wait(cost: Mapping[str, Any]) -> float:
    """Seconds until the bucket holds the requested cost again (Shopify's own formula)."""
    status = cost.get("throttleStatus") or {}
    requested = float(cost.get("requestedQueryCost") or 0)
    available = float(status.get("currentlyAvailable") or 0)
    rate = float(status.get("restoreRate") or 50)
    return max(0.0, requested - available) / rate + 0.05
