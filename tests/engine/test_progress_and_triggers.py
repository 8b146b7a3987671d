"""Live progress on the run row (total from the source, rate, ETA — what the API and the CLI show),
runs recorded with the trigger that started them, and a busy flow's trigger leaving a row that says so."""

from __future__ import annotations

from datetime import timedelta

from tests.engine.memory import T0, System, flow, opener
from tradewind.engine.flow import Project
from tradewind.engine.locks import FlowLease
from tradewind.engine.runner import Runner
from tradewind.engine.scheduler import Scheduler
from tradewind.engine.services import Services
from tradewind.store import runs
from tradewind.store.db import Store


def _services(store: Store, erp: System, shop: System) -> Services:
    project = Project(path="memory.yaml", connections={}, flows={"products": flow()})
    return Services(project=project, store=store, runner=Runner(store, opener=opener(erp, shop)))


def _catalogue(n: int, page_size: int) -> System:
    erp = System(page_size=page_size)
    for i in range(n):
        erp.add({"key": f"P{i:05}", "title": f"Product {i}", "sku": f"SKU-{i:05}", "price": "10.00"},
                modified=T0 + timedelta(seconds=i))
    return erp


def test_a_running_run_stores_its_total_and_shows_rate_and_eta(store: Store) -> None:
    services = _services(store, _catalogue(25, page_size=10), System())
    seen: list[tuple[dict[str, int], runs.Run]] = []

    def tell(counts: dict[str, int]) -> None:
        with store.begin() as conn:
            [running] = [r for r in runs.recent(conn, flow="products") if r.status == "running"]
        seen.append((dict(counts), running))

    result = services.run_flow("products", progress=tell)
    assert ("succeeded", 25) == (result.status, result.counts["created"])
    assert [25, 25, 25] == [counts["total"] for counts, _ in seen]  # the CLI's bar gets it with the counters
    assert [25, 25, 25] == [run.total for _, run in seen]  # stored on the row while it runs
    for counts, mid in seen:  # the row's figures are the counters the run had told
        assert mid.done == sum(counts.get(k, 0) for k in ("created", "updated", "skipped", "failed", "parked"))
    ended = services.run(result.run_id)
    assert ended is not None and (25, 25, None) == (ended.total, ended.done, ended.eta)


def test_rate_and_eta_follow_from_the_row() -> None:
    at = T0 + timedelta(seconds=40)
    run = runs.Run(id="r", flow="products", trigger="schedule", status="running", dry_run=False, started_at=T0,
                   finished_at=None, heartbeat_at=at, owner=None, received=30, created=20, updated=5, skipped=3,
                   failed=2, cursor_from=None, cursor_to=None, error=None, parked=0, total=130)
    assert (30, 0.75) == (run.done, run.rate)  # 30 records in 40 seconds
    assert at + timedelta(seconds=100 / 0.75) == run.eta  # 100 left at 0.75 a second
    assert "30/130 records · 0.75/s · ETA 10:02:53 UTC" == run.progress  # the web app's run page
    assert None is runs.Run(**{**run.__dict__, "total": None}).eta  # no total, no ETA


def test_a_replay_knows_its_total_before_it_starts(store: Store) -> None:
    erp, shop = _catalogue(4, page_size=10), System()
    shop.refuse_skus = {"SKU-00001", "SKU-00002"}
    services = _services(store, erp, shop)
    assert 2 == services.run_flow("products").counts["failed"]
    shop.refuse_skus = set()
    report = services.replay("products")
    assert report.result is not None
    ran = services.run(report.result.run_id)
    assert ran is not None and ("replay", 2, 2) == (ran.trigger, ran.total, ran.done)


def test_scheduled_runs_are_recorded_as_such_and_a_busy_flow_says_so(store: Store) -> None:
    services = _services(store, _catalogue(3, page_size=10), System())
    scheduler = Scheduler(services.project.flows, services.run_flow, waiting_for=services.waiting_for)
    scheduler._job("products")  # what the trigger calls
    [first] = services.runs(flow="products")
    assert ("schedule", "succeeded") == (first.trigger, first.status)
    with FlowLease(store, "products", "someone-else-run"):
        scheduler._job("products")  # the flow is running elsewhere: skipped, and recorded
    latest = services.runs(flow="products")[0]
    assert ("schedule", "skipped") == (latest.trigger, latest.status)
    assert latest.error is not None and "already running" in latest.error
    assert 2 == len(services.runs(flow="products"))
