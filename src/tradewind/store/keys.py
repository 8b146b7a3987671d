"""Whatever a source sends can be stored: keys that fit their column, text the database accepts.

A vendor's key may be longer than a column, or hold a NUL byte or a lone surrogate (invalid
UTF-8 decoded leniently); PostgreSQL refuses all three where SQLite takes them, and a refusal
inside the run loop would stop the flow on every run. Such a key is stored as a readable prefix
and a hash of the whole (distinct keys stay distinct, the same key always fits the same way),
through the :class:`Key` column type, so every insert *and* every look-up is fitted alike.
Free text (reasons, payload dumps) is cleaned instead: NUL and lone surrogates become U+FFFD.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Dialect, String, Text, TypeDecorator

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
DIGEST = 20


def storable(value: str) -> bool:
    return _UNSTORABLE.search(value) is None


def clean_text(value: str) -> str:
    """``value`` with NUL bytes and lone surrogates replaced by U+FFFD."""
    return _UNSTORABLE.sub("\ufffd", value) if not storable(value) else value


def fit_key(value: str, width: int) -> str:
    """``value`` itself when it fits ``width`` characters and is storable; else a readable prefix,
    ``~#`` and a hash of the whole value."""
    if len(value) <= width and ((value.isascii() and "\x00" not in value) or storable(value)):
        return value  # ASCII without NUL is storable: no pattern search for the usual key
    digest = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:DIGEST]
    return f"{clean_text(value)[:max(0, width - DIGEST - 2)]}~#{digest}"


def is_fitted(value: str) -> bool:
    """Whether a stored key is a fitted (hashed) one."""
    return len(value) > DIGEST + 2 and value[-DIGEST - 2:-DIGEST] == "~#"


def as_asked(values: Iterable[str], column: ColumnElement[Any]) -> dict[str, str]:
    """Stored form → the value asked for, for a look-up by a :class:`Key` column: rows come back
    with fitted keys, and the caller matches them to what it asked by this map.

    Callers look rows up with ``asked.get(stored, stored)``, so only keys stored otherwise than
    asked need an entry: the usual page (ASCII, within the column) maps nothing, told by three
    passes in C. Should a fitted form equal another value asked, the whole map is made, as ever."""
    length = getattr(column.type, "length", None)
    if not length:
        return {v: v for v in values}
    listed = values if isinstance(values, list | tuple) else list(values)
    if set(map(type, listed)) <= {str}:
        joined = "".join(listed)
        if joined.isascii() and "\x00" not in joined and max(map(len, listed), default=0) <= length:
            return {}
    fitted = {key: v for key, v in ((fit_key(v, length), v) for v in listed) if key != v}
    if fitted and not fitted.keys().isdisjoint(listed):
        return {fit_key(v, length): v for v in listed}
    return fitted


class Key(TypeDecorator[str]):
    """A key column of ``length`` characters that fits what it is given (see the module docstring)."""

    impl = String
    cache_ok = True

    def __init__(self, length: int) -> None:
        super().__init__(length)
        self.length = length

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else fit_key(str(value), self.length)

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], str | None]:
        """``process_bind_param`` as one flat function: it runs for every key of every row stored."""
        length, unstorable, impl = self.length, _UNSTORABLE.search, _impl_processor(self, dialect)

        def process(value: Any) -> Any:
            if value is not None:
                if value.__class__ is not str:
                    value = str(value)
                if len(value) > length or (not (value.isascii() and "\x00" not in value)
                                           and unstorable(value) is not None):  # ASCII without NUL: storable
                    value = fit_key(value, length)
            return impl(value) if impl is not None else value

        return process

    def column_processor(self, dialect: Dialect) -> Callable[[Sequence[Any]], Sequence[Any]]:
        """:meth:`bind_processor` for one column of a batch (:mod:`tradewind.store.many`)."""
        return _by_column(self.bind_processor(dialect), _impl_processor(self, dialect), self.length)


class CleanText(TypeDecorator[str]):
    """Free text the database always accepts."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else clean_text(str(value))

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], str | None]:
        """``process_bind_param`` as one flat function (see :meth:`Key.bind_processor`)."""
        unstorable, impl = _UNSTORABLE.search, _impl_processor(self, dialect)

        def process(value: Any) -> Any:
            if value is not None:
                if value.__class__ is not str:
                    value = str(value)
                if not (value.isascii() and "\x00" not in value) and unstorable(value) is not None:
                    value = clean_text(value)
            return impl(value) if impl is not None else value

        return process

    def column_processor(self, dialect: Dialect) -> Callable[[Sequence[Any]], Sequence[Any]]:
        """:meth:`bind_processor` for one column of a batch (:mod:`tradewind.store.many`)."""
        return _by_column(self.bind_processor(dialect), _impl_processor(self, dialect), None)


_NONE = type(None)
_PLAIN = {str, _NONE}


def _by_column(one: Callable[[Any], Any], impl: Callable[[Any], Any] | None,
               length: int | None) -> Callable[[Sequence[Any]], Sequence[Any]]:
    """A column of a batch as ``one`` would store it. The usual column — text only, ASCII without
    NUL, each value within ``length`` — is stored as it is, which three passes in C tell (the
    types, the joined text, the longest value) instead of a Python call per value."""

    def process(column: Sequence[Any]) -> Sequence[Any]:
        types = set(map(type, column))
        if impl is None and types <= _PLAIN:
            texts = column if _NONE not in types else [value for value in column if value is not None]
            joined = "".join(texts)
            if joined.isascii() and "\x00" not in joined and (
                    length is None or max(map(len, texts), default=0) <= length):
                return column
        return tuple(map(one, column))

    return process


def _impl_processor(decorator: TypeDecorator[Any], dialect: Dialect) -> Callable[[Any], Any] | None:
    """The underlying type's own bind processor for ``dialect`` (None for plain strings)."""
    return decorator.impl_instance.dialect_impl(dialect).bind_processor(dialect)
