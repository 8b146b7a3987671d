"""Product mutations: ``productSet`` (an upsert by id or handle), ``productCreate``/``productUpdate``
and ``productVariantsBulkCreate``/``productVariantsBulkUpdate``.

Arguments, userError codes and messages follow the 2026-07 reference
(https://shopify.dev/docs/api/admin-graphql/2026-07/mutations/productSet,
https://shopify.dev/docs/api/admin-graphql/2026-07/mutations/productVariantsBulkUpdate): inventory
quantities only on create, ``allowPartialUpdates`` keeping the valid variants of a bulk update.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import GraphQLResolveInfo

from tradewind.sandboxes.shopify.common import Record, View, gid, parse_gid, user_error
from tradewind.sandboxes.shopify.options import (
    bulk_payload,
    check_options,
    combination,
    grown_options,
    is_standalone,
    merged_combination,
    price_errors,
    slots,
)
from tradewind.sandboxes.shopify.writes import Writer

_NO_PRODUCT = user_error(["productId"], "Product does not exist", "PRODUCT_DOES_NOT_EXIST")


class ProductMutations(Writer):
    """productSet, productCreate, productUpdate and the bulk variant mutations."""

    # ----- products

    def product_set(self, info: GraphQLResolveInfo, **kw: Any) -> View:
        data: dict[str, Any] = kw["input"]
        product, errors = self._product_for_set(kw.get("identifier") or {})
        errors = errors or self._check_product_set(product, data)
        if errors:
            return {"product": None, "productSetOperation": None, "userErrors": errors}
        now = self.sb.now()
        if product is None:
            handle = data.get("handle") or (kw.get("identifier") or {}).get("handle")
            product = self.sb.new_product({"title": data.get("title"), "handle": handle}, now)
        self._apply_product_fields(product, data)
        if data.get("productOptions") is not None:
            product["options"] = self._set_options(product, data["productOptions"])
        if data.get("variants") is not None:
            self._set_variants(product, data["variants"], now)
        elif not self.store.product_variants(product["id"]):
            self._default_variant(product, now)
        product["updated_at"] = now
        self.sb.announce("products/update", product)
        view = self.views.product(product)
        if kw.get("synchronous", True):
            return {"product": view, "productSetOperation": None, "userErrors": []}
        operation = {
            "id": gid("ProductSetOperation", self.store.next_id()),
            "product": view,
            "status": "COMPLETE",
            "userErrors": [],
        }
        return {"product": None, "productSetOperation": operation, "userErrors": []}

    def _product_for_set(self, identifier: Mapping[str, Any]) -> tuple[Record | None, list[dict[str, Any]]]:
        if identifier.get("id"):
            product = self.store.products.get(parse_gid(identifier["id"], "Product") or 0)
            if product is None:
                return None, [user_error(["identifier", "id"], "Product does not exist", "PRODUCT_DOES_NOT_EXIST")]
            return product, []
        if identifier.get("handle"):
            return self.store.product_by_handle(identifier["handle"]), []
        return None, []

    def _check_product_set(self, product: Record | None, data: Mapping[str, Any]) -> list[dict[str, Any]]:
        errors = []
        if product is None and not (data.get("title") or "").strip():
            errors.append(user_error(["input", "title"], "Title can't be blank", "INVALID_INPUT"))
        errors += self._check_handle(data.get("handle"), product, ["input", "handle"], "HANDLE_NOT_UNIQUE")
        options, variants = data.get("productOptions"), data.get("variants")
        if variants is not None and options is None:
            errors.append(
                user_error(
                    ["input", "productOptions"],
                    "Product options input is required when updating variants.",
                    "PRODUCT_OPTIONS_INPUT_MISSING",
                )
            )
        if options is not None and variants is None:
            errors.append(
                user_error(
                    ["input", "variants"],
                    "Variants input is required when updating product options.",
                    "VARIANTS_INPUT_MISSING",
                )
            )
        if options is not None and variants is not None:
            errors += check_options(options) or self._check_set_variants(product, options, variants)
        return errors

    def _check_set_variants(self, product: Record | None, options: list[Any], variants: list[Any]) -> list[Any]:
        if len(variants) > 2048:
            return [
                user_error(
                    ["input", "variants"], "Products can't have more than 2048 variants.", "VARIANTS_OVER_LIMIT"
                )
            ]
        errors: list[dict[str, Any]] = []
        seen: set[tuple[str, ...]] = set()
        own = {v["id"] for v in self.store.product_variants(product["id"])} if product else set()
        for i, variant in enumerate(variants):
            path = ["input", "variants", i]
            combo, problems = combination(options, variant.get("optionValues") or [], path)
            errors += problems
            if combo in seen and not problems:
                errors.append(
                    user_error(path, f"The variant '{' / '.join(combo)}' already exists.", "INVALID_VARIANT")
                )
            seen.add(combo)
            if variant.get("id") and parse_gid(variant["id"], "ProductVariant") not in own:
                errors.append(
                    user_error([*path, "id"], "Product variant does not exist", "PRODUCT_VARIANT_DOES_NOT_EXIST")
                )
            errors += price_errors(variant, path, "INVALID_VARIANT")
            errors += self._check_inventory_inputs(variant.get("inventoryQuantities") or [], path)
        return errors

    def _check_inventory_inputs(self, quantities: list[Any], path: list[Any]) -> list[Any]:
        errors = []
        for j, q in enumerate(quantities):
            if q["name"] not in ("available", "on_hand"):
                errors.append(
                    user_error(
                        [*path, "inventoryQuantities", j, "name"],
                        "The quantity name must be either 'available' or 'on_hand'.",
                        "INVALID_INPUT",
                    )
                )
            if parse_gid(q["locationId"], "Location") not in self.store.locations:
                errors.append(
                    user_error(
                        [*path, "inventoryQuantities", j, "locationId"], "Location does not exist", "INVALID_INPUT"
                    )
                )
        return errors

    def _set_variants(self, product: Record, variants: list[Mapping[str, Any]], now: str) -> None:
        existing = self.store.product_variants(product["id"])
        by_combo = {slots(v): v for v in existing}
        kept: set[int] = set()
        for position, data in enumerate(variants, start=1):
            combo, _ = combination(product["options"], data.get("optionValues") or [], [])
            record = self._match_variant(data, by_combo.get(combo), kept)
            if record is None:
                record = self.sb.new_variant(product, {}, position, now)
            self._apply_variant(record, data, combo, now)
            record["position"] = data.get("position") or position
            self._set_inventory(record, data.get("inventoryQuantities") or [], now)
            kept.add(record["id"])
        for variant in existing:
            if variant["id"] not in kept:
                self._delete_variant(variant)

    def _match_variant(self, data: Mapping[str, Any], by_combo: Record | None, kept: set[int]) -> Record | None:
        if data.get("id"):
            return self.store.variants.get(parse_gid(data["id"], "ProductVariant") or 0)
        return by_combo if by_combo is not None and by_combo["id"] not in kept else None

    def product_create(self, info: GraphQLResolveInfo, product: Mapping[str, Any] | None = None, **_: Any) -> View:
        data = dict(product or {})
        errors = [] if (data.get("title") or "").strip() else [user_error(["title"], "Title can't be blank")]
        errors += self._check_handle(data.get("handle"), None, ["handle"], None)
        options = [{"name": o.get("name"), "values": o.get("values") or []} for o in data.get("productOptions") or []]
        errors += check_options(options, path=["productOptions"])
        if errors:
            return {"product": None, "shop": self.views.shop(), "userErrors": errors}
        now = self.sb.now()
        record = self.sb.new_product({"title": data["title"], "handle": data.get("handle")}, now)
        self._apply_product_fields(record, data)
        record["options"] = self._set_options(record, options) if options else []
        self._default_variant(record, now)
        return {"product": self.views.product(record), "shop": self.views.shop(), "userErrors": []}

    def product_update(self, info: GraphQLResolveInfo, product: Mapping[str, Any] | None = None, **_: Any) -> View:
        data = dict(product or {})
        record = self.store.products.get(parse_gid(data.get("id"), "Product") or 0)
        if record is None:
            return {"product": None, "userErrors": [user_error(["id"], "Product does not exist")]}
        errors = self._check_handle(data.get("handle"), record, ["handle"], None)
        if "title" in data and not (data["title"] or "").strip():
            errors.append(user_error(["title"], "Title can't be blank"))
        if errors:
            return {"product": None, "userErrors": errors}
        self._apply_product_fields(record, data)
        record["updated_at"] = self.sb.now()
        self.sb.announce("products/update", record)
        return {"product": self.views.product(record), "userErrors": []}

    # ----- variants in bulk

    def variants_bulk_create(self, info: GraphQLResolveInfo, productId: str, variants: list[Any], **kw: Any) -> View:
        product = self.store.products.get(parse_gid(productId, "Product") or 0)
        if product is None:
            return bulk_payload(None, None, [_NO_PRODUCT])
        standalone = is_standalone(self.store.product_variants(product["id"]))
        replace = standalone and kw.get("strategy") == "REMOVE_STANDALONE_VARIANT"
        options = grown_options(product["options"], variants, replace)
        errors = self._check_bulk_create(product, options, variants, replace)
        if errors:
            return bulk_payload(None, None, errors)
        now = self.sb.now()
        if replace:
            for variant in self.store.product_variants(product["id"]):
                self._delete_variant(variant)
        product["options"] = [
            self.sb.option(o["name"], o["values"], i + 1) | {"id": o.get("id") or self.store.next_id()}
            for i, o in enumerate(options)
        ]
        created = []
        offset = len(self.store.product_variants(product["id"]))
        for i, data in enumerate(variants, start=1):
            combo, _ = combination(product["options"], data.get("optionValues") or [], [])
            record = self.sb.new_variant(product, {}, offset + i, now)
            self._apply_variant(record, data, combo, now)
            quantities = [
                {"locationId": q["locationId"], "quantity": q["availableQuantity"]}
                for q in data.get("inventoryQuantities") or []
            ]
            self._set_inventory(record, quantities, now)
            created.append(record)
        product["updated_at"] = now
        return bulk_payload(self.views.product(product), [self.views.variant(v) for v in created], [])

    def _check_bulk_create(
        self, product: Record, options: list[Record], variants: list[Any], replace: bool
    ) -> list[Any]:
        errors: list[dict[str, Any]] = []
        existing = set() if replace else {slots(v) for v in self.store.product_variants(product["id"])}
        for i, data in enumerate(variants):
            path = ["variants", i]
            if not data.get("optionValues"):
                errors.append(
                    user_error(path, "You need to add option values for this variant", "NEED_TO_ADD_OPTION_VALUES")
                )
                continue
            combo, problems = combination(options, data["optionValues"], path)
            if problems:
                errors.append(
                    user_error(
                        path,
                        "Option values provided for unknown options",
                        "OPTION_VALUES_FOR_NUMBER_OF_UNKNOWN_OPTIONS",
                    )
                )
            elif combo in existing:
                errors.append(
                    user_error(path, f"The variant '{' / '.join(combo)}' already exists.", "VARIANT_ALREADY_EXISTS")
                )
            existing.add(combo)
            errors += price_errors(data, path, "GREATER_THAN_OR_EQUAL_TO")
            for j, q in enumerate(data.get("inventoryQuantities") or []):
                if parse_gid(q["locationId"], "Location") not in self.store.locations:
                    errors.append(
                        user_error(
                            [*path, "inventoryQuantities", j, "locationId"],
                            "Location does not exist",
                            "TRACKED_VARIANT_LOCATION_NOT_FOUND",
                        )
                    )
        return errors

    def variants_bulk_update(self, info: GraphQLResolveInfo, productId: str, variants: list[Any], **kw: Any) -> View:
        product = self.store.products.get(parse_gid(productId, "Product") or 0)
        if product is None:
            return bulk_payload(None, None, [_NO_PRODUCT])
        own = {v["id"]: v for v in self.store.product_variants(product["id"])}
        checked = [
            (data, self._check_bulk_update(product, own, data, ["variants", i])) for i, data in enumerate(variants)
        ]
        errors = [error for _, problems in checked for error in problems]
        if errors and not kw.get("allowPartialUpdates"):
            return bulk_payload(self.views.product(product), None, errors)
        now = self.sb.now()
        updated = []
        for data, problems in checked:
            if problems:
                continue
            record = own[parse_gid(data["id"], "ProductVariant") or 0]
            combo = merged_combination(product, record, data.get("optionValues") or [])
            self._apply_variant(record, data, combo, now)
            updated.append(record)
        if updated:
            product["updated_at"] = now
            self.sb.announce("products/update", product)
        return bulk_payload(self.views.product(product), [self.views.variant(v) for v in updated], errors)

    def _check_bulk_update(
        self, product: Record, own: Mapping[int, Record], data: Mapping[str, Any], path: list[Any]
    ) -> list[Any]:
        if not data.get("id"):
            return [user_error([*path, "id"], "Product variant is missing ID attribute", "PRODUCT_VARIANT_ID_MISSING")]
        if parse_gid(data["id"], "ProductVariant") not in own:
            return [user_error([*path, "id"], "Product variant does not exist", "PRODUCT_VARIANT_DOES_NOT_EXIST")]
        errors = price_errors(data, path, "GREATER_THAN_OR_EQUAL_TO")
        if data.get("inventoryQuantities") is not None:
            errors.append(
                user_error(
                    [*path, "inventoryQuantities"],
                    "Inventory quantities can only be provided during create. "
                    "To update inventory for existing variants, use inventoryAdjustQuantities.",
                    "NO_INVENTORY_QUANTITIES_ON_VARIANTS_UPDATE",
                )
            )
        if data.get("optionValues"):
            errors += combination(product["options"], data["optionValues"], path, partial=True)[1]
        return errors

