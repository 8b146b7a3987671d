"""The Shopify sandbox's indexes: searches and look-ups answer as a full scan would, after any write."""

from __future__ import annotations

from typing import Any

import pytest

from tradewind.sandboxes.shopify import ShopifySandbox, Store, create_app
from tradewind.sandboxes.shopify.queries import listings
from tradewind.sandboxes.shopify.search import Field, compile_query, exact_terms
from tradewind.sandboxes.shopify.store import _new_indexes
from tradewind.sandboxes.shopify.views import Views

SIZES = ("S", "M")


def _seed() -> dict[str, Any]:
    products = [
        {
            "title": f"Product {n}",
            "handle": f"product-{n}",
            "options": [{"name": "Size", "values": list(SIZES)}],
            "variants": [{"sku": f"SKU-{n}-{s}", "option1": s, "barcode": f"87{n}{s}"} for s in SIZES],
        }
        for n in range(6)
    ]
    products.append({"title": "Shared", "handle": "shared", "variants": [{"sku": "SKU-1-S"}]})
    customers = [{"email": f"c{n}@example.com", "phone": f"+3161234000{n}", "first_name": f"C{n}"} for n in range(4)]
    orders = [{"email": "c1@example.com", "line_items": [{"sku": "SKU-2-M"}]}, {"email": "x@example.com"}]
    return {"locations": [{"name": "A"}, {"name": "B"}], "products": products, "customers": customers, "orders": orders}


@pytest.fixture
def sandbox() -> ShopifySandbox:
    sb: ShopifySandbox = create_app(bucket_size=None, seed=_seed()).state.sandbox
    return sb


def _run(sb: ShopifySandbox, query: str, **variables: Any) -> dict[str, Any]:
    status, body = sb.execute({"query": query, "variables": variables})
    assert 200 == status and "errors" not in body, body
    return body["data"]  # type: ignore[no-any-return]


def _options(*sizes: str) -> list[dict[str, Any]]:
    return [{"name": "Size", "values": [{"name": s} for s in sizes]}]


def _variant(size: str, sku: str | None) -> dict[str, Any]:
    return {"optionValues": [{"optionName": "Size", "name": size}], "sku": sku}


def _errors(sb: ShopifySandbox, mutation: str, **variables: Any) -> list[Any]:
    data = _run(sb, mutation, **variables)
    (payload,) = data.values()
    return payload["userErrors"]  # type: ignore[no-any-return]


PRODUCT_SET = """mutation($identifier: ProductSetIdentifiers, $input: ProductSetInput!) {
  productSet(identifier: $identifier, input: $input) { userErrors { code } } }"""
PRODUCT_CREATE = """mutation($p: ProductCreateInput) {
  productCreate(product: $p) { product { id handle } userErrors { message } } }"""
PRODUCT_UPDATE = "mutation($p: ProductUpdateInput) { productUpdate(product: $p) { userErrors { message } } }"
BULK_CREATE = """mutation($id: ID!, $v: [ProductVariantsBulkInput!]!) {
  productVariantsBulkCreate(productId: $id, variants: $v, strategy: REMOVE_STANDALONE_VARIANT) {
    productVariants { id } userErrors { code } } }"""
BULK_UPDATE = """mutation($id: ID!, $v: [ProductVariantsBulkInput!]!) {
  productVariantsBulkUpdate(productId: $id, variants: $v) { userErrors { code } } }"""
CUSTOMER_CREATE = "mutation($i: CustomerInput!) { customerCreate(input: $i) { userErrors { message } } }"
CUSTOMER_UPDATE = "mutation($i: CustomerInput!) { customerUpdate(input: $i) { userErrors { message } } }"


def _write_a_lot(sb: ShopifySandbox) -> None:
    """Every write that touches an indexed field: handles, SKUs, barcodes, variants, e-mails, phones."""
    _write_products(sb)
    _write_variants(sb)
    _write_customers_and_orders(sb)


