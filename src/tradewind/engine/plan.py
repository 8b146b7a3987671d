"""Dry runs: read and map, write nothing, and say what a real run would do (like ``terraform plan``).

For each record: create, update (with the field differences, in canonical terms: the target's
current record decoded and compared with what would be written) or skip, with the reason.
"""

from __future__ import annotations

from typing import Any

from tradewind.connectors.base import NativeRecord
from tradewind.engine.context import RunContext
from tradewind.engine.transfers import Outcome, Transfer
from tradewind.mapping import diff


def plan_batch(batch: list[Transfer], ctx: RunContext) -> None:
    """Decide each transfer's action as ``write`` would, without pend, write or bind."""
    from tradewind.engine.loop import decide  # the same decision the real run takes

    chosen = decide(batch, ctx)
    current = _current_records(chosen, ctx)
    for t in chosen:
        before = current.get(t.record.id)
        if t.action == "update" and before is not None and t.entity is not None:
            t.changes = diff(before, t.entity.model_dump(mode="json"))
            if not t.changes:
                t.skip("no field differs from the target's current record")
                continue
        t.outcome = Outcome.PLANNED
        t.reason = t.action
    ctx.plan.extend(batch)


def _current_records(chosen: list[Transfer], ctx: RunContext) -> dict[str, dict[str, Any]]:
    updates = [t for t in chosen if t.action == "update"]
    if not updates:
        return {}
    found = ctx.target_res.find_many(ctx.target.client, [t.keys for t in updates])
    current: dict[str, dict[str, Any]] = {}
    for t, record in zip(updates, found, strict=True):
        if not isinstance(record, NativeRecord):  # absent, or Ambiguous (decide failed it)
            continue
        try:
            current[t.record.id] = ctx.target_res.decode(record.data).model_dump(mode="json")
        except Exception:  # noqa: BLE001 - a target record we cannot read shows every field as changed
            current[t.record.id] = {}
    return current
