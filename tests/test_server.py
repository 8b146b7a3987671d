"""The status API that `tradewind serve` and the demo expose, over loopback HTTP."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.slice import World, start_world
from tradewind.sandboxes._serve import Served
from tradewind.server import create_api
from tradewind.store.db import Store


@pytest.fixture
def api(tmp_path: Path, sqlite_store: Store, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[World, Served]]:
    world = start_world(tmp_path, sqlite_store, monkeypatch=monkeypatch)
    with Served(create_api(world.services)) as served:
        yield world, served
    world.exact.stop()
    world.shop.stop()


def test_flows_runs_and_transfers_as_json(api: tuple[World, Served]) -> None:
    _, served = api
    flows = httpx.get(f"{served.url}/api/flows").json()
    assert {"products", "prices", "stock", "orders"} == {f["name"] for f in flows}
    assert 202 == httpx.post(f"{served.url}/api/flows/products/run").status_code
    deadline = time.monotonic() + 30
    runs: list[dict[str, object]] = []
    while time.monotonic() < deadline:
        runs = httpx.get(f"{served.url}/api/runs").json()
        if runs and runs[0]["status"] != "running":
            break
        time.sleep(0.2)
    assert "succeeded" == runs[0]["status"], runs
    transfers = httpx.get(f"{served.url}/api/runs/{runs[0]['id']}/transfers").json()
    assert transfers and {"created", "skipped"} == {t["outcome"] for t in transfers}  # service items skipped
    assert 12 == sum(t["outcome"] == "created" for t in transfers)
    assert 404 == httpx.post(f"{served.url}/api/flows/nope/run").status_code
    assert "tradewind" in httpx.get(f"{served.url}/").text
