"""Dry runs: read and map, write nothing, and say what a real run would do (like ``terraform plan``).

Every record read gets a line: create, update (with the field differences, in canonical terms: the
target's current record decoded and compared with what would be written), skip, fail or parked, with
the reason the real run would give. The run's row keeps the planned counts (``created`` is "would
create") and stays marked ``dry_run``; no binding, cursor, failure or target record is touched.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tradewind.connectors.base import NativeRecord
from tradewind.engine.context import RunContext
from tradewind.engine.transfers import Outcome, Stage, Transfer
from tradewind.errors import TransientError
from tradewind.mapping import FieldChange, diff
from tradewind.store import runs

ACTIONS = ("create", "update", "skip", "fail", "parked")
"""The planned actions, in the order the CLI counts them."""

COUNTER = {"create": "created", "update": "updated", "skip": "skipped", "fail": "failed", "parked": "parked"}
"""Which of the run's counters a planned action is counted in."""


@dataclass(frozen=True)
class PlanLine:
    """One record of the plan as a reader sees it."""

    action: str
    source_id: str
    natural_key: str
    reason: str
    changes: Sequence[FieldChange] = ()


def plan_batch(batch: list[Transfer], ctx: RunContext) -> None:
    """Decide each live transfer's action as ``write`` would, without resolve, pend, write or bind."""
    from tradewind.engine.loop import decide  # the same decision the real run takes

    try:
        chosen = decide(batch, ctx)
        current = _current_records(chosen, ctx)
    except TransientError as error:
        for t in batch:
            if not t.done:
                t.fail(f"{ctx.flow.target.name} unavailable while looking records up: {error}")
        return
    for t in chosen:
        before = current.get(t.record.id)
        if t.action == "update" and before is not None and t.entity is not None:
            t.changes = diff(before, t.entity.model_dump(mode="json"))
            if not t.changes:
                t.skip(f"{ctx.flow.target.name} already holds these values (no field differs)")
                continue
        t.outcome = Outcome.PLANNED
        t.reason = t.reason if t.action == "finish" else t.action


def close_planned_page(batch: Sequence[Transfer], ctx: RunContext) -> None:
    """A dry run's ``close_page``: every record's planned ending kept on its transfer row, the
    planned counts added to the run's counters, the records added to the plan. Nothing else."""
    counts = dict.fromkeys(COUNTER.values(), 0)
    for t in batch:
        counts[COUNTER[action_of(t)]] += 1
    with ctx.store.begin() as conn:
        runs.end_transfers(conn, [{"tid": t.id, **_ending(t)} for t in batch])
        runs.add_counts(conn, ctx.run_id, {"received": len(batch), **counts})
    for name, amount in counts.items():
        ctx.counts[name] += amount
    ctx.plan.extend(batch)


def action_of(t: Transfer) -> str:
    """The planned action: what the real run would do with the record."""
    if t.outcome == Outcome.PLANNED:  # finishing a found record creates what it lacks
        return "create" if t.action == "finish" else t.action or "create"
    if t.stage == Stage.PARKED:
        return "parked"
    if t.stage == Stage.FAILED or t.outcome == Outcome.UNKNOWN:
        return "fail"
    return "skip"  # filtered, unchanged, waiting for its retry, or found already right (bound, not written)


def line_of(t: Transfer, target: str) -> PlanLine:
    """The plan line of a transfer; ``target`` names the connection written to."""
    action = action_of(t)
    return PlanLine(action=action, source_id=t.record.id, natural_key=t.natural_key,
                    reason=_reason(t, action, target), changes=tuple(t.changes))


def lines(plan: Sequence[Transfer], target: str) -> list[PlanLine]:
    return [line_of(t, target) for t in plan]


def counts(plan: Sequence[PlanLine]) -> dict[str, int]:
    """Records per planned action, every action named (zero when none)."""
    found = dict.fromkeys(ACTIONS, 0)
    for line in plan:
        found[line.action] += 1
    return found


def _reason(t: Transfer, action: str, target: str) -> str:
    if t.action == "finish" and action == "create":
        why = f"{target} record {t.target_id} {t.reason}"
    elif action == "create":
        why = f"not in {target}" + (f" (none found by {t.natural_key})" if t.natural_key else "")
    elif action == "update":
        bound = t.binding is not None and not t.binding.pending and t.binding.target_id == t.target_id
        why = f"{target} record {t.target_id} " + ("(bound)" if bound else f"(found by {t.natural_key})")
    else:
        reason = t.reason or ""
        return f"{t.field}: {reason}" if t.field and action == "fail" else reason
    needs = [f"{d.entity} {d.natural}" for d in getattr(t, "needs", None) or []]
    return why + (f"; creating {', '.join(needs)} first" if needs else "")


def _ending(t: Transfer) -> dict[str, Any]:
    """The transfer row's ending; a record found already right is a planned skip, never 'written'."""
    from tradewind.engine.loop import ending

    row = ending(t)
    if t.stage == Stage.WRITTEN:
        row.update(stage=Stage.SKIPPED, outcome=Outcome.SKIPPED)
    return row


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
