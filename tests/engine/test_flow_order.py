"""Flows that depend on flows: `after` is checked, schedules wait, and records whose dependency is
missing are parked — not failed — and tried again by themselves once that flow has run."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.slice import World, start_world
from tradewind.engine.project import validate
from tradewind.store.db import Store
from tradewind.store.runs import list_transfers


@pytest.fixture
def world(tmp_path: Path, store: Store, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    w = start_world(tmp_path, store, products=6, monkeypatch=monkeypatch)
    yield w
    w.exact.stop()
    w.shop.stop()


def test_prices_before_products_are_parked_then_written_after_the_products_flow(world: World, store: Store) -> None:
    early = world.run("prices")
    assert (0, 0) == (early.counts.get("failed", 0), early.counts.get("updated", 0)), early
    assert early.counts["parked"] > 0, early
    with store.begin() as conn:
        parked = [t for t in list_transfers(conn, early.run_id) if t.outcome == "parked"]
    assert parked and all("waiting for flow products" in (t.reason or "") for t in parked)
    assert "waiting for flow products's first completed run" == world.services.waiting_for("prices")
    assert "succeeded" == world.run("products").status
    assert world.services.waiting_for("prices") is None
    later = world.run("prices")
    assert (0, 0) == (later.counts.get("failed", 0), later.counts.get("parked", 0)), later
    assert later.counts.get("updated", 0) + later.counts.get("skipped", 0) >= len(parked)
    assert [] == world.services.failures("prices")


def test_the_scheduler_skips_a_flow_whose_dependency_runs(world: World, store: Store) -> None:
    from tradewind.engine.locks import FlowLease

    world.run("products")
    with FlowLease(store, "products", "busy-run"):
        assert "waiting for flow products, which is running" == world.services.waiting_for("stock")


@pytest.mark.parametrize(("after", "words"), [
    ("[nowhere]", "after names 'nowhere', which is no flow of this project"),
    ("[b]", "after names 'b', which is the flow itself"),
])
def test_after_names_flows_of_the_project(tmp_path: Path, after: str, words: str) -> None:
    problems = _validate(tmp_path, a="[]", b=after)
    assert any(words in p for p in problems), problems


def test_a_circle_of_dependencies_is_refused(tmp_path: Path) -> None:
    problems = _validate(tmp_path, a="[b]", b="[a]")
    assert any("depend on each other in a circle" in p for p in problems), problems


def _validate(tmp_path: Path, *, a: str, b: str) -> list[str]:
    path = tmp_path / "tradewind.yaml"
    path.write_text(f"""\
connections:
  shop: {{connector: shopify, shop: demo.myshopify.com, token: "${{T}}"}}
flows:
  a: {{from: shop.products, to: shop.products, after: {a}}}
  b: {{from: shop.products, to: shop.products, after: {b}}}
""")
    return [str(p) for p in validate(path, environ={"T": "x"})]
