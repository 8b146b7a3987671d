"""Staging: a full read's rows held by group — in memory up to a bound, then in the store — read back
whole, in group order."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from tradewind.store.db import Store, now
from tradewind.store.staging import StoreStaging
from tradewind.store.tables import catalogue_staging


def staged_rows(store: Store) -> int:
    with store.begin() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(catalogue_staging)).scalar() or 0)


@pytest.mark.parametrize("hold", [0, 2, 100], ids=["in the store", "spilled mid-read", "in memory"])
def test_groups_come_back_whole_in_key_order_across_batches(store: Store, hold: int) -> None:
    staging = StoreStaging(store, hold=hold)
    staging.stage("read-1", [("M-2", {"Code": "B1"}), ("M-1", {"Code": "A1"}), ("M-3", {"Code": "C1"})])
    staging.stage("read-1", [("M-1", {"Code": "A2"}), ("M-2", {"Code": "B2"}), ("M-1", {"Code": "A3"})])
    staging.stage("read-2", [("M-1", {"Code": "other read"})])
    batches = list(staging.groups("read-1", rows_per_batch=2))
    groups = [(group, [row["Code"] for row in rows]) for batch in batches for group, rows in batch]
    assert [("M-1", ["A1", "A2", "A3"]), ("M-2", ["B1", "B2"]), ("M-3", ["C1"])] == groups
    # a group is never split: batches close once they hold 2 rows or more
    assert [["M-1"], ["M-2"], ["M-3"]] == [[group for group, _ in batch] for batch in batches]
    assert {0: 7, 2: 6, 100: 0}[hold] == staged_rows(store), "rows of the reads that spilled"


def test_a_read_under_the_bound_never_reaches_the_store_and_one_past_it_spills_whole(store: Store) -> None:
    staging = StoreStaging(store, hold=3)
    staging.stage("small", [("M-1", {"Code": "A1"}), ("M-1", {"Code": "A2"})])
    staging.stage("large", [("M-2", {"Code": "B1"}), ("M-1", {"Code": "A1"})])
    assert 0 == staged_rows(store)
    staging.stage("large", [("M-2", {"Code": "B2"}), ("M-1", {"Code": "A2"})])
    assert 4 == staged_rows(store), "what was held goes to the store with the page that crossed the bound"
    staging.stage("large", [("M-3", {"Code": "C1"})])
    assert 5 == staged_rows(store)
    assert [[("M-1", [{"Code": "A1"}, {"Code": "A2"}])]] == list(staging.groups("small"))
    assert [("M-1", ["A1", "A2"]), ("M-2", ["B1", "B2"]), ("M-3", ["C1"])] == [
        (group, [row["Code"] for row in rows]) for batch in staging.groups("large") for group, rows in batch]
    staging.drop("large")
    staging.drop("small")
    assert 0 == staged_rows(store) and [] == list(staging.groups("small"))


def test_drop_ends_a_read_and_abandoned_reads_go_when_the_next_starts(store: Store) -> None:
    staging = StoreStaging(store, hold=0)
    staging.stage("old", [("M-1", {"Code": "A1"})])
    with store.begin() as conn:
        conn.execute(sa.update(catalogue_staging).values(staged_at=now() - timedelta(days=2)))
    staging.stage("new", [("M-1", {"Code": "A1"})])
    assert [] == list(staging.groups("old"))
    staging.drop("new")
    with store.begin() as conn:
        assert 0 == conn.execute(sa.select(sa.func.count()).select_from(catalogue_staging)).scalar()
