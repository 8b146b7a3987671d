"""What the order fault tests of part B share (part A's ``harness`` holds the tally): a hook on
the Exact sandbox's booking of an order, the sandbox project with Exact's call budget lifted, a
secret key for PostgreSQL token stores, and the ``tradewind`` command to run a flow with."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet

from tests.e2e.slice import ENVIRON, World
from tests.faults.harness import Tally, tally
from tradewind.engine.project import load_project
from tradewind.engine.services import Services


def world_tally(world: World) -> Tally:
    """The shop's paid orders against Exact's sales orders (part A's tally and line format)."""
    return tally(world.shop.sandbox.dump()["orders"], world.exact.sandbox.dump())


def on_order_booked(exact: Any, hook: Callable[[dict[str, Any]], None]) -> None:
    """Call ``hook(order)`` each time the Exact sandbox stores a POSTed sales order, after it is
    stored and before the answer leaves: a fault placed exactly between the write and its answer."""
    original = exact.create

    def create(entity: Any, body: Mapping[str, Any], *, trusted: bool = False) -> dict[str, Any]:
        record: dict[str, Any] = original(entity, body, trusted=trusted)
        if entity.name == "SalesOrders" and not trusted:
            hook(record)
        return record

    exact.create = create


def lift_exact_limits(world: World, store: Any) -> None:
    """The Exact sandbox runs without rate limits (so it sends no headers to correct the client's
    default budget of 60 calls a minute): lift the connection's budget too, as the benchmark does,
    so a few dozen orders do not wait out a minute's pacing."""
    text = world.project_path.read_text()
    lifted = "    discount_item: DISC\n    calls_per_minute: 1000000\n    calls_per_day: 100000000\n"
    world.project_path.write_text(text.replace("    discount_item: DISC\n", lifted, 1))
    world.services = Services.open(load_project(world.project_path, environ=ENVIRON), store)


def with_secret_key(monkeypatch: Any) -> None:
    """Token stores on PostgreSQL seal tokens with ``TRADEWIND_SECRET_KEY``: every process of a test
    (it and the ``tradewind`` commands it starts) shares one, unless the environment has one."""
    if not os.environ.get("TRADEWIND_SECRET_KEY"):
        monkeypatch.setenv("TRADEWIND_SECRET_KEY", Fernet.generate_key().decode())


def tradewind(*args: str) -> list[str]:
    """The command line of ``tradewind ARGS`` from this test's environment."""
    script = Path(sys.executable).with_name("tradewind")
    if script.exists():
        return [str(script), *args]
    return [sys.executable, "-c", "from tradewind.cli import main; main()", *args]
