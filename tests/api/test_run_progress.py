"""``GET /api/v1/runs/{id}`` shows a run's progress figures as stored on its row (what the web
app's run page shows too): total, records done, rate, ETA."""

from __future__ import annotations

from tests.api.conftest import Api


def test_a_run_shows_its_total_and_what_is_done(api: Api) -> None:
    world = api.world
    world.run("products")
    world.add_orders(2, seed=33)
    world.fault(world.exact, times=2, status=400, path_contains="salesorder/SalesOrders", method="POST")
    assert 2 == world.run("orders").counts["failed"]
    report = world.services.replay("orders")  # a replay knows its total before it starts
    assert report.result is not None
    stored = world.services.run(report.result.run_id)
    assert stored is not None
    with api.client("viewer") as viewer:
        shown = viewer.get(f"/api/v1/runs/{report.result.run_id}").json()
    assert (2, 2) == (shown["total"], shown["done"])
    assert (stored.total, stored.done, stored.rate, None) == (shown["total"], shown["done"], shown["rate"],
                                                              shown["eta"])  # ended: no ETA
