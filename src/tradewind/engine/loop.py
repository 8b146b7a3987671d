"""The run loop as named steps (DESIGN "The run loop and its promises", STYLE rule 11).

Per record: ``receive → decode → filter → map → compare_hash``; per batch: ``decide → pend →
write → bind``; per page: ``close_page`` persists skipped and failed endings and only then moves the
cursor. Each step takes transfers and the run context and either moves a transfer to its next
stage or ends it as skipped or failed with a reason. A failing record fails alone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from tradewind.connectors.base import Ambiguous, Found, NativeRecord, Page, Prebinding, Write
from tradewind.connectors.outcomes import Reported
from tradewind.engine.binder import Intent, Result
from tradewind.engine.context import RunContext
from tradewind.engine.flow import Flow
from tradewind.engine.plan import close_planned_page, plan_batch
from tradewind.engine.transfers import Outcome, Stage, Transfer
from tradewind.errors import (
    ConfigError,
    IntegrityError,
    MissingReference,
    OutcomeUnknown,
    RecordError,
    StoreUnavailable,
    TransientError,
)
from tradewind.model import Entity, Order, Product, content_hash
from tradewind.rules.products import refused_field, unmet_requirements
from tradewind.rules.stages import stage_not_reached
from tradewind.store import cursors as cursor_repo
from tradewind.store import failures, runs, snapshots
from tradewind.store.failures import Failure

Step = Callable[[Transfer, RunContext], None]
GAVE_UP = datetime(9999, 1, 1, tzinfo=UTC)
PARKED_AT_MOST = timedelta(days=1)
"""A parked record is woken by its flow's run; should that never come, it is tried again after this."""


# -- per record ----------------------------------------------------------------------------------

def decode(t: Transfer, ctx: RunContext) -> None:
    try:
        t.entity = ctx.source_res.decode(t.record.data)
    except RecordError as error:
        _refuse(t, ctx, error.message, error.field, error.record)
        return
    except ValidationError as error:
        first = error.errors()[0]
        _refuse(t, ctx, f"{first['msg']}", ".".join(str(part) for part in first["loc"]) or None)
        return
    t.keys = ctx.target_res.natural_keys_of(t.entity)
    t.natural_key = ctx.target_res.natural_key(t.entity)
    if not t.keys:
        t.fail(f"no {' or '.join(ctx.target_res.natural_keys)} to identify it in {ctx.flow.target.name}",
               ctx.target_res.natural_keys[0])
        return
    t.stage = Stage.DECODED


def _refuse(t: Transfer, ctx: RunContext, message: str, field: str | None, record: str | None = None) -> None:
    """A record the source's codec refuses fails — unless the refused field is one the flow's ``require``
    gate asks for (a variant's SKU or EAN): then the product is kept out, skipped with the reason."""
    held = refused_field(field, message, ctx.flow.require, record) if ctx.flow.require else None
    if held is not None:
        t.skip(held)
    else:
        t.fail(message, field)


def expression_context(t: Transfer, ctx: RunContext) -> dict[str, Any]:
    """What a filter's or a mapping's expressions read. The entity is dumped once per transfer (the
    filter, the mapping and an update's payload read the same one; expressions cannot change it:
    they run in an immutable sandbox)."""
    assert t.entity is not None
    if t.view is None:
        t.view = t.entity.model_dump(mode="python")
    return {ctx.flow.entity: t.view, "source": t.record.data, "record": t.native or {}}


def gate(entity: Entity, flow: Flow) -> str | None:
    """Why a flow's built-in gates keep ``entity`` out (its ``stage``, its ``require``), or None."""
    if flow.stage is not None and isinstance(entity, Order):
        return stage_not_reached(entity, flow.stage)
    if flow.require and isinstance(entity, Product):
        return unmet_requirements(entity, flow.require)
    return None


def filter_(t: Transfer, ctx: RunContext) -> None:
    assert t.entity is not None
    held = gate(t.entity, ctx.flow)
    if held is not None:
        t.skip(held)
        return
    if ctx.flow.filter is None:
        return
    try:
        keep, reason = ctx.flow.filter.evaluate(expression_context(t, ctx))
    except RecordError as error:
        t.fail(error.message, error.field)
        return
    if not keep:
        t.skip(reason)


