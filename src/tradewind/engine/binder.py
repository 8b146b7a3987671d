"""The binder: the only door to bindings (STYLE rule 3). Ids cross systems here and nowhere else."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from sqlalchemy import Connection

from tradewind.connectors.base import Prebinding
from tradewind.store import bindings as repo
from tradewind.store.bindings import Binding
from tradewind.store.db import Store


@dataclass(frozen=True)
class Pair:
    """The two ends of a flow's bindings: which connection feeds which, for what entity."""

    source: str
    entity: str
    target: str


@dataclass(frozen=True)
class Intent:
    source_id: str
    natural_key: str
    flow: str
    target_id: str | None = None
    epoch: int | None = None
    """The flow lease's epoch the intent was made under (fencing)."""


@dataclass(frozen=True)
class Result:
    source_id: str
    target_id: str
    natural_key: str
    hash: str
    flow: str
    source_version: str | None = None


_INTENDED = ("source_id", "natural_key", "flow", "target_id", "epoch")
_RESULTED = ("source_id", "target_id", "natural_key", "hash", "source_version", "flow")
"""The binding columns an intent and a result fill (each field is named as its column)."""


_PREBINDING = attrgetter("entity", "natural_key", "target_id", "data")
"""A prebinding as the row :func:`~tradewind.store.bindings.prebind` keeps (entity, natural key, target id, data)."""


def _columns(items: Sequence[Intent] | Sequence[Result], names: Sequence[str]) -> dict[str, list[Any]]:
    """A batch's fields, column by column: a field read in C per item, no row built per item."""
    return {name: list(map(attrgetter(name), items)) for name in names}


def _shared(pair: Pair) -> dict[str, str]:
    """The binding columns every row of a batch shares: its pair's."""
    return {"source_connection": pair.source, "entity": pair.entity, "target_connection": pair.target}


class Binder:
    def __init__(self, store: Store) -> None:
        self.store = store

    def lookup(self, pair: Pair, source_ids: Sequence[str]) -> dict[str, Binding]:
        """Bindings of a page of source records (one query)."""
        with self.store.begin() as conn:
            return repo.get_many(conn, pair.source, pair.entity, pair.target, source_ids)

    def lookup_in(self, conn: Connection, pair: Pair, source_ids: Sequence[str]) -> dict[str, Binding]:
        return repo.get_many(conn, pair.source, pair.entity, pair.target, source_ids)

    def sources_of(self, pair: Pair, target_ids: Sequence[str]) -> dict[str, str]:
        """Target id → the source id already bound to it, for records found by natural key."""
        with self.store.begin() as conn:
            return repo.sources_of(conn, pair.source, pair.entity, pair.target, target_ids)

    def id_by_natural_key(self, connection: str, entity: str, natural_key: str, *,
                          flows: Collection[str] | None = None) -> str | None:
        """``connection``'s id of the ``entity`` known by ``natural_key``, from bindings (made by
        ``flows`` only, when given: see :func:`tradewind.store.bindings.by_natural_key`)."""
        with self.store.begin() as conn:
            return repo.by_natural_key(conn, connection, entity, natural_key, flows=flows)

    def pend(self, conn: Connection, pair: Pair, intents: Sequence[Intent]) -> None:
        """Persist intents to write (in the caller's own short transaction, one statement)."""
        if intents:
            repo.pend_columns(conn, _columns(intents, _INTENDED), _shared(pair))

    def mark_unknown(self, conn: Connection, pair: Pair, source_ids: Sequence[str]) -> None:
        """These records' writes were sent and their answers lost: unsettled until looked up."""
        repo.mark_unknown(conn, [dict(source_connection=pair.source, entity=pair.entity, source_id=i,
                                      target_connection=pair.target) for i in source_ids])

    def release(self, conn: Connection, pair: Pair, source_ids: Sequence[str]) -> None:
        """These records' creates certainly did not reach the target: their intents go (see
        :func:`tradewind.store.bindings.release`), so a retry writes them as new."""
        repo.release(conn, [dict(source_connection=pair.source, entity=pair.entity, source_id=i,
                                 target_connection=pair.target) for i in source_ids])

    def bind(self, conn: Connection, pair: Pair, results: Sequence[Result]) -> None:
        if results:
            repo.bind_columns(conn, _columns(results, _RESULTED), _shared(pair))

    def remember_version(self, conn: Connection, binding: Binding, version: str | None) -> None:
        if version is not None and binding.source_version != version:
            repo.remember_version(conn, binding.id, version)

    def prebound(self, target_connection: str, entity: str, natural_keys: Sequence[str]) -> dict[str, Prebinding]:
        """What earlier writes' answers told about these records of ``target_connection`` (one query)."""
        with self.store.begin() as conn:
            kept = repo.prebound(conn, target_connection, entity, natural_keys)
        return {key: Prebinding(entity=entity, natural_key=key, target_id=target_id, data=data)
                for key, (target_id, data) in kept.items()}

    def prebind(self, conn: Connection, target_connection: str, prebindings: Sequence[Prebinding], *,
                fresh: bool = False) -> None:
        """Keep what a write's answer named (in the caller's transaction, with the binding it came with);
        ``fresh``: the answer of a create, whose ids are new (see :func:`tradewind.store.bindings.prebind`)."""
        repo.prebind(conn, target_connection, list(map(_PREBINDING, prebindings)), fresh=fresh)

    def unprebind(self, target_connection: str, entity: str, natural_keys: Sequence[str]) -> None:
        """Forget what earlier answers told about these records (a write by that id failed)."""
        with self.store.begin() as conn:
            repo.unprebind(conn, target_connection, entity, natural_keys)

    def forget(self, binding_id: int) -> bool:
        """Drop a binding so the next run writes the record anew (after a deletion in the target)."""
        with self.store.begin() as conn:
            return repo.forget(conn, binding_id)

    def get(self, binding_id: int) -> Binding | None:
        with self.store.begin() as conn:
            return repo.get(conn, binding_id)

    def search(self, **filters: str | int | None) -> list[Binding]:
        with self.store.begin() as conn:
            return repo.search(conn, **filters)  # type: ignore[arg-type]
