"""``inventorySetQuantities`` as Admin API 2026-04 and later define it: compare-and-swap, idempotent.

Sources: https://shopify.dev/docs/api/admin-graphql/2026-07/mutations/inventorySetQuantities and
https://shopify.dev/docs/apps/build/orders-fulfillment/inventory-management-apps/manage-quantities-states#compare-and-swap.
Since 2026-04 ``compareQuantity``/``ignoreCompareQuantity`` are gone (the schema has neither), and
two rules the schema cannot express hold:

* every quantity carries ``changeFromQuantity``, the quantity the caller last read, or an explicit
  ``null`` to skip the check; omitting it is a top-level error with code ``INVALID_FIELD_ARGUMENTS``
  ("… must include the following argument: changeFromQuantity"), and a value other than the
  persisted quantity is the userError ``CHANGE_FROM_QUANTITY_STALE`` — nothing is written;
* the mutation field carries ``@idempotent(key: "…")`` (https://shopify.dev/docs/api/usage/idempotent-requests);
  without it the answer is a top-level ``BAD_REQUEST`` ("The @idempotent directive is required for
  this mutation but was not provided."). The two messages are Shopify's as observed live
  (luke-selrai/openclaw-workshop-kit#218). A key seen before with the same arguments answers the
  first request's result without writing again; with other arguments it is the userError
  ``IDEMPOTENCY_KEY_PARAMETER_MISMATCH`` (codes: the 2026-07 ``InventorySetQuantitiesUserErrorCode``).

A request served as a version before 2026-04 (see :mod:`.versions`) is spared both rules.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import graphql
from graphql import GraphQLError, GraphQLResolveInfo

from tradewind.sandboxes.shopify.common import INVENTORY_REASONS, Record, View, gid, parse_gid, user_error
from tradewind.sandboxes.shopify.versions import at_least
from tradewind.sandboxes.shopify.writes import Writer

MAX_INVENTORY = 1_000_000_000
CAS_SINCE = "2026-04"
"""The version from which changeFromQuantity and @idempotent are required."""
MISSING_DIRECTIVE = "The @idempotent directive is required for this mutation but was not provided."
MISSING_CHANGE_FROM = "InventoryQuantityInput must include the following argument: changeFromQuantity"


class InventoryMutations(Writer):
    """inventorySetQuantities: absolute quantities, checked against the caller's last read."""

    def inventory_set_quantities(self, info: GraphQLResolveInfo, input: Mapping[str, Any]) -> View:
        strict = at_least(info.context.get("version"), CAS_SINCE)
        key = idempotency_key(info)
        if strict:
            _require_cas_arguments(key, input)
        digest = json.dumps(input, sort_keys=True, default=str)
        if key is not None and key in self.sb.idempotency:
            seen, payload = self.sb.idempotency[key]
            return payload if seen == digest else _mismatch()
        payload = self._set(input, strict)
        if key is not None:
            self.sb.idempotency[key] = (digest, payload)
        return payload

    def _set(self, input: Mapping[str, Any], strict: bool) -> View:
        errors = self._check_set_quantities(input, strict)
        if errors:
            return {"inventoryAdjustmentGroup": None, "userErrors": errors}
        now, name = self.sb.now(), input["name"]
        changes = []
        for q in input["quantities"]:
            item_id = parse_gid(q["inventoryItemId"], "InventoryItem") or 0
            location_id = parse_gid(q["locationId"], "Location") or 0
            level = self.store.levels[(item_id, location_id)]
            delta = int(q["quantity"]) - int(level[name])
            level.update(available=level["available"] + delta, on_hand=level["on_hand"] + delta, updated_at=now)
            self.sb.announce("inventory_levels/update", level)
            changes += [
                {"name": n, "delta": delta, "quantityAfterChange": level[n], "item_id": item_id,
                 "location_id": location_id}
                for n in ("available", "on_hand")
            ]
            self._touch_item(item_id, now)
        group = {
            "id": gid("InventoryAdjustmentGroup", self.store.next_id()),
            "createdAt": now,
            "reason": input["reason"],
            "referenceDocumentUri": input.get("referenceDocumentUri"),
            "changes": lambda info, **f: [self._change_view(c) for c in changes if change_matches(c, f)],
        }
        return {"inventoryAdjustmentGroup": group, "userErrors": []}

    def _check_set_quantities(self, data: Mapping[str, Any], strict: bool) -> list[Any]:
        errors = []
        if data["name"] not in ("available", "on_hand"):
            errors.append(
                user_error(
                    ["input", "name"], "The quantity name must be either 'available' or 'on_hand'.", "INVALID_NAME"
                )
            )
        if data["reason"] not in INVENTORY_REASONS:
            errors.append(user_error(["input", "reason"], "The specified reason is invalid.", "INVALID_REASON"))
        seen: set[tuple[str, str]] = set()
        for i, q in enumerate(data["quantities"]):
            path = ["input", "quantities", i]
            pair = (q["inventoryItemId"], q["locationId"])
            if pair in seen:
                errors.append(
                    user_error(
                        path,
                        "The combination of inventoryItemId and locationId must be unique.",
                        "NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR",
                    )
                )
            seen.add(pair)
            errors += self._check_quantity(q, path, data, strict)
        return errors

    def _check_quantity(
        self, q: Mapping[str, Any], path: list[Any], data: Mapping[str, Any], strict: bool
    ) -> list[Any]:
        item_id = parse_gid(q["inventoryItemId"], "InventoryItem")
        location_id = parse_gid(q["locationId"], "Location")
        if item_id not in self.store.items:
            return [
                user_error(
                    [*path, "inventoryItemId"],
                    "The specified inventory item could not be found.",
                    "INVALID_INVENTORY_ITEM",
                )
            ]
        if location_id not in self.store.locations:
            return [
                user_error([*path, "locationId"], "The specified location could not be found.", "INVALID_LOCATION")
            ]
        level = self.store.levels.get((item_id, location_id))
        if level is None:
            return [
                user_error(
                    [*path, "locationId"],
                    "The specified inventory item is not stocked at the location.",
                    "ITEM_NOT_STOCKED_AT_LOCATION",
                )
            ]
        if q["quantity"] > MAX_INVENTORY:
            return [
                user_error(
                    [*path, "quantity"],
                    f"The quantity can't be higher than {MAX_INVENTORY:,}.",
                    "INVALID_QUANTITY_TOO_HIGH",
                )
            ]
        if q["quantity"] < -MAX_INVENTORY:
            return [
                user_error(
                    [*path, "quantity"],
                    f"The quantity can't be lower than -{MAX_INVENTORY:,}.",
                    "INVALID_QUANTITY_TOO_LOW",
                )
            ]
        return _check_change_from(q, path, data, level) if strict else []

    def _touch_item(self, item_id: int, now: str) -> None:
        self.store.items[item_id]["updated_at"] = now
        variant = self.store.variant_of_item(item_id)
        if variant:
            variant["updated_at"] = now
            self.store.products[variant["product_id"]]["updated_at"] = now
            self.sb.announce("products/update", self.store.products[variant["product_id"]])

    def _change_view(self, change: Record) -> View:
        return {
            "name": change["name"],
            "delta": change["delta"],
            "quantityAfterChange": change["quantityAfterChange"],
            "item": lambda info: self.views.item(self.store.items[change["item_id"]]),
            "location": lambda info: self.views.location(self.store.locations[change["location_id"]]),
        }