def map_(t: Transfer, ctx: RunContext) -> None:
    encode = ctx.target_res.encode
    if encode is None:
        t.fail(f"{ctx.flow.target_resource} of {ctx.flow.target.name} cannot be written")
        return
    assert t.entity is not None
    try:
        with ctx.refs.noting() as t.needs:
            t.encoded = encode(t.entity, ctx.refs)
        t.native = t.encoded
        if ctx.flow.mapping is not None:
            t.native = ctx.flow.mapping.apply(t.encoded, expression_context(t, ctx), is_update=False)
    except MissingReference as error:
        _fail_or_park(t, ctx, error.message, error.field)
        return
    except RecordError as error:
        t.fail(error.message, error.field)
        return
    except TransientError as error:
        t.fail(f"{ctx.flow.target.name} unavailable while resolving references: {error}")
        return
    t.hash = content_hash(t.native)
    t.stage = Stage.MAPPED


def compare_hash(t: Transfer, ctx: RunContext) -> None:
    binding = t.binding
    if binding is None or binding.pending:
        return
    if binding.hash == t.hash:
        t.skip(f"unchanged since {binding.updated_at:%Y-%m-%dT%H:%MZ}")


RECORD_STEPS: list[Step] = [decode, filter_, map_, compare_hash]

STOPS_THE_RUN = (ConfigError, IntegrityError, StoreUnavailable, SQLAlchemyError)
"""Errors that concern every record (configuration, a promise at risk, the store): they end the run."""


def _guarded(step: Step, t: Transfer, ctx: RunContext) -> None:
    """A record that breaks a step in a way nobody foresaw (a value no codec expected) fails alone,
    named with the step and the error; the run goes on with the next record."""
    try:
        step(t, ctx)
    except STOPS_THE_RUN:
        raise
    except Exception as error:
        ctx.log.warning("record_step_failed", step=step.__name__.rstrip("_"), source_id=t.record.id[:80],
                        error=type(error).__name__, exc_info=True)
        t.fail(f"{step.__name__.rstrip('_')} failed on this record: {type(error).__name__}: {str(error)[:300]}")


# -- per batch -----------------------------------------------------------------------------------

def pend(batch: list[Transfer], ctx: RunContext) -> None:
    """Persist the intent to write, for the whole batch, in one short commit of its own."""
    intents = [Intent(source_id=t.record.id, natural_key=t.natural_key, flow=ctx.flow.name, epoch=ctx.epoch,
                      target_id=t.binding.target_id if t.binding and not t.binding.pending else None) for t in batch]
    with ctx.store.begin() as conn:
        ctx.binder.pend(conn, ctx.pair, intents)
    for t in batch:
        t.stage = Stage.PENDING


def decide(batch: list[Transfer], ctx: RunContext) -> list[Transfer]:
    """Create or update, by the flow's write policy. A record without a bound target id is first
    looked up by natural key (batched): that is crash recovery after an interrupted run, matching
    of records that already exist, and the promise that nothing is created twice. Returns what to write."""
    to_write: list[Transfer] = []
    unknown: list[Transfer] = []
    adopted = _adopted(batch, ctx)
    for t in batch:
        binding = t.binding
        if binding is not None and not binding.pending and binding.target_id:
            if ctx.flow.write == "create":
                t.skip("exists in the target; the flow's write policy is create")
                continue
            t.action, t.target_id = "update", binding.target_id
            known = adopted.get(t.record.id)
            t.found = known if known is not None and known.id == binding.target_id else None
            if t.found is not None and ctx.target_res.holds(t.found, payload_for(t, ctx)):
                _bind_found(t, t.found.id, ctx, f"{ctx.flow.target.name} holds these values already (as last written)")
                continue
            to_write.append(t)
        else:
            unknown.append(t)
    to_write.extend(_look_up(unknown, ctx, adopted))
    return to_write


def _adopted(batch: list[Transfer], ctx: RunContext) -> dict[str, NativeRecord]:
    """Source id → the target record an earlier write's answer named (``Prebinding``), for the
    records whose target resource adopts: found without a search, compared without a read."""
    res = ctx.target_res
    keys = {t.record.id: res.adoption_key(t.keys) for t in batch}
    wanted = sorted({k for k in keys.values() if k})
    if not wanted:
        return {}
    prebound = ctx.binder.prebound(ctx.flow.target.name, res.entity.kind, wanted)
    adopted: dict[str, NativeRecord] = {}
    for t in batch:
        kept = prebound.get(keys[t.record.id] or "")
        bound = t.binding.target_id if t.binding is not None and not t.binding.pending else None
        try:
            record = res.adopt(ctx.target.client, t.keys, kept, bound) if kept is not None else None
        except RecordError:
            record = None  # searched instead, and the search reports what is wrong
        if record is not None:
            adopted[t.record.id] = record
    return adopted


