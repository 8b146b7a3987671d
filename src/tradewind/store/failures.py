"""The retry queue: failed records with their source payload, tried again on later runs.

A failed record does not hold the cursor back; it waits here, with backoff, until it is written
or skipped (then its row goes) or replayed by hand. Each row keeps the record's natural key
(``number=#1042``, ``sku=A-1``), so people find a failed order by the number they know. Its
payload is kept only within the retention window (:func:`purge_payloads`); after that the record
is read again from its source when it is tried.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Connection, bindparam, delete, false, func, or_, select, update

from tradewind.store import many, personal
from tradewind.store.db import now, padded, to_json, upsert
from tradewind.store.keys import as_asked
from tradewind.store.tables import failures

PURGED = "null"
"""A purged payload, as stored."""


@dataclass(frozen=True)
class Failure:
    flow: str
    source_id: str
    payload: dict[str, Any] | None  # None: purged after the retention window, read again from the source
    version: str | None
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    natural_key: str | None = None
    parked_on: str | None = None


_FIELDS = [f.name for f in fields(Failure)]


def record(conn: Connection, *, flow: str, source_id: str, payload: dict[str, Any], version: str | None,
           attempts: int, next_attempt_at: datetime, error: str, run_id: str, natural_key: str | None = None,
           parked_on: str | None = None) -> None:
    """Queue a failed record, or count one more attempt of a queued one. A record ``parked_on`` a
    flow waits for that flow's next run (:func:`wake`)."""
    upsert(
        conn, failures,
        dict(flow=flow, source_id=source_id, payload=to_json(payload), version=version,
             attempts=attempts, next_attempt_at=next_attempt_at, last_error=error, last_run_id=run_id,
             updated_at=now(), natural_key=personal.hider(conn)(natural_key), parked_on=parked_on),
        keys=["flow", "source_id"],
        update=["payload", "version", "attempts", "next_attempt_at", "last_error", "last_run_id", "updated_at",
                "natural_key", "parked_on"],
    )


def purge_payloads(conn: Connection, older_than: timedelta, *, flows: Sequence[str]) -> int:
    """Forget the payloads of ``flows``' records queued longer than ``older_than`` (they hold names
    and addresses); the rows, keys and errors stay."""
    query = update(failures).where(failures.c.flow.in_(list(flows)), failures.c.updated_at < now() - older_than,
                                   failures.c.payload != PURGED)
    return int(conn.execute(query.values(payload=PURGED)).rowcount)


def wake(conn: Connection, flow: str) -> int:
    """Records parked on ``flow`` are due now: the flow that brings their dependency has run."""
    return int(conn.execute(update(failures).where(failures.c.parked_on == flow)
                            .values(next_attempt_at=now(), parked_on=None)).rowcount)


def _failure(row: Any) -> Failure:
    """A queue row (a Row, or a dict of the Failure's fields) as a Failure."""
    values = row if isinstance(row, dict) else row._mapping
    return Failure(**{name: values[name] for name in _FIELDS if name != "payload"},
                   payload=json.loads(values["payload"]))


def due(conn: Connection, flow: str, *, limit: int | None = None, include_waiting: bool = False) -> list[Failure]:
    """Records due for another try, longest due first; all of them unless ``limit`` is given."""
    query = select(failures).where(failures.c.flow == flow).order_by(failures.c.next_attempt_at).limit(limit)
    if not include_waiting:
        query = query.where(failures.c.next_attempt_at <= now())
    return [_failure(row) for row in conn.execute(query)]


def due_after(conn: Connection, flow: str, after: str | None, *, limit: int) -> list[Failure]:
    """One page of the records due now, in source id order after ``after`` (keyset paging: rows
    written or queued again while the caller works through the pages never shift the pages)."""
    query = select(failures).where(failures.c.flow == flow, failures.c.next_attempt_at <= now())
    if after is not None:
        query = query.where(failures.c.source_id > after)
    query = query.order_by(failures.c.source_id).limit(limit)
    return [_failure(row) for row in conn.execute(query)]


def source_ids(conn: Connection, flow: str) -> list[str]:
    """Every queued record's source id (waiting or not), in order: what "replay all" replays."""
    query = select(failures.c.source_id).where(failures.c.flow == flow).order_by(failures.c.source_id)
    return list(conn.execute(query).scalars())


def count(conn: Connection, flow: str | None = None) -> int:
    query = select(func.count()).select_from(failures)
    if flow:
        query = query.where(failures.c.flow == flow)
    return int(conn.execute(query).scalar_one())


