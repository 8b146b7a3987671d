"""Dotted field paths into native records: ``Address.City``, ``Lines.0.Qty``, ``Lines.*.Qty``.

A numeric segment indexes a list (on a dict it is an ordinary key); ``*`` stands for every element
of a list. Walking a path yields :class:`Slot` objects, one per concrete place it names, so the
mapping steps read and write through one small interface. A walk copies the containers on its way
down (:class:`Copies`), so a mapped record shares every sub-tree it does not write with the native one.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

STAR = "*"
Segment = str | int


class PathError(Exception):
    """A path cannot be followed in this record; ``path`` is the concrete place that failed."""

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        self.message = message
        super().__init__(f"{path}: {message}")


def parse_path(text: str) -> tuple[Segment, ...]:
    """Split ``text`` into segments; numeric segments become ints. Raises ``ValueError`` when malformed."""
    if not text.strip():
        raise ValueError("a field path cannot be empty")
    segments: list[Segment] = []
    for part in text.split("."):
        if not part or part != part.strip():
            raise ValueError(f"field path {text!r} has an empty or padded segment")
        segments.append(int(part) if part.isascii() and part.isdigit() else part)
    return tuple(segments)


def format_path(segments: tuple[Segment, ...]) -> str:
    """The dotted text of concrete segments (``("Lines", 2, "Qty")`` → ``Lines.2.Qty``)."""
    return ".".join(str(segment) for segment in segments)


@dataclass(slots=True)
class Slot:
    """One concrete place in a record: ``container[key]``, with the ``item``/``index`` of the innermost ``*``.

    Made for every place a step visits, so it is a plain slotted class and its dotted :attr:`path`
    is spelled only when asked for (an error, an expression's field), not for every default checked."""

    container: dict[str, Any] | list[Any]
    key: str | int
    segments: tuple[Segment, ...]
    scope: Mapping[str, Any] = field(default_factory=dict)

    @property
    def path(self) -> str:
        return format_path(self.segments)

    def exists(self) -> bool:
        if isinstance(self.container, dict):
            return self.key in self.container
        return isinstance(self.key, int) and self.key < len(self.container)

    def get(self) -> Any:
        """The value here, or ``None`` when the place is empty."""
        if not self.exists():
            return None
        if isinstance(self.container, dict):
            return self.container[str(self.key)]
        return self.container[int(self.key)]

    def owned(self, copies: Copies) -> Any:
        """The value here, as :meth:`get`; a dict or list the record shares is first replaced by its own copy."""
        value = self.get()
        if isinstance(value, dict | list):
            mine = copies.own(value)
            if mine is not value:
                self.put(mine)
            return mine
        return value

    def put(self, value: Any) -> None:
        if isinstance(self.container, dict):
            self.container[str(self.key)] = value
        elif isinstance(self.key, int) and self.key < len(self.container):
            self.container[self.key] = value
        else:
            raise PathError(self.path, f"index is out of range ({len(self.container)} elements)")

    def drop(self) -> None:
        if isinstance(self.container, dict):
            self.container.pop(str(self.key), None)


class Copies:
    """The containers of one record being written that are its own; every other one is shared.

    A mapped record starts as a shallow copy of the native record, and a walk copies each dict or
    list on its way down before anything below it is written (copy-on-write): a mapping that
    writes one field copies the few containers above it, not the whole record, and the native
    record is never written. Owned containers are held here by identity (and kept alive, so an
    identity is not reused while the record is being written).
    """

    def __init__(self) -> None:
        self._owned: dict[int, Any] = {}

    def own(self, value: Any) -> Any:
        """``value`` if it is this record's already, else a shallow copy of it that is."""
        if id(value) in self._owned:
            return value
        mine = value.copy() if type(value) in (dict, list) else copy.copy(value)  # a subclass keeps its type
        self._owned[id(mine)] = mine
        return mine

    def made(self, value: Any) -> Any:
        """``value``, a container made for this record (a missing intermediate object), noted as its own."""
        self._owned[id(value)] = value
        return value


def slots(record: dict[str, Any], segments: tuple[Segment, ...], *, create: bool, copies: Copies) -> Iterator[Slot]:
    """Every place ``segments`` names in ``record`` (owned by ``copies``), each in a container it owns.

    With ``create`` (writing) missing intermediate objects are made and unreachable places raise
    :class:`PathError`; without it (dropping) unreachable places are simply skipped. A ``*`` over a
    missing list names no place at all.
    """
    yield from _walk(record, segments, (), {}, create, copies)


def _walk(node: Any, segments: tuple[Segment, ...], done: tuple[Segment, ...], scope: Mapping[str, Any],
          create: bool, copies: Copies) -> Iterator[Slot]:
    head, rest = segments[0], segments[1:]
    if head == STAR:
        if not isinstance(node, list):
            if create:
                raise PathError(format_path(done), f"is {_kind(node)}, not a list, so '*' cannot apply")
            return
        for index, element in enumerate(node):
            yield from _step(node, index, rest, (*done, index), {"item": element, "index": index}, create, copies)
        return
    if isinstance(node, dict):
        yield from _step(node, str(head), rest, (*done, head), scope, create, copies)
    elif isinstance(node, list) and isinstance(head, int):
        if head < len(node):
            yield from _step(node, head, rest, (*done, head), scope, create, copies)
        elif create:
            raise PathError(format_path((*done, head)), f"index is out of range ({len(node)} elements)")
    elif create:
        raise PathError(format_path(done), f"is {_kind(node)}, so it has no field {head!r}")


def _step(container: dict[str, Any] | list[Any], key: str | int, rest: tuple[Segment, ...],
          done: tuple[Segment, ...], scope: Mapping[str, Any], create: bool, copies: Copies) -> Iterator[Slot]:
    slot = Slot(container, key, done, scope)
    if not rest:
        yield slot
        return
    child = slot.owned(copies)
    if child is None:
        if not create or rest[0] == STAR:
            return
        if isinstance(rest[0], int):
            raise PathError(slot.path, "is missing, so it cannot be indexed")
        child = copies.made({})
        slot.put(child)
    yield from _walk(child, rest, done, scope, create, copies)


def _kind(value: Any) -> str:
    return "missing" if value is None else f"a {type(value).__name__}"
