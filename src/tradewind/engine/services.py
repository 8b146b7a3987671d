"""The functions the surfaces (CLI, API, dashboard) call. Nothing here knows about terminals or HTTP."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from tradewind.engine.binder import Binder
from tradewind.engine.flow import Project
from tradewind.engine.runner import Progress, Runner, RunResult
from tradewind.errors import ConfigError
from tradewind.store import cursors as cursor_repo
from tradewind.store import failures, runs, snapshots
from tradewind.store.bindings import Binding
from tradewind.store.db import Store
from tradewind.store.failures import Failure
from tradewind.store.runs import Run, Transfer


@dataclass
class Services:
    project: Project
    store: Store
    runner: Runner

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
                 progress: Progress | None = None) -> RunResult:
        return self.runner.run(self.flow(name), trigger=trigger, dry_run=dry_run, full=full, progress=progress)

    def replay(self, name: str, source_ids: list[str] | None = None) -> RunResult:
        """Try failed records again now, whatever their backoff (all of the flow's, or these)."""
        flow = self.flow(name)
        with self.store.begin() as conn:
            queued = [f.source_id for f in failures.all_for(conn, name)]
        chosen = source_ids if source_ids is not None else queued
        missing = sorted(set(chosen) - set(queued))
        if missing:
            raise ConfigError(f"no failed record {', '.join(missing)} in flow {name}")
        return self.runner.run(flow, trigger="replay", only=chosen)

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

    def failures(self, flow: str | None = None) -> list[Failure]:
        with self.store.begin() as conn:
            return failures.all_for(conn, flow)

    def bindings(self, **filters: Any) -> list[Binding]:
        return Binder(self.store).search(**filters)

    def forget_binding(self, binding_id: int) -> bool:
        """Forget a binding: the next run writes that record to the target anew."""
        return Binder(self.store).forget(binding_id)

    def purge_snapshots(self) -> int:
        days = int(self.project.settings.get("detail_retention_days", 14))
        with self.store.begin() as conn:
            return snapshots.purge(conn, timedelta(days=days))
