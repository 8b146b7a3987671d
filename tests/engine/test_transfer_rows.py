"""A transfer's row is written once, when the record's journey ends (engine/loop.py ``store_endings``):
one row write per record, not an insert at receive and an update at the end. Snapshots (detail
logging) and a dry run's plan name the row from the start, so there it is stored at receive."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy import select

from tests.engine.memory import System, flow
from tests.engine.test_loop import catalogue, runner
from tradewind.engine.context import Hooks
from tradewind.store import snapshots
from tradewind.store.db import Store
from tradewind.store.runs import list_transfers
from tradewind.store.tables import transfers


def rows_during_writes(store: Store) -> tuple[Hooks, list[int]]:
    """A hook counting the run's transfer rows stored each time a batch is about to be written."""
    seen: list[int] = []

    def count(batch: list[Any], ctx: Any) -> None:
        with store.begin() as conn:
            seen.append(len(conn.execute(select(transfers.c.id).where(transfers.c.run_id == ctx.run_id)).all()))

    return Hooks(before_write=[count]), seen


def test_each_record_has_one_row_stored_as_it_ended_and_none_while_in_flight(store: Store) -> None:
    erp, shop = catalogue(7), System()
    shop.refuse_skus = {"SKU-00003"}
    hooks, seen = rows_during_writes(store)
    result = runner(store, erp, shop, hooks).run(flow(batch_size=50))
    assert [0] == seen, "nothing of the page is stored before its records end"
    with store.begin() as conn:
        stored = list_transfers(conn, result.run_id)
    assert sorted(f"{i}" for i in range(1, 8)) == sorted(t.source_id for t in stored)
    assert all(t.finished_at is not None and t.created_at <= t.finished_at for t in stored)
    outcomes = {t.source_id: (t.stage, t.outcome) for t in stored}
    assert ("failed", "failed") == outcomes["4"] and 6 == sum(o == ("written", "created") for o in outcomes.values())
    again = runner(store, erp, shop).run(flow(), full=True)
    with store.begin() as conn:
        skipped = list_transfers(conn, again.run_id)
    assert 6 == sum(t.outcome == "skipped" and t.finished_at is not None for t in skipped), \
        "skipped records are stored as they end, at their page's close"


def test_with_detail_logging_rows_are_stored_at_receive_for_their_snapshots(store: Store) -> None:
    erp, shop = catalogue(3), System()
    hooks, seen = rows_during_writes(store)
    detailed = flow()
    detailed = replace(detailed, source=replace(detailed.source, detail_log=True))
    result = runner(store, erp, shop, hooks).run(detailed)
    assert [3] == seen, "received rows are there before the write, for the received snapshots"
    with store.begin() as conn:
        stored = list_transfers(conn, result.run_id)
        shots = {kind for t in stored for kind, _ in snapshots.for_transfer(conn, t.id)}
    assert 3 == len(stored) and all(t.stage == "written" for t in stored)
    assert {"received", "written", "answer"} <= shots
