"""``inventorySetQuantities`` refuses what Shopify 2026-04+ refuses, beyond what its schema can say."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import graphql
import httpx
import pytest
from graphql import GraphQLSchema

from tradewind.sandboxes._serve import Served
from tradewind.sandboxes.shopify import ShopifySandbox, create_app

from .test_shopify_sandbox import REAL_SDL

TOKEN = "shpat_inventory"
ITEM, LOCATION = "gid://shopify/InventoryItem/301", "gid://shopify/Location/1"
SET = """
mutation Set($input: InventorySetQuantitiesInput!, $key: String!) {
  inventorySetQuantities(input: $input) @idempotent(key: $key) {
    inventoryAdjustmentGroup { changes(quantityNames: ["available"]) { delta quantityAfterChange } }
    userErrors { field message code }
  }
}
"""
WITHOUT_KEY = SET.replace(" @idempotent(key: $key)", "").replace(", $key: String!", "")
SEED = {
    "locations": [{"id": 1, "name": "Warehouse"}],
    "products": [{"id": 101, "title": "Hat", "variants": [{"id": 201, "sku": "HAT", "inventory_item_id": 301}]}],
    "inventory_levels": [{"sku": "HAT", "location_id": 1, "available": 5}],
}


@pytest.fixture(scope="module")
def real_schema() -> GraphQLSchema:
    if not REAL_SDL.exists():
        pytest.skip(f"Shopify's schema is not beside the checkout ({REAL_SDL})")
    return graphql.build_schema(REAL_SDL.read_text(encoding="utf-8"), assume_valid=True)


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    app = create_app(token=TOKEN, bucket_size=None)
    app.state.sandbox.clock = lambda: datetime(2026, 12, 5, 12, tzinfo=UTC)
    with Served(app) as server:
        yield server


@pytest.fixture
def shop(served: Served) -> ShopifySandbox:
    httpx.post(f"{served.url}/_sandbox/seed", json=SEED).raise_for_status()
    return served.server.config.app.state.sandbox  # type: ignore[union-attr,no-any-return]


def post(served: Served, schema: GraphQLSchema, document: str, variables: dict[str, Any],
         version: str = "2026-07") -> dict[str, Any]:
    """Sends a document that Shopify's own 2026-07 schema accepts: the refusals below are beyond it."""
    assert [] == [e.message for e in graphql.validate(schema, graphql.parse(document))]
    answer = httpx.post(f"{served.url}/admin/api/{version}/graphql.json",
                        json={"query": document, "variables": variables}, headers={"X-Shopify-Access-Token": TOKEN})
    assert 200 == answer.status_code
    return answer.json()  # type: ignore[no-any-return]


def quantities(quantity: int, **change_from: Any) -> dict[str, Any]:
    return {"name": "available", "reason": "correction",
            "quantities": [{"inventoryItemId": ITEM, "locationId": LOCATION, "quantity": quantity, **change_from}]}


def test_without_the_idempotent_directive_nothing_is_written(served: Served, shop: ShopifySandbox,
                                                              real_schema: GraphQLSchema) -> None:
    body = post(served, real_schema, WITHOUT_KEY, {"input": quantities(9, changeFromQuantity=5)})
    assert [("BAD_REQUEST", "The @idempotent directive is required for this mutation but was not provided.")] == [
        (e["extensions"]["code"], e["message"]) for e in body["errors"]]
    blank = post(served, real_schema, SET, {"input": quantities(9, changeFromQuantity=5), "key": "  "})
    assert "BAD_REQUEST" == blank["errors"][0]["extensions"]["code"]
    assert 5 == shop.inventory("HAT")


def test_a_quantity_without_change_from_quantity_is_refused(served: Served, shop: ShopifySandbox,
                                                            real_schema: GraphQLSchema) -> None:
    body = post(served, real_schema, SET, {"input": quantities(9), "key": "no-change-from"})
    (error,) = body["errors"]
    assert "INVALID_FIELD_ARGUMENTS" == error["extensions"]["code"]
    assert "must include the following argument: changeFromQuantity" in error["message"]
    assert 5 == shop.inventory("HAT")


def test_a_stale_change_from_quantity_is_a_conflict(served: Served, shop: ShopifySandbox,
                                                    real_schema: GraphQLSchema) -> None:
    payload = post(served, real_schema, SET, {"input": quantities(9, changeFromQuantity=4), "key": "stale"})
    result = payload["data"]["inventorySetQuantities"]
    assert result["inventoryAdjustmentGroup"] is None
    assert [{"field": ["input", "quantities", "0", "changeFromQuantity"], "code": "CHANGE_FROM_QUANTITY_STALE",
             "message": "The changeFromQuantity argument no longer matches the persisted quantity."}] == \
        result["userErrors"]
    assert 5 == shop.inventory("HAT")


def test_the_current_quantity_or_an_explicit_null_is_written(served: Served, shop: ShopifySandbox,
                                                             real_schema: GraphQLSchema) -> None:
    first = post(served, real_schema, SET, {"input": quantities(9, changeFromQuantity=5), "key": "a"})
    assert [{"delta": 4, "quantityAfterChange": 9}] == \
        first["data"]["inventorySetQuantities"]["inventoryAdjustmentGroup"]["changes"]
    post(served, real_schema, SET, {"input": quantities(2, changeFromQuantity=None), "key": "b"})
    assert 2 == shop.inventory("HAT")


def test_a_repeated_key_answers_the_first_result_without_writing_again(served: Served, shop: ShopifySandbox,
                                                                       real_schema: GraphQLSchema) -> None:
    first = post(served, real_schema, SET, {"input": quantities(9, changeFromQuantity=5), "key": "once"})
    post(served, real_schema, SET, {"input": quantities(3, changeFromQuantity=9), "key": "later"})
    again = post(served, real_schema, SET, {"input": quantities(9, changeFromQuantity=5), "key": "once"})
    assert first["data"] == again["data"]
    assert 3 == shop.inventory("HAT")
    other = post(served, real_schema, SET, {"input": quantities(7, changeFromQuantity=3), "key": "once"})
    assert ["IDEMPOTENCY_KEY_PARAMETER_MISMATCH"] == [
        e["code"] for e in other["data"]["inventorySetQuantities"]["userErrors"]]
    assert 3 == shop.inventory("HAT")


def test_a_version_before_2026_04_has_neither_rule(served: Served, shop: ShopifySandbox,
                                                   real_schema: GraphQLSchema) -> None:
    body = post(served, real_schema, WITHOUT_KEY, {"input": quantities(8)}, version="2026-01")
    assert [] == body["data"]["inventorySetQuantities"]["userErrors"]
    assert 8 == shop.inventory("HAT")
