"""Many rows through one statement, sent the way the driver takes them.

The run loop keeps a few rows per record: a transfer received and ended, a binding pended and
bound, the ids a write's answer names. Through ``Connection.execute`` each row of an executemany
becomes SQLAlchemy's own parameter dictionary first (``construct_params``, then each column's
processor in its execution context): in a catalogue sync that was a fifth of the engine's CPU,
against a twentieth for the database's own work. Here a statement is compiled once per dialect and
set of row keys, each row goes through the columns' processors in one pass, and the rows go to
``exec_driver_sql``: the same connection and transaction, the same error translation and events,
without the per-row dictionaries.

Only statements whose every parameter comes with the rows qualify (no Python-side column
defaults, no values baked in): :func:`prepare` refuses others rather than send them incomplete.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import repeat
from operator import itemgetter
from typing import Any, cast

from sqlalchemy import BindParameter, ColumnElement, Connection, CursorResult, Dialect, Select, bindparam
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler


@dataclass(frozen=True)
class Prepared:
    """A statement's SQL for one dialect, and how rows' values become the driver's parameters."""

    sql: str
    names: tuple[str, ...]
    positional: bool
    processors: tuple[Callable[[Sequence[Any]], Sequence[Any]] | None, ...]
    """Each parameter's column processor (None: taken as it is), in the driver's order."""

    def parameters(self, columns: Mapping[str, Sequence[Any]], same: Mapping[str, Any]) -> list[Any]:
        """Rows given column by column, with ``same`` values every row shares (they win over a
        column of the same name): each column converted at once, a shared value once for all rows,
        and the rows zipped in C — no dictionary or tuple built in Python per row."""
        size = len(next(iter(columns.values())))
        sent: list[Any] = []
        for name, process in zip(self.names, self.processors, strict=True):
            if name in same:
                value = same[name]
                sent.append(repeat(value if process is None else process((value,))[0], size))
            else:
                column = columns[name]
                sent.append(column if process is None else process(column))
        values = list(zip(*sent, strict=True))
        return values if self.positional else [dict(zip(self.names, row, strict=True)) for row in values]


_prepared: dict[tuple[str, int, tuple[str, ...]], tuple[ClauseElement, Prepared]] = {}


def prepare(statement: ClauseElement, dialect: Dialect, keys: Sequence[str]) -> Prepared:
    """``statement`` compiled for ``dialect`` with rows of ``keys`` (cached while the statement lives)."""
    cache_key = (dialect.name, id(statement), tuple(keys))
    kept = _prepared.get(cache_key)
    if kept is not None and kept[0] is statement:
        return kept[1]
    compiled = cast(SQLCompiler, statement.compile(dialect=dialect, column_keys=list(keys)))
    positional = bool(compiled.positional)
    names = tuple(compiled.positiontup or ()) if positional else tuple(compiled.binds)
    missing = sorted(set(names) - set(keys))
    if missing:
        raise ValueError(f"rows for this statement must carry {', '.join(missing)} (defaults and "
                         "values baked into the statement are not sent here)")
    binds = compiled.binds
    processors = tuple(_column_processor(binds[name].type, dialect) for name in names)
    prepared = Prepared(sql=str(compiled), names=names, positional=positional, processors=processors)
    _prepared[cache_key] = (statement, prepared)  # the statement is held so its id is not reused
    return prepared


def _column_processor(type_: Any, dialect: Dialect) -> Callable[[Sequence[Any]], Sequence[Any]] | None:
    """A column type's processor for a whole column: its own (the store's key and text types tell a
    usual column at once), else its per-value processor mapped over the column."""
    own = getattr(type_, "column_processor", None)
    if own is not None:
        return cast(Callable[[Sequence[Any]], Sequence[Any]], own(dialect))
    one = type_.dialect_impl(dialect).bind_processor(dialect)
    return None if one is None else (lambda column: tuple(map(one, column)))


def columns_of(rows: Sequence[Mapping[str, Any]]) -> dict[str, list[Any]]:
    """Rows of the same keys (at least one row) as columns, each value read in C."""
    return {name: list(map(itemgetter(name), rows)) for name in rows[0]}


def execute_many(conn: Connection, statement: ClauseElement,
                 rows: Sequence[dict[str, Any]]) -> CursorResult[Any] | None:
    """Send ``rows`` (all with the same keys) through ``statement`` as one executemany."""
    return execute_columns(conn, statement, columns_of(rows), {})