def _look_up(unknown: list[Transfer], ctx: RunContext,
             adopted: dict[str, NativeRecord] | None = None) -> list[Transfer]:
    if not unknown:
        return []
    if not ctx.target_res.searchable:
        return _unsearched(unknown, ctx)
    adopted = adopted or {}
    searched = [t for t in unknown if t.record.id not in adopted]
    answers = iter(ctx.target_res.find_many(ctx.target.client, [t.keys for t in searched]) if searched else [])
    found = [adopted[t.record.id] if t.record.id in adopted else next(answers) for t in unknown]
    claimed = ctx.binder.sources_of(ctx.pair, sorted({r.id for r in found if isinstance(r, NativeRecord)}))
    new_keys: dict[str, str] = {}
    result: list[Transfer] = []
    for t, record in zip(unknown, found, strict=True):
        if isinstance(record, Ambiguous):
            _fail_ambiguous(t, record, ctx)
            continue
        if _claimed_by_another(t, record, claimed, new_keys, ctx):
            continue
        if record is None and _not_yet_visible(t, ctx):
            _park_unknown(t, ctx, "not found yet")
            continue
        lacking = ctx.target_res.unfinished(record, payload_for(t, ctx)) if record is not None else None
        if record is not None and lacking:
            t.action, t.target_id, t.reason = "finish", record.id, f"found by {t.natural_key}: {lacking}"
            t.found = record
            result.append(t)
        elif record is not None and ctx.flow.write == "create":
            _bind_found(t, record.id, ctx, f"already in {ctx.flow.target.name} (found by {t.natural_key})")
        elif record is not None:
            t.action, t.target_id, t.found = "update", record.id, record
            if ctx.target_res.holds(record, payload_for(t, ctx)):
                _bind_found(t, record.id, ctx, f"{ctx.flow.target.name} already holds these values "
                                               f"(found by {t.natural_key})")
            else:
                result.append(t)
        elif ctx.flow.write == "update" or "create" not in ctx.target_res.can:
            _fail_or_park(t, ctx, f"not found in {ctx.flow.target.name} by {t.natural_key}; "
                                  f"{ctx.flow.target_resource} there can only be updated")
        else:
            t.action = "create"
            result.append(t)
    return result


def _unsearched(unknown: list[Transfer], ctx: RunContext) -> list[Transfer]:
    """A target that cannot be searched (a mail, once sent): a record with an unsettled intent may
    have reached it and is never written again by guess; the others are created without a look-up."""
    result: list[Transfer] = []
    for t in unknown:
        if t.binding is not None and t.binding.pending:
            _in_doubt(t, ctx)
        elif ctx.flow.write == "update" or "create" not in ctx.target_res.can:
            t.fail(f"{ctx.flow.target_resource} in {ctx.flow.target.name} cannot be searched, so nothing there "
                   "can be updated; write it with write: create")
        else:
            t.action = "create"
            result.append(t)
    return result


def _in_doubt(t: Transfer, ctx: RunContext) -> None:
    """Outcome unknown in a target that cannot be asked: failed with the resource's reason, for a person."""
    t.fail(ctx.target_res.unsettled(t.natural_key))
    t.outcome = Outcome.UNKNOWN


def _fail_or_park(t: Transfer, ctx: RunContext, reason: str, field: str | None = None) -> None:
    """A missing dependency: parked on the flow that brings it when the flow runs ``after`` one,
    else a failure like any other."""
    if ctx.flow.after:
        t.park(f"waiting for flow {ctx.flow.after[0]}: {reason}", ctx.flow.after[0])
        t.field = field
    else:
        t.fail(reason, field)


def _fail_ambiguous(t: Transfer, found: Ambiguous, ctx: RunContext) -> None:
    t.fail(f"{t.natural_key} matches several records in {ctx.flow.target.name}: {', '.join(found.candidates)}; "
           "tradewind never picks one — remove the duplicates there, or bind the record by hand",
           ctx.target_res.natural_keys[0])


def _not_yet_visible(t: Transfer, ctx: RunContext) -> bool:
    """An unsettled intent (an interrupted run, a lost answer) whose write the target may still be
    processing: a look-up that finds nothing is not yet conclusive (see ``Resource.visible_after``)."""
    binding = t.binding
    if binding is None or not binding.pending or not ctx.target_res.visible_after:
        return False
    return datetime.now(UTC) < binding.updated_at + ctx.target_res.visible_after