def _write_products(sb: ShopifySandbox) -> None:
    """productSet by handle (update, dropping a variant; create), a handle given up and taken again."""
    for handle, skus in (("product-1", ("SKU-1-S", "NEW-1")), ("brand-new", ("SKU-3-M", None))):
        variants = [_variant("S", skus[0]), _variant("L", skus[1])]
        data = {"title": handle, "productOptions": _options("S", "L"), "variants": variants}
        assert [] == _errors(sb, PRODUCT_SET, identifier={"handle": handle}, input=data)
    product_2 = sb.store.product_by_handle("product-2")
    assert product_2 is not None
    assert [] == _errors(
        sb, PRODUCT_UPDATE, p={"id": f"gid://shopify/Product/{product_2['id']}", "handle": "renamed-2"}
    )
    assert [] == _errors(sb, PRODUCT_CREATE, p={"title": "Again", "handle": "product-2"})


def _write_variants(sb: ShopifySandbox) -> None:
    """Bulk create replacing the standalone variant, then a bulk update of a SKU and a barcode."""
    created = _run(sb, PRODUCT_CREATE, p={"title": "Product 1"})["productCreate"]["product"]["id"]
    bulk = [
        {"optionValues": [{"optionName": "Size", "name": size}], "inventoryItem": {"sku": sku}}
        for size, sku in (("S", "SKU-4-S"), ("M", "FRESH"))
    ]
    made = _run(sb, BULK_CREATE, id=created, v=bulk)["productVariantsBulkCreate"]
    assert [] == made["userErrors"]
    changed = [{"id": made["productVariants"][1]["id"], "barcode": "87S0", "inventoryItem": {"sku": "sku-0-m"}}]
    assert [] == _errors(sb, BULK_UPDATE, id=created, v=changed)


def _write_customers_and_orders(sb: ShopifySandbox) -> None:
    """A customer changes e-mail and phone, another takes the old ones; an order is added."""
    first = f"gid://shopify/Customer/{next(iter(sb.store.customers))}"
    assert [] == _errors(sb, CUSTOMER_UPDATE, i={"id": first, "email": "C9@example.com", "phone": "+31600000000"})
    assert [] == _errors(sb, CUSTOMER_CREATE, i={"email": "c0@example.com", "phone": "+31612340000"})
    assert ["Email has already been taken"] == [
        e["message"] for e in _errors(sb, CUSTOMER_CREATE, i={"email": "c9@EXAMPLE.com"})
    ]
    sb.add_order({"name": "#X-1", "email": "C9@EXAMPLE.COM", "line_items": [{"sku": "FRESH"}]})


def _assert_indexes_match_a_rebuild(store: Store) -> None:
    """Each index equals one built from scratch over its table, and answers in table order."""
    for table, indexes in _new_indexes().items():
        rows = getattr(store, table)
        for name, fresh in indexes.items():
            for record in rows.values():
                fresh.file(record)
            kept = store.indexes[table][name]
            assert fresh.ids == kept.ids, (table, name)
            assert list(rows) == sorted(rows, key=kept.rank.__getitem__), (table, name)
    rebuilt: dict[int, dict[int, None]] = {}
    for item, location in store.levels:
        rebuilt.setdefault(item, {})[location] = None
    assert rebuilt == store.item_locations


def test_indexes_stay_true_through_every_kind_of_write(sandbox: ShopifySandbox) -> None:
    _assert_indexes_match_a_rebuild(sandbox.store)
    _write_a_lot(sandbox)
    _assert_indexes_match_a_rebuild(sandbox.store)
    sandbox.seed(sandbox.dump())
    _assert_indexes_match_a_rebuild(sandbox.store)
    sandbox.seed({})
    assert {} == sandbox.store.indexes["products"]["handle"].ids


