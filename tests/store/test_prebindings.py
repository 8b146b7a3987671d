"""Pre-bindings: records a write's answer names, kept by natural key with what the target holds."""

from __future__ import annotations

from tradewind.store import bindings
from tradewind.store.db import Store


def test_the_same_target_keeps_what_was_told_before_and_another_replaces_it(store: Store) -> None:
    with store.begin() as conn:
        bindings.prebind(conn, "shop", [("stock", "sku=A-1", "item/1", {"new": True}),
                                        ("stock", "sku=A-2", "item/2", {"new": True})])
        bindings.prebind(conn, "shop", [("stock", "sku=A-1", "item/1", {"levels": {"loc/1": 7}})])
        # a product's answer tells no quantity: the one a stock write left is kept
        bindings.prebind(conn, "shop", [("stock", "sku=A-1", "item/1", {}),
                                        ("stock", "sku=A-2", "item/9", {})])
        bindings.prebind(conn, "shop", [("stock", "sku=A-1", "item/1", {"levels": {"loc/2": 3}})])
    with store.begin() as conn:
        kept = bindings.prebound(conn, "shop", "stock", ["sku=A-1", "sku=A-2", "sku=A-3"])
        other_entity = bindings.prebound(conn, "shop", "price", ["sku=A-1"])
    assert {"sku=A-1": ("item/1", {"new": True, "levels": {"loc/1": 7, "loc/2": 3}}),
            "sku=A-2": ("item/9", {})} == kept
    assert {} == other_entity