def _park_unknown(t: Transfer, ctx: RunContext, why: str) -> None:
    """Outcome unknown and not yet conclusive: never re-sent blindly, re-checked on a later run."""
    t.fail(f"outcome unknown: the write's answer was lost and {ctx.flow.target.name} {why} by {t.natural_key}; "
           "looked up again on a later run before anything is sent")
    t.outcome = Outcome.UNKNOWN


def _bind_found(t: Transfer, target_id: str, ctx: RunContext, why: str) -> None:
    """Bound without a write: a record the target already has (or got before an interrupted run)."""
    if t.binding is not None and t.binding.unknown:
        t.written(target_id, Outcome.CREATED)
        t.reason = f"outcome unknown, found in {ctx.flow.target.name} as {target_id} (by {t.natural_key})"
    elif t.binding is not None and t.binding.pending:
        t.written(target_id, Outcome.CREATED)
        t.reason = f"recovered: found by {t.natural_key} after an interrupted run"
    else:
        t.written(target_id, Outcome.MATCHED)
        t.reason = f"{why}; bound, not written"


def _claimed_by_another(t: Transfer, record: Found, claimed: dict[str, str], new_keys: dict[str, str],
                        ctx: RunContext) -> bool:
    """Two source records must never share one target record, or they overwrite each other: the
    first bound keeps a found record (e.g. of two warehouses fed into one shop location), and of
    two new records with one natural key in a batch the first is created, the other retried
    later, when it finds the first's record. The other fails, naming both."""
    if isinstance(record, NativeRecord):
        owner = claimed.setdefault(record.id, t.record.id)
        if owner != t.record.id:
            t.fail(f"{ctx.flow.target.name} record {record.id} (found by {t.natural_key}) is already bound to "
                   f"source record {owner}; two source records would overwrite each other — filter the flow "
                   "or map them apart", ctx.target_res.natural_keys[-1])
    else:
        owner = new_keys.setdefault(t.natural_key, t.record.id)
        if owner != t.record.id:
            t.fail(f"source record {owner} has the same {t.natural_key} and is created first; retried after it",
                   ctx.target_res.natural_keys[0])
    return owner != t.record.id


def payload_for(t: Transfer, ctx: RunContext) -> dict[str, Any]:
    """What to send: on update, the mapping applied to the connector's encoding with its
    create-only fields dropped (applied once: a ``set`` appending a suffix appends it once)."""
    assert t.native is not None
    if t.action == "update" and ctx.flow.mapping is not None and t.encoded is not None:
        return ctx.flow.mapping.apply(t.encoded, expression_context(t, ctx), is_update=True)
    return t.native


def resolve(batch: list[Transfer], ctx: RunContext) -> None:
    """Create the dependencies the batch's records still need (a new customer for an order), now
    that each record passed every other step, and encode those records again with the new ids."""
    for t in batch:
        if not t.needs or t.done:
            continue
        try:
            made = [f"{d.entity} {d.natural}" for d in t.needs if ctx.refs.create(d, needed_by=t.natural_key)]
        except (RecordError, TransientError) as error:
            t.fail(f"a {t.needs[0].entity} it needs could not be created: {error}", t.needs[0].key)
            continue
        map_(t, ctx)
        if not t.done:
            t.reason = f"with new {', '.join(made)}"


def write(batch: list[Transfer], ctx: RunContext) -> None:
    """resolve, decide, then pend what will be written (a record found already right costs no
    intent), then write in the target's batch size."""
    resolve(batch, ctx)
    batch = [t for t in batch if not t.done]
    try:
        chosen = decide(batch, ctx)
    except TransientError as error:
        for t in batch:
            t.fail(f"{ctx.flow.target.name} unavailable while looking records up: {error}")
        return
    if chosen:
        pend(chosen, ctx)
    for hook in ctx.hooks.before_write:
        hook(chosen, ctx)
    size = max(1, ctx.target_res.batch_size)
    for start in range(0, len(chosen), size):
        _write_chunk(chosen[start:start + size], ctx)
    _unprebind_failed(chosen, ctx)
    for hook in ctx.hooks.after_write:
        hook(batch, ctx)


