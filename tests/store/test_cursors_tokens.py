"""Cursors (a flow's watermark) and the token store."""

from __future__ import annotations

from tradewind.store import cursors
from tradewind.store.db import Store
from tradewind.store.tokens import StoreTokens


def test_cursor_put_get_reset(store: Store) -> None:
    with store.begin() as conn:
        assert cursors.get(conn, "orders") is None
        cursors.put(conn, "orders", "2026-05-01T10:00:00Z")
        cursors.put(conn, "products", "17")
    with store.begin() as conn:
        cursors.put(conn, "orders", "2026-05-02T10:00:00Z")
    with store.begin() as conn:
        assert ["2026-05-02T10:00:00Z", "17"] == [cursors.get(conn, "orders"), cursors.get(conn, "products")]
        cursors.reset(conn, "orders")
    with store.begin() as conn:
        assert [None, "17"] == [cursors.get(conn, "orders"), cursors.get(conn, "products")]


def test_tokens_round_trip(store: Store) -> None:
    tokens = StoreTokens(store)
    assert tokens.get("exact_online:123") is None
    tokens.put("exact_online:123", {"access_token": "a1", "refresh_token": "r1", "expires_at": 1.5})
    tokens.put("exact_online:123", {"access_token": "a2", "refresh_token": "r2", "expires_at": 2.5})
    tokens.put("shopify:demo", {"access_token": "s"})
    assert {"access_token": "a2", "refresh_token": "r2", "expires_at": 2.5} == tokens.get("exact_online:123")
    assert {"access_token": "s"} == StoreTokens(store).get("shopify:demo")
