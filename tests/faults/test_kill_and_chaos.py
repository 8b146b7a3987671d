"""Orders through kill -9 and chaos: the orders flow runs as the ``tradewind`` CLI in a subprocess while
both sandboxes fail 20 % of the vendor calls with faults of every kind (429 storms, 5xx and stalls
before the route, 5xx, stalls and connection resets *after* the write was stored); each run is
killed with SIGKILL at a seeded random moment, then run again. A last run without chaos (and a
replay of what still failed) must leave every paid order booked exactly once with all its lines.

``TRADEWIND_SOAK=N`` runs N seeds with more orders and kills each (a soak); CI runs 30 short ones.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

from tests.faults.harness import Cli, Outcome, Sandboxes, Tally, report
from tradewind.store import failures
from tradewind.store.db import Store

pytestmark = pytest.mark.faults

SOAK = int(os.environ.get("TRADEWIND_SOAK") or 0)
SEEDS = range(SOAK or 30)
CHAOS_RATE = 0.2


def database(seed: int) -> str:
    """Mostly PostgreSQL (production); every third seed on SQLite (the embedded default)."""
    return "sqlite" if seed % 3 == 2 else "postgres"


@pytest.mark.parametrize("seed", SEEDS)
def test_every_paid_order_is_booked_once_through_kills_and_chaos(
        seed: int, tmp_path: Path, request: pytest.FixtureRequest, capsys: pytest.CaptureFixture[str]) -> None:
    store: Store = request.getfixturevalue(f"{database(seed)}_store")
    rng = random.Random(seed)
    world = Sandboxes.start()
    try:
        cli = Cli(world.project(tmp_path), store.url)
        world.chaos(rate=CHAOS_RATE, seed=seed)
        for _ in range(rng.randint(3, 4) if SOAK else rng.randint(1, 2)):
            world.add_orders(rng.randint(4, 8) if SOAK else rng.randint(3, 5), rng)
            cli("run", "orders", kill_after=rng.uniform(0.8, 4.5))
        injected = world.chaos_off()
        cli("run", "orders")
        if waiting(store):
            cli("replay", "orders")
        tally = world.tally()
    finally:
        world.stop()
    report(f"kill-chaos-{seed}", tally, [f"database: {database(seed)}", f"injected: {injected}",
                                         *(line for o in cli.outcomes for line in described(o))], capsys)
    assert tally.clean and tally.written == tally.records, explain(tally, cli.outcomes)


def waiting(store: Store) -> int:
    """Records still in the flow's retry queue."""
    with store.begin() as conn:
        return len(failures.all_for(conn, "orders"))


def described(outcome: Outcome) -> list[str]:
    """One line per run; the end of its output too (stacks, if it hung) when it failed or hung."""
    if outcome.code == 0 or outcome.killed:
        return [outcome.brief()]
    tail = outcome.output.strip().splitlines()[-(150 if outcome.hung else 40):]
    return [outcome.brief(), *("    " + line for line in tail)]


def explain(tally: Tally, outcomes: list[Outcome]) -> str:
    runs = "\n".join(o.brief() for o in outcomes)
    last = outcomes[-1].output.strip().splitlines()[-15:] if outcomes else []
    return "\n".join([tally.line(), *tally.problems, runs, "last output:", *last])
