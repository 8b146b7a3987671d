"""Batches given column by column store what rows of dictionaries store; look-ups answer as before."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import delete, insert, select

from tradewind.store import bindings, many
from tradewind.store.db import Store, to_json, to_json_each
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


@pytest.mark.parametrize("values", [
    [{"quantity": 5, "location": {"id": "L-1"}}, {"price": 9.95, "at": STAMP, "x": [1, None, True, "é\x00"]}],
    ["text", 1, None, [], {}, float("nan")], [{"a": 1}, {"b": object()}],
])
def test_a_batch_of_payloads_encodes_as_to_json(values: list[Any]) -> None:
    assert to_json_each(values) == [to_json(value) for value in values]


def test_a_circular_payload_is_refused_as_to_json_refuses_it() -> None:
    loop: dict[str, Any] = {}
    loop["self"] = loop
    with pytest.raises(ValueError, match="Circular reference detected"):
        to_json(loop)
    with pytest.raises(ValueError, match="Circular reference detected"):
        to_json_each([{"a": 1}, loop])
    shared = {"x": 1}
    assert to_json_each([[shared, shared], shared]) == [to_json([shared, shared]), to_json(shared)]


def test_a_binding_read_is_the_binding_made(store: Store) -> None:
    with store.begin() as conn:
        bindings.pend(conn, [{"source_connection": "erp", "entity": "product", "source_id": "S-1",
                              "target_connection": "shop", "natural_key": "sku=A", "flow": "f", "target_id": None,
                              "epoch": 3}])
        found = bindings.get_many(conn, "erp", "product", "shop", ["S-1"])["S-1"]
        made = bindings.Binding(*(getattr(found, name) for name in bindings._FIELDS))
        assert found == made and repr(found) == repr(made) and hash(found) == hash(made)
        assert found.pending and found.epoch == 3 and found._asdict() == made._asdict()
        with pytest.raises(AttributeError):
            found.state = "bound"  # type: ignore[misc]
