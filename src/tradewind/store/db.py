"""Opening the store: SQLite by default (WAL), PostgreSQL by URL, schema by Alembic."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from json.encoder import c_make_encoder, encode_basestring_ascii  # type: ignore[attr-defined]
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, insert, make_url
from sqlalchemy.dialects import postgresql, sqlite

from tradewind.store import many

DEFAULT_URL = "sqlite:///tradewind.db"
URL_ENV = "TRADEWIND_DATABASE_URL"


def database_url(url: str | None = None) -> str:
    """The URL to use: the argument, else ``TRADEWIND_DATABASE_URL``, else ``sqlite:///tradewind.db``."""
    chosen = url or os.environ.get(URL_ENV) or DEFAULT_URL
    if chosen.startswith("postgresql://") or chosen.startswith("postgres://"):
        chosen = "postgresql+psycopg://" + chosen.split("://", 1)[1]
    return chosen


STATEMENTS = 32
"""Prepared statements SQLite keeps per connection (Python's default is 128). A statement of a page's
look-up or insert names up to a thousand values and takes tens of kilobytes prepared, and pages of other
sizes make other statements: with 128 kept, SQLite's memory grew with the catalogue (2 → 24 MiB from
3,000 to 30,000 products); the run loop's own statements are fewer than 32."""


ROWS_PER_INSERT = 100
"""Rows in one multi-row INSERT … RETURNING (a page's transfers): a page of a thousand made one
statement of seven thousand parameters for each page size, and SQLite kept each prepared (PostgreSQL
prepares a statement run often on the server); in hundreds, a page's statements share one shape but
the last."""


def padded(values: Sequence[str]) -> list[str]:
    """``values`` for an ``IN`` list, repeated at the end to the next power of two (at least 8): a
    page's look-ups then take one of a few statement shapes, not one per page size, so the database
    prepares (and keeps) a handful. The repeats match nothing more."""
    listed = list(values)
    size = max(8, 1 << max(0, len(listed) - 1).bit_length())
    return listed + listed[-1:] * (size - len(listed)) if listed else listed


_ENCODER = json.JSONEncoder(default=str)
to_json = _ENCODER.encode
"""``json.dumps(value, default=str)`` with its encoder made once: ``dumps`` given any option builds a
new encoder per call, and the run loop stores a payload or two per record (pre-bindings, staging)."""


def to_json_each(values: Sequence[Any]) -> list[str]:
    """``to_json`` of each value, through one C encoder made for the batch: ``encode`` makes one per
    call, over half the cost of a small payload. Its circular-reference marks are the batch's own,
    left empty by each value encoded; an error stops the batch as ``to_json`` would stop at it."""
    if c_make_encoder is None:
        return list(map(to_json, values))
    e = _ENCODER
    encode = c_make_encoder({}, e.default, encode_basestring_ascii, e.indent, e.key_separator, e.item_separator,
                            e.sort_keys, e.skipkeys, e.allow_nan)
    return [encode_basestring_ascii(value) if isinstance(value, str) else "".join(encode(value, 0))
            for value in values]


def now() -> datetime:
    return datetime.now(UTC)


def _sqlite_pragmas(dbapi_connection: Any, record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


class Store:
    """The database of one tradewind installation. Short transactions only: ``pend`` and
    ``bind`` commit on their own so a crash between them loses nothing."""

    def __init__(self, url: str | None = None) -> None:
        self.url = database_url(url)
        # hide_parameters: a failed statement's error never shows its values (tokens, personal data)
        if self.url.startswith("sqlite"):
            self.engine: Engine = create_engine(self.url, connect_args={"timeout": 30, "cached_statements": STATEMENTS},
                                                insertmanyvalues_page_size=ROWS_PER_INSERT, hide_parameters=True)
            event.listen(self.engine, "connect", _sqlite_pragmas)
        else:
            self.engine = create_engine(self.url, pool_pre_ping=True, pool_size=5, max_overflow=5,
                                        insertmanyvalues_page_size=ROWS_PER_INSERT, hide_parameters=True)

    @property
    def safe_url(self) -> str:
        """The URL without its password, for messages."""
        return make_url(self.url).render_as_string(hide_password=True)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        with self.engine.begin() as connection:
            yield connection

    def upgrade(self) -> None:
        """Bring the schema to the newest migration."""
        upgrade(self.url, engine=self.engine)

    def dispose(self) -> None:
        self.engine.dispose()


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "alembic"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, *, engine: Engine | None = None) -> None:
    config = alembic_config(url)
    if engine is None:
        command.upgrade(config, "head")
        return
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def upsert(connection: Connection, table: Any, values: dict[str, Any] | list[dict[str, Any]], keys: list[str],
           update: list[str]) -> None:
    """INSERT … ON CONFLICT (keys) DO UPDATE, on SQLite and PostgreSQL alike; a list of rows is
    sent as one executemany (:mod:`~tradewind.store.many`: every column it writes comes with the rows)."""
    statement = _upsert_statement(connection.dialect.name, table, tuple(keys), tuple(update))
    if not isinstance(values, list):
        connection.execute(statement, values)
    elif values:  # the run loop's batches: rows sent as the driver takes them
        many.execute_many(connection, statement, values)


def upsert_columns(connection: Connection, table: Any, columns: Mapping[str, Sequence[Any]], same: Mapping[str, Any],
                   keys: list[str], update: list[str]) -> None:
    """:func:`upsert` of rows given column by column, with the values they all share in ``same``
    (:func:`tradewind.store.many.execute_columns`); nothing when the columns are empty."""
    statement = _upsert_statement(connection.dialect.name, table, tuple(keys), tuple(update))
    many.execute_columns(connection, statement, columns, same)


@lru_cache(maxsize=256)
def _upsert_statement(dialect: str, table: Any, keys: tuple[str, ...], update: tuple[str, ...]) -> Any:
    """Built once per table and columns: the run loop upserts every batch, and building the
    statement (its ``excluded`` alias, its cache key) cost as much as sending it."""
    module: Any = postgresql if dialect == "postgresql" else sqlite if dialect == "sqlite" else None
    if module is None:
        raise RuntimeError(f"unsupported database {dialect}")
    statement = module.insert(table)
    return statement.on_conflict_do_update(
        index_elements=list(keys), set_={name: statement.excluded[name] for name in update}
    )


__all__ = ["DEFAULT_URL", "URL_ENV", "Store", "database_url", "insert", "now", "upgrade", "upsert", "upsert_columns"]
