"""Dotted field paths into native records: ``Address.City``, ``Lines.0.Qty``, ``Lines.*.Qty``.

A numeric segment indexes a list (on a dict it is an ordinary key); ``*`` stands for every element
of a list. Walking a path yields :class:`Slot` objects, one per concrete place it names, so the
mapping steps read and write through one small interface.
"""

from __future__ import annotations

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


@dataclass(frozen=True)
class Slot:
    """One concrete place in a record: ``container[key]``, with the ``item``/``index`` of the innermost ``*``."""

    container: dict[str, Any] | list[Any]
    key: str | int
    path: str
    scope: Mapping[str, Any] = field(default_factory=dict)

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


def slots(record: dict[str, Any], segments: tuple[Segment, ...], *, create: bool) -> Iterator[Slot]:
    """Every place ``segments`` names in ``record``.

    With ``create`` (writing) missing intermediate objects are made and unreachable places raise
    :class:`PathError`; without it (dropping) unreachable places are simply skipped. A ``*`` over a
    missing list names no place at all.
    """
    yield from _walk(record, segments, (), {}, create)


def _walk(node: Any, segments: tuple[Segment, ...], done: tuple[Segment, ...], scope: Mapping[str, Any],
          create: bool) -> Iterator[Slot]:
    head, rest = segments[0], segments[1:]
    if head == STAR:
        if not isinstance(node, list):
            if create:
                raise PathError(format_path(done), f"is {_kind(node)}, not a list, so '*' cannot apply")
            return
        for index, element in enumerate(node):
            yield from _step(node, index, rest, (*done, index), {"item": element, "index": index}, create)
        return
    if isinstance(node, dict):
        yield from _step(node, str(head), rest, (*done, head), scope, create)
    elif isinstance(node, list) and isinstance(head, int):
        if head < len(node):
            yield from _step(node, head, rest, (*done, head), scope, create)
        elif create:
            raise PathError(format_path((*done, head)), f"index is out of range ({len(node)} elements)")
    elif create:
        raise PathError(format_path(done), f"is {_kind(node)}, so it has no field {head!r}")


def _step(container: dict[str, Any] | list[Any], key: str | int, rest: tuple[Segment, ...],
          done: tuple[Segment, ...], scope: Mapping[str, Any], create: bool) -> Iterator[Slot]:
    slot = Slot(container, key, format_path(done), scope)
    if not rest:
        yield slot
        return
    child = slot.get()
    if child is None:
        if not create or rest[0] == STAR:
            return
        if isinstance(rest[0], int):
            raise PathError(slot.path, "is missing, so it cannot be indexed")
        child = {}
        slot.put(child)
    yield from _walk(child, rest, done, scope, create)


def _kind(value: Any) -> str:
    return "missing" if value is None else f"a {type(value).__name__}"
