"""`tradewind serve`'s application over loopback HTTP: a token starts a run and reads its transfers."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from rich.console import Console

from tests.e2e.slice import World, start_world
from tradewind.api import Accounts, create_app
from tradewind.sandboxes._serve import Served
from tradewind.server import scheduler_for
from tradewind.store.db import Store


@pytest.fixture
def api(tmp_path: Path, sqlite_store: Store, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[World, Served]]:
    world = start_world(tmp_path, sqlite_store, monkeypatch=monkeypatch)
    with Served(create_app(world.services, scheduler_for(world.services, Console(quiet=True)))) as served:
        yield world, served
    world.exact.stop()
    world.shop.stop()


def test_a_token_starts_a_run_and_reads_its_transfers(api: tuple[World, Served]) -> None:
    world, served = api
    token = Accounts(world.services.store).create_token("ci", "operator")
    client = httpx.Client(base_url=served.url, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    flows = client.get("/api/v1/flows").json()
    assert {"products", "prices", "stock", "orders"} == {f["name"] for f in flows}
    assert {"flow": "products", "started": True, "reason": None} == client.post("/api/v1/flows/products/run").json()
    deadline = time.monotonic() + 30
    runs: list[dict[str, object]] = []
    while time.monotonic() < deadline:
        runs = client.get("/api/v1/runs").json()
        if runs and runs[0]["status"] != "running":
            break
        time.sleep(0.2)
    assert "succeeded" == runs[0]["status"], runs
    page = client.get("/api/v1/transfers", params={"run": runs[0]["id"]}).json()
    assert {"created", "skipped"} == {t["outcome"] for t in page["items"]}  # service items skipped
    assert 12 == sum(t["outcome"] == "created" for t in page["items"])
    assert 404 == client.post("/api/v1/flows/nope/run").status_code
    assert "products" in client.get("/", headers={"Accept": "text/html"}).text
    assert 401 == httpx.get(f"{served.url}/api/v1/flows").status_code
