"""Read a project file's YAML without trusting it: any input ends in data or in :class:`Unreadable` with a line.

A project file is small and written by hand, so anything beyond these bounds is refused before
ruamel builds a single node (the composer and constructors recurse, and aliases share nodes that
every later walk would expand):

- at most :data:`MAX_BYTES`, UTF-8 without control characters (ruamel's own printable set);
- at most :data:`MAX_DEPTH` nested mappings and sequences;
- aliases expanding to at most :data:`MAX_ALIAS_NODES` nodes in all, never into themselves.

The bounds are checked on ruamel's event stream, which is produced without recursion, so a
"billion laughs" file or ten thousand brackets cost one linear scan. Values ruamel's constructors
cannot build (``2020-13-45``, a 5,000-digit integer, ``!!bool maybe``) are reported at their node.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError, StreamMark, YAMLError
from ruamel.yaml.events import (
    AliasEvent,
    CollectionEndEvent,
    CollectionStartEvent,
    Event,
    NodeEvent,
)
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.reader import Reader

MAX_BYTES = 512 * 1024
"""A project file is a few kilobytes; a hundred times the example project is still welcome."""
MAX_DEPTH = 32
"""Nesting of mappings and sequences; a project nests about seven deep (flows.x.mapping.table.y.values)."""
MAX_ALIAS_NODES = 10_000
"""Nodes all aliases expand to together: plenty for ``<<: *defaults`` in every flow, too few for a bomb."""

_SYNTAX_HINT = "check indentation, colons and quotes around values with `: #{}[]`"


class Unreadable(Exception):
    """The file cannot be read as YAML within the bounds; ``line`` and ``column`` count from 1."""

    def __init__(self, message: str, hint: str, line: int | None = None, column: int | None = None) -> None:
        super().__init__(message)
        self.message, self.hint, self.line, self.column = message, hint, line, column

    @classmethod
    def at(cls, mark: StreamMark | None, message: str, hint: str) -> Unreadable:
        return cls(message, hint, mark.line + 1, mark.column + 1) if mark else cls(message, hint)


@dataclass(frozen=True)
class Document:
    """The file's data (ruamel round-trip types, which remember each key's line) and its keys written twice."""

    data: Any
    duplicates: list[tuple[str, int, int]] = field(default_factory=list)
    """(key, line, column), counted from 0 as ruamel does."""


def read(path: Path) -> Document:
    """The YAML document at ``path``; :class:`Unreadable` (never another error, never unbounded work) otherwise."""
    text = _decode(_read_bounded(path))
    _check_printable(text)
    yaml = YAML(typ="rt")
    yaml.Constructor = _Constructor
    yaml.allow_duplicate_keys = True  # reported below, with their places, instead of stopping at the first
    try:
        _check_events(YAML(typ="rt").parse(text))
        node = yaml.compose(text)
        data = yaml.constructor.construct_document(node) if node is not None else None
    except MarkedYAMLError as exc:
        raise Unreadable.at(exc.problem_mark or exc.context_mark, f"YAML syntax error: {exc.problem or exc.context}",
                            _SYNTAX_HINT) from None
    except YAMLError as exc:
        raise Unreadable(f"YAML error: {exc}", _SYNTAX_HINT) from None
    return Document(data, list(_duplicates(node, set())))


# --- bytes and characters ----------------------------------------------------------------------


def _read_bounded(path: Path) -> bytes:
    try:
        with path.open("rb") as stream:
            data = stream.read(MAX_BYTES + 1)
    except OSError as exc:
        raise Unreadable(f"cannot read the project file: {exc.strerror or exc}",
                         "run `tradewind init` to create one") from None
    if len(data) > MAX_BYTES:
        line = data[:MAX_BYTES].count(b"\n") + 1
        raise Unreadable(f"the project file is larger than {MAX_BYTES // 1024} KiB", "a project file holds "
                         "connections and flows, not data; split it or move tables out", line, 1)
    return data


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise Unreadable("the project file is UTF-16, not UTF-8", "save it as UTF-8", 1, 1)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, column = _place(data, exc.start)
        raise Unreadable(f"byte 0x{data[exc.start]:02x} is not UTF-8 text", "save the file as UTF-8",
                         line, column) from None


def _check_printable(text: str) -> None:
    """Control characters (NUL, escape, bell ...) are not YAML; say where, instead of ruamel's stream offset."""
    found = Reader.NON_PRINTABLE.search(text)
    if found is not None:
        line, column = _place(text, found.start())
        name = "NUL" if found.group() == "\0" else f"U+{ord(found.group()):04X}"
        raise Unreadable(f"control character {name} in the file", "remove it; write it as \\x escape inside "
                         "double quotes if a value needs it", line, column)


