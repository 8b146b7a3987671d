"""The fulfillment documents against Shopify's real 2026-07 schema, and the placing of shipped units
on fulfillment order lines (pure)."""

from __future__ import annotations

import graphql
import pytest
from graphql.validation import NoDeprecatedCustomRule

from tradewind.connectors.shopify.fulfillments import DOCUMENTS, placed
from tradewind.errors import RecordError

from .test_schema import schema  # noqa: F401  (the fixture)


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_document_is_valid_for_shopify_and_uses_nothing_deprecated(schema: graphql.GraphQLSchema,  # noqa: F811
                                                                    name: str) -> None:
    document = graphql.parse(DOCUMENTS[name])
    assert [] == [e.message for e in graphql.validate(schema, document, [*graphql.specified_rules,
                                                                          NoDeprecatedCustomRule])]


ORDER = {"name": "#1001", "fulfillmentOrders": {"nodes": [
    {"id": "FO1", "status": "CLOSED", "lineItems": {"nodes": [{"id": "L0", "sku": "BAG-01", "remainingQuantity": 0}]}},
    {"id": "FO2", "status": "IN_PROGRESS", "lineItems": {"nodes": [
        {"id": "L1", "sku": "BAG-01", "remainingQuantity": 1}, {"id": "L2", "sku": "CAP-02", "remainingQuantity": 2}]}},
    {"id": "FO3", "status": "OPEN", "lineItems": {"nodes": [{"id": "L3", "sku": "BAG-01", "remainingQuantity": 4}]}}]}}


def test_units_go_to_lines_with_units_remaining_across_fulfillment_orders() -> None:
    assert {"FO2": [{"id": "L1", "quantity": 1}, {"id": "L2", "quantity": 2}], "FO3": [{"id": "L3", "quantity": 2}]} \
        == placed(ORDER, [{"sku": "BAG-01", "quantity": "3"}, {"sku": "CAP-02", "quantity": "2"}])


def test_more_than_remains_fails_naming_both_quantities() -> None:
    with pytest.raises(RecordError, match="order #1001 has 5 of BAG-01 left to ship; the shipment ships 6"):
        placed(ORDER, [{"sku": "BAG-01", "quantity": "6"}])
