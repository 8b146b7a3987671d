"""``tradewind replay`` and ``tradewind failures --key`` over the real sandboxes and store: every
failed record is replayed, page after page; records are named by source id or business key; a
named record that is not replayed makes the command fail."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest
from rich.console import Console
from typer.testing import CliRunner, Result

from tests.e2e.slice import ENVIRON, World, start_world
from tradewind import cli as cli_module
from tradewind.cli import app
from tradewind.engine.project import load_project
from tradewind.engine.services import Services
from tradewind.sandboxes.project import sandbox_project
from tradewind.sandboxes.shopify_data import random_order
from tradewind.store.db import Store

NEW_SKU = "NEW-1"  # sold in the shop before it exists as an item in Exact


@pytest.fixture
def world(tmp_path: Path, store: Store, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    w = start_world(tmp_path, store, monkeypatch=monkeypatch)
    lifted = {"calls_per_minute": 1_000_000, "calls_per_day": 100_000_000}  # the sandbox runs without limits
    w.project_path.write_text(sandbox_project(w.exact.url, w.shop.url, prefix="E2E", retry_backoff="1s",
                                              exact_options=lifted))
    w.services = Services.open(load_project(w.project_path, environ=ENVIRON), store)
    w.run("products")
    yield w
    w.exact.stop()
    w.shop.stop()


def cli(world: World, store: Store, *args: str) -> Result:
    with patch.object(cli_module, "console", Console(width=250)):  # wide enough for tables of full ids
        return CliRunner().invoke(app, [*args, "--project", str(world.project_path), "--database", store.url],
                                  env={"COLUMNS": "250"})


def orders_of_a_new_item(world: World, n: int) -> list[dict[str, Any]]:
    """``n`` paid orders of an item Exact does not have yet: the orders flow fails every one."""
    state, rng = world.shop.sandbox, random.Random(7)
    added = []
    for number in range(n):
        order = random_order({NEW_SKU: Decimal("12.50")}, rng=rng)
        order.update(financial_status="paid", email=f"buyer{number % 3}@example.com")  # three customers
        added.append(state.add_order(order))
    return added


def add_the_item_to_exact(world: World) -> None:
    template = next(i for i in world.exact.sandbox.dump()["items"] if i["Code"] not in ("SHIP", "DISC"))
    item = {k: v for k, v in template.items() if k not in ("Modified", "Created", "Timestamp")}
    world.exact.sandbox.seed({"items": [{**item, "ID": str(uuid.uuid4()), "Code": NEW_SKU}]})


def failing_orders(world: World, n: int) -> list[dict[str, Any]]:
    """Orders that failed, each with its source id (``id``) and number (``name``) as the flow saw them."""
    orders = orders_of_a_new_item(world, n)
    result = world.run("orders")
    assert (0, n) == (result.counts.get("created", 0), result.counts["failed"]), result
    ids = {f.natural_key: f.source_id for f in world.services.failures("orders")}
    return [{**o, "id": ids[f"number={o['name']}"]} for o in orders]


def test_replay_all_writes_every_failed_record_page_after_page(world: World, store: Store) -> None:
    orders = failing_orders(world, 1200)  # more than two pages of the queue (500 a page)
    assert 1200 == len(world.services.failures("orders"))
    add_the_item_to_exact(world)

    replayed = cli(world, store, "replay", "orders")

    assert 0 == replayed.exit_code, replayed.output
    assert "created=1200" in replayed.output and "failed=0" in replayed.output
    assert "0 record(s) still queued" in replayed.output
    assert [] == world.services.failures("orders")
    assert sorted(o["name"] for o in orders) == sorted(o["YourRef"] for o in world.exact_orders())


def test_replay_reports_records_done_out_of_all_after_each_page(world: World) -> None:
    failing_orders(world, 510)
    add_the_item_to_exact(world)
    told: list[tuple[int, int]] = []

    report = world.services.replay("orders", progress=lambda done, total: told.append((done, total)))

    assert report.ok and 510 == report.result.counts["created"]  # type: ignore[union-attr]
    assert ((0, 510), (510, 510)) == (told[0], told[-1])
    assert (500, 510) in told, told  # the first page of 500 is written before the second is read
    assert sorted(told) == told


def test_replay_by_order_number_replays_just_those(world: World, store: Store) -> None:
    first, second, third = failing_orders(world, 3)
    add_the_item_to_exact(world)

    replayed = cli(world, store, "replay", "orders", first["name"], second["name"].lstrip("#"))

    assert 0 == replayed.exit_code, replayed.output
    assert f"{first['name']}: record {first['id']} (number={first['name']}) → created" in replayed.output
    assert f"{second['name'].lstrip('#')}: record {second['id']} (number={second['name']}) → created" \
        in replayed.output
    assert "1 record(s) still queued" in replayed.output
    assert {first["name"], second["name"]} == {o["YourRef"] for o in world.exact_orders()}
    assert [third["id"]] == [f.source_id for f in world.services.failures("orders")]


def test_an_unknown_key_is_named_and_fails_the_command_after_the_others_are_replayed(world: World,
                                                                                    store: Store) -> None:
    (order,) = failing_orders(world, 1)
    add_the_item_to_exact(world)

    replayed = cli(world, store, "replay", "orders", "#999999", order["id"])

    assert 1 == replayed.exit_code, replayed.output
    assert "#999999: not found among the failed records of flow orders" in replayed.output
    assert f"{order['id']}: record {order['id']} (number={order['name']}) → created" in replayed.output
    assert [order["name"]] == [o["YourRef"] for o in world.exact_orders()]


def test_a_record_that_fails_again_fails_the_command_with_its_reason(world: World, store: Store) -> None:
    (order,) = failing_orders(world, 1)

    replayed = cli(world, store, "replay", "orders", order["name"])

    assert 1 == replayed.exit_code, replayed.output
    assert f"{order['name']}: record {order['id']} (number={order['name']}) → failed again" in replayed.output
    assert NEW_SKU in replayed.output
    (queued,) = world.services.failures("orders")
    assert (2, f"number={order['name']}") == (queued.attempts, queued.natural_key)


def test_failures_are_found_by_business_key(world: World, store: Store) -> None:
    first, second = failing_orders(world, 2)

    found = cli(world, store, "failures", "orders", "--key", first["name"].lstrip("#"))
    missing = cli(world, store, "failures", "orders", "--key", "#999999")

    assert 0 == found.exit_code, found.output
    assert first["id"] in found.output and f"number={first['name']}" in found.output
    assert second["id"] not in found.output
    assert 1 == missing.exit_code and "#999999" in missing.output


def test_nothing_to_replay_says_so(world: World, store: Store) -> None:
    replayed = cli(world, store, "replay", "orders")
    assert (0, "no failed records to replay in flow orders") == (replayed.exit_code, replayed.output.strip())
