"""Failures grouped by what went wrong: a reason with its record-specific values (quoted values,
e-mail addresses, numbers) replaced by ``…``, so "product with sku 'A-1' is unknown in erp" and
the same with 'B-7' count as one group that a person fixes once and replays together."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from tradewind.store.overview import Queued

GAP = "…"
_VALUES = re.compile(
    r"'[^']*'|\"[^\"]*\"|[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+"  # quoted values, e-mail addresses
    r"|(?<![A-Za-z])#?\d[\d.,:/-]*"  # numbers, #order numbers, dates and amounts
)


def pattern(reason: str | None) -> str:
    """``reason`` with the values that differ from record to record replaced by ``…``."""
    return _VALUES.sub(GAP, reason) if reason else "no reason given"


@dataclass
class Group:
    """The queued records of one flow failing (or parked) for one reason pattern."""

    flow: str
    reason: str
    parked_on: str | None
    records: list[Queued] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.records)


def group(queued: Iterable[Queued]) -> list[Group]:
    """Groups, largest first (ties by flow and reason)."""
    found: dict[tuple[str, str, str | None], Group] = {}
    for q in queued:
        key = (q.flow, pattern(q.last_error), q.parked_on)
        found.setdefault(key, Group(flow=key[0], reason=key[1], parked_on=key[2])).records.append(q)
    return sorted(found.values(), key=lambda g: (-g.count, g.flow, g.reason))