def _write_chunk(chunk: list[Transfer], ctx: RunContext, *, settling: bool = False) -> None:
    writes = [Write(native=payload_for(t, ctx), native_id=t.target_id if t.action in ("update", "finish") else None,
                    key=t.natural_key, finish=t.action == "finish", found=t.found) for t in chunk]
    try:
        results = ctx.target_res.write_many(ctx.target.client, writes)
    except OutcomeUnknown as error:
        _settle(chunk, ctx, error, resent=settling)
        return
    except TransientError as error:
        for t in chunk:
            t.fail(f"{ctx.flow.target.name} unavailable: {error}")
        _release(chunk, ctx)
        return
    except Exception:
        _release(chunk, ctx)
        raise
    for t, result in zip(chunk, results, strict=True):
        if result.error is not None:
            t.fail(result.error.message, result.error.field)
        elif result.record is not None:
            t.answer = result.record.data
            t.written(result.record.id, Outcome.UPDATED if t.action == "update" else Outcome.CREATED)
            _as_reported(t, result.record)
    _release([t for t, result in zip(chunk, results, strict=True) if result.error is not None], ctx)


def _release(refused: list[Transfer], ctx: RunContext) -> None:
    """Creates an unsearchable target refused (anything but ``OutcomeUnknown``: nothing reached it)
    leave no intent, so their retry writes them as new instead of doubting them. A searchable
    target's intents stay: its retry looks the record up anyway."""
    if ctx.target_res.searchable or not refused:
        return
    with ctx.store.begin() as conn:
        ctx.binder.release(conn, ctx.pair, [t.record.id for t in refused if t.action == "create"])


def _as_reported(t: Transfer, record: NativeRecord) -> None:
    """A target that did other than asked says so (:class:`~tradewind.connectors.outcomes.Reported`): a
    correction booked, or a change only reported. The transfer ends as it says, so a run never reports
    "updated" for a change it did not make; a report (``matched``) is counted as skipped and bound."""
    if isinstance(record, Reported):
        t.outcome, t.reason = Outcome(record.outcome), record.reason


def _unprebind_failed(chosen: list[Transfer], ctx: RunContext) -> None:
    """An update that failed may have used an id an earlier answer told (a variant deleted in the
    shop since): what was kept for it goes, so a record not bound yet searches by natural key on
    its retry instead of adopting that id again."""
    keys = [k for t in chosen if t.stage == Stage.FAILED and t.action == "update"
            for k in [ctx.target_res.adoption_key(t.keys)] if k]
    if keys:
        ctx.binder.unprebind(ctx.flow.target.name, ctx.target_res.entity.kind, sorted(set(keys)))


def _settle(chunk: list[Transfer], ctx: RunContext, error: OutcomeUnknown, *, resent: bool) -> None:
    """A write whose answer was lost (for a bulk write: each record of it). The intents are marked
    *unknown* in their own commit, then each record is looked up in the target by natural key:
    found, it is bound (nothing re-sent); absent, and the target shows writes at once, it is sent
    again — once; not yet conclusive (or the look-up fails too), it is parked, never re-sent blindly."""
    ctx.log.warning("write_outcome_unknown", records=len(chunk), error=str(error))
    with ctx.store.begin() as conn:
        ctx.binder.mark_unknown(conn, ctx.pair, [t.record.id for t in chunk])
    if not ctx.target_res.searchable:
        for t in chunk:
            _in_doubt(t, ctx)
        return
    try:
        found = ctx.target_res.find_many(ctx.target.client, [t.keys for t in chunk])
    except TransientError as lookup:
        for t in chunk:
            _park_unknown(t, ctx, f"could not be asked ({lookup})")
        return
    again: list[Transfer] = []
    for t, record in zip(chunk, found, strict=True):
        if isinstance(record, Ambiguous):
            _fail_ambiguous(t, record, ctx)
        elif record is not None and (t.action == "create" or ctx.target_res.holds(record, payload_for(t, ctx))):
            t.answer = record.data
            t.written(record.id, Outcome.UPDATED if t.action == "update" else Outcome.CREATED)
            t.reason = f"outcome unknown, found in {ctx.flow.target.name} as {record.id} (by {t.natural_key})"
        elif resent or ctx.target_res.visible_after:
            _park_unknown(t, ctx, "does not show it yet" if not resent else "lost the answer again")
        else:
            t.found = record if record is not None else t.found  # as it stands now, when it was found
            again.append(t)
    if again:
        _write_chunk(again, ctx, settling=True)


