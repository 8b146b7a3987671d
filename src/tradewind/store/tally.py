"""The stock tally in the store (:class:`~tradewind.connectors.tally.Tally`): one row per scope,
SKU and warehouse in ``stock_parts``, upserted as pages arrive, so a location summed from several
warehouses is computed from every warehouse's latest figures, across pages and runs.

Quantities are kept as decimal text: exact on SQLite and PostgreSQL alike (SQLite has no decimal).
An upsert (``ON CONFLICT DO UPDATE``) lets two runs reading one account write the same rows safely.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from tradewind.rules.stock import Part
from tradewind.store.db import Store, now
from tradewind.store.keys import as_asked
from tradewind.store.tables import stock_parts as table

FIGURES = ("on_hand", "reserved", "incoming")


class StoreTally:
    """A :class:`~tradewind.connectors.tally.Tally` on the ``stock_parts`` table."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def put(self, scope: str, parts: Sequence[tuple[str, Part]]) -> None:
        if not parts:
            return
        stamp = now()
        latest = {(sku, p.warehouse): p for sku, p in parts}  # one row per key in one statement
        rows = [{"scope": scope, "sku": sku, "warehouse": warehouse, "updated_at": stamp,
                 **{name: str(getattr(p, name)) for name in FIGURES}} for (sku, warehouse), p in latest.items()]
        with self.store.begin() as conn:
            module: Any = postgresql if conn.dialect.name == "postgresql" else sqlite
            statement = module.insert(table)
            conn.execute(statement.on_conflict_do_update(
                index_elements=["scope", "sku", "warehouse"],
                set_={name: statement.excluded[name] for name in (*FIGURES, "updated_at")}), rows)

    def parts(self, scope: str, skus: Sequence[str]) -> dict[str, list[Part]]:
        wanted = sorted(set(skus))
        found: dict[str, list[Part]] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start:start + 500]
            asked = as_asked(chunk, table.c.sku)
            with self.store.begin() as conn:
                rows = conn.execute(select(table).where(table.c.scope == scope, table.c.sku.in_(chunk))
                                    .order_by(table.c.sku, table.c.warehouse)).all()
            for row in rows:
                found.setdefault(asked.get(row.sku, row.sku), []).append(Part(
                    warehouse=row.warehouse, **{name: Decimal(getattr(row, name)) for name in FIGURES}))
        return found
