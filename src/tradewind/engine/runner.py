"""One run of a flow from start to finish: lease, connections, retry queue, pages, endings."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import structlog
from sqlalchemy.exc import SQLAlchemyError

from tradewind.connectors.base import PRIORITY_BY_ENTITY, Connector, Page, Priority
from tradewind.connectors.http import write_fence
from tradewind.connectors.pacing import priority
from tradewind.engine.binder import Binder
from tradewind.engine.context import Hooks, RunContext
from tradewind.engine.cursors import Cursor
from tradewind.engine.flow import Flow
from tradewind.engine.heap import frozen_heap
from tradewind.engine.inbox import covered_by_the_read, inbox_pages, readable_by_id
from tradewind.engine.locks import FlowLease
from tradewind.engine.loop import HeldPages, flush, read_page, retry_pages
from tradewind.engine.refs import TargetRefs
from tradewind.engine.transfers import Transfer
from tradewind.errors import StoreUnavailable, TradewindError
from tradewind.store import cursors as cursor_repo
from tradewind.store import failures, runs
from tradewind.store.budgets import StoreBudgets
from tradewind.store.db import Store
from tradewind.store.staging import StoreStaging
from tradewind.store.tally import StoreTally
from tradewind.store.tokens import StoreTokens

log = structlog.get_logger("tradewind.run")

Progress = Callable[[dict[str, int]], None]


@dataclass
class RunResult:
    run_id: str
    flow: str
    status: str
    counts: dict[str, int] = field(default_factory=dict)
    cursor_from: str | None = None
    cursor_to: str | None = None
    error: str | None = None
    plan: list[Transfer] = field(default_factory=list)
    dry_run: bool = False


@dataclass
class Runner:
    """Runs flows against one store. ``opener`` opens a connection (tests inject transports)."""

    store: Store
    hooks: Hooks = field(default_factory=Hooks)
    opener: Callable[..., Connector] | None = None

    def open(self, flow: Flow, which: str) -> Connector:
        connection = flow.source if which == "source" else flow.target
        if self.opener is not None:
            return self.opener(connection)
        return connection.open(tokens=StoreTokens(self.store), ledger=StoreBudgets(self.store),
                               staging=StoreStaging(self.store), tally=StoreTally(self.store))

    def run(self, flow: Flow, *, trigger: str = "manual", dry_run: bool = False, full: bool = False,
            only: list[str] | None = None, progress: Progress | None = None,
            events_only: bool = False, peers: Iterable[Flow] = ()) -> RunResult:
        """Run ``flow`` once: failed records due again, records pushed events announced (the
        inbox), then the source's changes since the cursor. ``full`` reads from the beginning
        (records the cursor missed are caught; unchanged ones still cost no write); ``only``
        replays just these failed source records; ``events_only`` reads just the inbox (a run
        woken by a webhook); ``peers``, the project's flows, say whose bindings may answer the
        references of records written (:class:`tradewind.engine.refs.TargetRefs`)."""
        run_id = uuid.uuid4().hex
        try:
            with FlowLease(self.store, flow.name, run_id) as lease, frozen_heap():
                return self._run_leased(flow, run_id, lease, trigger=trigger, dry_run=dry_run, full=full,
                                        only=only, progress=progress, events_only=events_only, peers=peers)
        except SQLAlchemyError as error:
            raise self.unavailable(error) from None

    def unavailable(self, error: SQLAlchemyError) -> StoreUnavailable:
        """One line naming the database and what to do; no parameters, no traceback."""
        cause = type(getattr(error, "orig", None) or error).__name__
        return StoreUnavailable(
            f"the database {self.store.safe_url} cannot be reached ({cause}); "
            "nothing more was written. Check that it is running and reachable, then run again: "
            "the run continues from what was stored")

    def _run_leased(self, flow: Flow, run_id: str, lease: FlowLease, *, trigger: str, dry_run: bool, full: bool,
                    only: list[str] | None, progress: Progress | None, events_only: bool,
                    peers: Iterable[Flow]) -> RunResult:
        with self.store.begin() as conn:
            stored = None if full else cursor_repo.get(conn, flow.name)
            runs.interrupt_stale(conn, flow.name, except_run=run_id)
            runs.start(conn, run_id=run_id, flow=flow.name, trigger=trigger, dry_run=dry_run, owner=lease.owner,
                       cursor_from=stored, total=len(only) if only is not None else None)
        source, target = self.open(flow, "source"), self.open(flow, "target")
        ctx = RunContext(flow=flow, run_id=run_id, store=self.store, binder=Binder(self.store), source=source,
                         target=target, cursor=Cursor(kind=flow.source_res.cursor, stored=stored), dry_run=dry_run,
                         full=full, hooks=self.hooks, log=log.bind(run_id=run_id[:8], flow=flow.name))
        ctx.refs = TargetRefs(ctx, peers)
        ctx.epoch = lease.epoch
        ctx.events_only = events_only
        ctx.total = len(only) if only is not None else None
        ctx.log.info("run_started", trigger=trigger, dry_run=dry_run, cursor=ctx.cursor.start)
        status, error = "succeeded", None
        fence = write_fence.set(None if dry_run else lease.fence)
        try:
            with priority(PRIORITY_BY_ENTITY.get(flow.entity, Priority.LOW)):
                self._pages(ctx, lease, only, progress)
            status = "partial" if ctx.counts["failed"] else "succeeded"
        except SQLAlchemyError as exc:
            raise self.unavailable(exc) from None
        except StoreUnavailable:
            raise
        except TradewindError as exc:
            status, error = "failed", str(exc)
            ctx.log.error("run_failed", error=error)
        finally:
            write_fence.reset(fence)
            source.close()
            target.close()
        with self.store.begin() as conn:
            runs.finish(conn, run_id, status=status, cursor_to=ctx.cursor.last or ctx.cursor.stored, error=error)
            woken = 0 if dry_run or status == "failed" else failures.wake(conn, flow.name)
        if woken:
            ctx.log.info("parked_woken", records=woken)
        ctx.log.info("run_finished", status=status, **dict(ctx.counts))
        return RunResult(run_id=run_id, flow=flow.name, status=status, counts=dict(ctx.counts), error=error,
                         cursor_from=ctx.cursor.stored, cursor_to=ctx.cursor.last or ctx.cursor.stored,
                         plan=ctx.plan, dry_run=dry_run)

    def _pages(self, ctx: RunContext, lease: FlowLease, only: list[str] | None, progress: Progress | None) -> None:
        held = HeldPages()
        for page in retry_pages(ctx, only=only):
            lease.fence()
            read_page(page, ctx, held, replay=True)
            _tell(progress, ctx)
        flush(held, ctx)
        if only is not None:
            return
        for page in inbox_pages(ctx):
            lease.fence()
            read_page(page, ctx, held)
            _tell(progress, ctx)
        flush(held, ctx)
        if ctx.events_only and readable_by_id(ctx.source_res):
            return
        settle_events = None if ctx.dry_run or readable_by_id(ctx.source_res) else covered_by_the_read(ctx)
        for page in ctx.source_res.pages(ctx.source.client, ctx.cursor.start):
            lease.fence()
            _announce(ctx, page)
            read_page(page, ctx, held)
            _tell(progress, ctx)
        flush(held, ctx)
        if settle_events is not None:
            settle_events()


def _announce(ctx: RunContext, page: Page) -> None:
    """The first source page that knows the read's size sets the run's total (records before it included)."""
    if page.total is None or ctx.total is not None:
        return
    ctx.total = ctx.counts["received"] + page.total
    with ctx.store.begin() as conn:
        runs.set_total(conn, ctx.run_id, ctx.total)


def _tell(progress: Progress | None, ctx: RunContext) -> None:
    """The counters so far, with ``total`` when the run knows it."""
    if progress is not None:
        progress({**ctx.counts, **({"total": ctx.total} if ctx.total is not None else {})})


def describe(result: RunResult) -> dict[str, Any]:
    return {"run": result.run_id[:8], "flow": result.flow, "status": result.status, **result.counts}
