"""Triggers: interval and cron schedules in-process (APScheduler), one job per scheduled flow.

A trigger that finds its flow still running is skipped (the flow lease says so), never queued
behind it: the next tick reads whatever changed meanwhile. A trigger that finds a flow it runs
``after`` still running (or never completed) is different: skipping it until the next tick would
starve a flow on the same interval as its dependency (every tick finds the dependency just
starting). So it is deferred, and when a run of that dependency completes (succeeded or partial —
a failed one leaves it to its own next tick, so a failing dependency cannot drive it in a loop) its
job is moved to now with APScheduler's ``modify_job``: the same job, so still one run at a time
(``max_instances=1``) and several completions before it starts still make one run. Runs started
elsewhere (webhooks, the API) count when the scheduler hears the services' ``listeners``. Between
that move and the flow's start, :meth:`give_way` tells event-driven starts of the dependency to wait,
so a stream of webhook runs cannot take the dependency again before the deferred flow has started.
Chores (the daily retention purge, the end of an alert window) run on their own intervals beside
the flows.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta

import structlog
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from tradewind.engine.flow import Flow
from tradewind.engine.locks import FlowBusy
from tradewind.engine.runner import RunResult
from tradewind.errors import TradewindError

log = structlog.get_logger("tradewind.scheduler")

RunFlow = Callable[..., RunResult]
"""``run_flow(name, trigger="schedule")``: the run is recorded with the trigger that started it."""
TRIGGER = "schedule"
COMPLETED = ("succeeded", "partial")
"""A dependency's run ending so lets the flows deferred behind it go."""
Chore = tuple[timedelta, Callable[[], object]]
"""How often, and what: a housekeeping job that is no flow's run."""


def trigger_for(flow: Flow) -> IntervalTrigger | CronTrigger | None:
    if flow.schedule.interval is not None:
        return IntervalTrigger(seconds=flow.schedule.interval.total_seconds(), timezone="UTC")
    if flow.schedule.cron is not None:
        return CronTrigger.from_crontab(flow.schedule.cron, timezone="UTC")
    return None


class Scheduler:
    """Runs each enabled, scheduled flow on its trigger; ``on_result`` hears every run's end."""

    def __init__(self, flows: dict[str, Flow], run_flow: RunFlow,
                 on_result: Callable[[RunResult], None] = lambda result: None,
                 waiting_for: Callable[[str], str | None] = lambda name: None,
                 chores: Mapping[str, Chore] | None = None,
                 listeners: list[Callable[[RunResult], None]] | None = None) -> None:
        """``listeners``: the list told of every run of this process (``Services.listeners``); the
        scheduler joins it to hear dependencies' runs it did not start. Without it, only its own."""
        self.flows = flows
        self.chores = dict(chores or {})
        self.run_flow = run_flow
        self.on_result = on_result
        self.waiting_for = waiting_for
        self.scheduler = BackgroundScheduler(timezone="UTC", job_defaults={
            "coalesce": True, "max_instances": 1, "misfire_grace_time": None})
        self.deferred: set[str] = set()
        """Flows skipped for a dependency, run again when one of their dependencies' runs completes."""
        self._lock = threading.Lock()  # a dependency ending between the check and the deferral is not missed
        self.due: set[str] = set()
        """Deferred flows whose job was moved to now and has not started yet (see :meth:`give_way`)."""
        self._hearing = False
        if listeners is not None:
            self.hear(listeners)

    def hear(self, listeners: list[Callable[[RunResult], None]]) -> None:
        """Be told of every run ``listeners`` hears (the services'), not only the scheduler's own."""
        if self.run_ended not in listeners:
            listeners.append(self.run_ended)
        self._hearing = True

    def give_way(self, name: str) -> str | None:
        """Why an event-driven run of ``name`` should wait a moment: a flow deferred behind it is about
        to start (its job moved to now). None otherwise; cleared when that flow's job starts or stops."""
        with self._lock:
            due = sorted(d for d in self.due if name in self.flows[d].after)
        return f"flow {due[0]}, which runs after {name}, starts first" if due else None

    def _job(self, name: str) -> None:
        with self._lock:
            self.due.discard(name)
            waiting = self.waiting_for(name)
            if waiting is not None and self.flows[name].after:
                self.deferred.add(name)
        if waiting is not None:
            log.info("trigger_skipped", flow=name, reason=waiting, deferred=name in self.deferred)
            return
        try:
            result = self.run_flow(name, trigger=TRIGGER)
            if not self._hearing:  # else the services' listeners told it already
                self.run_ended(result)
            self.on_result(result)
        except FlowBusy as busy:
            log.info("trigger_skipped", flow=name, reason=str(busy))
        except TradewindError as error:
            log.error("run_not_started", flow=name, error=str(error))

    def run_ended(self, result: RunResult) -> None:
        """A run ended: when it completed, the flows deferred behind its flow run now (once each)."""
        if result.status not in COMPLETED or not self.scheduler.running:
            return
        with self._lock:
            due = sorted(n for n in self.deferred if result.flow in self.flows[n].after)
            self.deferred.difference_update(due)
        for name in due:
            try:
                with self._lock:
                    self.scheduler.modify_job(name, next_run_time=datetime.now(UTC))
                    self.due.add(name)
            except JobLookupError:  # not scheduled (stopped, or never started): its next start decides
                continue
            log.info("trigger_requeued", flow=name, after=result.flow, run_id=result.run_id)

    def start(self, *, run_now: bool = True) -> None:
        for name, flow in self.flows.items():
            trigger = trigger_for(flow)
            if trigger is None or not flow.enabled:
                continue
            first = {"next_run_time": datetime.now(UTC)} if run_now else {}  # None would pause the job
            self.scheduler.add_job(self._job, trigger, args=[name], id=name, name=name, **first)
        for name, (every, chore) in self.chores.items():
            self.scheduler.add_job(self._chore, IntervalTrigger(seconds=every.total_seconds(), timezone="UTC"),
                                   args=[name, chore], id=f"chore:{name}", name=name)
        self.scheduler.start()

    def _chore(self, name: str, chore: Callable[[], object]) -> None:
        try:
            chore()
        except Exception as error:  # noqa: BLE001 - a failed chore is logged and tried on its next tick
            log.error("chore_failed", chore=name, error=type(error).__name__)

    def stop(self) -> None:
        self.scheduler.shutdown(wait=True)
        with self._lock:
            self.due.clear()  # nothing will start them now: event-driven runs need not wait

    def jobs(self) -> list[tuple[str, str]]:
        return [(job.id, str(job.next_run_time)) for job in self.scheduler.get_jobs()]
