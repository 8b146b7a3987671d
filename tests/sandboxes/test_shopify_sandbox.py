"""The Shopify sandbox over real HTTP on loopback, every document checked against Shopify's real schema."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import graphql
import httpx
import pytest
from graphql import GraphQLEnumType, GraphQLInputObjectType, GraphQLObjectType, GraphQLSchema, is_non_null_type
from starlette.applications import Starlette

from tradewind.sandboxes._serve import Served
from tradewind.sandboxes.shopify import SUBSET_SDL, create_app
from tradewind.sandboxes.shopify.common import utcnow

REAL_SDL = Path(__file__).resolve().parents[3] / "shared" / "vendor-specs" / "shopify" / "admin-2026-07.graphql"
TOKEN = "shpat_test"
VERSION = "2026-07"
API = f"/admin/api/{VERSION}/graphql.json"


def _seed() -> dict[str, Any]:
    products = [
        {
            "id": 100 + n,
            "title": f"Product {n}",
            "handle": f"product-{n}",
            "created_at": f"2024-01-{n:02d}T10:00:00Z",
            "updated_at": f"2024-02-{n:02d}T10:00:00Z",
            "variants": [{"id": 200 + n, "sku": f"SKU-{n}", "price": "10.00", "inventory_item_id": 300 + n}],
        }
        for n in range(1, 8)
    ]
    products.append(
        {
            "id": 150,
            "title": "Shirt",
            "options": [{"name": "Size", "values": ["S", "M", "L"]}],
            "created_at": "2024-01-20T10:00:00Z",
            "updated_at": "2024-01-20T10:00:00Z",
            "variants": [{"sku": f"SHIRT-{s}", "option1": s, "price": "25.00"} for s in ("S", "M", "L")],
        }
    )
    orders = [
        {
            "id": 900,
            "email": "a@example.com",
            "financial_status": "paid",
            "created_at": "2024-03-01T08:00:00Z",
            "updated_at": "2024-03-01T08:00:00Z",
            "line_items": [{"sku": "SKU-1", "quantity": 2}],
        },
        {
            "id": 901,
            "email": "b@example.com",
            "financial_status": "pending",
            "created_at": "2024-03-02T08:00:00Z",
            "updated_at": "2024-03-05T08:00:00Z",
            "line_items": [{"sku": "SKU-2", "quantity": 1}],
        },
        {
            "id": 902,
            "email": "c@example.com",
            "financial_status": "paid",
            "created_at": "2024-03-03T08:00:00Z",
            "updated_at": "2024-03-06T08:00:00Z",
            "line_items": [{"sku": "SKU-3", "quantity": 1}],
        },
    ]
    return {
        "shop": {"name": "Test Shop", "currency": "EUR"},
        "locations": [{"id": 1, "name": "Warehouse"}, {"id": 2, "name": "Store"}],
        "products": products,
        "inventory_levels": [{"sku": "SKU-1", "location_id": 1, "available": 5}],
        "customers": [{"id": 700, "email": "taken@example.com", "first_name": "Tess", "last_name": "Taken"}],
        "orders": orders,
    }


@pytest.fixture(scope="module")
def real_schema() -> GraphQLSchema:
    if not REAL_SDL.exists():
        pytest.skip(f"vendored Shopify SDL not found at {REAL_SDL}")
    return graphql.build_schema(REAL_SDL.read_text(encoding="utf-8"), assume_valid=True)


@pytest.fixture(scope="module")
def app() -> Starlette:
    return create_app(token=TOKEN, bucket_size=None, seed=_seed())


@pytest.fixture(scope="module")
def server(app: Starlette) -> Iterator[Served]:
    with Served(app) as served:
        yield served


@pytest.fixture
def client(server: Served) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, headers={"X-Shopify-Access-Token": TOKEN}, timeout=10) as http:
        http.post("/_sandbox/seed", json=_seed()).raise_for_status()
        http.post("/_sandbox/reset-calls").raise_for_status()
        yield http


class Gql:
    """Posts documents after validating them against Shopify's real schema."""

    def __init__(self, http: httpx.Client, schema: GraphQLSchema) -> None:
        self.http = http
        self.schema = schema

    def raw(self, query: str, variables: dict[str, Any] | None = None) -> httpx.Response:
        errors = graphql.validate(self.schema, graphql.parse(query))
        assert [] == [e.message for e in errors]
        return self.http.post(API, json={"query": query, "variables": variables or {}})

    def __call__(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        response = self.raw(query, variables)
        assert 200 == response.status_code
        body: dict[str, Any] = response.json()
        assert "errors" not in body, body.get("errors")
        return body["data"]  # type: ignore[no-any-return]


@pytest.fixture
def gql(client: httpx.Client, real_schema: GraphQLSchema) -> Gql:
    return Gql(client, real_schema)


# --------------------------------------------------------------------------- contract


def test_subset_schema_is_part_of_the_real_2026_07_schema(real_schema: GraphQLSchema) -> None:
    subset = graphql.build_schema(SUBSET_SDL.read_text(encoding="utf-8"))
    problems: list[str] = []
    for name, kind in subset.type_map.items():
        if not name.startswith("__"):
            problems += _type_differences(name, kind, real_schema.get_type(name))
    for directive in subset.directives:
        real = real_schema.get_directive(directive.name)
        if real is None or directive.locations != real.locations or \
                {k: str(a.type) for k, a in directive.args.items()} != {k: str(a.type) for k, a in real.args.items()}:
            problems.append(f"directive @{directive.name}")
    assert [] == problems
    assert "QueryRoot" == real_schema.query_type.name == subset.query_type.name  # type: ignore[union-attr]
    assert "Mutation" == real_schema.mutation_type.name == subset.mutation_type.name  # type: ignore[union-attr]


def _type_differences(name: str, mine: Any, real: Any) -> list[str]:
    if real is None or type(real) is not type(mine):
        return [f"type {name} missing or of another kind"]
    if isinstance(mine, GraphQLEnumType):
        return [f"enum value {name}.{v}" for v in mine.values if v not in real.values]
    if isinstance(mine, GraphQLInputObjectType):
        return _input_differences(name, mine, real)
    if isinstance(mine, GraphQLObjectType):
        return [
            p for field, definition in mine.fields.items() for p in _field_differences(name, field, definition, real)
        ]
    return []


def _input_differences(name: str, mine: GraphQLInputObjectType, real: GraphQLInputObjectType) -> list[str]:
    problems = []
    for field, definition in mine.fields.items():
        other = real.fields.get(field)
        if other is None or str(other.type) != str(definition.type) or other.default_value != definition.default_value:
            problems.append(f"input field {name}.{field}")
    for field, other in real.fields.items():
        if is_non_null_type(other.type) and other.default_value is graphql.Undefined and field not in mine.fields:
            problems.append(f"required input field {name}.{field} not declared")
    return problems


def _field_differences(name: str, field: str, mine: Any, real_type: GraphQLObjectType) -> list[str]:
    real = real_type.fields.get(field)
    if real is None or str(real.type) != str(mine.type) or real.deprecation_reason != mine.deprecation_reason:
        return [f"field {name}.{field}"]
    problems = []
    for arg, definition in mine.args.items():
        other = real.args.get(arg)
        if other is None or str(other.type) != str(definition.type) or other.default_value != definition.default_value:
            problems.append(f"argument {name}.{field}({arg})")
    for arg, other in real.args.items():
        if is_non_null_type(other.type) and other.default_value is graphql.Undefined and arg not in mine.args:
            problems.append(f"required argument {name}.{field}({arg}) not declared")
    return problems


def test_wrong_or_missing_token_is_401(server: Served) -> None:
    expected = {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}
    for headers in ({"X-Shopify-Access-Token": "nope"}, {}):
        response = httpx.post(f"{server.url}{API}", json={"query": "{ shop { name } }"}, headers=headers)
        assert 401 == response.status_code
        assert expected == response.json()


@pytest.fixture
def december_2026(app: Starlette) -> Iterator[None]:
    """The sandbox stands on 5 December 2026: 2026-01 … 2026-10 supported, 2027-01 the release candidate."""
    sandbox = app.state.sandbox
    sandbox.clock = lambda: datetime(2026, 12, 5, 12, tzinfo=UTC)
    yield
    sandbox.clock = utcnow


def test_supported_version_is_served_as_asked(gql: Gql, december_2026: None) -> None:
    response = gql.raw("{ shop { name currencyCode } }")
    assert VERSION == response.headers["X-Shopify-API-Version"]
    assert {"shop": {"name": "Test Shop", "currencyCode": "EUR"}} == response.json()["data"]


# --------------------------------------------------------------------------- reading


PRODUCT_PAGE = """
query Page($first: Int, $after: String, $last: Int, $before: String) {
  products(first: $first, after: $after, last: $last, before: $before) {
    edges { cursor node { id title } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""


def test_products_page_forward_and_back_with_cursors(gql: Gql) -> None:
    titles, after, pages = [], None, []
    while True:
        page = gql(PRODUCT_PAGE, {"first": 3, "after": after})["products"]
        pages.append(page["pageInfo"])
        titles += [edge["node"]["title"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert [f"Product {n}" for n in range(1, 8)] + ["Shirt"] == titles
    assert [False, True, True] == [p["hasPreviousPage"] for p in pages]
    back = gql(PRODUCT_PAGE, {"last": 2, "before": pages[-1]["startCursor"]})["products"]
    assert ["Product 5", "Product 6"] == [edge["node"]["title"] for edge in back["edges"]]


def test_page_size_is_capped_at_250_and_required(gql: Gql) -> None:
    too_big = gql.raw("{ products(first: 251) { nodes { id } } }").json()
    assert "250" in too_big["errors"][0]["message"]
    missing = gql.raw('{ products(query: "title:x") { nodes { id } } }').json()
    assert "you must provide one of first or last" == missing["errors"][0]["message"]


def test_variants_of_a_product_page_by_position(gql: Gql) -> None:
    query = """
    query($id: ID!, $after: String) { product(id: $id) { variants(first: 2, after: $after) {
      nodes { sku title selectedOptions { name value } } pageInfo { hasNextPage endCursor } } } }
    """
    first = gql(query, {"id": "gid://shopify/Product/150"})["product"]["variants"]
    second = gql(query, {"id": "gid://shopify/Product/150", "after": first["pageInfo"]["endCursor"]})["product"][
        "variants"
    ]
    assert ["SHIRT-S", "SHIRT-M"] == [v["sku"] for v in first["nodes"]]
    assert [{"sku": "SHIRT-L", "title": "L", "selectedOptions": [{"name": "Size", "value": "L"}]}] == second["nodes"]
    assert not second["pageInfo"]["hasNextPage"]


def test_search_syntax_dates_or_and_negation(gql: Gql) -> None:
    query = "query($q: String) { products(first: 50, query: $q) { nodes { title } } }"
    recent = gql(query, {"q": "updated_at:>'2024-02-05T10:00:00Z'"})["products"]["nodes"]
    assert ["Product 6", "Product 7"] == [p["title"] for p in recent]
    either = gql(query, {"q": "sku:SKU-2 OR sku:SHIRT-M"})["products"]["nodes"]
    assert ["Product 2", "Shirt"] == [p["title"] for p in either]
    grouped = gql(query, {"q": "(sku:SKU-1 OR sku:SKU-2) -title:'Product 1'"})["products"]["nodes"]
    assert ["Product 2"] == [p["title"] for p in grouped]
    variants = "query($q: String) { productVariants(first: 10, query: $q) { nodes { sku } } }"
    assert [{"sku": "SHIRT-S"}] == gql(variants, {"q": "sku:SHIRT-S"})["productVariants"]["nodes"]


def test_unknown_search_field_is_ignored_with_a_warning(gql: Gql) -> None:
    body = gql.raw('{ products(first: 1, query: "colour:red") { nodes { id } } }').json()
    assert [{"field": "colour", "message": "Invalid search field for this query."}] == body["extensions"]["search"][0][
        "warnings"
    ]


def test_orders_filtered_by_financial_status_and_updated_at(gql: Gql) -> None:
    query = """query($q: String) { orders(first: 10, query: $q, sortKey: UPDATED_AT) {
      nodes { name displayFinancialStatus updatedAt totalPriceSet { shopMoney { amount currencyCode } }
              lineItems(first: 5) { nodes { sku quantity originalUnitPriceSet { shopMoney { amount } } } } } } }"""
    paid = gql(query, {"q": "financial_status:paid"})["orders"]["nodes"]
    assert ["#1001", "#1003"] == [o["name"] for o in paid]
    assert {"amount": "20.0", "currencyCode": "EUR"} == paid[0]["totalPriceSet"]["shopMoney"]
    assert [{"sku": "SKU-1", "quantity": 2, "originalUnitPriceSet": {"shopMoney": {"amount": "10.0"}}}] == paid[0][
        "lineItems"
    ]["nodes"]
    changed = gql(query, {"q": "financial_status:paid updated_at:>='2024-03-02T00:00:00Z'"})["orders"]["nodes"]
    assert ["#1003"] == [o["name"] for o in changed]


# --------------------------------------------------------------------------- writing


PRODUCT_SET = """
mutation Set($input: ProductSetInput!, $identifier: ProductSetIdentifiers) {
  productSet(input: $input, identifier: $identifier, synchronous: true) {
    product { id title updatedAt options { name values }
              variants(first: 10) { nodes { id sku price selectedOptions { name value } inventoryQuantity } } }
    userErrors { field message code }
  }
}
"""


def _variant(size: str, sku: str, price: str) -> dict[str, Any]:
    return {"optionValues": [{"optionName": "Size", "name": size}], "sku": sku, "price": price}


def test_product_set_creates_then_updates(gql: Gql) -> None:
    options = [{"name": "Size", "values": [{"name": "S"}, {"name": "M"}]}]
    created = gql(
        PRODUCT_SET,
        {
            "input": {
                "title": "Hoodie",
                "productOptions": options,
                "variants": [
                    _variant("S", "HOOD-S", "49.95")
                    | {
                        "inventoryQuantities": [
                            {"locationId": "gid://shopify/Location/1", "name": "available", "quantity": 7}
                        ]
                    },
                    _variant("M", "HOOD-M", "49.95"),
                ],
            }
        },
    )["productSet"]
    assert [] == created["userErrors"]
    product = created["product"]
    assert [("HOOD-S", "49.95", 7), ("HOOD-M", "49.95", 0)] == [
        (v["sku"], v["price"], v["inventoryQuantity"]) for v in product["variants"]["nodes"]
    ]
    keep_id = product["variants"]["nodes"][0]["id"]

    options = [{"name": "Size", "values": [{"name": "S"}, {"name": "L"}]}]
    updated = gql(
        PRODUCT_SET,
        {
            "identifier": {"id": product["id"]},
            "input": {
                "title": "Hoodie Pro",
                "productOptions": options,
                "variants": [_variant("S", "HOOD-S", "59.95"), _variant("L", "HOOD-L", "59.95")],
            },
        },
    )["productSet"]
    assert [] == updated["userErrors"]
    variants = updated["product"]["variants"]["nodes"]
    assert ["HOOD-S", "HOOD-L"] == [v["sku"] for v in variants]
    assert keep_id == variants[0]["id"]
    assert 7 == variants[0]["inventoryQuantity"]
    assert "Hoodie Pro" == updated["product"]["title"]
    assert updated["product"]["updatedAt"].endswith("Z")


def test_product_set_reports_user_errors(gql: Gql) -> None:
    options = [{"name": "Size", "values": [{"name": "S"}]}]
    result = gql(
        PRODUCT_SET,
        {
            "input": {
                "title": "Bad",
                "productOptions": options,
                "variants": [_variant("S", "BAD-1", "-1.00"), _variant("XL", "BAD-2", "1.00")],
            }
        },
    )["productSet"]
    assert result["product"] is None
    assert {(tuple(e["field"]), e["code"]) for e in result["userErrors"]} == {
        (("input", "variants", "0", "price"), "INVALID_VARIANT"),
        (("input", "variants", "1", "optionValues", "0"), "OPTION_VALUE_DOES_NOT_EXIST"),
    }
    missing = gql(PRODUCT_SET, {"identifier": {"id": "gid://shopify/Product/999999"}, "input": {"title": "X"}})
    assert "PRODUCT_DOES_NOT_EXIST" == missing["productSet"]["userErrors"][0]["code"]


def test_variants_bulk_update_changes_prices_and_rejects_negative(gql: Gql) -> None:
    mutation = """mutation($productId: ID!, $variants: [ProductVariantsBulkInput!]!) {
      productVariantsBulkUpdate(productId: $productId, variants: $variants) {
        productVariants { sku price compareAtPrice } userErrors { field message code } } }"""
    ok = gql(
        mutation,
        {
            "productId": "gid://shopify/Product/101",
            "variants": [{"id": "gid://shopify/ProductVariant/201", "price": "12.5", "compareAtPrice": "15"}],
        },
    )
    assert [{"sku": "SKU-1", "price": "12.50", "compareAtPrice": "15.00"}] == ok["productVariantsBulkUpdate"][
        "productVariants"
    ]
    bad = gql(
        mutation,
        {
            "productId": "gid://shopify/Product/101",
            "variants": [{"id": "gid://shopify/ProductVariant/201", "price": "-3"}],
        },
    )["productVariantsBulkUpdate"]
    assert bad["productVariants"] is None
    assert [["variants", "0", "price"]] == [e["field"] for e in bad["userErrors"]]


SET_QUANTITIES = """
mutation($input: InventorySetQuantitiesInput!, $key: String!) {
  inventorySetQuantities(input: $input) @idempotent(key: $key) {
    inventoryAdjustmentGroup { reason changes { name delta quantityAfterChange } }
    userErrors { field message code }
  }
}
"""

LEVEL = """
query($item: ID!, $location: ID!) {
  inventoryItem(id: $item) { sku tracked
    inventoryLevel(locationId: $location) {
      location { name } quantities(names: ["available", "on_hand"]) { name quantity } } }
}
"""


def test_inventory_set_quantities_then_read_the_level(gql: Gql, client: httpx.Client) -> None:
    item, location = "gid://shopify/InventoryItem/301", "gid://shopify/Location/1"
    result = gql(
        SET_QUANTITIES,
        {
            "input": {
                "name": "available",
                "reason": "correction",
                "quantities": [
                    {"inventoryItemId": item, "locationId": location, "quantity": 12, "changeFromQuantity": 5}
                ],
            },
            "key": "set-12",
        },
    )
    payload = result["inventorySetQuantities"]
    assert [] == payload["userErrors"]
    assert {"name": "available", "delta": 7, "quantityAfterChange": 12} in payload["inventoryAdjustmentGroup"][
        "changes"
    ]
    level = gql(LEVEL, {"item": item, "location": location})["inventoryItem"]
    assert [{"name": "available", "quantity": 12}, {"name": "on_hand", "quantity": 12}] == level["inventoryLevel"][
        "quantities"
    ]
    assert 12 == _sandbox_inventory(client, "SKU-1")


def _sandbox_inventory(client: httpx.Client, sku: str) -> int:
    state = client.get("/_sandbox/state").json()
    variant = next(v for p in state["products"] for v in p["variants"] if v["sku"] == sku)
    return int(variant["inventory_quantity"])


def test_inventory_set_quantities_user_errors(gql: Gql) -> None:
    quantities = [
        {
            "inventoryItemId": "gid://shopify/InventoryItem/301",
            "locationId": "gid://shopify/Location/1",
            "quantity": 1,
            "changeFromQuantity": 99,
        },
        {
            "inventoryItemId": "gid://shopify/InventoryItem/999",
            "locationId": "gid://shopify/Location/1",
            "quantity": 1,
            "changeFromQuantity": 0,
        },
    ]
    result = gql(
        SET_QUANTITIES,
        {"input": {"name": "available", "reason": "correction", "quantities": quantities}, "key": "errors"},
    )
    payload = result["inventorySetQuantities"]
    assert payload["inventoryAdjustmentGroup"] is None
    assert ["CHANGE_FROM_QUANTITY_STALE", "INVALID_INVENTORY_ITEM"] == [e["code"] for e in payload["userErrors"]]
    assert ["input", "quantities", "0", "changeFromQuantity"] == payload["userErrors"][0]["field"]


def test_customer_create_with_a_taken_email_is_a_user_error(gql: Gql) -> None:
    mutation = """mutation($input: CustomerInput!) { customerCreate(input: $input) {
      customer { id email firstName defaultAddress { city countryCodeV2 } } userErrors { field message } } }"""
    taken = gql(mutation, {"input": {"email": "TAKEN@example.com", "firstName": "Other"}})["customerCreate"]
    assert {"customer": None, "userErrors": [{"field": ["email"], "message": "Email has already been taken"}]} == taken
    fresh = gql(
        mutation,
        {
            "input": {
                "email": "new@example.com",
                "firstName": "Nia",
                "addresses": [{"address1": "Damrak 1", "city": "Amsterdam", "zip": "1012 JS", "countryCode": "NL"}],
            }
        },
    )["customerCreate"]
    assert [] == fresh["userErrors"]
    assert {"city": "Amsterdam", "countryCodeV2": "NL"} == fresh["customer"]["defaultAddress"]
    found = gql('{ customers(first: 5, query: "email:new@example.com") { nodes { firstName } } }')
    assert [{"firstName": "Nia"}] == found["customers"]["nodes"]


# --------------------------------------------------------------------------- cost, throttling, kit


def test_cost_extensions_on_every_answer(gql: Gql) -> None:
    body = gql.raw("{ products(first: 10) { edges { node { id title } } } }").json()
    cost = body["extensions"]["cost"]
    assert 12 == cost["requestedQueryCost"]
    assert 10 == cost["actualQueryCost"]
    assert {"maximumAvailable", "currentlyAvailable", "restoreRate"} == set(cost["throttleStatus"])
    mutation = gql.raw('mutation { customerCreate(input: {email: "x@example.com"}) { userErrors { message } } }').json()
    assert 10 == mutation["extensions"]["cost"]["requestedQueryCost"]


def test_throttled_when_the_bucket_is_short_and_too_costly_refused(real_schema: GraphQLSchema) -> None:
    app = create_app(token=TOKEN, bucket_size=30, restore_rate=0.001, seed=_seed())
    query = "{ products(first: 20) { nodes { id } } }"
    assert [] == graphql.validate(real_schema, graphql.parse(query))
    with Served(app) as served, httpx.Client(base_url=served.url, headers={"X-Shopify-Access-Token": TOKEN}) as http:
        first = http.post(API, json={"query": query}).json()
        assert 22 == first["extensions"]["cost"]["requestedQueryCost"]
        throttled = http.post(API, json={"query": query})
        body = throttled.json()
        assert 200 == throttled.status_code
        assert "data" not in body
        assert [
            {
                "message": "Throttled",
                "extensions": {"code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"},
            }
        ] == body["errors"]
        assert body["extensions"]["cost"]["actualQueryCost"] is None
        huge = http.post(
            API, json={"query": "{ products(first: 250) { nodes { variants(first: 250) { nodes { id } } } } }"}
        )
        assert "MAX_COST_EXCEEDED" == huge.json()["errors"][0]["extensions"]["code"]


def test_throttle_status_429_option() -> None:
    app = create_app(token=TOKEN, bucket_size=5, restore_rate=0.001, throttle_status=429)
    with Served(app) as served:
        response = httpx.post(
            f"{served.url}{API}",
            json={"query": "{ products(first: 10) { nodes { id } } }"},
            headers={"X-Shopify-Access-Token": TOKEN},
        )
    assert 429 == response.status_code
    assert "THROTTLED" == response.json()["errors"][0]["extensions"]["code"]


def test_injected_503_and_call_counting(gql: Gql, client: httpx.Client) -> None:
    client.post("/_sandbox/faults", json={"status": 503, "times": 1, "path_contains": "graphql"}).raise_for_status()
    failed = gql.raw("{ shop { name } }")
    assert 503 == failed.status_code
    assert {"errors": "Service unavailable"} == failed.json()
    assert "Test Shop" == gql("{ shop { name } }")["shop"]["name"]
    calls = client.get("/_sandbox/calls").json()
    assert {"total": 2, "by_route": {f"POST {API}": 2}} == calls


def test_seed_dump_round_trip_and_python_helpers(app: Starlette, client: httpx.Client) -> None:
    state = client.get("/_sandbox/state").json()
    client.post("/_sandbox/seed", json=state).raise_for_status()
    assert state == client.get("/_sandbox/state").json()
    sandbox = app.state.sandbox
    assert 5 == sandbox.inventory("SKU-1", "Warehouse")
    assert "101" == str(sandbox.products_by_sku()["SKU-1"]["product_id"])
    orders = sandbox.add_random_orders(3, seed=7)
    assert all(o["line_items"] and o["currency"] == "EUR" for o in orders)
    assert 6 == len(client.get("/_sandbox/state").json()["orders"])