def get(conn: Connection, flow: str, source_id: str) -> Failure | None:
    row = conn.execute(select(failures).where(failures.c.flow == flow, failures.c.source_id == source_id)).first()
    return _failure(row) if row else None


_BY_IDS = many.InList(failures.c.source_id, lambda ids: select(*(failures.c[name] for name in _FIELDS)).where(
    failures.c.flow == bindparam("flow"), failures.c.source_id.in_(ids)))
"""A page's look-up, compiled once per page size (:class:`~tradewind.store.many.InList`)."""


def get_many(conn: Connection, flow: str, ids: list[str]) -> dict[str, Failure]:
    if not ids:
        return {}
    found = [_failure(dict(zip(_FIELDS, row, strict=True))) for row in _BY_IDS.rows(conn, {"flow": flow}, padded(ids))]
    asked = as_asked(ids, failures.c.source_id)
    return {asked.get(failure.source_id, failure.source_id): failure for failure in found}


def clear(conn: Connection, flow: str, ids: list[str]) -> None:
    if ids:
        conn.execute(delete(failures).where(failures.c.flow == flow, failures.c.source_id.in_(ids)))


def all_for(conn: Connection, flow: str | None = None, *, key: str | None = None,
            key_names: Sequence[str] = ()) -> list[Failure]:
    """The queue, or one flow's; with ``key``, only the records it names (see :func:`find`)."""
    query = select(failures).order_by(failures.c.flow, failures.c.source_id)
    if flow:
        query = query.where(failures.c.flow == flow)
    if key is None:
        return [_failure(row) for row in conn.execute(query)]
    hidden = personal.hider(conn)(key) or key  # e-mail addresses are stored as keyed hashes
    fold = "@" in key  # e-mail addresses are compared case-insensitively (their hashes are of the lowered address)
    rows = conn.execute(query.where(or_(failures.c.source_id == key, _key_matches(hidden, key_names, fold))))
    return [f for f in map(_failure, rows) if f.source_id == key or _names(f, hidden, key_names, fold)]


def find(conn: Connection, flow: str, wanted: Sequence[str], key_names: Sequence[str]) -> dict[str, list[Failure]]:
    """The queued records each of ``wanted`` names: a source id, or a business key — the stored
    natural key whole (``number=#1042``) or one of its values bare (``#1042``, ``1042`` for an
    order number ``#1042``, ``A-1``, an e-mail in any case). ``key_names`` are the flow's natural
    key names in stored order (``("sku", "location")``). A key may name several records."""
    return {key: all_for(conn, flow, key=key, key_names=key_names) for key in dict.fromkeys(wanted)}


def _key_matches(key: str, names: Sequence[str], fold: bool) -> ColumnElement[bool]:
    """Where ``natural_key`` is ``key`` itself, or holds it as the value of one of ``names``: the
    index finds whole keys; parts of composite keys are narrowed by LIKE, then :func:`_names`."""
    column: ColumnElement[Any] = failures.c.natural_key
    if fold:  # e-mail addresses are compared case-insensitively
        column, key = func.lower(column), key.lower()
    conditions = [column == key]
    for index, name in enumerate(names):
        for value in _values(name, key):
            conditions.append(_component(column, index, len(names), f"{name}={value}"))
    return or_(false(), *conditions)


def _names(f: Failure, key: str, names: Sequence[str], fold: bool) -> bool:
    """Whether ``key`` names ``f`` exactly (SQLite's LIKE ignores case, so its answers are checked)."""
    stored = f.natural_key or ""
    if fold:
        stored, key = stored.lower(), key.lower()
    if key in (f.source_id, stored):
        return True
    parts = stored.split(",") if len(names) > 1 else [stored]
    return len(parts) == len(names) and any(
        parts[index] == f"{name}={value}" for index, name in enumerate(names) for value in _values(name, key))


def _values(name: str, key: str) -> list[str]:
    """The stored values a bare ``key`` may stand for: an order number may be typed without its ``#``."""
    if "=" in key:
        return []
    return [key, f"#{key}"] if name == "number" and not key.startswith("#") else [key]


def _component(column: ColumnElement[Any], index: int, size: int, part: str) -> ColumnElement[bool]:
    """``part`` (``name=value``) as the index-th of ``size`` comma-joined parts of ``column``."""
    if size == 1:
        return column == part
    if index == 0:
        return column.startswith(f"{part},", autoescape=True)
    if index == size - 1:
        return column.endswith(f",{part}", autoescape=True)
    return column.contains(f",{part},", autoescape=True)