SEARCHES = [
    ("products", "handle:product-1 OR handle:renamed-2 OR handle:product-2 OR handle:nope", True),
    ("products", "handle:product-3", True),
    ("products", 'handle:"PRODUCT-1" OR handle:brand-new', True),
    ("products", "sku:SKU-1-S OR sku:sku-0-m OR sku:NEW-1 OR sku:SKU-3-M", True),
    ("products", "barcode:87S0 OR (barcode:872M OR sku:FRESH)", True),
    ("productVariants", "sku:SKU-1-S OR sku:SKU-0-M OR sku:SKU-3-M OR sku:gone", True),
    ("productVariants", "barcode:87S0", True),
    ("customers", "email:c9@example.com OR email:C0@Example.com OR phone:+31612340002", True),
    ("orders", 'name:"#X-1" OR name:1001 OR email:c1@example.com', True),
    ("products", "sku:SKU-1* OR handle:product-3", False),
    ("productVariants", "sku:SKU-1-S AND barcode:871S", False),
    ("customers", "-email:c1@example.com", False),
    ("products", "status:active OR handle:product-3", False),
]


@pytest.mark.parametrize(("listing", "query", "indexed"), SEARCHES)
def test_search_answers_as_a_scan_would_page_by_page(
    sandbox: ShopifySandbox, listing: str, query: str, indexed: bool
) -> None:
    _write_a_lot(sandbox)
    spec = listings(sandbox, Views(sandbox))[listing]
    terms = exact_terms(query, spec.fields)
    assert indexed == (terms is not None and all(name in spec.lookups for name, _ in terms))
    predicate, _ = compile_query(query, spec.fields, spec.default)
    expected = sorted(record["id"] for record in spec.records() if predicate(record))
    assert expected, "each search should find something"
    document = f"""query($q: String, $after: String) {{
      {listing}(first: 2, after: $after, query: $q, sortKey: ID) {{
        nodes {{ id }} pageInfo {{ hasNextPage endCursor }} }} }}"""
    seen: list[int] = []
    after = None
    while True:
        page = _run(sandbox, document, q=query, after=after)[listing]
        seen += [int(node["id"].rsplit("/", 1)[1]) for node in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert expected == seen


def test_look_ups_by_handle_sku_and_item(sandbox: ShopifySandbox) -> None:
    store = sandbox.store
    assert store.product_by_handle("product-1") is not None
    assert store.product_by_handle("PRODUCT-1") is None, "a handle look-up is exact, as the scan was"
    shared = [
        p["title"] for p in store.products.values() for v in store.product_variants(p["id"]) if v["sku"] == "SKU-1-S"
    ]
    assert ["Product 1", "Shared"] == shared
    first = store.variant_by_sku("SKU-1-S")
    assert first is not None and "Product 1" == store.products[first["product_id"]]["title"]
    assert first is store.variant_of_item(first["inventory_item_id"])
    assert 2 == len(store.item_levels(first["inventory_item_id"]))
    taken = "mutation($p: ProductCreateInput) { productCreate(product: $p) { product { handle } } }"
    assert "product-1-1" == _run(sandbox, taken, p={"title": "Product 1"})["productCreate"]["product"]["handle"]


FIELDS = {"sku": Field(lambda r: [r]), "title": Field(lambda r: [r], "text"), "id": Field(lambda r: [r], "number")}


@pytest.mark.parametrize(
    ("query", "terms"),
    [
        ("sku:A", [("sku", "A")]),
        ('sku:"A B" OR sku:C OR (sku:D OR sku:E)', [("sku", "A B"), ("sku", "C"), ("sku", "D"), ("sku", "E")]),
        ("sku:A*", None),
        ("sku:*", None),
        ("sku:>A", None),
        ("sku:A AND sku:B", None),
        ("sku:A sku:B", None),
        ("-sku:A", None),
        ("NOT sku:A OR sku:B", None),
        ("A", None),
        ("title:A", None),
        ("id:1", None),
        ("colour:red", None),
        ("", None),
        (None, None),
        ("sku:(", None),
    ],
)
def test_exact_terms_only_for_or_ed_exact_field_values(query: str | None, terms: list[tuple[str, str]] | None) -> None:
    assert terms == exact_terms(query, FIELDS)