def _check_change_from(q: Mapping[str, Any], path: list[Any], data: Mapping[str, Any], level: Record) -> list[Any]:
    """Compare-and-swap: ``changeFromQuantity`` must be the persisted quantity, unless it is null."""
    expected = q.get("changeFromQuantity")
    if expected is None or int(expected) == int(level[data["name"]]):
        return []
    return [
        user_error(
            [*path, "changeFromQuantity"],
            "The changeFromQuantity argument no longer matches the persisted quantity.",
            "CHANGE_FROM_QUANTITY_STALE",
        )
    ]


def idempotency_key(info: GraphQLResolveInfo) -> str | None:
    """The key of the field's ``@idempotent`` directive; None without one."""
    for directive in info.field_nodes[0].directives or ():
        if directive.name.value == "idempotent":
            argument = next((a for a in directive.arguments if a.name.value == "key"), None)
            if argument is not None:
                value = graphql.value_from_ast(argument.value, graphql.GraphQLString, info.variable_values)
                return str(value) if value is not None else None
    return None


def _require_cas_arguments(key: str | None, data: Mapping[str, Any]) -> None:
    """Top-level errors for what the schema cannot refuse: no (or a blank) key, no changeFromQuantity."""
    if key is None or not key.strip():
        raise GraphQLError(MISSING_DIRECTIVE, extensions={"code": "BAD_REQUEST"})
    if any("changeFromQuantity" not in q for q in data["quantities"]):
        raise GraphQLError(MISSING_CHANGE_FROM, extensions={"code": "INVALID_FIELD_ARGUMENTS"})


def _mismatch() -> View:
    message = "The same idempotency key cannot be used with different operation parameters."
    return {"inventoryAdjustmentGroup": None,
            "userErrors": [user_error(None, message, "IDEMPOTENCY_KEY_PARAMETER_MISMATCH")]}


def change_matches(change: Record, filters: Mapping[str, Any]) -> bool:
    names, items, locations = filters.get("quantityNames"), filters.get("inventoryItemIds"), filters.get("locationIds")
    return (
        (names is None or change["name"] in names)
        and (items is None or gid("InventoryItem", change["item_id"]) in items)
        and (locations is None or gid("Location", change["location_id"]) in locations)
    )

