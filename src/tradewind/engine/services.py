"""The functions the surfaces (CLI, API, dashboard) call. Nothing here knows about terminals or HTTP."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog

from tradewind.engine import inbox
from tradewind.engine.binder import Binder
from tradewind.engine.flow import Project
from tradewind.engine.locks import FlowBusy
from tradewind.engine.runner import Progress, Runner, RunResult
from tradewind.engine.scheduler import Chore
from tradewind.errors import ConfigError
from tradewind.store import cursors as cursor_repo
from tradewind.store import failures, overview, retention, runs, snapshots, switches, transfer_search
from tradewind.store import locks as locks_repo
from tradewind.store.bindings import Binding
from tradewind.store.db import Store
from tradewind.store.failures import Failure
from tradewind.store.runs import Run, Transfer

log = structlog.get_logger("tradewind.services")


@dataclass
class Replay:
    """What a replay did: the run, and for each named key the queued records it named (none:
    not among the failed records) with their transfers' endings in the run."""

    flow: str
    total: int
    named: dict[str, list[Failure]] = field(default_factory=dict)
    result: RunResult | None = None
    endings: dict[str, Transfer] = field(default_factory=dict)
    still_queued: int = 0

    def ending(self, source_id: str) -> tuple[str, str | None]:
        """(outcome, reason) of one replayed record; ``not replayed`` when the run never ended it."""
        t = self.endings.get(source_id)
        if t is None or t.outcome is None:
            why = self.result.error if self.result and self.result.error else "the run did not reach it"
            return "not replayed", why
        return t.outcome, (f"{t.field}: {t.reason}" if t.field and t.reason else t.reason)

    @property
    def missing(self) -> list[str]:
        return [key for key, named in self.named.items() if not named]

    @property
    def ok(self) -> bool:
        """Every chosen record replayed and written or skipped, and every named key found."""
        if self.missing or (self.result is not None and self.result.status == "failed"):
            return False
        if self.result is not None and self.result.counts.get("failed", 0):
            return False
        return all(self.ending(f.source_id)[0] not in ("failed", "not replayed")
                   for named in self.named.values() for f in named)


def _done(progress: Callable[[int, int], None] | None, total: int) -> Progress | None:
    """A run's counters as records done out of ``total``."""
    if progress is None:
        return None

    def tell(counts: dict[str, int]) -> None:
        progress(sum(counts.get(k, 0) for k in ("created", "updated", "skipped", "failed")), total)

    return tell


