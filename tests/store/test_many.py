"""Batches sent the driver's way store exactly what SQLAlchemy's own executemany stores, odd keys too."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import bindparam, delete, insert, select

from tradewind.store import many
from tradewind.store.db import Store, padded
from tradewind.store.keys import is_fitted
from tradewind.store.tables import failures, prebindings

STAMP = datetime(2026, 12, 6, 6, 30, tzinfo=UTC)
ODD = ["K" * 600, "P-\x00-1", "P-\udc80-2", 1042, None, "plain", ""]


def _rows(keys: list[object]) -> list[dict[str, object]]:
    return [{"target_connection": "shop", "entity": "price", "natural_key": f"sku={i}" if key is None else key,
             "target_id": f"gid-{i}" if key is None else key, "data": "{}", "updated_at": STAMP}
            for i, key in enumerate(keys)]


def _stored(store: Store) -> list[tuple[object, ...]]:
    with store.begin() as conn:
        return [tuple(row) for row in conn.execute(
            select(prebindings.c.natural_key, prebindings.c.target_id, prebindings.c.updated_at)
            .order_by(prebindings.c.natural_key))]


@pytest.mark.parametrize("keys", [["A-1", "A-2", None], ODD], ids=["plain", "odd"])
def test_a_batch_stores_what_sqlalchemy_stores(store: Store, keys: list[object]) -> None:
    with store.begin() as conn:
        conn.execute(insert(prebindings), _rows(keys))
    expected = _stored(store)
    with store.begin() as conn:
        conn.execute(delete(prebindings))
        many.execute_many(conn, insert(prebindings), _rows(keys))
    assert expected == _stored(store)
    assert any(is_fitted(str(key)) for key, _, _ in expected) == (keys is ODD)  # the long key, fitted


def test_a_statement_whose_rows_leave_out_a_python_default_is_refused(store: Store) -> None:
    row = {"flow": "f", "source_id": "s", "payload": "{}", "next_attempt_at": STAMP, "updated_at": STAMP}
    with store.begin() as conn, pytest.raises(ValueError, match="attempts"):
        many.execute_many(conn, insert(failures), [row])  # ``attempts`` defaults in Python


FIND = many.InList(prebindings.c.natural_key, lambda keys: select(
    prebindings.c.natural_key, prebindings.c.target_id, prebindings.c.updated_at).where(
    prebindings.c.target_connection == bindparam("target_connection"), prebindings.c.natural_key.in_(keys)))


@pytest.mark.parametrize("keys", [["A-1", "A-2", None], ODD], ids=["plain", "odd"])
def test_a_page_look_up_reads_what_sqlalchemy_reads(store: Store, keys: list[object]) -> None:
    """Keys fitted as stored (a long key, NUL, a lone surrogate), times through the column's type."""
    rows = _rows(keys)
    with store.begin() as conn:
        many.execute_many(conn, insert(prebindings), rows)
        asked = [str(row["natural_key"]) for row in rows] + ["absent"]
        expected = sorted(tuple(row) for row in conn.execute(
            select(prebindings.c.natural_key, prebindings.c.target_id, prebindings.c.updated_at).where(
                prebindings.c.target_connection == "shop", prebindings.c.natural_key.in_(asked))))
        found = sorted(FIND.rows(conn, {"target_connection": "shop"}, padded(asked)))
    assert expected == found and len(rows) == len(found)
    assert all(stamp == STAMP and stamp.tzinfo is not None for _, _, stamp in found)


def test_a_page_look_up_is_compiled_once_per_list_length(store: Store) -> None:
    with store.begin() as conn:
        for size in (8, 8, 16, 8):
            FIND.rows(conn, {"target_connection": "shop"}, [f"k{i}" for i in range(size)])
    assert {(store.dialect, 8), (store.dialect, 16)} == set(FIND._shapes) - {
        shape for shape in FIND._shapes if shape[0] != store.dialect}
