"""Two payloads side by side with their differences marked: pretty JSON (sorted keys) compared
line by line with difflib, as rows a template renders (escaped like everything else)."""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Row:
    """One line of each side (None: nothing there) and how they differ: equal, replace, delete, insert."""

    left: str | None
    right: str | None
    kind: str


def pretty(payload: Any) -> list[str]:
    return json.dumps(payload, indent=2, sort_keys=True, default=str, ensure_ascii=False).splitlines()


def side_by_side(old: Any, new: Any) -> list[Row]:
    """Every line of both payloads, paired, with what changed between them."""
    a, b = pretty(old), pretty(new)
    rows: list[Row] = []
    for kind, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        left, right = a[i1:i2], b[j1:j2]
        for n in range(max(len(left), len(right))):
            old_line = left[n] if n < len(left) else None
            new_line = right[n] if n < len(right) else None
            rows.append(Row(left=old_line, right=new_line,
                            kind="insert" if old_line is None else "delete" if new_line is None else kind))
    return rows


def changed(rows: list[Row]) -> int:
    """How many rows differ."""
    return sum(1 for r in rows if r.kind != "equal")
