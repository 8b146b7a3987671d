"""Triggers: interval and cron schedules in-process (APScheduler), one job per scheduled flow.

A trigger that finds its flow still running is skipped (the flow lease says so), never queued
behind it: the next tick reads whatever changed meanwhile. Chores (the daily retention purge, the
end of an alert window) run on their own intervals beside the flows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta

import structlog
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
                 chores: Mapping[str, Chore] | None = None) -> None:
        self.flows = flows
        self.chores = dict(chores or {})
        self.run_flow = run_flow
        self.on_result = on_result
        self.waiting_for = waiting_for
        self.scheduler = BackgroundScheduler(timezone="UTC", job_defaults={"coalesce": True, "max_instances": 1})

    def _job(self, name: str) -> None:
        waiting = self.waiting_for(name)
        if waiting is not None:
            log.info("trigger_skipped", flow=name, reason=waiting)
            return
        try:
            self.on_result(self.run_flow(name, trigger=TRIGGER))
        except FlowBusy as busy:
            log.info("trigger_skipped", flow=name, reason=str(busy))
        except TradewindError as error:
            log.error("run_not_started", flow=name, error=str(error))

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

    def jobs(self) -> list[tuple[str, str]]:
        return [(job.id, str(job.next_run_time)) for job in self.scheduler.get_jobs()]
