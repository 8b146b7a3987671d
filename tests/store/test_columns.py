"""Batches given column by column store what rows of dictionaries store; look-ups answer as before."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import delete, insert, select

from tradewind.store import bindings, many
from tradewind.store.db import Store
from tradewind.store.keys import as_asked, fit_key
from tradewind.store.tables import prebindings

STAMP = datetime(2026, 12, 6, 6, 30, tzinfo=UTC)
ODD = ["K" * 600, "P-\x00-1", "P-\udc80-2", 1042, "plain", ""]


def _stored(store: Store) -> list[tuple[object, ...]]:
    with store.begin() as conn:
        return [tuple(row) for row in conn.execute(
            select(prebindings.c.target_connection, prebindings.c.entity, prebindings.c.natural_key,
                   prebindings.c.target_id, prebindings.c.data, prebindings.c.updated_at)
            .order_by(prebindings.c.natural_key))]


@pytest.mark.parametrize("keys", [["A-1", "A-2", "A-3"], ODD], ids=["plain", "odd"])
def test_columns_store_what_rows_store(store: Store, keys: list[Any]) -> None:
    """Shared values (a Key column's among them) are converted once and stored on every row."""
    same = {"target_connection": "shop", "entity": "price", "target_id": "T-\x00" + "T" * 300, "updated_at": STAMP}
    rows = [{**same, "natural_key": key, "data": f"{{{i}}}"} for i, key in enumerate(keys)]
    with store.begin() as conn:
        conn.execute(insert(prebindings), rows)
    expected = _stored(store)
    with store.begin() as conn:
        conn.execute(delete(prebindings))
        many.execute_columns(conn, insert(prebindings), {
            "natural_key": keys, "data": [f"{{{i}}}" for i in range(len(keys))],
            "target_id": ["ignored"] * len(keys)}, same)  # a shared value wins over a column of its name
        assert many.execute_columns(conn, insert(prebindings), {"natural_key": []}, same) is None
    assert expected == _stored(store) and len(expected) == len(keys)


@pytest.mark.parametrize("values", [
    ["A-1", "B-2"], ["K" * 600, "A-1"], ["P-\x00-1", "P-\udc80-2", "plain"], [],
    ["K" * 600, fit_key("K" * 600, 400)],  # a fitted form asked for itself too
])
def test_as_asked_answers_as_the_whole_map(values: list[str]) -> None:
    whole = {fit_key(v, 400): v for v in values}
    asked = as_asked(values, prebindings.c.natural_key)
    stored = [*whole, "absent"]
    assert [asked.get(key, key) for key in stored] == [whole.get(key, key) for key in stored]


@pytest.mark.parametrize("texts", [
    ['{"a": 1}', '{"b": {"c": [1, 2.5, null, "x"]}}', "[]", '"s"', "true"],
    ['{"a": 1}', " {}"], ['{"a": 1}', "{} "], ['{"a": 1}', ""], ["1,2"], ['{"a": 1}', None], ["\ufeff{}"],
    ['{"a": 1}', '{"a": '],
])
def test_prebindings_data_loads_as_json_loads(texts: list[Any]) -> None:
    try:
        expected: Any = [json.loads(text) for text in texts]
    except (ValueError, TypeError) as error:
        with pytest.raises(type(error), match=str(error).replace("(", r"\(").replace(")", r"\)")):
            bindings._loaded(texts)
    else:
        assert bindings._loaded(texts) == expected
