"""What the mutations share: product fields, options and variants written into the store.

Shopify validates a whole mutation before it writes anything: a payload with ``userErrors``
changed nothing (https://shopify.dev/docs/api/admin-graphql/2026-07/mutations/productSet). Each
mutation group subclasses :class:`Writer`, checks first, then applies these helpers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from tradewind.sandboxes.shopify.common import Record, money_text, parse_gid, user_error
from tradewind.sandboxes.shopify.options import option_name
from tradewind.sandboxes.shopify.store import Store
from tradewind.sandboxes.shopify.views import Views

if TYPE_CHECKING:
    from tradewind.sandboxes.shopify.sandbox import ShopifySandbox

_PRODUCT_FIELDS = (
    ("title", "title"),
    ("descriptionHtml", "body_html"),
    ("vendor", "vendor"),
    ("productType", "product_type"),
    ("tags", "tags"),
)


class Writer:
    """Base of every mutation group: validate everything first (userErrors, nothing written), then apply."""

    def __init__(self, sandbox: ShopifySandbox, views: Views) -> None:
        self.sb = sandbox
        self.views = views

    @property
    def store(self) -> Store:
        return self.sb.store

    def _check_handle(self, handle: str | None, product: Record | None, path: list[str], code: str | None) -> list[Any]:
        owner = self.store.product_by_handle(handle) if handle else None
        if owner is None or (product is not None and owner["id"] == product["id"]):
            return []
        return [user_error(path, f"Handle '{handle}' already in use. Please provide a new handle.", code)]

    def _apply_product_fields(self, product: Record, data: Mapping[str, Any]) -> None:
        for source, target in _PRODUCT_FIELDS:
            if data.get(source) is not None:
                product[target] = list(data[source]) if target == "tags" else data[source]
        if data.get("status"):
            product["status"] = str(data["status"]).lower()
        if data.get("handle"):
            product["handle"] = data["handle"]
        self.store.put("products", product)

    def _set_options(self, product: Record, options: Sequence[Mapping[str, Any]]) -> list[Record]:
        existing = {o["name"]: o for o in product["options"]}
        result = []
        for position, option in enumerate(options, start=1):
            name = option_name(option, product)
            values = [v.get("name") for v in option.get("values") or []]
            record = self.sb.option(name, values, position)
            record["id"] = existing[name]["id"] if name in existing else record["id"]
            result.append(record)
        return result

    def _apply_variant(self, record: Record, data: Mapping[str, Any], combo: tuple[str, ...] | None, now: str) -> None:
        if combo:
            for slot in range(3):
                record[f"option{slot + 1}"] = combo[slot] if slot < len(combo) else None
        for source, target in (
            ("price", "price"),
            ("compareAtPrice", "compare_at_price"),
            ("barcode", "barcode"),
            ("taxable", "taxable"),
            ("sku", "sku"),
        ):
            if source in data:
                record[target] = (
                    money_text(data[source]) if source in ("price", "compareAtPrice") and data[source] else data[source]
                )
        item_input = data.get("inventoryItem") or {}
        if "sku" in item_input:
            record["sku"] = item_input["sku"]
        self.store.put("variants", record)
        item = self.store.items[record["inventory_item_id"]]
        if item_input.get("tracked") is not None:
            item["tracked"] = item_input["tracked"]
        item["updated_at"] = record["updated_at"] = now

    def _set_inventory(self, variant: Record, quantities: Sequence[Mapping[str, Any]], now: str) -> None:
        for q in quantities:
            location_id = parse_gid(q.get("locationId"), "Location") or 0
            level = self.sb.stock_level(variant["inventory_item_id"], location_id, now)
            amount = int(q.get("quantity", q.get("availableQuantity", 0)))
            delta = amount - int(level[q.get("name", "available")])
            level.update(available=level["available"] + delta, on_hand=level["on_hand"] + delta, updated_at=now)

    def _delete_variant(self, variant: Record) -> None:
        self.store.remove("variants", variant["id"])
        self.store.drop_item(variant["inventory_item_id"])

    def _default_variant(self, product: Record, now: str) -> None:
        if not product["options"]:
            product["options"] = [self.sb.option("Title", ["Default Title"], 1)]
        first = {f"option{o['position']}": (o["values"] or ["Default Title"])[0] for o in product["options"]}
        self.sb.new_variant(product, first, 1, now)