def bind(batch: list[Transfer], ctx: RunContext) -> None:
    """Persist the results of the writes: bindings, transfer endings, snapshots, in one commit."""
    written = [t for t in batch if t.stage == Stage.WRITTEN]
    results = [Result(source_id=t.record.id, target_id=t.target_id or "", natural_key=t.natural_key,
                      hash=t.hash or "", source_version=t.record.version, flow=ctx.flow.name) for t in written]
    told: dict[bool, list[Prebinding]] = {False: [], True: []}
    for t in written:
        if t.answer is not None and t.target_id:
            fresh = t.action == "create" and t.outcome == Outcome.CREATED  # a create's answer: ids just made
            told[fresh].extend(ctx.target_res.prebinds(NativeRecord(id=t.target_id, data=t.answer),
                                                       created=t.outcome == Outcome.CREATED))
    with ctx.store.begin() as conn:
        ctx.binder.bind(conn, ctx.pair, results)
        for fresh, prebindings in told.items():
            if prebindings:  # a create's answer names ids nothing kept can share: no merge to read
                ctx.binder.prebind(conn, ctx.flow.target.name, prebindings, fresh=fresh)
        store_endings(conn, written, ctx)
        for t in written:
            if ctx.detail:
                snapshots.add(conn, t.id, "written", payload_for(t, ctx))
                snapshots.add(conn, t.id, "answer", t.answer or {})
        failures.clear(conn, ctx.flow.name, [t.record.id for t in written if t.failed_before])
    for hook in ctx.hooks.after_bind:
        hook(written, ctx)


# -- per page ------------------------------------------------------------------------------------

def open_page(page: Page, ctx: RunContext, *, replay: bool = False) -> list[Transfer]:
    """receive: a transfer per record, with bindings and earlier failures looked up for the whole
    page. A record already handled in this run (retried from the queue, then read again inside the
    overlap window) is not received twice. Its row is stored when it ends (:func:`store_endings`),
    or now when the run keeps snapshots or plans (they refer to the row from the start)."""
    records = [r for r in _once_each(page.records, ctx) if ctx.handled.get(r.id, "\0") != r.version]
    ids_ = [r.id for r in records]
    with ctx.store.begin() as conn:
        found = ctx.binder.lookup_in(conn, ctx.pair, ids_)
        earlier = failures.get_many(conn, ctx.flow.name, ids_)
    received_at = datetime.now(UTC)
    batch = [_receive(r, found.get(r.id), earlier.get(r.id), replay, received_at) for r in records]
    if replay:  # only a retried record can come again unchanged in this run
        ctx.handled.update((t.record.id, t.record.version) for t in batch)
    if ctx.detail or ctx.dry_run:
        _store_received(batch, ctx)
    ctx.counts["received"] += len(batch)
    return batch


def _store_received(batch: list[Transfer], ctx: RunContext) -> None:
    """Transfer rows of a page as received, for the snapshots (and a dry run's plan) that name them."""
    with ctx.store.begin() as conn:
        ids = runs.add_transfers(conn, [
            dict(run_id=ctx.run_id, flow=ctx.flow.name, entity=ctx.flow.entity, source_id=t.record.id,
                 stage=Stage.RECEIVED, attempt=t.attempt) for t in batch
        ])
        for t, transfer_id in zip(batch, ids, strict=True):
            t.id = transfer_id
            if ctx.detail:
                snapshots.add(conn, transfer_id, "received", t.record.data)


def store_endings(conn: Any, ended: Sequence[Transfer], ctx: RunContext) -> None:
    """How transfers ended: a row stored at receive is updated, any other inserted whole — one row
    write per record either way, so a catalogue sync's records cost one statement row each, not two.
    A run's transfers thus show as they end, with its counters, which move as each page closes."""
    runs.end_transfers(conn, [{"tid": t.id, **ending(t)} for t in ended if t.id])
    runs.add_ended(conn, [{**ending(t), "run_id": ctx.run_id, "flow": ctx.flow.name, "entity": ctx.flow.entity,
                           "source_id": t.record.id, "attempt": t.attempt, "created_at": t.received_at}
                          for t in ended if not t.id])


def _once_each(records: Sequence[NativeRecord], ctx: RunContext) -> list[NativeRecord]:
    """A record delivered twice in one page (a source that repeats itself) is received once, in
    its newest version (an older one delivered after it is not taken for a change): two transfers
    of one record would both be looked up, found absent, and written twice."""
    newest: dict[str, NativeRecord] = {}
    for record in records:
        seen = newest.get(record.id)
        if seen is None or not ctx.cursor.newer(seen.version, record.version):
            newest[record.id] = record
    return [r for r in records if newest[r.id] is r]