@dataclass
class Services:
    project: Project
    store: Store
    runner: Runner
    listeners: list[Callable[[RunResult], None]] = field(default_factory=list)
    """Told of every run :meth:`run_flow` ends (alerts); a listener's error never fails the run."""
    chores: dict[str, Chore] = field(default_factory=dict)
    """Housekeeping the scheduler runs beside the flows: the daily retention purge, alert windows."""

    def __post_init__(self) -> None:
        self.chores.setdefault("retention_purge", (timedelta(days=1), self.purge))

    @classmethod
    def open(cls, project: Project, store: Store) -> Services:
        return cls(project=project, store=store, runner=Runner(store))

    def flow(self, name: str) -> Any:
        try:
            return self.project.flows[name]
        except KeyError:
            known = ", ".join(sorted(self.project.flows))
            raise ConfigError(f"no flow named {name!r}", hint=f"flows in {self.project.path}: {known}") from None

    def run_flow(self, name: str, *, trigger: str = "manual", dry_run: bool = False, full: bool = False,
                 progress: Progress | None = None, events_only: bool = False) -> RunResult:
        try:
            result = self.runner.run(self._with_detail(self.flow(name)), trigger=trigger, dry_run=dry_run,
                                     full=full, progress=progress, events_only=events_only,
                                     peers=self.project.flows.values())
        except FlowBusy as busy:
            if trigger != "manual":  # a person starting it is told; a schedule or event leaves a row saying so
                with self.store.begin() as conn:
                    runs.skipped(conn, run_id=uuid.uuid4().hex, flow=name, trigger=trigger, reason=str(busy))
            raise
        for listener in self.listeners:
            try:
                listener(result)
            except Exception as error:  # noqa: BLE001 - the run is done and stored; telling about it is extra
                log.error("listener_failed", flow=name, run_id=result.run_id, error=type(error).__name__)
        return result

    def _with_detail(self, flow: Any) -> Any:
        """``flow`` with detail logging on for the connections switched on from the API (until their time)."""
        with self.store.begin() as conn:
            on = switches.detail_until(conn)
        ends = {end: replace(getattr(flow, end), detail_log=True) for end in ("source", "target")
                if getattr(flow, end).name in on}
        return replace(flow, **ends) if ends else flow

    def run_for_events(self, name: str) -> RunResult:
        """The run a pushed event wakes: just the announced records when the source reads by id,
        else an ordinary incremental run (the cursor finds the change) — the runner decides."""
        return self.run_flow(name, trigger="webhook", events_only=True)

    def pause(self, name: str, paused: bool, *, by: str | None = None) -> None:
        """Pause (or resume) a flow: schedulers and pushed events do not start a paused flow."""
        self.flow(name)
        with self.store.begin() as conn:
            switches.set_paused(conn, name, paused, by=by)

    def paused(self) -> set[str]:
        with self.store.begin() as conn:
            return switches.paused(conn) & set(self.project.flows)

    def detail_logging(self, connection: str, days: int, *, by: str | None = None) -> datetime:
        """Keep payload snapshots of every transfer through ``connection`` for ``days`` (0 ends it now)."""
        if connection not in self.project.connections:
            raise ConfigError(f"no connection named {connection!r}")
        until = datetime.now(UTC) + timedelta(days=days)
        with self.store.begin() as conn:
            switches.set_detail(conn, connection, until, by=by)
        return until

    def detail_switches(self) -> dict[str, datetime]:
        with self.store.begin() as conn:
            return switches.detail_until(conn)

    def busy(self, name: str) -> str | None:
        """Why a run of ``name`` started now would not go ahead (running, paused, waiting), or None."""
        with self.store.begin() as conn:
            holder = locks_repo.holder(conn, name)
        if holder is not None and holder.expires_at > datetime.now(UTC):
            return f"flow {name} is already running (run {(holder.run_id or '')[:8]})"
        return self.waiting_for(name)

    def transfer(self, transfer_id: int) -> Transfer | None:
        with self.store.begin() as conn:
            return runs.get_transfer(conn, transfer_id)

    def search_transfers(self, query: transfer_search.Query) -> list[Transfer]:
        """One page of transfers matching ``query``, newest first (keyset: ``query.before``)."""
        with self.store.begin() as conn:
            return transfer_search.page(conn, query)

    def replay(self, name: str, keys: Sequence[str] | None = None, *,
               progress: Callable[[int, int], None] | None = None) -> Replay:
        """Try failed records again now, whatever their backoff: all of the flow's, or those that
        ``keys`` name (source ids or business keys, see :func:`failures.find`). One run, reading
        the chosen records from the queue a page at a time; ``progress(done, total)`` after each."""
        flow = self.flow(name)
        with self.store.begin() as conn:
            if keys is None:
                found: dict[str, list[Failure]] = {}
                ids = failures.source_ids(conn, name)
            else:
                found = failures.find(conn, name, keys, flow.target_res.natural_keys)
                ids = sorted({f.source_id for named in found.values() for f in named})
        report = Replay(flow=name, total=len(ids), named=found)
        if not ids:
            return report
        tell = _done(progress, len(ids))
        if tell is not None:
            tell({})
        report.result = self.runner.run(flow, trigger="replay", only=ids, progress=tell,
                                        peers=self.project.flows.values())
        if tell is not None:  # the run tells after each page read; the last page is written after that
            tell(report.result.counts)
        with self.store.begin() as conn:
            if found:
                ended = runs.list_transfers(conn, report.result.run_id, limit=max(1000, 2 * len(ids)))
                report.endings = {t.source_id: t for t in ended}
            report.still_queued = failures.count(conn, name)
        return report

    def receive_event(self, connection: str, resource: str, event_id: str, record_ids: Sequence[str],
                      occurred_at: datetime | None = None) -> bool:
        """Store a pushed event durably (acknowledge the vendor after this returns); False for a
        duplicate delivery. Runs of the flows reading ``connection.resource`` drain it."""
        if connection not in self.project.connections:
            raise ConfigError(f"no connection named {connection!r}")
        return inbox.receive(self.store, connection=connection, resource=resource, event_id=event_id,
                             record_ids=record_ids, occurred_at=occurred_at)

    def flows_reading(self, connection: str, resource: str) -> list[str]:
        """The flows whose source is ``connection.resource`` (the ones an event for it wakes)."""
        return [name for name, flow in self.project.flows.items()
                if flow.source.name == connection and flow.source_resource == resource]

    def waiting_for(self, name: str) -> str | None:
        """Why flow ``name`` should not start now (a flow it runs ``after`` is running, or has never
        completed a run, or it is paused), or None. Schedulers ask; a run started by hand goes ahead,
        parking what waits."""
        if name in self.paused():
            return f"flow {name} is paused"
        for dependency in self.flow(name).after:
            with self.store.begin() as conn:
                if locks_repo.holder(conn, dependency) is not None:
                    return f"waiting for flow {dependency}, which is running"
                done = [r for r in runs.recent(conn, flow=dependency, limit=20) if r.status in ("succeeded", "partial")]
            if not done:
                return f"waiting for flow {dependency}'s first completed run"
        return None

    def reset_cursor(self, name: str) -> None:
        self.flow(name)
        with self.store.begin() as conn:
            cursor_repo.reset(conn, name)

    def runs(self, *, flow: str | None = None, limit: int = 20) -> list[Run]:
        with self.store.begin() as conn:
            return runs.recent(conn, flow=flow, limit=limit)

    def run(self, run_id: str) -> Run | None:
        with self.store.begin() as conn:
            return runs.get(conn, run_id)

    def transfers(self, run_id: str, *, outcome: str | None = None) -> list[Transfer]:
        with self.store.begin() as conn:
            run = runs.get(conn, run_id)
            if run is None:
                raise ConfigError(f"no run {run_id!r}", hint="`tradewind runs` lists recent runs")
            return runs.list_transfers(conn, run.id, outcome=outcome)

    def snapshots(self, transfer_id: int) -> list[tuple[str, Any]]:
        with self.store.begin() as conn:
            return snapshots.for_transfer(conn, transfer_id)

    def history(self, flow: str, source_id: str) -> list[Transfer]:
        with self.store.begin() as conn:
            return runs.history(conn, flow, source_id)

    def failures(self, flow: str | None = None, *, key: str | None = None) -> list[Failure]:
        """The retry queue (or one flow's); with ``key``, the records that source id or business key names."""
        if key is None:
            with self.store.begin() as conn:
                return failures.all_for(conn, flow)
        names = [flow] if flow else sorted(self.project.flows)
        with self.store.begin() as conn:
            return [f for n in names for f in failures.all_for(conn, n, key=key,
                                                                key_names=self.flow(n).target_res.natural_keys)]

    def dashboard(self, days: int = 14) -> overview.Dashboard:
        """The web app's overview: each flow's last run, the last ``days`` days' volumes, what waits."""
        since = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=days - 1)
        with self.store.begin() as conn:
            return overview.dashboard(conn, sorted(self.project.flows), since)

    def runs_page(self, **query: Any) -> list[Run]:
        """Runs newest first, a page at a time (see :func:`overview.runs_page`)."""
        with self.store.begin() as conn:
            return overview.runs_page(conn, **query)

    def queued(self, flow: str | None = None) -> list[overview.Queued]:
        """The retry queue without payloads: what the failures page groups and lists."""
        with self.store.begin() as conn:
            return overview.queued(conn, flow)

    def bindings(self, **filters: Any) -> list[Binding]:
        return Binder(self.store).search(**filters)

    def forget_binding(self, binding_id: int) -> bool:
        """Forget a binding: the next run writes that record to the target anew."""
        return Binder(self.store).forget(binding_id)

    def purge(self) -> int:
        """Drop payload snapshots and queued records' payloads older than ``detail_retention_days``
        (the basic log stays). A queued record loses its payload only when its source can read it
        again by id; elsewhere the kept payload is the only way to try it again."""
        default = int(self.project.settings.get("detail_retention_days", 14))
        readable = {name for name, flow in self.project.flows.items() if inbox.readable_by_id(flow.source_res)}
        by_days: dict[int, list[str]] = {}
        for name, flow in self.project.flows.items():
            own = [d for d in (flow.source.detail_retention_days, flow.target.detail_retention_days) if d]
            by_days.setdefault(min(own, default=default), []).append(name)
        with self.store.begin() as conn:
            dropped = retention.purge_snapshots(conn, timedelta(days=default), other_than=sorted(self.project.flows))
            for days, names in sorted(by_days.items()):
                window = timedelta(days=days)
                dropped += retention.purge_snapshots(conn, window, flows=names)
                dropped += failures.purge_payloads(conn, window, flows=[n for n in names if n in readable])
        log.info("retention_purge", dropped=dropped, days=sorted(by_days) or [default])
        return dropped