def _place(data: str | bytes, index: int) -> tuple[int, int]:
    """1-based line and column of ``index`` in ``data``."""
    newline: Any = b"\n" if isinstance(data, bytes) else "\n"
    start = data.rfind(newline, 0, index) + 1
    return data.count(newline, 0, index) + 1, index - start + 1


# --- events: depth and aliases -----------------------------------------------------------------


def _check_events(events: Iterable[Event]) -> None:
    """Refuse deep nesting and alias bombs from the event stream, before the recursive composer runs."""
    open_collections: list[list[Any]] = []  # [anchor, nodes so far] per collection being read
    sizes: dict[str, int] = {}  # anchor → nodes it stands for, aliases inside it expanded
    expanded = 0

    def close(anchor: str | None, count: int) -> None:
        if anchor is not None:
            sizes[anchor] = count
        if open_collections:
            open_collections[-1][1] += count

    for event in events:
        if isinstance(event, CollectionStartEvent):
            if len(open_collections) >= MAX_DEPTH:
                raise Unreadable.at(event.start_mark, f"mappings and lists nest deeper than {MAX_DEPTH} levels",
                                    "a project file nests a few levels; flatten the structure")
            open_collections.append([event.anchor, 1])
        elif isinstance(event, CollectionEndEvent):
            anchor, count = open_collections.pop()
            close(anchor, count)
        elif isinstance(event, AliasEvent):
            expanded += _alias_size(event, sizes, open_collections)
            if expanded > MAX_ALIAS_NODES:
                raise Unreadable.at(event.start_mark, f"aliases expand to more than {MAX_ALIAS_NODES:,} values",
                                    "use anchors for small shared defaults (`<<: *defaults`), not to multiply data")
            close(None, sizes[event.anchor])
        elif isinstance(event, NodeEvent):
            close(event.anchor, 1)


def _alias_size(event: AliasEvent, sizes: dict[str, int], open_collections: list[list[Any]]) -> int:
    if any(anchor == event.anchor for anchor, _ in open_collections):
        raise Unreadable.at(event.start_mark, f"alias *{event.anchor} refers to a value that contains it",
                            "an alias may only repeat a value that is complete before it")
    if event.anchor not in sizes:
        raise Unreadable.at(event.start_mark, f"alias *{event.anchor} names no anchor before it",
                            f"define &{event.anchor} on a value above this line")
    return sizes[event.anchor]


# --- nodes -------------------------------------------------------------------------------------


class _Constructor(RoundTripConstructor):
    """ruamel's round-trip constructor, turning the plain Python errors of its scalar parsers into marked ones."""

    def construct_non_recursive_object(self, node: Node, tag: str | None = None) -> Any:
        try:
            return super().construct_non_recursive_object(node, tag)
        except (ValueError, TypeError, KeyError, IndexError, OverflowError, AttributeError) as exc:
            kind = str(node.tag).rsplit(":", 1)[-1] if node.tag else "value"
            shown = repr(node.value[:40]) if isinstance(node, ScalarNode) else "this value"
            raise Unreadable.at(node.start_mark, f"{shown} is not a valid {kind}: {exc}",
                                "quote the value to keep it as text") from None


def _duplicates(node: Node | None, seen_nodes: set[int]) -> Iterator[tuple[str, int, int]]:
    """(key, line, column) of every key written twice in one mapping; a node shared by aliases is walked once."""
    if node is None or id(node) in seen_nodes:
        return
    seen_nodes.add(id(node))
    if isinstance(node, MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            if isinstance(key, ScalarNode) and key.value != "<<":
                if key.value in seen:
                    yield key.value, key.start_mark.line, key.start_mark.column
                seen.add(key.value)
            yield from _duplicates(value, seen_nodes)
    elif isinstance(node, SequenceNode):
        for item in node.value:
            yield from _duplicates(item, seen_nodes)


__all__ = ["MAX_ALIAS_NODES", "MAX_BYTES", "MAX_DEPTH", "Document", "Unreadable", "read"]
