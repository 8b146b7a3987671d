"""``/metrics`` in Prometheus' text format, computed from the store on each scrape (a custom
collector): the figures are the runs' own counts, the same in every process serving the API.

API calls and 429s are this process's own counts (:mod:`tradewind.connectors.calls`, kept by the
transport every connector calls through), by connection and its system account: a scrape of each
process adds them up, as Prometheus counters do.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from tradewind.api.accounts import Principal
from tradewind.api.models import AUTH_RESPONSES
from tradewind.api.security import Require
from tradewind.connectors import calls
from tradewind.engine.services import Services
from tradewind.errors import TradewindError
from tradewind.store import watch

router = APIRouter()
Viewer = Annotated[Principal, Depends(Require("viewer"))]


class StoreCollector(Collector):
    """Every metric family, read from the store when collected."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.accounts = accounts(services)

    def collect(self) -> Iterator[Metric]:
        flows = sorted(self.services.project.flows)
        with self.services.store.begin() as conn:
            runs = watch.runs_by_status(conn)
            outcomes = watch.transfers_by_outcome(conn)
            completed = watch.last_completed(conn)
            depths = watch.inbox_depths(conn)
            queued = watch.queued(conn)
            budgets = watch.budgets(conn)
        yield _counter("tradewind_runs", "Runs ended or running, by flow and status (dry runs left out)",
                       ["flow", "status"], runs)
        yield _counter("tradewind_transfers", "Records handled by runs, by flow and outcome",
                       ["flow", "outcome"], outcomes)
        lag = GaugeMetricFamily("tradewind_seconds_since_last_completed_run",
                                "Seconds since the flow's last succeeded or partial run finished", labels=["flow"])
        stamp = datetime.now(UTC)
        for flow in flows:
            if flow in completed:
                lag.add_metric([flow], (stamp - completed[flow]).total_seconds())
        yield lag
        connections = sorted(set(self.services.project.connections) | set(depths))
        yield _gauge("tradewind_inbox_depth", "Pushed events waiting, by connection", ["connection"],
                     {(name,): depths.get(name, 0) for name in connections})
        yield _gauge("tradewind_queued_records", "Records in the retry queue by flow and state (failed, parked)",
                     ["flow", "state"], {(f, s): queued.get((f, s), 0) for f in flows for s in ("failed", "parked")})
        yield from self.calls()
        yield _gauge("tradewind_call_budget_remaining", "Calls left in a system account's window",
                     ["account", "window"], {(b.account, b.window): b.remaining for b in budgets})


    def calls(self) -> Iterator[Metric]:
        made, limited = calls.COUNTERS.snapshot()
        labels = ["connection", "account"]
        for name, doc, counts in (("tradewind_api_calls", "Calls made to vendors by this process", made),
                                  ("tradewind_api_rate_limited", "429 answers vendors gave this process", limited)):
            rows: dict[tuple[str, ...], int] = {}
            for account, connections in self.accounts.items():
                for connection in connections:
                    rows[connection, account] = counts.get(account, 0)
            for account in set(counts) - set(self.accounts):
                rows["", account] = counts[account]
            family = CounterMetricFamily(name, doc, labels=labels)
            for key, value in sorted(rows.items()):
                family.add_metric(list(key), value)
            yield family


def accounts(services: Services) -> dict[str, list[str]]:
    """System account → the project's connections on it (a connector names its account)."""
    found: dict[str, list[str]] = {}
    for name, connection in sorted(services.project.connections.items()):
        try:
            connector = connection.open()
        except TradewindError:
            continue
        try:
            found.setdefault(connector.account_key(), []).append(name)
        finally:
            connector.close()
    return found


def _counter(name: str, doc: str, labels: list[str], values: dict[tuple[str, str], int]) -> Metric:
    family = CounterMetricFamily(name, doc, labels=labels)
    for key, value in sorted(values.items()):
        family.add_metric(list(key), value)
    return family


def _gauge(name: str, doc: str, labels: list[str], values: dict[tuple[str, ...], int]) -> Metric:
    family = GaugeMetricFamily(name, doc, labels=labels)
    for key, value in sorted(values.items()):
        family.add_metric(list(key), value)
    return family


def registry(services: Services) -> CollectorRegistry:
    found = CollectorRegistry(auto_describe=False)
    found.register(StoreCollector(services))
    return found


@router.get("/metrics", tags=["metrics"], response_class=Response, responses=AUTH_RESPONSES)
def metrics(request: Request, who: Viewer) -> Response:
    """Prometheus' text format; scrape with a viewer's API token (``bearer_token`` in the scrape config)."""
    state = request.app.state
    if getattr(state, "metrics", None) is None:
        state.metrics = registry(state.services)
    return Response(generate_latest(state.metrics), media_type=CONTENT_TYPE_LATEST)
