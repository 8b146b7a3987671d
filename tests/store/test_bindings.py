"""Bindings: the ledger of which record is which across systems."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from tradewind.store import bindings
from tradewind.store.db import Store
from tradewind.store.tables import bindings as bindings_table

KEY = {"source_connection": "shop", "entity": "order", "target_connection": "erp"}


def pend_row(source_id: str, natural_key: str, target_id: str | None = None) -> dict[str, Any]:
    return {**KEY, "source_id": source_id, "natural_key": natural_key, "flow": "orders", "target_id": target_id}


def bind_row(source_id: str, natural_key: str, target_id: str, hash_: str = "h1") -> dict[str, Any]:
    return {**KEY, "source_id": source_id, "natural_key": natural_key, "flow": "orders", "target_id": target_id,
            "hash": hash_, "source_version": "v1"}


def get_many(store: Store, *source_ids: str) -> dict[str, bindings.Binding]:
    with store.begin() as conn:
        return bindings.get_many(conn, "shop", "order", "erp", list(source_ids))


def test_pend_then_bind_then_get_many(store: Store) -> None:
    with store.begin() as conn:
        bindings.pend(conn, [pend_row("1", "number=#1001"), pend_row("2", "number=#1002")])
    pended = get_many(store, "1", "2", "3")
    assert ({"1", "2"}, {True}, {None}) == (
        set(pended), {b.pending for b in pended.values()}, {b.target_id for b in pended.values()})

    with store.begin() as conn:
        bindings.bind(conn, [bind_row("1", "number=#1001", "E-77", "abc")])
    found = get_many(store, "1", "2")
    one = found["1"]
    assert ("bound", "E-77", "abc", "v1", "number=#1001") == (
        one.state, one.target_id, one.hash, one.source_version, one.natural_key)
    assert "pending" == found["2"].state
    assert one.created_at.tzinfo is not None


def test_get_many_keeps_to_its_connections_and_entity(store: Store) -> None:
    with store.begin() as conn:
        bindings.bind(conn, [{**bind_row("1", "number=#1001", "E-1"), "target_connection": "other_erp"}])
        bindings.bind(conn, [{**bind_row("1", "sku=A", "P-1"), "entity": "product"}])
    assert ({}, {}) == (get_many(store, "1"), get_many(store))


def test_the_unique_key_keeps_one_row_per_record(store: Store) -> None:
    with store.begin() as conn:
        bindings.pend(conn, [pend_row("1", "number=#1001")])
    with store.begin() as conn:
        bindings.pend(conn, [pend_row("1", "number=#1001-b")])
    with store.begin() as conn:
        assert ["number=#1001-b"] == conn.execute(sa.select(bindings_table.c.natural_key)).scalars().all()
        bindings.bind(conn, [bind_row("1", "number=#1001", "E-1", "h1")])
        bindings.bind(conn, [bind_row("1", "number=#1001", "E-1", "h2")])
    with store.begin() as conn:
        bindings.pend(conn, [pend_row("1", "number=#1001", target_id="E-1")])  # an update on its way
        count = conn.execute(sa.select(sa.func.count()).select_from(bindings_table)).scalar()
    again = get_many(store, "1")["1"]
    assert (1, "pending", "E-1", "h2") == (count, again.state, again.target_id, again.hash)


def test_by_natural_key_finds_bound_target_ids_and_ignores_pending(store: Store) -> None:
    with store.begin() as conn:
        bindings.pend(conn, [pend_row("2", "number=#1002")])
        # a second shop record with the same number, pended first, must not hide the bound one
        bindings.pend(conn, [{**pend_row("1", "number=#1001"), "source_connection": "shop_b"}])
        bindings.bind(conn, [bind_row("1", "number=#1001", "E-1")])
    with store.begin() as conn:
        found = [bindings.by_natural_key(conn, "erp", "order", key) for key in ("number=#1001", "number=#1002")]
        from_source_side = bindings.by_natural_key(conn, "shop", "order", "number=#1001")
        other_entity = bindings.by_natural_key(conn, "erp", "customer", "number=#1001")
    assert (["E-1", None], "1", None) == (found, from_source_side, other_entity)


def test_by_natural_key_only_from_the_flows_named(store: Store) -> None:
    """An Exact contact bound to a shop customer by the customers flow never answers for the account
    an order's customer is (both are customers found by e-mail)."""
    contact = {"source_connection": "erp", "entity": "customer", "target_connection": "shop", "source_id": "C-1",
               "natural_key": "email=piet@example.com", "flow": "shop_customers", "target_id": "S-1", "hash": "h1",
               "source_version": "v1"}
    with store.begin() as conn:
        bindings.bind(conn, [contact])
    with store.begin() as conn:
        ask = [bindings.by_natural_key(conn, connection, "customer", "email=piet@example.com", flows=flows)
               for connection, flows in (("erp", None), ("erp", {"orders"}), ("shop", {"orders"}),
                                         ("shop", {"shop_customers"}), ("erp", set()))]
    assert ["C-1", None, None, "S-1", None] == ask


def test_forget_search_and_get(store: Store) -> None:
    with store.begin() as conn:
        bindings.bind(conn, [bind_row("1", "number=#1001", "E-1"), bind_row("2", "number=#1002", "E-2")])
    binding = get_many(store, "1")["1"]
    with store.begin() as conn:
        assert ["1"] == [b.source_id for b in bindings.search(conn, connection="erp", text="#1001")]
        assert bindings.forget(conn, binding.id)
        assert not bindings.forget(conn, binding.id)
        assert (None, ["2"]) == (bindings.get(conn, binding.id), [b.source_id for b in bindings.search(conn)])
