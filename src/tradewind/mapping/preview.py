"""What a mapping does to one record, and field-level differences between two records.

:func:`diff` is general on purpose: ``tradewind mapping preview`` shows a mapping's changes with it,
and the engine's dry-run plans show the field differences an update would make.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from tradewind.mapping._paths import Segment, format_path
from tradewind.mapping.compiler import CompiledMapping

ChangeKind = Literal["added", "removed", "changed"]


@dataclass(frozen=True)
class FieldChange:
    """One field that differs; ``before`` is ``None`` when added, ``after`` is ``None`` when removed."""

    path: str
    before: Any
    after: Any
    kind: ChangeKind = "changed"


@dataclass(frozen=True)
class Preview:
    """The mapped record and what the mapping changed in it."""

    result: dict[str, Any]
    changed: list[FieldChange]


def preview(compiled: CompiledMapping, native: dict[str, Any], context: Mapping[str, Any], *,
            is_update: bool = False) -> Preview:
    """Apply ``compiled`` to ``native`` and list the changes (raises ``MappingError`` as ``apply`` does)."""
    result = compiled.apply(native, context, is_update=is_update)
    return Preview(result, diff(native, result))


def diff(before: Any, after: Any) -> list[FieldChange]:
    """Leaf differences between two nested records, sorted by path (list indexes numerically).

    Dicts are compared key by key and lists element by element; values compare with ``==``, so
    ``Decimal('1.0')``, ``Decimal('1.00')`` and ``1`` are the same amount (but ``True`` is not ``1``).
    """
    found = sorted(_diff(before, after, ()), key=lambda change: _order(change[0]))
    return [FieldChange(format_path(path), old, new, kind) for path, old, new, kind in found]


_Found = tuple[tuple[Segment, ...], Any, Any, ChangeKind]


def _diff(before: Any, after: Any, path: tuple[Segment, ...]) -> Iterator[_Found]:
    if isinstance(before, dict) and isinstance(after, dict):
        for key in before.keys() | after.keys():
            yield from _pair(before, after, key, path)
    elif isinstance(before, list) and isinstance(after, list):
        for index in range(max(len(before), len(after))):
            yield from _pair(before, after, index, path)
    elif before != after or isinstance(before, bool) != isinstance(after, bool):
        yield path, before, after, "changed"


def _pair(before: Any, after: Any, key: Any, path: tuple[Segment, ...]) -> Iterator[_Found]:
    here = (*path, key)
    has_before, has_after = _has(before, key), _has(after, key)
    if has_before and has_after:
        yield from _diff(before[key], after[key], here)
    elif has_after:
        yield here, None, after[key], "added"
    else:
        yield here, before[key], None, "removed"


def _has(container: dict[Any, Any] | list[Any], key: Any) -> bool:
    return key in container if isinstance(container, dict) else key < len(container)


def _order(path: tuple[Segment, ...]) -> tuple[tuple[int, int, str], ...]:
    return tuple((0, segment, "") if isinstance(segment, int) else (1, 0, str(segment)) for segment in path)