def execute_columns(conn: Connection, statement: ClauseElement, columns: Mapping[str, Sequence[Any]],
                    same: Mapping[str, Any]) -> CursorResult[Any] | None:
    """Send rows given as ``columns`` of equal length (at least one), with the values they all
    share in ``same``, through ``statement`` as one executemany (nothing when the columns are empty).
    The run loop's batches are so made: a pair, a flow and a time stamp shared, a few ids per row."""
    if not len(next(iter(columns.values()))):
        return None
    prepared = prepare(statement, conn.dialect, [*columns, *(name for name in same if name not in columns)])
    return conn.exec_driver_sql(prepared.sql, prepared.parameters(columns, same))


class InList:
    """A page's look-up: a SELECT whose one ``IN`` list takes a page of keys, sent as the driver takes it.

    Through ``Connection.execute`` an expanding ``IN`` of a thousand keys is rendered, named and
    converted key by key on every execution (``_literal_execute_expanding_parameter``), and each row
    comes back through a Row object: for a page of records that cost more than the database's own
    look-up. Here the statement is compiled once per list length (callers pad lists to a power of
    two: :func:`tradewind.store.db.padded`), the keys go through their column's processor at once,
    and rows come back as tuples, each selected column through its type's result processor. ``key``
    is the column the list matches: its keys are stored fitted (:class:`~tradewind.store.keys.Key`)."""

    def __init__(self, key: ColumnElement[Any], build: Callable[[list[BindParameter[Any]]], Select[Any]]) -> None:
        self.key, self.build = key, build
        self._shapes: dict[tuple[str, int], _Shape] = {}

    def rows(self, conn: Connection, values: dict[str, Any], keys: Sequence[Any]) -> list[tuple[Any, ...]]:
        """The rows matching ``keys`` (with ``values`` for the statement's other parameters)."""
        shape = self._shape(conn.dialect, len(keys))
        given = {name: value if process is None else process((value,))[0]
                 for name, value, process in ((n, values[n], p) for n, p in shape.others)}
        given.update(zip(shape.listed, keys if shape.key is None else shape.key(keys), strict=True))
        arguments = shape.ordered(given) if shape.positional else given
        fetched = conn.exec_driver_sql(shape.sql, arguments).fetchall()
        if not any(shape.results) or not fetched:
            return [tuple(r) for r in fetched]
        columns: list[Sequence[Any]] = list(zip(*fetched, strict=True))
        for i, process in enumerate(shape.results):
            if process is not None:
                columns[i] = _processed(process, columns[i])
        return list(zip(*columns, strict=True))

    def _shape(self, dialect: Dialect, size: int) -> _Shape:
        shape = self._shapes.get((dialect.name, size))
        if shape is None:
            listed = tuple(f"in_{i}" for i in range(size))
            statement = self.build([bindparam(name, type_=self.key.type) for name in listed])
            compiled = statement.compile(dialect=dialect)
            positional = bool(compiled.positional)
            names = tuple(compiled.positiontup or ()) if positional else tuple(compiled.binds)
            others = tuple((name, _column_processor(compiled.binds[name].type, dialect))
                           for name in names if not name.startswith("in_"))
            results = tuple(c.type.dialect_impl(dialect).result_processor(dialect, None)
                            for c in statement.selected_columns)
            shape = self._shapes[(dialect.name, size)] = _Shape(
                sql=str(compiled), names=names, positional=positional, listed=listed, others=others,
                ordered=itemgetter(*names) if len(names) > 1 else lambda given: (given[names[0]],),
                key=_column_processor(self.key.type, dialect), results=results)
        return shape


_TEXT = {str, type(None)}


def _processed(process: Callable[[Any], Any], column: Sequence[Any]) -> list[Any]:
    """``process`` mapped over a column of results, each distinct text once: the rows of a batch
    stored by one statement share its time stamp, which SQLite gives back as text to parse. Only
    text is so shared (equal strings are the same value; equal times may differ in zone)."""
    if set(map(type, column)) <= _TEXT:
        done = {value: process(value) for value in set(column)}
        return list(map(done.__getitem__, column))
    return list(map(process, column))


@dataclass(frozen=True)
class _Shape:
    """:class:`InList`'s statement for one list length, and how its values and rows are converted."""

    sql: str
    names: tuple[str, ...]
    positional: bool
    listed: tuple[str, ...]
    ordered: Callable[[dict[str, Any]], tuple[Any, ...]]
    """The parameters' values in the driver's order (an ``itemgetter``: a page's thousand keys in C)."""
    others: tuple[tuple[str, Callable[[Sequence[Any]], Sequence[Any]] | None], ...]
    key: Callable[[Sequence[Any]], Sequence[Any]] | None
    results: tuple[Callable[[Any], Any] | None, ...]


__all__ = ["InList", "Prepared", "columns_of", "execute_columns", "execute_many", "prepare"]