def _receive(record: NativeRecord, binding: Any, failure: Failure | None, replay: bool,
             received_at: datetime) -> Transfer:
    """A new transfer; a record that failed before counts its attempts on, unless it changed since."""
    t = Transfer(record=record, binding=binding, failed_before=failure is not None, received_at=received_at)
    if failure is None or failure.version != record.version:
        return t
    t.attempt = failure.attempts + 1
    if not replay and failure.next_attempt_at > datetime.now(UTC):
        t.attempt = failure.attempts
        waiting = "gave up; replay by hand" if failure.next_attempt_at == GAVE_UP else \
            f"next try after {failure.next_attempt_at:%Y-%m-%dT%H:%MZ}"
        t.skip(f"failed before ({failure.last_error}); {waiting}")
        t.keep_failure = True
    return t


@dataclass
class HeldPages:
    """Pages read, decoded and mapped but not yet written: the target's batch fills across source
    pages (60 stock rows a page in, 250 quantities a call out), and each page is closed — its
    cursor moved — only after every record of it and of the pages before it is durable."""

    pages: list[tuple[Page, list[Transfer]]] = field(default_factory=list)

    @property
    def live(self) -> list[Transfer]:
        return [t for _, batch in self.pages for t in batch if not t.done]

    @property
    def size(self) -> int:
        return sum(len(batch) for _, batch in self.pages)

    def has_any(self, page: Page) -> bool:
        """A record of ``page`` is already held (changed again during the read): write the held
        one first, so the second sees its binding and nothing is created twice."""
        held = {t.record.id for _, batch in self.pages for t in batch}
        return any(r.id in held for r in page.records)


HOLD_AT_MOST = 1000  # records held across pages, written or skipped; bounds memory and lost progress


def write_size(ctx: RunContext) -> int:
    return max(ctx.target_res.batch_size, ctx.flow.batch_size or 50)


def read_page(page: Page, ctx: RunContext, held: HeldPages, *, replay: bool = False) -> list[Transfer]:
    """receive and the per-record steps for one page; the batch steps run once enough is held."""
    if held.pages and held.has_any(page):
        flush(held, ctx)
    batch = open_page(page, ctx, replay=replay)
    steps = RECORD_STEPS[:2] if ctx.target_res.refers_to else RECORD_STEPS  # then mapped held (_map_held)
    for t in batch:
        for step in steps:
            if t.done:
                break
            _guarded(step, t, ctx)
    held.pages.append((page, batch))
    if held.size >= HOLD_AT_MOST:
        flush(held, ctx)
    elif len(held.live) >= write_size(ctx):
        flush(held, ctx, full_batches_only=True)
    return batch


