"""The REST API's behaviour: clear 4xx for bad parameters, runs started or refused with the
reason, pause honoured, failures without personal data for viewers, replay, transfers paged,
detail logging switched on for N days, and no secret in any answer."""

from __future__ import annotations

import time
from typing import Any

import httpx

from tests.api.conftest import Api


def _wait_idle(client: httpx.Client, flow: str) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        runs = client.get("/api/v1/runs", params={"flow": flow}).json()
        if runs and runs[0]["status"] != "running":
            return runs[0]  # type: ignore[no-any-return]
        time.sleep(0.1)
    raise AssertionError(f"no finished run of {flow}")


def test_bad_parameters_answer_4xx_with_what_is_wrong(api: Api) -> None:
    with api.client("viewer") as client:
        answer = client.get("/api/v1/runs", params={"limit": "abc"})
        assert 422 == answer.status_code and "limit" in str(answer.json()["detail"])
        assert 422 == client.get("/api/v1/runs", params={"limit": "0"}).status_code
        assert 422 == client.get("/api/v1/transfers", params={"since": "yesterday"}).status_code
        naive = client.get("/api/v1/transfers", params={"since": "2026-05-01T12:00:00"})
        assert 422 == naive.status_code and "time zone" in naive.text
        assert 422 == client.get("/api/v1/transfers/abc").status_code
        assert 404 == client.get("/api/v1/flows/nope").status_code
        assert 404 == client.get("/api/v1/runs/zzzz").status_code
    with api.client("operator") as client:
        assert 422 == client.post("/api/v1/flows/orders/replay", json={}).status_code
        assert 422 == client.post("/api/v1/flows/orders/replay", content=b"{not json").status_code
    with api.client("admin") as client:
        assert 422 == client.post("/api/v1/connections/shop/detail-logging", json={"days": -1}).status_code


def test_docs_and_connections_without_secrets(api: Api) -> None:
    with api.client("viewer") as client:
        assert "swagger" in client.get("/docs").text.lower()
        document = client.get("/openapi.json").json()
        assert "/api/v1/transfers" in document["paths"] and "/hooks/{connection}" in document["paths"]
        connections = client.get("/api/v1/connections")
    assert {("erp", "exact_online"), ("shop", "shopify")} == {(c["name"], c["connector"]) for c in connections.json()}
    for secret in ("demo-secret", "demo-refresh", "shpat", "E2E_", "client_id"):
        assert secret not in connections.text


def test_failures_replay_pause_and_runs_that_did_not_start(api: Api) -> None:
    world = api.world
    with api.client("operator") as operator:
        started = operator.post("/api/v1/flows/products/run")
        assert (202, True) == (started.status_code, started.json()["started"])
        assert "succeeded" == _wait_idle(operator, "products")["status"]
    world.add_orders(2, seed=5)
    world.fault(world.exact, times=2, status=400, path_contains="salesorder/SalesOrders", method="POST")
    assert 2 == world.run("orders").counts["failed"]
    with api.client("viewer") as viewer:
        seen = viewer.get("/api/v1/failures", params={"flow": "orders"})
    assert 2 == len(seen.json()) and all(f["payload"] is None for f in seen.json())
    assert "@" not in seen.text.replace("…@", "")  # no e-mail address for a viewer
    with api.client("operator") as operator:
        full = operator.get("/api/v1/failures", params={"flow": "orders"})
        assert all(f["payload"] for f in full.json()) and "@" in full.text.replace("…@", "")
        key = full.json()[0]["natural_key"] or full.json()[0]["source_id"]
        one = operator.post("/api/v1/flows/orders/replay", json={"keys": [key]}).json()
        assert (1, 1, [], 1) == (one["total"], one["counts"].get("created"), one["missing"], one["still_queued"])
        rest = operator.post("/api/v1/flows/orders/replay", json={"all": True}).json()
        assert (1, 0) == (rest["total"], rest["still_queued"])
        assert {"flow": "orders", "paused": True} == operator.post("/api/v1/flows/orders/pause").json()
        refused = operator.post("/api/v1/flows/orders/run")
        assert (409, False, "flow orders is paused") == (refused.status_code, refused.json()["started"],
                                                         refused.json()["reason"])
        assert "flow orders is paused" == world.services.waiting_for("orders")  # what the scheduler asks
        assert [True] == [f["paused"] for f in operator.get("/api/v1/flows").json() if f["name"] == "orders"]
        assert not operator.post("/api/v1/flows/orders/resume").json()["paused"]
    assert world.services.waiting_for("orders") is None
    assert 2 == len(world.exact_orders())


def test_transfers_filtered_and_paged_by_keyset(api: Api) -> None:
    api.world.run("products")
    with api.client("viewer") as client:
        everything = client.get("/api/v1/transfers", params={"flow": "products", "limit": 1000}).json()["items"]
        ids, before, pages = [], None, 0
        while True:
            params: dict[str, Any] = {"flow": "products", "limit": 5, **({"before": before} if before else {})}
            page = client.get("/api/v1/transfers", params=params).json()
            ids += [t["id"] for t in page["items"]]
            pages += 1
            before = page["next_before"]
            if before is None:
                break
        assert [t["id"] for t in everything] == ids and pages > 2
        created = client.get("/api/v1/transfers", params={"flow": "products", "outcome": "created"}).json()["items"]
        assert created and {"created"} == {t["outcome"] for t in created}
        key = created[0]["natural_key"]
        assert [created[0]["id"]] == [t["id"] for t in client.get(
            "/api/v1/transfers", params={"key": key, "outcome": "created"}).json()["items"]]
        future = client.get("/api/v1/transfers", params={"since": "2999-01-01T00:00:00Z"}).json()
        assert [] == future["items"]
        one = client.get(f"/api/v1/transfers/{created[0]['id']}").json()
        assert created[0] == one


def test_detail_logging_for_n_days_keeps_snapshots_for_operators(api: Api) -> None:
    with api.client("admin") as admin:
        until = admin.post("/api/v1/connections/erp/detail-logging", json={"days": 2}).json()["until"]
        assert until > "2026"
        assert [True] == [c["detail_log"] for c in admin.get("/api/v1/connections").json() if c["name"] == "erp"]
    result = api.world.services.run_flow("products", full=True)
    with api.client("operator") as operator:
        page = operator.get("/api/v1/transfers", params={"run": result.run_id}).json()["items"]
        snapshots = operator.get(f"/api/v1/transfers/{page[0]['id']}/snapshots").json()
    assert snapshots and {"stage", "payload"} == set(snapshots[0])
    with api.client("viewer") as viewer:
        assert 403 == viewer.get(f"/api/v1/transfers/{page[0]['id']}/snapshots").status_code
    with api.client("admin") as admin:
        admin.post("/api/v1/connections/erp/detail-logging", json={"days": 0})
    assert "erp" not in api.world.services.detail_switches()
