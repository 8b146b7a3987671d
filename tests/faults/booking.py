"""What the order fault tests share: the tally of shop orders against Exact's sales orders, a
hook on the Exact sandbox's booking of an order, and the ``tradewind`` command to run a flow with.

The tally is the issue's promise in numbers: ``records`` paid orders, ``written`` of them in Exact,
``duplicates`` extra Exact orders for one shop order, ``lost`` paid orders not in Exact, and
``incomplete`` Exact orders without every line (SKU and quantity) of their shop order.
"""

from __future__ import annotations

import os
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet

from tests.e2e.slice import ENVIRON
from tradewind.engine.project import load_project
from tradewind.engine.services import Services

Order = Mapping[str, Any]


@dataclass(frozen=True)
class Tally:
    records: int
    written: int
    duplicates: int
    lost: int
    incomplete: int

    def __str__(self) -> str:
        return (f"records={self.records} written={self.written} duplicates={self.duplicates} lost={self.lost} "
                f"incomplete={self.incomplete}")

    @property
    def clean(self) -> bool:
        return self.duplicates == self.lost == self.incomplete == 0


def _lines(pairs: Iterable[tuple[str, Any]]) -> Counter[str]:
    total: Counter[str] = Counter()
    for sku, quantity in pairs:
        total[sku] += Decimal(str(quantity))  # type: ignore[assignment]
    return total


def incomplete(shop_order: Order, booked: Order) -> bool:
    """True when the Exact order lacks a line (or quantity) of the shop order; service lines such
    as shipping are extra and do not count."""
    wanted = _lines((line["sku"], line["quantity"]) for line in shop_order["line_items"])
    have = _lines((line["ItemCode"], line["Quantity"]) for line in booked.get("SalesOrderLines") or [])
    return any(have.get(sku) != quantity for sku, quantity in wanted.items())


def tally(paid: Iterable[Order], booked: Iterable[Order]) -> Tally:
    """Count ``paid`` shop orders against ``booked`` Exact orders (matched by YourRef = order name)."""
    by_ref: dict[str, list[Order]] = {}
    for order in booked:
        by_ref.setdefault(str(order.get("YourRef")), []).append(order)
    paid = list(paid)
    present = [o for o in paid if o["name"] in by_ref]
    return Tally(
        records=len(paid),
        written=len(present),
        duplicates=sum(len(rows) - 1 for rows in by_ref.values()),
        lost=len(paid) - len(present),
        incomplete=sum(1 for o in present if any(incomplete(o, b) for b in by_ref[o["name"]])),
    )


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


def lift_exact_limits(world: Any, store: Any) -> None:
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
