"""Stock figures kept between runs, per item and warehouse, for a source that sums warehouses into
one location (:mod:`tradewind.rules.stock`).

An incremental read brings only the warehouse rows that changed; the sum over every warehouse
needs the others' figures too. Holding them in memory would lose them between runs and grow with
the catalogue, so the engine passes its store's tally (``tradewind.store.tally``); a connection
opened without a store (a preview, a connector test) gets :class:`MemoryTally`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from tradewind.rules.stock import Part


class Tally(Protocol):
    """``scope`` names one system account and location (``exact_online:123456@MAIN``)."""

    def put(self, scope: str, parts: Sequence[tuple[str, Part]]) -> None:
        """Keep each (SKU, warehouse part), replacing that warehouse's earlier figures."""

    def parts(self, scope: str, skus: Sequence[str]) -> dict[str, list[Part]]:
        """Every warehouse's figures kept for each of ``skus`` (absent: none kept)."""


@dataclass
class MemoryTally:
    """A process-local :class:`Tally` (previews and tests; forgotten when the process ends)."""

    held: dict[tuple[str, str], dict[str, Part]] = field(default_factory=dict)

    def put(self, scope: str, parts: Sequence[tuple[str, Part]]) -> None:
        for sku, part in parts:
            self.held.setdefault((scope, sku), {})[part.warehouse] = part

    def parts(self, scope: str, skus: Sequence[str]) -> dict[str, list[Part]]:
        found = {sku: sorted(self.held.get((scope, sku), {}).values(), key=lambda p: p.warehouse) for sku in skus}
        return {sku: parts for sku, parts in found.items() if parts}
