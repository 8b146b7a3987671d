"""Bindings: record X in system A is record Y in system B, with the hash last written.

Only :mod:`tradewind.engine.binder` calls these functions (STYLE rule 3).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Connection, bindparam, delete, or_, select, update

from tradewind.store import many
from tradewind.store.db import now, padded, to_json_each, upsert_columns
from tradewind.store.keys import as_asked
from tradewind.store.tables import bindings, prebindings

PENDING = "pending"
BOUND = "bound"
UNKNOWN = "unknown"
"""A write was sent and its answer lost: settled by a look-up in the target before anything is re-sent."""


class Binding(NamedTuple):
    """A binding as stored. A named tuple: immutable, and made from a row positionally in C (a page's
    look-up reads a thousand; a frozen dataclass sets each of its fourteen fields through
    ``object.__setattr__``)."""

    id: int
    source_connection: str
    entity: str
    source_id: str
    target_connection: str
    target_id: str | None
    natural_key: str | None
    source_version: str | None
    hash: str | None
    state: str
    flow: str | None
    created_at: datetime
    updated_at: datetime
    epoch: int | None = None

    @property
    def pending(self) -> bool:
        """Not settled: an intent whose write may or may not have reached the target."""
        return self.state in (PENDING, UNKNOWN)

    @property
    def unknown(self) -> bool:
        return self.state == UNKNOWN


_FIELDS = Binding._fields
_COLUMNS = [bindings.c[name] for name in _FIELDS]
"""The binding's columns in its fields' order: a row becomes a Binding positionally, without a
mapping per row (a page's look-up reads a thousand)."""


def _row(row: Sequence[Any]) -> Binding:
    return Binding._make(row)


_PAIR = (bindings.c.source_connection == bindparam("source_connection"), bindings.c.entity == bindparam("entity"),
         bindings.c.target_connection == bindparam("target_connection"))
_BY_SOURCE_IDS = many.InList(bindings.c.source_id,
                             lambda ids: select(*_COLUMNS).where(*_PAIR, bindings.c.source_id.in_(ids)))
_BY_TARGET_IDS = many.InList(bindings.c.target_id, lambda ids: select(bindings.c.target_id, bindings.c.source_id).where(
    *_PAIR, bindings.c.target_id.in_(ids)))
"""Look-ups of a page of records, compiled once per page size (:class:`~tradewind.store.many.InList`)."""


def get_many(conn: Connection, source_connection: str, entity: str, target_connection: str,
             source_ids: Sequence[str]) -> dict[str, Binding]:
    """Bindings of a page of source records, by source id, in one query."""
    if not source_ids:
        return {}
    pair = {"source_connection": source_connection, "entity": entity, "target_connection": target_connection}
    found = list(map(_row, _BY_SOURCE_IDS.rows(conn, pair, padded(source_ids))))
    asked = as_asked(source_ids, bindings.c.source_id)
    return {asked.get(binding.source_id, binding.source_id): binding for binding in found}


def sources_of(conn: Connection, source_connection: str, entity: str, target_connection: str,
               target_ids: Sequence[str]) -> dict[str, str]:
    """Which source record each of these target ids is bound (or pending) to, in one query."""
    if not target_ids:
        return {}
    pair = {"source_connection": source_connection, "entity": entity, "target_connection": target_connection}
    return dict(_BY_TARGET_IDS.rows(conn, pair, padded(target_ids)))  # type: ignore[arg-type]


def by_natural_key(conn: Connection, connection: str, entity: str, natural_key: str, *,
                   flows: Collection[str] | None = None) -> str | None:
    """The id ``connection`` gives a record known by ``natural_key``, from any bound binding
    where that connection was the source or the target; with ``flows``, only from bindings those
    flows made (the others may hold ids of another record type that shares the kind and the key:
    an Exact contact's beside its account's)."""
    made_by = [] if flows is None else [bindings.c.flow.in_(sorted(flows))]
    as_target = conn.execute(
        select(bindings.c.target_id).where(
            bindings.c.target_connection == connection, bindings.c.entity == entity,
            bindings.c.natural_key == natural_key, bindings.c.state == BOUND, *made_by,
        ).limit(1)
    ).scalar()
    if as_target:
        return str(as_target)
    as_source = conn.execute(
        select(bindings.c.source_id).where(
            bindings.c.source_connection == connection, bindings.c.entity == entity,
            bindings.c.natural_key == natural_key, *made_by,
        ).limit(1)
    ).scalar()
    return str(as_source) if as_source else None


KEYS = ["source_connection", "entity", "source_id", "target_connection"]
_PENDED = ["natural_key", "state", "flow", "updated_at", "target_id", "epoch"]
_BOUND = ["target_id", "natural_key", "hash", "source_version", "state", "flow", "updated_at"]


def pend(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Record intents to write (one executemany), keeping known target ids (an update stays an
    update). Each row has the four key columns, ``natural_key``, ``flow`` and ``target_id``."""
    if rows:
        pend_columns(conn, many.columns_of(rows), {})


def pend_columns(conn: Connection, columns: Mapping[str, Sequence[Any]], same: Mapping[str, Any]) -> None:
    """:func:`pend`'s rows column by column, with what they all share in ``same`` (the binder's
    batches: one pair), so no row is built as a dictionary (:func:`tradewind.store.many.execute_columns`)."""
    stamp = now()
    upsert_columns(conn, bindings, columns, {**same, "state": PENDING, "created_at": stamp, "updated_at": stamp},
                   keys=KEYS, update=_PENDED)


def mark_unknown(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Writes whose answers were lost: their intents stay unsettled, stamped with when it happened
    (a target that shows writes only after a while is not asked before then)."""
    for row in rows:
        conn.execute(update(bindings).where(*[bindings.c[k] == row[k] for k in KEYS])
                     .values(state=UNKNOWN, updated_at=now()))


def release(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Drop intents of creates that certainly did not happen (the target refused them before taking
    anything): only rows still ``pending`` with no target id, so nothing bound or unsettled is lost."""
    for row in rows:
        conn.execute(delete(bindings).where(*[bindings.c[k] == row[k] for k in KEYS], bindings.c.state == PENDING,
                                            bindings.c.target_id.is_(None)))


def bind(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Record written results (one executemany): key columns plus ``target_id``, ``natural_key``,
    ``hash``, ``source_version`` and ``flow``."""
    if rows:
        bind_columns(conn, many.columns_of(rows), {})


def bind_columns(conn: Connection, columns: Mapping[str, Sequence[Any]], same: Mapping[str, Any]) -> None:
    """:func:`bind`'s rows column by column, with what they all share in ``same`` (see :func:`pend_columns`)."""
    stamp = now()
    upsert_columns(conn, bindings, columns, {**same, "state": BOUND, "created_at": stamp, "updated_at": stamp},
                   keys=KEYS, update=_BOUND)


def remember_version(conn: Connection, binding_id: int, source_version: str | None) -> None:
    """An unchanged record read again: note its version so the overlap window skips it cheaply."""
    conn.execute(update(bindings).where(bindings.c.id == binding_id).values(source_version=source_version))


def forget(conn: Connection, binding_id: int) -> bool:
    return bool(conn.execute(delete(bindings).where(bindings.c.id == binding_id)).rowcount)


def search(conn: Connection, *, connection: str | None = None, entity: str | None = None, text: str | None = None,
           state: str | None = None, limit: int = 100) -> list[Binding]:
    query = select(*_COLUMNS).order_by(bindings.c.updated_at.desc()).limit(limit)
    if connection:
        query = query.where(or_(bindings.c.source_connection == connection, bindings.c.target_connection == connection))
    if entity:
        query = query.where(bindings.c.entity == entity)
    if state:
        query = query.where(bindings.c.state == state)
    if text:
        like = f"%{text}%"
        query = query.where(or_(bindings.c.source_id.like(like), bindings.c.target_id.like(like),
                                bindings.c.natural_key.like(like)))
    return [_row(row) for row in conn.execute(query)]


def get(conn: Connection, binding_id: int) -> Binding | None:
    row = conn.execute(select(*_COLUMNS).where(bindings.c.id == binding_id)).first()
    return _row(row) if row else None


# -- pre-bindings: records a write's answer names beside its own ---------------------------------

_PREBOUND = many.InList(prebindings.c.natural_key, lambda keys: select(
    prebindings.c.natural_key, prebindings.c.target_id, prebindings.c.data).where(
    prebindings.c.target_connection == bindparam("target_connection"), prebindings.c.entity == bindparam("entity"),
    prebindings.c.natural_key.in_(keys)))


def prebound(conn: Connection, target_connection: str, entity: str,
             natural_keys: Sequence[str]) -> dict[str, tuple[str, dict[str, Any]]]:
    """Natural key → (target id, data) kept for these keys, in one query."""
    if not natural_keys:
        return {}
    rows = _PREBOUND.rows(conn, {"target_connection": target_connection, "entity": entity}, padded(natural_keys))
    if not rows:
        return {}
    asked = as_asked(natural_keys, prebindings.c.natural_key)
    keys, target_ids, data = zip(*rows, strict=True)
    return {asked.get(key, key): (target_id, loaded)
            for key, target_id, loaded in zip(keys, target_ids, _loaded(data), strict=True)}


_scan: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]


def _loaded(texts: Sequence[str]) -> list[Any]:
    """``json.loads`` of each text, read by the decoder's scanner directly (a fifth of the cost
    per row: ``loads`` checks its argument, then ``decode`` skips white space and checks for more).
    Any text the scanner does not read whole goes through ``loads`` itself, which says what is wrong."""
    values = []
    try:
        for text in texts:
            value, end = _scan(text, 0)
            if end != len(text):
                break
            values.append(value)
        else:
            return values
    except (StopIteration, ValueError, TypeError):
        pass
    return [json.loads(text) for text in texts]


def prebind(conn: Connection, target_connection: str, rows: Sequence[tuple[str, str, str, dict[str, Any]]], *,
            fresh: bool = False) -> None:
    """Keep ``(entity, natural key, target id, data)`` rows (one executemany). For the same target
    id the data is merged into what is kept (one level deep), so a product's answer, which cannot
    tell a quantity, keeps the quantity a stock write left; another target id replaces it.
    ``fresh`` rows name ids the target has just made (a create's answer): nothing kept can have
    them, so what is kept is not read to merge — it is replaced, as it would be."""
    latest = {(entity, key): (target_id, data) for entity, key, target_id, data in rows}
    for entity in [] if fresh else sorted({entity for entity, _ in latest}):
        kept = prebound(conn, target_connection, entity, [k for e, k in latest if e == entity])
        for key, (old_id, old_data) in kept.items():
            target_id, data = latest[(entity, key)]
            if old_id == target_id:
                latest[(entity, key)] = (target_id, _merged(old_data, data))
    if not latest:
        return
    entities, keys = zip(*latest, strict=True)
    target_ids, data = zip(*latest.values(), strict=True)
    upsert_columns(conn, prebindings, {"entity": entities, "natural_key": keys, "target_id": target_ids,
                                       "data": to_json_each(data)},
                   {"target_connection": target_connection, "updated_at": now()},
                   keys=["target_connection", "entity", "natural_key"], update=["target_id", "data", "updated_at"])


def unprebind(conn: Connection, target_connection: str, entity: str, natural_keys: Sequence[str]) -> None:
    """Drop what was kept for these keys (a write by it failed: the next run searches instead)."""
    if natural_keys:
        conn.execute(delete(prebindings).where(
            prebindings.c.target_connection == target_connection, prebindings.c.entity == entity,
            prebindings.c.natural_key.in_(list(natural_keys))))


def _merged(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    merged = {**old, **new}
    for name, value in new.items():
        if isinstance(value, dict) and isinstance(old.get(name), dict):
            merged[name] = {**old[name], **value}
    return merged