def flush(held: HeldPages, ctx: RunContext, *, full_batches_only: bool = False) -> None:
    """pend → write → bind what is held, in the target's batch size; then close, in order, the
    pages whose records have all ended. With ``full_batches_only`` a last part-filled batch stays
    held for the next page to fill (a page read 60 rows at a time is not written 250 + 50)."""
    _map_held(held.live, ctx)
    live = held.live
    size = write_size(ctx)
    if ctx.dry_run:
        plan_batch(live, ctx)
        _close(held, ctx, every=True)
        return
    if full_batches_only:
        live = live[:len(live) // size * size]
    for start in range(0, len(live), size):
        part = live[start:start + size]
        write(part, ctx)
        bind(part, ctx)
    _close(held, ctx, every=not full_batches_only)


def _map_held(live: list[Transfer], ctx: RunContext) -> None:
    """map and compare_hash for records held decoded — those of a target that refers to other
    records (``Resource.refers_to``: an order's customer and products): their references are
    looked up for the whole batch at once first, however small the source's pages."""
    todo = [t for t in live if t.stage == Stage.DECODED]
    if not todo:
        return
    ctx.refs.prefetch([t.entity for t in todo if t.entity is not None])
    for t in todo:
        for step in RECORD_STEPS[2:]:
            if t.done:
                break
            _guarded(step, t, ctx)


def _close(held: HeldPages, ctx: RunContext, *, every: bool) -> None:
    """close_page for the leading pages whose records have all ended (or every page held)."""
    closed = 0
    for page, batch in held.pages:
        if not every and not all(t.done for t in batch):
            break
        close_page(page, batch, ctx)
        closed += 1
    del held.pages[:closed]


def process_page(page: Page, ctx: RunContext, *, replay: bool = False) -> list[Transfer]:
    """One page on its own, read and written."""
    held = HeldPages()
    batch = read_page(page, ctx, held, replay=replay)
    flush(held, ctx)
    return batch


COUNTED_AS = {Outcome.MATCHED: "skipped", Outcome.UNKNOWN: "failed"}
"""Outcomes the run's counters file under another: bound-not-written is a skip; an unknown
outcome waits in the retry queue like a failure (its reason says which it is)."""


def close_page(page: Page, batch: Sequence[Transfer], ctx: RunContext) -> None:
    """Persist skipped and failed endings, the retry queue and counters; then move the cursor.
    A dry run keeps its plan instead (``plan.close_planned_page``) and moves nothing."""
    if ctx.dry_run:
        close_planned_page(batch, ctx)
        return
    ended = [t for t in batch if t.stage in (Stage.SKIPPED, Stage.FAILED, Stage.PARKED)]
    counts = dict.fromkeys(("created", "updated", "skipped", "failed", "parked"), 0)
    for t in batch:
        if t.outcome is not None:
            counts[COUNTED_AS.get(t.outcome, t.outcome.value)] += 1
    with ctx.store.begin() as conn:
        store_endings(conn, ended, ctx)
        _queue_failures(conn, [t for t in batch if t.stage in (Stage.FAILED, Stage.PARKED)], ctx)
        failures.clear(conn, ctx.flow.name, [t.record.id for t in batch
                                             if t.stage == Stage.SKIPPED and t.failed_before and not t.keep_failure])
        runs.add_counts(conn, ctx.run_id, {"received": len(batch), **counts})
        if ctx.cursor.advance(page.cursor):
            assert ctx.cursor.last is not None
            cursor_repo.put(conn, ctx.flow.name, ctx.cursor.last)
    for name, amount in counts.items():
        ctx.counts[name] += amount
    if page.durable is not None:
        page.durable()
    for t in batch:
        if t.stage == Stage.FAILED:
            ctx.log.warning("transfer_failed", source_id=t.record.id, natural_key=t.natural_key, field=t.field,
                            reason=t.reason)


def ending(t: Transfer) -> dict[str, Any]:
    """How ``t`` ended, by the transfer row's ending columns (``runs.ENDING``)."""
    return {"stage": t.stage, "outcome": t.outcome, "reason": t.reason, "field": t.field,
            "target_id": t.target_id, "natural_key": t.natural_key or None}


def _queue_failures(conn: Any, failed: list[Transfer], ctx: RunContext) -> None:
    retry = ctx.flow.retry
    for t in failed:
        if t.stage == Stage.PARKED:  # waits for its flow, however long; a safety net tries it daily
            attempts, due, error = t.attempt - 1, datetime.now(UTC) + PARKED_AT_MOST, t.reason or ""
        else:
            gave_up = t.attempt >= retry.max_attempts
            attempts, due = t.attempt, GAVE_UP if gave_up else datetime.now(UTC) + retry.backoff * 2 ** (t.attempt - 1)
            error = (t.reason or "") + (f" (gave up after {t.attempt} attempts; replay by hand)" if gave_up else "")
        failures.record(
            conn, flow=ctx.flow.name, source_id=t.record.id, payload=t.record.data, version=t.record.version,
            attempts=attempts, next_attempt_at=due, error=error, run_id=ctx.run_id,
            natural_key=t.natural_key or None, parked_on=t.parked_on,
        )


def _natives(ctx: RunContext, queued: Sequence[Failure]) -> list[NativeRecord]:
    """Queued records as read; one whose payload the retention purge dropped is read again from its
    source by id (one gone from the source meanwhile stays queued, for a person to look at)."""
    gone = [f.source_id for f in queued if f.payload is None]
    fresh = {r.id: r for r in ctx.source_res.get(ctx.source.client, gone) if r is not None} if gone else {}
    return [NativeRecord(id=f.source_id, data=f.payload, version=f.version) if f.payload is not None
            else fresh[f.source_id] for f in queued if f.payload is not None or f.source_id in fresh]


def retry_pages(ctx: RunContext, *, only: Sequence[str] | None = None, size: int = 500) -> Iterator[Page]:
    """Failed records due for another try (or, on replay, the chosen ones however long they still
    wait), as pages of ``size`` that never move the cursor. Every one of them, read a page at a time:
    the queue has no cap, and keyset paging is not shifted by records that end or fail again meanwhile."""
    if only is not None:
        chosen = sorted(set(only))
        for start in range(0, len(chosen), size):
            part = chosen[start:start + size]
            with ctx.store.begin() as conn:
                found = failures.get_many(conn, ctx.flow.name, part)
            if found:
                yield Page(records=_natives(ctx, [found[i] for i in part if i in found]))
        return
    after: str | None = None
    while True:
        with ctx.store.begin() as conn:
            due = failures.due_after(conn, ctx.flow.name, after, limit=size)
        if not due:
            return
        yield Page(records=_natives(ctx, due))
        after = due[-1].source_id
