"""``/metrics`` after real runs: parsed with prometheus-client's own parser, each figure is what
the runs did (counts per outcome, runs per status, the retry queue, the inbox, the lag)."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from tests.api.conftest import Api


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def test_metrics_match_what_the_runs_did(api: Api) -> None:
    world = api.world
    products = world.run("products")
    world.add_orders(3, seed=21)
    world.fault(world.exact, times=2, status=400, path_contains="salesorder/SalesOrders", method="POST")
    orders = world.run("orders")
    assert (1, 2) == (orders.counts.get("created"), orders.counts.get("failed"))
    assert world.services.receive_event("shop", "orders", "evt-metrics-1", ["1"])
    with api.client("viewer") as viewer:
        answer = viewer.get("/metrics")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/plain")
    got = _samples(answer.text)

    def value(name: str, **labels: str) -> float:
        return got[(name, tuple(sorted(labels.items())))]

    assert 1 == value("tradewind_runs_total", flow="orders", status="partial")
    assert 1 == value("tradewind_runs_total", flow="products", status=products.status)
    assert products.counts["created"] == value("tradewind_transfers_total", flow="products", outcome="created")
    assert 1 == value("tradewind_transfers_total", flow="orders", outcome="created")
    assert 2 == value("tradewind_transfers_total", flow="orders", outcome="failed")
    assert 2 == value("tradewind_queued_records", flow="orders", state="failed")
    assert 0 == value("tradewind_queued_records", flow="orders", state="parked")
    assert 1 == value("tradewind_inbox_depth", connection="shop")
    assert 0 == value("tradewind_inbox_depth", connection="erp")
    assert 0 <= value("tradewind_seconds_since_last_completed_run", flow="orders") < 3600
    assert ("tradewind_seconds_since_last_completed_run", (("flow", "stock"),)) not in got  # never ran
    with api.client() as anonymous:
        assert 401 == anonymous.get("/metrics").status_code
